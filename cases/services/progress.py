"""A case's course: risk (with its history), status, flags, contacts and their cadence, closure
with the lead counsellor's approval, reopening. Every transition is on the timeline and audited."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CaseFlag, Risk
from cases.services import common
from wellbeing.audit import REDACTED, diff
from wellbeing.models import AuditEvent, FollowUp, Tier
from wellbeing.services import followup_complete, followup_create
from wellbeing.services.referrals import intake_owner

WORK = "case.work"


def _work(actor, case: Case) -> Case:
    case = common.locked(case)  # the rule is checked on the case as it stands now
    common.check(actor, WORK, case, _("You do not work on this case."))
    common.require_open(case)
    return case


@transaction.atomic
def risk_change(*, actor, case: Case, risk: str, reason: str, authorized: bool = False) -> Case:
    """Set the current risk with a reason. The next contact follows the new cadence (never later than
    already due); raising it to imminent makes the next contact red, alerted at once."""
    if not authorized:
        common.check(actor, WORK, case, _("You do not work on this case."))
    case = common.locked(case)
    common.require_open(case)
    if risk not in Risk.values:
        raise ValidationError({"risk": [_("Choose a risk level.")]})
    reason = common.required_text("reason", reason, _("Say why the risk changed."))
    old = case.risk
    if old == risk:
        raise ValidationError({"risk": [_("The risk is already %(risk)s.") % {"risk": Risk(risk).label}]})
    case.risk = risk
    case.save(update_fields=["risk", "updated_at"])
    common.event(case, CaseEvent.Kind.RISK, actor, reason=reason, old=old, new=risk)
    common.audit(actor, case, AuditEvent.Action.UPDATE, diff({"risk": old}, {"risk": risk}, sensitive=["risk"]))
    current = case.contact_followup
    due = timezone.now() + Risk(risk).cadence
    if current is not None and current.is_active and current.due_at < due:
        due = current.due_at
    if risk == Risk.IMMINENT:
        due = min(due, timezone.now() + Risk(risk).cadence)
    common.open_contact(actor=actor, case=case, due_at=due)
    return case


@transaction.atomic
def status_set(*, actor, case: Case, status: str, reason: str = "") -> Case:
    """New -> active -> monitoring and back (closing goes through ``closure_request``)."""
    case = _work(actor, case)
    if status == case.status:
        return case
    if not case.can_move_to(status):
        raise ValidationError(
            {
                "status": [
                    _("A case cannot go from %(old)s to %(new)s here.")
                    % {"old": case.get_status_display(), "new": dict(Case.Status.choices).get(status, status)}
                ]
            }
        )
    common.no_nul(reason=reason)
    common.status_change(actor, case, status, reason=reason.strip())
    return case


@transaction.atomic
def flag_raise(*, actor, case: Case, kind: str, reason: str) -> CaseFlag:
    case = _work(actor, case)
    if kind not in CaseFlag.Kind.values:
        raise ValidationError({"kind": [_("Choose a flag.")]})
    reason = common.required_text("reason", reason, _("Say why the flag is raised."))
    if case.flags.filter(kind=kind, cleared_at__isnull=True).exists():
        raise ValidationError({"kind": [_("This flag is already raised.")]})
    flag = CaseFlag.objects.create(case=case, kind=kind, reason=reason, raised_by=actor)
    common.event(case, CaseEvent.Kind.FLAGGED, actor, reason=reason, flag=kind)
    common.audit(actor, case, AuditEvent.Action.UPDATE, {"flag": REDACTED}, target=case)
    return flag


@transaction.atomic
def flag_clear(*, actor, flag: CaseFlag, reason: str) -> CaseFlag:
    case = _work(actor, flag.case)
    flag = CaseFlag.objects.select_for_update().get(pk=flag.pk, case=case)
    if not flag.is_active:
        raise ValidationError({"__all__": [_("This flag was already cleared.")]})
    reason = common.required_text("reason", reason, _("Say why the flag is cleared."))
    flag.cleared_at, flag.cleared_by, flag.clear_reason = timezone.now(), actor, reason
    flag.save(update_fields=["cleared_at", "cleared_by", "clear_reason", "updated_at"])
    common.event(case, CaseEvent.Kind.UNFLAGGED, actor, reason=reason, flag=flag.kind)
    common.audit(actor, case, AuditEvent.Action.UPDATE, {"flag": REDACTED})
    return flag


def contact_made(*, actor, case: Case, mode: str, next_due: datetime | None = None) -> None:
    """A contact completes the current contact follow-up and schedules the next: by the risk's
    cadence, or earlier (``next_due``). A new case becomes active. The caller holds the lock."""
    common.end_contact(actor=actor, case=case, done=True)
    due = _next_due(case, next_due)
    common.event(case, CaseEvent.Kind.CONTACT, actor, mode=mode)
    if case.status == Case.Status.NEW:
        common.status_change(actor, case, Case.Status.ACTIVE)
    common.open_contact(actor=actor, case=case, due_at=due)


def _next_due(case: Case, next_due: datetime | None) -> datetime:
    latest = timezone.now() + Risk(case.risk).cadence
    if next_due is None:
        return latest
    if next_due <= timezone.now():
        raise ValidationError({"next_due": [_("Choose a time in the future.")]})
    if next_due > latest:
        raise ValidationError(
            {
                "next_due": [
                    _("At %(risk)s risk the next contact is due within %(days)s days (by %(date)s).")
                    % {
                        "risk": Risk(case.risk).label,
                        "days": Risk(case.risk).cadence.days,
                        "date": timezone.localtime(latest).strftime("%Y-%m-%d %H:%M"),
                    }
                ]
            }
        )
    return next_due


@transaction.atomic
def next_contact_set(*, actor, case: Case, due_at: datetime) -> Case:
    """Schedule the next contact (within the risk's cadence)."""
    case = _work(actor, case)
    due = _next_due(case, due_at)
    common.open_contact(actor=actor, case=case, due_at=due)
    common.event(case, CaseEvent.Kind.NEXT_CONTACT, actor, due=due.isoformat())
    common.audit(actor, case, AuditEvent.Action.UPDATE, {"next_contact": REDACTED})
    return case


@transaction.atomic
def closure_request(*, actor, case: Case, outcome: str, summary: str) -> Case:
    """The counsellor asks to close: an outcome and a closing summary; the lead counsellor approves."""
    case = _work(actor, case)
    if case.closure_pending:
        raise ValidationError({"__all__": [_("Closure was already asked for: the lead counsellor decides.")]})
    if outcome not in Case.Outcome.values:
        raise ValidationError({"outcome": [_("Choose the outcome.")]})
    summary = common.required_text("summary", summary, _("Write a closing summary."))
    case.outcome, case.closing_summary = outcome, summary
    case.closure_requested_at, case.closure_requested_by = timezone.now(), actor
    case.save(
        update_fields=["outcome", "closing_summary", "closure_requested_at", "closure_requested_by", "updated_at"]
    )
    common.event(case, CaseEvent.Kind.CLOSURE_ASKED, actor, outcome=outcome)
    common.audit(actor, case, AuditEvent.Action.UPDATE, {"closure": REDACTED})
    about = case.person.user if case.person.user_id else None
    lead = intake_owner(exclude=about)
    followup_create(
        actor=actor,
        owner=lead,
        title_key=common.CLOSURE_TITLE,
        title_params={"ref": case.reference},
        due_at=timezone.now() + Risk.LOW.cadence / 4,
        kind=FollowUp.Kind.CASE_ACTION,
        tier=Tier.ROUTINE,
        subject=case,
        person=case.person,
        escalation=FollowUp.Escalation.NONE,
    )
    return case


def _closure_followups(case: Case, titles=(common.CLOSURE_TITLE,)):
    """The lead counsellor's open items asking for a decision on closing this case."""
    return FollowUp.objects.filter(
        kind=FollowUp.Kind.CASE_ACTION,
        title_key__in=titles,
        status__in=FollowUp.ACTIVE_STATUSES,
        subject_type=ContentType.objects.get_for_model(Case),
        subject_id=str(case.pk),
    )


@transaction.atomic
def closure_approve(*, actor, case: Case) -> Case:
    """The lead counsellor approves: the case closes, its open follow-ups end."""
    common.check(actor, "case.approve_closure", case, _("Only the lead counsellor approves a closure."))
    case = common.locked(case)
    common.require_open(case)
    if not case.closure_pending:
        raise ValidationError(
            {
                "__all__": [
                    _("Nobody has asked to close this case: its counsellor asks first, with an outcome and a summary.")
                ]
            }
        )
    old = case.status
    case.status, case.closed_at, case.closed_by = Case.Status.CLOSED, timezone.now(), actor
    case.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    common.end_contact(actor=actor, case=case, done=False)
    for followup in _closure_followups(case, (common.CLOSURE_TITLE, common.PERSON_LEFT_TITLE)):
        followup_complete(actor=actor, followup=followup, authorized=True, by_record=True)
    common.event(case, CaseEvent.Kind.CLOSURE_APPROVED, actor, outcome=case.outcome)
    common.audit(actor, case, AuditEvent.Action.STATUS, {"status": [old, Case.Status.CLOSED]})
    return case


@transaction.atomic
def closure_refuse(*, actor, case: Case, reason: str) -> Case:
    """The lead counsellor sends it back: the case stays open, the request is cleared."""
    common.check(actor, "case.approve_closure", case, _("Only the lead counsellor decides on a closure."))
    case = common.locked(case)
    common.require_open(case)
    if not case.closure_pending:
        raise ValidationError({"__all__": [_("Nobody has asked to close this case.")]})
    reason = common.required_text("reason", reason, _("Say why the case stays open."))
    case.outcome, case.closing_summary, case.closure_requested_at, case.closure_requested_by = "", "", None, None
    case.save(
        update_fields=["outcome", "closing_summary", "closure_requested_at", "closure_requested_by", "updated_at"]
    )
    for followup in _closure_followups(case):
        followup_complete(actor=actor, followup=followup, authorized=True, by_record=True)
    common.event(case, CaseEvent.Kind.CLOSURE_REFUSED, actor, reason=reason)
    common.audit(actor, case, AuditEvent.Action.UPDATE, {"closure": REDACTED}, reason="")
    return case


@transaction.atomic
def case_reopen(*, actor, case: Case, reason: str, risk: str | None = None) -> Case:
    """Reopen a closed case with a reason (the person has no other open case); it is active again
    with its counsellor, and the next contact is due by risk."""
    common.check(actor, "case.reopen", case, _("Only the lead counsellor or the case's counsellor reopens a case."))
    case = common.locked(case)
    if case.is_open:
        raise ValidationError({"__all__": [_("This case is open.")]})
    reason = common.required_text("reason", reason, _("Say why the case is reopened."))
    if risk is not None and risk not in Risk.values:
        raise ValidationError({"risk": [_("Choose a risk level.")]})
    if Case.objects.filter(person=case.person, status__in=Case.OPEN_STATUSES).exclude(pk=case.pk).exists():
        raise ValidationError({"__all__": [_("This person has another open case.")]})
    old_risk = case.risk
    case.status = Case.Status.ACTIVE
    case.closed_at = case.closed_by = case.closure_requested_at = case.closure_requested_by = None
    case.outcome, case.closing_summary = "", ""
    if risk:
        case.risk = risk
    if case.counsellor_id and not case.counsellor.is_active:
        case.counsellor = None
    case.save()
    common.event(case, CaseEvent.Kind.REOPENED, actor, reason=reason)
    if case.risk != old_risk:
        common.event(case, CaseEvent.Kind.RISK, actor, reason=reason, old=old_risk, new=case.risk)
        common.audit(
            actor, case, AuditEvent.Action.UPDATE, diff({"risk": old_risk}, {"risk": case.risk}, sensitive=["risk"])
        )
    common.audit(actor, case, AuditEvent.Action.STATUS, {"status": [Case.Status.CLOSED, Case.Status.ACTIVE]}, reason="")
    common.open_contact(actor=actor, case=case, due_at=timezone.now() + Risk(case.risk).cadence)
    return case
