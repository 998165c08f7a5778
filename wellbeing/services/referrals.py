"""Referrals to the counselling team (转介)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Person, Referral, Role, Tier
from wellbeing.services.followups import followup_complete, followup_create
from wellbeing.validation import full_clean

#: Urgency -> (priority tier of the lead counsellor's follow-up, time to respond). design/domain.md
#: "Risk tiers": imminent risk is red (dispatched at once), urgent orange (24 h), soon yellow (7 days).
URGENCY_TIERS = {
    Referral.Urgency.IMMINENT: (Tier.RED, timedelta(hours=1)),
    Referral.Urgency.URGENT: (Tier.ORANGE, timedelta(hours=24)),
    Referral.Urgency.SOON: (Tier.YELLOW, timedelta(days=7)),
    Referral.Urgency.ROUTINE: (Tier.ROUTINE, timedelta(days=14)),
}


def intake_owner(*, exclude=None):
    """The lead counsellor who takes referrals in (the first active one, other than ``exclude``)."""
    holders = [u for u in policy.holders_of(Role.LEAD_COUNSELLOR) if exclude is None or u.pk != exclude.pk]
    if not holders:
        raise ValidationError(
            {"__all__": [_("No lead counsellor is set up to receive referrals. Tell an administrator.")]}
        )
    return holders[0]


@transaction.atomic
def referral_create(
    *,
    actor,
    person: Person,
    urgency: str,
    reason: str,
    note: str = "",
    source: str = Referral.Source.SUPERVISOR,
    source_object: models.Model | None = None,
) -> Referral:
    """Refer ``person`` to the counselling team. The lead counsellor gets a follow-up whose tier
    follows the urgency (imminent risk: red, dispatched at once)."""
    if not policy.can(actor, "referral.create", person):
        raise PermissionDenied(_("You cannot refer this person."))
    referral = Referral(person=person, referred_by=actor, urgency=urgency, reason=reason, note=note, source=source)
    if source_object is not None:
        referral.source_object = source_object
    full_clean(referral, exclude=["source_type", "followup"])
    referral.save()
    tier, respond_within = URGENCY_TIERS[Referral.Urgency(urgency)]
    with translation.override(settings.LANGUAGE_CODE):  # stored titles use the organisation's language
        title = _("Referral to take in (%(urgency)s)") % {"urgency": referral.get_urgency_display()}
    referral.followup = followup_create(
        actor=actor,
        owner=intake_owner(),
        title=title,
        due_at=timezone.now() + respond_within,
        kind=FollowUp.Kind.REFERRAL_INTAKE,
        tier=tier,
        subject=referral,
        person=person,
    )
    referral.save(update_fields=["followup", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=referral,
        subject_person=person,
        changes=diff(
            {},
            {"urgency": urgency, "reason": reason, "source": source, "note": note},
            sensitive=["urgency", "reason", "note"],
        ),
    )
    return referral


@transaction.atomic
def referral_acknowledge(*, actor, referral: Referral) -> Referral:
    """The counselling team has received it and takes responsibility: the referrer sees this."""
    if not policy.can(actor, "referral.intake"):
        raise PermissionDenied(_("Only the counselling team acknowledges referrals."))
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != Referral.Status.RECEIVED:
        return referral
    referral.status = Referral.Status.ACKNOWLEDGED
    referral.acknowledged_at = timezone.now()
    referral.acknowledged_by = actor
    referral.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    if referral.followup_id and referral.followup.is_active:
        # The lead counsellor acknowledging may not own the intake follow-up; the rule was checked above.
        followup_complete(actor=actor, followup=referral.followup, authorized=True)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=referral,
        subject_person=referral.person,
        changes=diff({"status": Referral.Status.RECEIVED}, {"status": referral.status}),
    )
    return referral
