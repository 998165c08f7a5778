"""Break-glass: someone outside a case opens it in an emergency by stating a reason. Access lasts
BREAK_GLASS_HOURS, is audited, and the lead counsellor is alerted at once (a red item, every
channel, as the grant commits)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import BreakGlassGrant, Case, CaseEvent
from cases.services import common
from wellbeing.audit import REDACTED, audit_record
from wellbeing.models import AuditEvent, FollowUp, Tier
from wellbeing.services import followup_create
from wellbeing.services.referrals import intake_owner


@transaction.atomic
def break_glass(*, actor, case: Case, reason: str) -> BreakGlassGrant:
    common.check(actor, "case.break_glass", case, _("You cannot use emergency access to this case."))
    reason = common.required_text("reason", reason, _("State the emergency that needs this access."))
    if len(reason) > 1000:
        reason = reason[:1000]
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        case=case,
        user=actor,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(hours=settings.BREAK_GLASS_HOURS),
    )
    common.event(case, CaseEvent.Kind.BREAK_GLASS, actor, reason=reason, until=grant.expires_at.isoformat())
    audit_record(
        actor=actor,
        action=AuditEvent.Action.BREAK_GLASS,
        target=case,
        subject_person=case.person,
        # The stated reason may be clinical: it is kept encrypted with the grant and on the case's
        # timeline; administrators read the audit trail, so it says only that a reason was given.
        changes={"until": grant.expires_at.isoformat(), "reason": REDACTED},
        reason="emergency access",
    )
    about = case.person.user if case.person.user_id else None
    lead = intake_owner(exclude=about)
    if lead.pk != actor.pk:
        followup_create(
            actor=actor,
            owner=lead,
            title_key=common.BREAK_GLASS_TITLE,
            title_params={"ref": case.reference, "name": actor.get_full_name() or actor.get_username()},
            due_at=now + timedelta(hours=1),
            kind=FollowUp.Kind.CASE_ACTION,
            tier=Tier.RED,
            subject=case,
            person=case.person,
            escalation=FollowUp.Escalation.NONE,
        )
    return grant
