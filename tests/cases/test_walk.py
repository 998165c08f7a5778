"""A case from a red screening to closure and reopening (issue 10, "Done when" 1): every step has
its audit record and its place on the timeline."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, CaseNote, Intervention, Risk
from wellbeing.models import AuditEvent, FollowUp, Referral, Tier
from wellbeing.screening.services import consent_give, screening_submit
from wellbeing.services import referral_create


def _audit(case, action, **changes_has):
    rows = AuditEvent.objects.filter(target_id=str(case.pk), target_type__model="case", action=action)
    return [r for r in rows if all(k in r.changes for k in changes_has)]


def _red_screening(org):
    person_user = org.users["staff"]
    consent_give(actor=person_user)
    answers = [1, 1, 1, 1, 1, 1, 1, 1, 2]  # item 9 > 0: red whatever the total
    return screening_submit(actor=person_user, instrument="phq9", answers=answers, consent=True)


@pytest.mark.django_db
def test_it_walks_a_case_from_a_red_screening_to_reopening(org, django_capture_on_commit_callbacks):
    lead, counsellor = org.users["lead_counsellor"], org.users["counsellor"]
    with django_capture_on_commit_callbacks(execute=False):
        submitted = _red_screening(org)
    screening = submitted.screening
    referral = Referral.objects.get(pk=screening.referral_id)
    assert referral.urgency == Referral.Urgency.IMMINENT

    # Intake: the lead counsellor opens a case at imminent risk and assigns it.
    case = services.case_open(actor=lead, referral=referral, counsellor=counsellor)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TAKEN_IN
    assert case.risk == Risk.IMMINENT and case.counsellor == counsellor and case.status == Case.Status.NEW
    contact = case.contact_followup
    assert contact.owner == counsellor and contact.tier == Tier.RED and contact.kind == FollowUp.Kind.CASE_CONTACT
    assert _audit(case, AuditEvent.Action.CREATE) and _audit(case, AuditEvent.Action.UPDATE, counsellor=1)

    # A second open case for the same person is refused: by the service, and by the database.
    second = referral_create(actor=org.users["supervisor"], person=case.person, urgency="soon", reason="family")
    with pytest.raises(ValidationError):
        services.case_open(actor=lead, referral=second)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(person=case.person, opened_by=lead)
    services.case_link_referral(actor=lead, referral=second, case=case)

    # Safety plan, a note recording a contact (the next contact by cadence), a hospital referral.
    plan = services.safety_plan_save(
        actor=counsellor, case=case, sections={"warning_signs": "失眠", "reasons_for_living": "女儿"}
    )
    assert plan.version == 1
    note = services.note_add(
        actor=counsellor,
        case=case,
        data=services.NoteInput(data="电话联系", assessment="风险高", plan="每日联系", contact="phone"),
    )
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    contact.refresh_from_db()
    assert contact.status == FollowUp.Status.DONE
    assert case.contact_followup.due_at <= timezone.now() + timedelta(days=1, minutes=1)
    hospital = services.intervention_add(
        actor=counsellor,
        case=case,
        data=services.InterventionInput(
            kind=Intervention.Kind.EXTERNAL_REFERRAL, occurred_on=timezone.localdate(), service="县人民医院心理科"
        ),
    )
    assert hospital.status == Intervention.Status.PROPOSED
    services.intervention_update(actor=counsellor, intervention=hospital, status="accepted")
    services.intervention_update(actor=counsellor, intervention=hospital, status="done", outcome="门诊随访")
    assert (
        _audit(case, AuditEvent.Action.CREATE)
        and AuditEvent.objects.filter(target_id=str(note.pk), target_type__model="casenote").exists()
    )

    # Risk lowered, monitoring.
    services.risk_change(actor=counsellor, case=case, risk=Risk.LOW, reason="稳定")
    services.status_set(actor=counsellor, case=case, status=Case.Status.MONITORING)
    case.refresh_from_db()
    assert case.risk == Risk.LOW and case.status == Case.Status.MONITORING
    assert case.contact_followup.tier == Tier.ROUTINE

    # Closure needs the lead counsellor's approval.
    with pytest.raises(ValidationError):
        services.closure_approve(actor=lead, case=case)
    services.closure_request(actor=counsellor, case=case, outcome=Case.Outcome.IMPROVED, summary="情况好转")
    with pytest.raises(PermissionDenied):
        services.closure_approve(actor=counsellor, case=case)
    services.closure_approve(actor=lead, case=case)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.closed_by == lead
    assert not FollowUp.objects.filter(pk=case.contact_followup_id, status__in=FollowUp.ACTIVE_STATUSES).exists()

    # Reopened with a reason.
    services.case_reopen(actor=lead, case=case, reason="再次转介")
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE and case.contact_followup.is_active

    kinds = list(case.events.values_list("kind", flat=True))
    for kind in ("opened", "assigned", "contact", "risk", "status", "closure_asked", "closure_approved", "reopened"):
        assert kind in kinds, kind
    statuses = [r.changes.get("status") for r in _audit(case, AuditEvent.Action.STATUS)]
    assert ["monitoring", "closed"] in statuses and ["closed", "active"] in statuses
    # No audit row names the risk.
    for row in AuditEvent.objects.filter(target_id=str(case.pk), target_type__model="case"):
        assert "imminent" not in str(row.changes) and "low" not in str(row.changes.get("risk", ""))
    assert CaseNote.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, kind="risk").get().params == {"old": "imminent", "new": "low"}
