"""The leave app's reads, scoped by the access policy (``leave.rules.people_q``), with a fixed number
of queries per list whatever its length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType, OvertimeRecord
from leave.rules import people_q
from leave.services import ledger
from wellbeing import policy
from wellbeing.models import Person
from wellbeing.selectors import suppress_small

ZERO = Decimal(0)
Kind = LeaveLedgerEntry.Kind

#: What an allocation's basis code means, worded when shown.
BASIS_LABELS = {
    "band": _("statutory days for the years of service"),
    "under_one_year": _("less than one year of service"),
    "no_work_start": _("no work start date on record"),
    "prorated_joiner": _("pro-rated from the start of employment"),
    "prorated_leaver": _("pro-rated to the leaving date"),
    "left": _("left before becoming entitled"),
    "knock_on": _("none this year: last year's leave was taken before becoming ineligible"),
    "ineligible_personal": _("none: personal leave of 20 days or more this year"),
    "ineligible_sick": _("none: long sick leave this year"),
    "carried": _("carried over from last year"),
    "use_by": _("not used by its use-by date"),
    "overtime": _("work on a rest day"),
}


def requests_visible_to(principal) -> QuerySet[LeaveRequest]:
    """Requests of the people whose leave the principal may see, except those never sent: a draft
    (and a draft withdrawn) is the person's own (a counsellor's recommended time off starts as one,
    and nobody else may tell it apart from an ordinary request)."""
    qs = LeaveRequest.objects.filter(people_q(principal, prefix="person__"))
    own = policy.access_for(principal).person
    draft = Q(submitted_at__isnull=True)
    return qs.exclude(draft & ~Q(person=own)) if own is not None else qs.exclude(draft)


def request_get_for_user(*, user, request_id) -> LeaveRequest:
    """One request, or Http404 when it does not exist *or* the user may not see it."""
    try:
        return (
            requests_visible_to(user)
            .select_related("person__unit", "leave_type", "approver__person")
            .get(pk=int(request_id))
        )
    except (LeaveRequest.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def person_get_for_user(*, user, **lookup) -> Person:
    """A person whose leave the user may see, or Http404."""
    try:
        return Person.objects.filter(people_q(user)).select_related("unit", "manager").get(**lookup)
    except (Person.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def overtime_visible_to(principal) -> QuerySet[OvertimeRecord]:
    return OvertimeRecord.objects.filter(people_q(principal, prefix="person__"))


def leave_types(*, active_only: bool = True) -> QuerySet[LeaveType]:
    qs = LeaveType.objects.all()
    return qs.filter(is_active=True) if active_only else qs


@dataclass(frozen=True)
class Balance:
    """One balance: annual leave for a year, or time off in lieu (all years)."""

    leave_type: LeaveType
    year: int | None
    entitled: Decimal
    taken: Decimal
    pending: Decimal
    balance: Decimal
    next_expiry: date | None = None
    expiring: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.balance - self.pending

    @property
    def other(self) -> Decimal:
        """What is neither granted nor taken: days expired or carried to next year, and corrections
        downwards (entitled - taken + other = balance)."""
        return self.balance - self.entitled + self.taken


def balances_for(person: Person, year: int) -> list[Balance]:
    """The person's annual leave for ``year`` and time off in lieu (five queries)."""
    types = {
        t.category: t
        for t in LeaveType.objects.filter(category__in=[LeaveType.Category.ANNUAL, LeaveType.Category.IN_LIEU])
    }
    annual, in_lieu = types[LeaveType.Category.ANNUAL], types[LeaveType.Category.IN_LIEU]
    sums = (
        LeaveLedgerEntry.objects.filter(Q(leave_type=annual, year=year) | Q(leave_type=in_lieu), person=person)
        .values("leave_type")
        .annotate(
            total=Sum("days"),
            granted=Sum(
                "days",
                filter=Q(kind__in=[Kind.ALLOCATION, Kind.CARRIED_IN, Kind.ACCRUED])
                | Q(kind=Kind.ADJUSTED, lot__isnull=True, days__gt=0),
            ),
            used=Sum("days", filter=Q(kind__in=[Kind.TAKEN, Kind.USED, Kind.CANCELLED])),
        )
    )
    by_type = {row["leave_type"]: row for row in sums}
    pending = dict(
        LeaveRequest.objects.filter(person=person, status=LeaveRequest.Status.PENDING, leave_type__in=[annual, in_lieu])
        .filter(Q(leave_type=in_lieu) | Q(start_date__year=year))
        .values("leave_type")
        .annotate(s=Sum("days"))
        .values_list("leave_type", "s")
    )
    next_expiry, expiring = _next_expiry(person, in_lieu)
    result = []
    for leave_type, scope_year in ((annual, year), (in_lieu, None)):
        row = by_type.get(leave_type.pk, {})
        dated = {"next_expiry": next_expiry, "expiring": expiring} if leave_type == in_lieu else {}
        result.append(
            Balance(
                leave_type=leave_type,
                year=scope_year,
                entitled=row.get("granted") or ZERO,
                taken=-(row.get("used") or ZERO),
                pending=pending.get(leave_type.pk) or ZERO,
                balance=row.get("total") or ZERO,
                **dated,
            )
        )
    return result


def _next_expiry(person: Person, in_lieu: LeaveType) -> tuple[date | None, Decimal]:
    """The earliest use-by date of the time off in lieu still left, and how much is left of it."""
    lots = ledger.open_lots(person, in_lieu, None, on=timezone.localdate())
    dated = [(lot.expires_on, left) for lot, left in lots if lot.expires_on is not None]
    if not dated:
        return None, ZERO
    first = min(on for on, _left in dated)
    return first, sum((left for on, left in dated if on == first), ZERO)


@dataclass(frozen=True)
class LedgerLine:
    entry: LeaveLedgerEntry
    running: Decimal

    @property
    def explanation(self) -> str:
        basis = BASIS_LABELS.get(self.entry.basis)
        return str(basis) if basis else ""


def ledger_for(person: Person, leave_type: LeaveType, year: int | None) -> list[LedgerLine]:
    """Every line of one balance, oldest first, with the running total: the balance explained line by
    line (one query, whatever the ledger's length)."""
    qs = LeaveLedgerEntry.objects.filter(person=person, leave_type=leave_type)
    if year is not None and leave_type.category != LeaveType.Category.IN_LIEU:
        qs = qs.filter(year=year)
    qs = qs.select_related("request", "overtime", "created_by__person", "lot").order_by("effective_on", "id")
    running = ZERO
    lines = []
    for entry in qs:
        running += entry.days
        lines.append(LedgerLine(entry, running))
    return lines


def care_leave_figures(year: int) -> dict[str, int | None]:
    """Approved leave that began as a counsellor's recommendation, for the leading group's figures:
    the number of people and of days in ``year``, each suppressed (None) below the minimum group size
    (access.md: counts, k >= 5). Nothing else about these requests is ever shown."""
    rows = LeaveRequest.objects.filter(care=True, status=LeaveRequest.Status.APPROVED, start_date__year=year)
    people = rows.values("person").distinct().count()
    days = rows.aggregate(s=Sum("days"))["s"] or ZERO
    shown = suppress_small(people)
    return {"people": shown, "days": int(days) if shown is not None else None}
