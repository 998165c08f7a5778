"""What every case service shares: fetching a case locked after checking the rule, recording a step
on the timeline and in the audit trail, and the case's contact follow-up."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, Risk
from wellbeing import policy
from wellbeing.actors import is_system, user_of
from wellbeing.audit import audit_record
from wellbeing.models import AuditEvent, FollowUp
from wellbeing.services import followup_cancel, followup_complete, followup_create
from wellbeing.services.referrals import intake_owner

#: Follow-up titles (registered in the core's message catalogue by CasesConfig.ready()): a case's
#: reference only, never a name, a risk or a reason.
CONTACT_TITLE = "case.contact"
BREAK_GLASS_TITLE = "case.break_glass"
TRANSFER_TITLE = "case.transfer"
CLOSURE_TITLE = "case.closure"
PERSON_LEFT_TITLE = "case.person_left"
UNASSIGNED_TITLE = "case.unassigned"


def check(actor, rule: str, obj, message: str) -> None:
    """Refuse unless ``actor`` may (system actors apply the code's own rules)."""
    if is_system(actor):
        return
    if not policy.can(actor, rule, obj):
        raise PermissionDenied(message)


def locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("person", "contact_followup").get(pk=case.pk)


def require_open(case: Case) -> None:
    if not case.is_open:
        raise ValidationError({"__all__": [_("This case is closed. Reopen it first.")]})


def no_nul(**fields) -> None:
    """NUL bytes cannot be stored (PostgreSQL refuses them): a clear error on the field instead."""
    errors = {
        name: [_("Null characters are not allowed.")] for name, value in fields.items() if "\x00" in (value or "")
    }
    if errors:
        raise ValidationError(errors)


def required_text(name: str, value: str, message: str) -> str:
    value = (value or "").strip()
    no_nul(**{name: value})
    if not value:
        raise ValidationError({name: [message]})
    return value


def event(case: Case, kind: str, actor, *, reason: str = "", **params) -> CaseEvent:
    """A step on the case's timeline (choice values and references only; the reason encrypted)."""
    user = user_of(actor)
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=user,
        actor_label=(actor.get_username() if user is None else "")[:150],
        params=params,
        reason=reason,
    )


def audit(actor, case: Case, action: str, changes: dict, reason: str = "", target=None) -> None:
    """The audit row, in the caller's transaction. Administrators read the audit trail but no case
    information: callers pass clinical values through ``diff(..., sensitive=...)``."""
    audit_record(
        actor=actor, action=action, target=target or case, subject_person=case.person, changes=changes, reason=reason
    )


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def duty_holder(case: Case):
    """Who owes the case's next contact: its counsellor, else the lead counsellor (unassigned)."""
    if case.counsellor_id and case.counsellor.is_active:
        return case.counsellor
    about = case.person.user if case.person.user_id else None
    return intake_owner(exclude=about)


def active_followup(followup: FollowUp | None) -> FollowUp | None:
    """The follow-up as it stands in the database, if still open (the case's copy may be stale)."""
    if followup is None:
        return None
    return FollowUp.objects.filter(pk=followup.pk, status__in=FollowUp.ACTIVE_STATUSES).first()


def open_contact(*, actor, case: Case, due_at) -> FollowUp:
    """Give the case a new contact follow-up (the old one, if still open, is replaced): owned by its
    counsellor, priority from the risk (imminent is red, alerted at once), overdue escalates to the
    lead counsellor. The title names the case's reference only."""
    old = active_followup(case.contact_followup)
    if old is not None:
        followup_cancel(actor=actor, followup=old, reason="replaced by the next contact", authorized=True)
    followup = followup_create(
        actor=actor,
        owner=duty_holder(case),
        title_key=CONTACT_TITLE,
        title_params={"ref": case.reference},
        due_at=due_at,
        kind=FollowUp.Kind.CASE_CONTACT,
        tier=Risk(case.risk).tier,
        subject=case,
        person=case.person,
        escalation=FollowUp.Escalation.LEAD_COUNSELLOR,
    )
    case.contact_followup = followup
    case.save(update_fields=["contact_followup", "updated_at"])
    return followup


def end_contact(*, actor, case: Case, done: bool) -> None:
    """The current contact follow-up ends: done (a contact was made) or cancelled (closed case)."""
    followup = active_followup(case.contact_followup)
    if followup is None:
        return
    if done:
        followup_complete(actor=actor, followup=followup, authorized=True, by_record=True)
    else:
        followup_cancel(actor=actor, followup=followup, reason="case closed", authorized=True)


def status_change(actor, case: Case, to: str, *, reason: str = "") -> None:
    old = case.status
    case.status = to
    case.save(update_fields=["status", "updated_at"])
    event(case, CaseEvent.Kind.STATUS, actor, reason=reason, old=old, new=to)
    audit(actor, case, AuditEvent.Action.STATUS, {"status": [old, to]})


def now():
    return timezone.now()
