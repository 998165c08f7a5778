"""Nobody without rest (issue 11, item 7): from ``LEAVE_REST_CHECK_DATE`` on, the monthly task finds
people who have taken less than ``LEAVE_REST_MIN_SHARE`` of the year's annual leave, or who hold
``LEAVE_REST_TOIL_DAYS`` days or more of unused time off in lieu, and gives their supervisor one
follow-up to plan leave with them: once per person per year, whatever the reasons."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from leave.models import LeaveLedgerEntry, LeaveType
from leave.services.common import lock_person
from leave.services.requests import approver_for
from wellbeing.models import FollowUp, Person
from wellbeing.services import followup_create

logger = logging.getLogger(__name__)
REST_TITLE = "leave.rest"
Kind = LeaveLedgerEntry.Kind
ZERO = Decimal(0)


def check_date(year: int) -> date:
    month, day = (int(part) for part in settings.LEAVE_REST_CHECK_DATE.split("-"))
    return date(year, month, day)


@dataclass
class RestCandidate:
    person_id: int
    entitled: Decimal = ZERO
    taken: Decimal = ZERO
    toil: Decimal = ZERO
    reasons: list[str] = field(default_factory=list)


def rest_candidates(year: int, *, on: date | None = None) -> dict[int, RestCandidate]:
    """Who qualifies in ``year`` (two grouped queries over the ledger, whatever the headcount)."""
    on = on or timezone.localdate()
    share = Decimal(str(settings.LEAVE_REST_MIN_SHARE))
    annual = LeaveType.objects.get(category=LeaveType.Category.ANNUAL)
    in_lieu = LeaveType.objects.get(category=LeaveType.Category.IN_LIEU)
    active = Person.objects.active().values("pk")
    rows = (
        LeaveLedgerEntry.objects.filter(leave_type=annual, year=year, person__in=active)
        .values("person")
        .annotate(
            entitled=Sum("days", filter=Q(kind__in=[Kind.ALLOCATION, Kind.CARRIED_IN])),
            taken=Sum("days", filter=Q(kind__in=[Kind.TAKEN, Kind.CANCELLED])),
        )
    )
    found: dict[int, RestCandidate] = {}
    for row in rows:
        entitled, taken = row["entitled"] or ZERO, -(row["taken"] or ZERO)
        if entitled > 0 and taken < entitled * share:
            c = found.setdefault(row["person"], RestCandidate(row["person"]))
            c.entitled, c.taken = entitled, taken
            c.reasons.append("annual")
    toil = (
        LeaveLedgerEntry.objects.filter(leave_type=in_lieu, person__in=active)
        .values("person")
        .annotate(left=Sum("days"))
        .filter(left__gte=settings.LEAVE_REST_TOIL_DAYS)
    )
    for row in toil:
        c = found.setdefault(row["person"], RestCandidate(row["person"]))
        c.toil = row["left"]
        c.reasons.append("in_lieu")
    return found


@dataclass
class RestRun:
    created: int = 0
    already: int = 0
    no_supervisor: int = 0
    failed: int = 0


def rest_check(*, actor, on: date | None = None) -> RestRun:
    """The monthly task's work. Before the year's check date it does nothing."""
    today = on or timezone.localdate()
    run = RestRun()
    if today < check_date(today.year):
        return run
    year = today.year
    start = timezone.make_aware(datetime.combine(date(year, 1, 1), time.min))
    raised = set(
        FollowUp.objects.filter(title_key=REST_TITLE, created_at__gte=start).values_list("person_id", flat=True)
    )
    candidates = rest_candidates(year, on=today)
    people = Person.objects.select_related("unit", "manager__user").in_bulk(list(candidates))
    for pk, candidate in sorted(candidates.items()):
        if pk in raised:
            run.already += 1
            continue
        try:
            with transaction.atomic():
                person = lock_person(people[pk])
                if FollowUp.objects.filter(title_key=REST_TITLE, person=person, created_at__gte=start).exists():
                    run.already += 1
                    continue
                supervisor = approver_for(people[pk])
                if supervisor is None:
                    run.no_supervisor += 1
                    continue
                followup_create(
                    actor=actor,
                    owner=supervisor,
                    title_key=REST_TITLE,
                    title_params={
                        "name": people[pk].full_name,
                        "taken": f"{candidate.taken.normalize():f}",
                        "entitled": f"{candidate.entitled.normalize():f}",
                        "toil": f"{candidate.toil.normalize():f}",
                    },
                    due_at=timezone.make_aware(datetime.combine(today + timedelta(days=30), time(18, 0))),
                    kind=FollowUp.Kind.GENERAL,
                    subject=people[pk],
                    person=people[pk],
                )
                run.created += 1
        except Exception:  # one person's failure never stops the others (conventions.md, 15)
            logger.exception("rest check failed for person %s", pk)
            run.failed += 1
    return run
