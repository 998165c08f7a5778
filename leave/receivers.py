"""The leave app's reactions to the core (design/architecture.md, "Lifecycle events"):

- approved leave makes a person unavailable to the reminder pipeline on those days (their reminders go
  to the escalation target meanwhile): an availability provider;
- a person who leaves: requests still waiting are withdrawn and approved leave after their last day
  cancelled (nobody is left to take it), then their annual leave is recomputed (the enterprise rule set
  pro-rates leavers).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from leave import services
from leave.models import LeaveRequest
from wellbeing import lifecycle
from wellbeing.actors import receiver_actor
from wellbeing.reminders.routing import Away, register_availability_provider


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


def connect() -> None:
    register_availability_provider(on_approved_leave)
    lifecycle.person_left.connect(person_left, dispatch_uid="leave.person_left")
