"""Intake (triage): a referral opens a case, joins the person's open case, or is closed with a
reason (the core's ``referral_close``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CaseReferral, Risk
from cases.services import common
from cases.services.assignment import assign_checked
from cases.services.progress import risk_change
from wellbeing.audit import diff
from wellbeing.models import AuditEvent, Referral
from wellbeing.services import referral_close, referral_take_in


def _triageable(actor, referral: Referral) -> Referral:
    common.check(
        actor,
        "case.triage",
        referral,
        _("Only the lead counsellor (or the on-call counsellor for imminent risk) triages referrals."),
    )
    referral = Referral.objects.select_related("person__user").get(pk=referral.pk)
    if not referral.is_open:
        raise ValidationError(
            {"__all__": [_("This referral is already %(status)s.") % {"status": referral.get_status_display()}]}
        )
    return referral


@transaction.atomic
def case_open(
    *,
    actor,
    referral: Referral,
    risk: str | None = None,
    counsellor=None,
    override_reason: str = "",
) -> Case:
    """Open a case for the referral's person: the referral is taken in and linked, the risk starts
    from its urgency (or ``risk``), the case is assigned to ``counsellor`` (within their caseload
    limit, else with ``override_reason``) or waits unassigned, and the first contact is due by risk.
    A person with an open case already: link the referral to it instead (refused here)."""
    referral = _triageable(actor, referral)
    risk = risk or Risk.from_urgency(referral.urgency)
    if risk not in Risk.values:
        raise ValidationError({"risk": [_("Choose a risk level.")]})
    if Case.objects.filter(person=referral.person, status__in=Case.OPEN_STATUSES).exists():
        raise ValidationError({"__all__": [_("This person already has an open case: link the referral to it.")]})
    case = Case(person=referral.person, risk=risk, opened_by=actor)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # a second triage raced this one
        raise ValidationError(
            {"__all__": [_("This person already has an open case: link the referral to it.")]}
        ) from None
    CaseReferral.objects.create(case=case, referral=referral, linked_by=actor)
    referral_take_in(actor=actor, referral=referral, authorized=True)
    common.event(case, CaseEvent.Kind.OPENED, actor, referral=referral.pk, source=referral.source, risk=risk)
    common.audit(
        actor,
        case,
        AuditEvent.Action.CREATE,
        diff({}, {"referral": referral.pk, "risk": risk}, sensitive=["risk"]),
    )
    if counsellor is not None:
        assign_checked(actor=actor, case=case, counsellor=counsellor, override_reason=override_reason)
    common.open_contact(actor=actor, case=case, due_at=common.now() + Risk(risk).cadence)
    return case


@transaction.atomic
def case_link_referral(*, actor, referral: Referral, case: Case) -> Case:
    """Take a referral in to the person's open case: its reasons join the case's history, and a
    referral of higher urgency raises the case's risk."""
    referral = _triageable(actor, referral)
    case = common.locked(case)
    common.require_open(case)
    if case.person_id != referral.person_id:
        raise ValidationError({"case": [_("This case is about someone else.")]})
    CaseReferral.objects.create(case=case, referral=referral, linked_by=actor)
    referral_take_in(actor=actor, referral=referral, authorized=True)
    common.event(case, CaseEvent.Kind.REFERRAL_LINKED, actor, referral=referral.pk, source=referral.source)
    common.audit(actor, case, AuditEvent.Action.UPDATE, {"referral": [None, str(referral.pk)]})
    suggested = Risk.from_urgency(referral.urgency)
    if suggested.rank > Risk(case.risk).rank:
        risk_change(
            actor=actor,
            case=case,
            risk=suggested,
            reason=_("A new referral of higher urgency was linked."),
            authorized=True,
        )
    return case


@transaction.atomic
def referral_decline(*, actor, referral: Referral, reason: str) -> Referral:
    """Close a referral at triage without a case, for one of ``Referral.CloseReason`` (the referrer
    sees only "closed"): whoever may triage it, the on-call counsellor included."""
    referral = _triageable(actor, referral)
    return referral_close(actor=actor, referral=referral, reason=reason, authorized=True)


def open_case_of(person) -> Case | None:
    return Case.objects.filter(person=person, status__in=Case.OPEN_STATUSES).first()
