"""When the person a case is about leaves the organisation: the case stays open under the duty of
care, and the lead counsellor is asked to review it (and close it when that duty ends)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.services import common
from wellbeing.models import FollowUp, Tier
from wellbeing.services import followup_create
from wellbeing.services.referrals import intake_owner


@transaction.atomic
def person_left_review(*, actor, case: Case) -> FollowUp | None:
    """One review item for the lead counsellor per open case (idempotent)."""
    case = common.locked(case)
    if not case.is_open:
        return None
    existing = FollowUp.objects.filter(
        kind=FollowUp.Kind.CASE_ACTION,
        title_key=common.PERSON_LEFT_TITLE,
        subject_type=ContentType.objects.get_for_model(Case),
        subject_id=str(case.pk),
    ).first()
    if existing is not None:
        return existing
    common.event(case, CaseEvent.Kind.PERSON_LEFT, actor)
    return followup_create(
        actor=actor,
        owner=intake_owner(),
        title_key=common.PERSON_LEFT_TITLE,
        title_params={"ref": case.reference},
        due_at=timezone.now() + timedelta(days=7),
        kind=FollowUp.Kind.CASE_ACTION,
        tier=Tier.YELLOW,
        subject=case,
        person=case.person,
        escalation=FollowUp.Escalation.NONE,
    )
