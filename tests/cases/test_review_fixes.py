"""Found by an attacker-side review of the cases app, and fixed: each test failed before its fix."""

import pytest
from django.core.exceptions import PermissionDenied

from cases import selectors, services
from cases.models import Case, CaseEvent, Risk
from tests.cases.test_services import add_counsellor, open_case
from tests.conftest import client_for
from wellbeing import policy
from wellbeing import services as core
from wellbeing.models import AuditEvent, FollowUp, Role

pytestmark = pytest.mark.django_db


def test_a_lead_counsellor_never_sees_a_referral_about_themself(org):
    other_lead = add_counsellor(org, "lead2", "吴主管", role=Role.LEAD_COUNSELLOR)
    referral = core.referral_create(
        actor=org.users["counsellor"],
        person=org.people["lead_counsellor"],
        urgency="urgent",
        reason="health",
        note="最近状态很差",
    )
    subject = org.users["lead_counsellor"]
    assert not policy.referrals_visible_to(subject).filter(pk=referral.pk).exists()
    assert policy.referrals_visible_to(other_lead).filter(pk=referral.pk).exists()
    client = client_for(org, "lead_counsellor")
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert client.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert "最近状态很差" not in client.get("/cases/intake/").content.decode()
    # Nor the counselling work about them once a colleague takes them in.
    case = services.case_open(actor=other_lead, referral=referral, counsellor=org.users["counsellor"])
    assert not policy.followups_visible_to(subject).filter(pk=case.contact_followup_id).exists()


def test_an_administrators_emergency_access_is_read_only(org):
    case = open_case(org)
    admin = org.users["administrator"]
    services.break_glass(actor=admin, case=case, reason="值班电话：家属称其失联")
    assert policy.can(admin, "case.view", case)
    assert not policy.can(admin, "case.work", case)
    with pytest.raises(PermissionDenied):
        services.note_add(actor=admin, case=case, data=services.NoteInput(data="试图写入"))
    client = client_for(org, "administrator")
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert client.post(f"/cases/{case.pk}/notes/", {"note-form": "dap", "note-data": "x"}).status_code in (403, 404)
    assert not case.notes.exists()


def test_reopening_at_another_risk_is_in_the_risk_history_and_audited(org):
    case = open_case(org, urgency="soon")
    lead, counsellor = org.users["lead_counsellor"], org.users["counsellor"]
    services.closure_request(actor=counsellor, case=case, outcome=Case.Outcome.IMPROVED, summary="好转")
    services.closure_approve(actor=lead, case=case)
    services.case_reopen(actor=lead, case=case, reason="再次出现失眠", risk=Risk.HIGH)
    risk_events = list(case.events.filter(kind=CaseEvent.Kind.RISK).values_list("params", flat=True))
    assert {"old": "moderate", "new": "high"} in risk_events
    rows = AuditEvent.objects.filter(target_type__model="case", target_id=str(case.pk), changes__has_key="risk")
    assert rows.exists() and all("high" not in str(r.changes) for r in rows)
    assert Case.objects.get(pk=case.pk).contact_followup.tier == Risk.HIGH.tier


def test_emergency_access_finds_the_open_case_before_a_closed_one(org):
    lead, counsellor = org.users["lead_counsellor"], org.users["counsellor"]
    old = open_case(org)
    services.closure_request(actor=counsellor, case=old, outcome=Case.Outcome.STABLE, summary="稳定")
    services.closure_approve(actor=lead, case=old)
    new = open_case(org, urgency="urgent")
    assert selectors.latest_case_for_person(person=org.people["colleague"]) == new


def test_the_break_glass_audit_row_does_not_carry_the_stated_reason(org):
    case = open_case(org)
    outsider = add_counsellor(org)
    services.break_glass(actor=outsider, case=case, reason="家属来电称其有自伤计划")
    row = AuditEvent.objects.get(action=AuditEvent.Action.BREAK_GLASS)
    assert "自伤" not in row.reason and "自伤" not in str(row.changes)
    assert FollowUp.objects.filter(owner=org.users["lead_counsellor"], tier="red", kind="case_action").exists()
