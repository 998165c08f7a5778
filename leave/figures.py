"""The leave app's part of the organisation's figures (``wellbeing.figures``) and of the workload
signals (``wellbeing.workload``): how much of the year's annual leave people have taken, who works
on rest days and how often, who works weekend after weekend, who has not taken their leave by the
rest check date. Registered in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.db.models import Sum as DbSum
from django.utils.translation import gettext_lazy as _

from leave.models import LeaveLedgerEntry, LeaveType, OvertimeRecord
from leave.services.monitoring import check_date, rest_candidates
from wellbeing.figures import Category, Dimension, Indicator, Period, Sum, register_dimension
from wellbeing.models import Person
from wellbeing.workload import Signal, register_signal

Kind = LeaveLedgerEntry.Kind
ZERO = Decimal(0)
HALF = Decimal("0.5")
#: Work on a rest day: weekends and public holidays (night work is on a working day).
REST_DAY_KINDS = (OvertimeRecord.Kind.WEEKEND, OvertimeRecord.Kind.HOLIDAY)
#: Rest days worked in the year from which someone works "often".
OFTEN_DAYS = 4
SATURDAY = 5


def classify_uptake(period: Period, people: Collection[int]) -> Mapping[int, str]:
    """Each person entitled to annual leave in the period's year (allocation and days carried in,
    from the ledger), by the share taken (days taken less days returned by cancellations, as the
    rest check counts them: approved leave counts once approved). One grouped query."""
    rows = (
        LeaveLedgerEntry.objects.filter(
            leave_type__category=LeaveType.Category.ANNUAL, year=period.year, person_id__in=people
        )
        .values("person_id")
        .annotate(
            entitled=DbSum("days", filter=Q(kind__in=[Kind.ALLOCATION, Kind.CARRIED_IN])),
            taken=DbSum("days", filter=Q(kind__in=[Kind.TAKEN, Kind.CANCELLED])),
        )
        .values_list("person_id", "entitled", "taken")
    )
    out: dict[int, str] = {}
    for person_id, entitled, taken in rows:
        entitled, taken = entitled or ZERO, -(taken or ZERO)
        if entitled <= 0:
            continue
        if taken <= 0:
            out[person_id] = "none_taken"
        elif taken < entitled * HALF:
            out[person_id] = "under_half"
        else:
            out[person_id] = "half_or_more"
    return out


def classify_rest_days(period: Period, people: Collection[int]) -> Mapping[int, str]:
    """The number of distinct days in the period each person worked on a weekend or public holiday,
    as confirmed by their supervisor. One grouped query."""
    rows = (
        OvertimeRecord.objects.filter(
            person_id__in=people,
            status=OvertimeRecord.Status.CONFIRMED,
            kind__in=REST_DAY_KINDS,
            work_date__gte=period.start,
            work_date__lt=period.end,
        )
        .values("person_id")
        .annotate(days=Count("work_date", distinct=True))
        .values_list("person_id", "days")
    )
    return {person_id: "often" if days >= OFTEN_DAYS else "some" for person_id, days in rows if days > 0}


def last_weekends(today: date, count: int) -> list[date]:
    """The Saturdays of the last ``count`` weekends up to ``today`` (today's own if it is a Saturday
    or a Sunday), latest first."""
    weekday = today.weekday()
    latest = today - timedelta(days=weekday - SATURDAY if weekday >= SATURDAY else weekday + 2)
    return [latest - timedelta(weeks=k) for k in range(count)]


def detect_weekend_streak(today: date) -> Collection[int]:
    """Active people with confirmed work on a rest day (weekend or public holiday falling on it) in
    each of the last ``WORKLOAD_WEEKEND_STREAK`` weekends. One query."""
    saturdays = last_weekends(today, settings.WORKLOAD_WEEKEND_STREAK)
    if not saturdays:
        return set()
    days = [d for saturday in saturdays for d in (saturday, saturday + timedelta(days=1))]
    worked: dict[int, set[date]] = {}
    for person_id, work_date in (
        OvertimeRecord.objects.filter(
            status=OvertimeRecord.Status.CONFIRMED,
            kind__in=REST_DAY_KINDS,
            work_date__in=days,
            person__in=Person.objects.active(),
        )
        .values_list("person_id", "work_date")
        .distinct()
    ):
        worked.setdefault(person_id, set()).add(work_date - timedelta(days=work_date.weekday() - SATURDAY))
    return {person_id for person_id, weekends in worked.items() if weekends >= set(saturdays)}


def detect_untaken(today: date) -> Collection[int]:
    """From the rest check date of ``today``'s year (``LEAVE_REST_CHECK_DATE``), active people who have
    taken less than ``LEAVE_REST_MIN_SHARE`` of the year's annual leave (the rest check's own rule;
    time off in lieu left unused is not this signal's business). Before that date, nobody. A fixed
    number of queries."""
    if today < check_date(today.year):
        return set()
    return {pk for pk, c in rest_candidates(today.year, on=today).items() if "annual" in c.reasons}


def register() -> None:
    register_dimension(
        Dimension(
            key="leave.uptake",
            title=_("Annual leave taken"),
            categories=(
                Category("no_entitlement", _("no annual leave this year"), "#dee2e6"),
                Category("none_taken", _("none taken"), "#c92a2a"),
                Category("under_half", _("less than half taken"), "#f2c94c"),
                Category("half_or_more", _("half or more taken"), "#2f9e44"),
            ),
            default="no_entitlement",
            sums=(Sum("entitled", _("entitled to annual leave"), ("none_taken", "under_half", "half_or_more")),),
            indicators=(
                Indicator("leave.uptake", _("leave uptake (half or more taken)"), ("half_or_more",), ("entitled",)),
            ),
            classify=classify_uptake,
            explanation=_(
                "People entitled to annual leave this year (allocated or carried over), by the share of "
                "it taken so far; approved leave counts as taken."
            ),
            order=50,
        )
    )
    register_dimension(
        Dimension(
            key="leave.weekend",
            title=_("Work on rest days"),
            categories=(
                Category("none", _("no rest-day work"), "#dee2e6"),
                Category("some", _("rest-day work on 1 to 3 days"), "#f2c94c"),
                Category("often", _("rest-day work on 4 days or more"), "#f08c00"),
            ),
            default="none",
            sums=(Sum("worked", _("worked on rest days"), ("some", "often")),),
            classify=classify_rest_days,
            explanation=_(
                "People by the number of days this year they worked on a weekend or public holiday, as "
                "confirmed by their supervisor."
            ),
            order=60,
        )
    )
    register_signal(
        Signal("leave.weekend_streak", _("weekend work several weekends in a row"), detect_weekend_streak, order=30)
    )
    register_signal(Signal("leave.untaken", _("annual leave not taken"), detect_untaken, order=40))
