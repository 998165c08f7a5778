"""The cases app's reactions to the core's lifecycle signals (design/architecture.md).

- A counsellor leaves, or their counselling role ends: their open cases return to the lead
  counsellor's unassigned queue with their follow-ups; transfers waiting for them are withdrawn.
- The person a case is about leaves: the case stays open (duty of care) and the lead counsellor gets
  an item to review it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cases import services
from cases.models import Case, Transfer
from wellbeing import lifecycle
from wellbeing.actors import receiver_actor
from wellbeing.models import Role


@transaction.atomic
def person_left(sender, event, person, **kwargs):
    actor = receiver_actor("person_left", "cases")
    if person.user_id:
        services.release_caseload(actor=actor, user=person.user, reason="counsellor left")
    for case in Case.objects.filter(person=person, status__in=Case.OPEN_STATUSES):
        services.person_left_review(actor=actor, case=case)


@transaction.atomic
def role_ended(sender, event, assignment, **kwargs):
    if assignment.role not in (Role.COUNSELLOR, Role.LEAD_COUNSELLOR):
        return
    if assignment.valid_until is not None and assignment.valid_until >= timezone.localdate():
        return  # still in force today: handed over when a later event finds it ended
    has_work = (
        Case.objects.filter(counsellor=assignment.user, status__in=Case.OPEN_STATUSES).exists()
        or Transfer.objects.filter(to_counsellor=assignment.user, status=Transfer.Status.PENDING).exists()
    )
    if has_work:
        services.release_caseload(
            actor=receiver_actor("role_ended", "cases"), user=assignment.user, reason="counselling role ended"
        )


def connect() -> None:
    lifecycle.person_left.connect(person_left, dispatch_uid="cases.person_left")
    lifecycle.role_ended.connect(role_ended, dispatch_uid="cases.role_ended")
