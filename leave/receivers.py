"""The leave app's reactions to the core (design/architecture.md, "Lifecycle events"):

- approved leave makes a person unavailable to the reminder pipeline on those days (their reminders go
  to the escalation target meanwhile): an availability provider;
- a person who leaves: requests still waiting are withdrawn and approved leave after their last day
  cancelled (nobody is left to take it), then their annual leave is recomputed (the enterprise rule set
  pro-rates leavers);
- the leave stream of the change feed (``GET /api/v1/changes/?streams=leave``): a request that is
  approved is an upsert line and one cancelled a tombstone (type ``leave_request``, key ``L-000123``);
  every ledger line written is an upsert line (type ``leave_ledger_entry``, key ``E-000045``). Drafts,
  requests waiting, rejected or withdrawn write no line: an HR system sees leave only once it is
  decided. The lines carry what an HR system may see and nothing else: never a note, a comment, a
  reason or any other free text, and never whether a counsellor recommended the leave (its origin
  shows as the person's own, exactly as the leave API shows it).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from leave import services
from leave.models import LeaveLedgerEntry, LeaveRequest
from leave.services.hr import FEED_LINES
from wellbeing import lifecycle
from wellbeing.actors import receiver_actor
from wellbeing.reminders.routing import Away, register_availability_provider
from wellbeing.services import changes

#: Requests the feed shows: approved (upsert) and cancelled after approval (tombstone).
FEED_STATUSES = {LeaveRequest.Status.APPROVED: changes.Op.UPSERT, LeaveRequest.Status.CANCELLED: changes.Op.TOMBSTONE}
#: The fields of a request its feed line shows: a save that names none of them writes no line.
FEED_FIELDS = frozenset(
    {
        "person",
        "leave_type",
        "start_date",
        "end_date",
        "start_pm",
        "end_am",
        "days",
        "provisional",
        "status",
        "origin",
    }
)


def on_approved_leave(user_ids: list[int], at: datetime) -> dict[int, Away]:
    day = timezone.localdate(at)
    return {user_id: Away(None) for user_id in services.approved_on(user_ids, day)}


@transaction.atomic
def person_left(sender, event, person, **kwargs):
    actor = receiver_actor("person_left", "leave")
    for request in LeaveRequest.objects.filter(
        person=person, status__in=[LeaveRequest.Status.DRAFT, LeaveRequest.Status.PENDING]
    ):
        services.request_cancel(actor=actor, request=request, reason="left")
    if person.left_on is not None:
        # Approved leave after the last working day is not taken: its days come back (and then the
        # leaver's allocation is recomputed below).
        for request in LeaveRequest.objects.filter(
            person=person, status=LeaveRequest.Status.APPROVED, start_date__gt=person.left_on
        ):
            services.request_cancel(actor=actor, request=request, reason="left")
    if person.left_on is not None and person.work_start_date is not None:
        services.annual_reconcile(actor=actor, person=person, year=person.left_on.year)


# --- The change feed's leave stream -------------------------------------------------------------------


def _days(value: Decimal) -> int | float:
    """Days as a JSON number (half days exact): 4, 2.5."""
    return int(value) if value == value.to_integral_value() else float(value)


def request_data(request: LeaveRequest) -> dict[str, Any]:
    return {
        "reference": request.reference,
        "person": request.person.external_id,
        "leave_type": request.leave_type.code,
        "start_date": request.start_date.isoformat(),
        "end_date": request.end_date.isoformat(),
        "start_pm": request.start_pm,
        "end_am": request.end_am,
        "days": _days(request.days),
        "provisional": request.provisional,
        "status": request.status,
        "origin": request.shown_origin,
        # Not the HR system's own record id: the feed is shared by every client with leave:read, and
        # one system's ids are not another's business.
    }


def entry_data(entry: LeaveLedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "person": entry.person.external_id,
        "leave_type": entry.leave_type.code,
        "year": entry.year,
        "kind": entry.kind,
        "days": _days(entry.days),
        "effective_on": entry.effective_on.isoformat(),
        "expires_on": entry.expires_on.isoformat() if entry.expires_on else None,
        "lot": entry.lot_id,
        "request": LeaveRequest.reference_for(entry.request_id) if entry.request_id else None,
    }


def _feed(line: tuple) -> None:
    """Write a line now, or with the HR sync's other lines at the end of its call."""
    pending = FEED_LINES.get()
    if pending is not None:
        pending.append(line)
    else:
        changes.record_many([line])


def request_saved(sender, instance: LeaveRequest, created: bool, update_fields=None, raw: bool = False, **kwargs):
    op = FEED_STATUSES.get(instance.status)
    if raw or op is None:
        return
    if update_fields is not None and not FEED_FIELDS & set(update_fields):
        return
    _feed((changes.Stream.LEAVE, "leave_request", instance.reference, op, request_data(instance)))


def ledger_entry_saved(sender, instance: LeaveLedgerEntry, created: bool, raw: bool = False, **kwargs):
    if raw or not created:
        return
    _feed((changes.Stream.LEAVE, "leave_ledger_entry", instance.reference, changes.Op.UPSERT, entry_data(instance)))


def connect() -> None:
    register_availability_provider(on_approved_leave)
    lifecycle.person_left.connect(person_left, dispatch_uid="leave.person_left")
    post_save.connect(request_saved, sender=LeaveRequest, dispatch_uid="leave.feed.request")
    post_save.connect(ledger_entry_saved, sender=LeaveLedgerEntry, dispatch_uid="leave.feed.ledger_entry")
