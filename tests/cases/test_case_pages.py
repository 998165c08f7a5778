"""One case's page and its actions (issue 10, "Pages" and "Bad input"): who sees it, what a
counsellor does from it, and what nobody else learns from it."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, CaseNote, Intervention, SafetyPlan
from tests.conftest import ROLE_FROM, client_for, verified_login
from tests.factories import ACTOR, UserFactory, make_person
from wellbeing import services as core
from wellbeing.models import FollowUp, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(org) -> Case:
    """The colleague's case (moderate risk: a weekly contact), held by the counsellor."""
    return services.case_open(
        actor=org.users["lead_counsellor"], referral=org.referral, counsellor=org.users["counsellor"]
    )


def _url(name, case, *args):
    return reverse(f"cases:{name}", args=[case.pk, *args])


def _note(case, client, **fields):
    data = {"note-form": "dap", "note-data": "电话沟通，睡眠改善", "note-contact": "phone"}
    data.update({f"note-{k}": v for k, v in fields.items()})
    return client.post(_url("note-add", case), data)


def _second_counsellor(org):
    user = UserFactory(username="counsellor2")
    make_person(org.counselling, full_name="钱咨询", user=user, external_id="EX-counsellor2")
    core.role_assign(actor=ACTOR, user=user, role=Role.COUNSELLOR, valid_from=ROLE_FROM)
    return user


def test_it_shows_the_counsellor_their_case_and_a_note_with_a_contact_moves_the_next_contact(org, case):
    client = client_for(org, "counsellor")
    response = client.get(_url("detail", case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "李明" in body and case.reference in body and 'data-testid="note-form"' in body
    first = case.contact_followup
    response = _note(case, client)
    assert response.status_code == 302 and response["Location"].startswith(_url("detail", case))
    case.refresh_from_db()
    first.refresh_from_db()
    assert first.status == FollowUp.Status.DONE
    assert case.contact_followup_id != first.pk and case.status == Case.Status.ACTIVE
    due = case.contact_followup.due_at
    assert timedelta(days=6, hours=23) < due - timezone.now() <= timedelta(days=7)
    body = client.get(_url("detail", case)).content.decode()
    assert "电话沟通，睡眠改善" in body
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in body


def test_it_schedules_the_next_contact_from_a_time_typed_in_the_organisations_zone(org, case):
    client = client_for(org, "counsellor")
    when = (timezone.localtime() + timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
    response = client.post(_url("next-contact", case), {"next-due_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.contact_followup.due_at == when
    # Past the cadence (weekly at moderate risk): the error beside the field, nothing changes.
    late = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(_url("next-contact", case), {"next-due_at": late})
    assert response.status_code == 400
    assert "within 7 days" in response.content.decode()
    case.refresh_from_db()
    assert case.contact_followup.due_at == when


def _client_as(user) -> Client:
    client = Client()
    verified_login(client, user)
    return client


def test_another_counsellor_gets_404(org, case):
    client = _client_as(_second_counsellor(org))
    assert client.get(_url("detail", case)).status_code == 404
    assert _note(case, client).status_code == 404
    assert CaseNote.objects.count() == 0


@pytest.mark.parametrize(
    "principal", ["supervisor", "hr_officer", "leading_group", "administrator", "staff", "outsider_supervisor"]
)
def test_no_one_outside_the_counselling_team_sees_the_case(org, case, principal):
    client = client_for(org, principal)
    assert client.get(_url("detail", case)).status_code == 404
    assert _note(case, client).status_code == 404
    assert client.get(_url("safety-plan-print", case)).status_code == 404
    assert client.post(_url("closure-approve", case)).status_code == 404
    assert CaseNote.objects.count() == 0


def test_the_lead_counsellor_approves_a_closure(org, case):
    counsellor = client_for(org, "counsellor")
    response = counsellor.post(_url("closure-request", case), {"closure-outcome": "improved", "closure-summary": ""})
    assert response.status_code == 400 and "summary" in response.context["forms"]["closure"].errors
    assert 'id="closure-form" open' in response.content.decode()
    response = counsellor.post(
        _url("closure-request", case), {"closure-outcome": "improved", "closure-summary": "情况好转"}
    )
    assert response.status_code == 302
    assert 'data-testid="closure-banner"' in counsellor.get(_url("detail", case)).content.decode()
    assert counsellor.post(_url("closure-approve", case)).status_code == 403
    lead = client_for(org, "lead_counsellor")
    body = lead.get(_url("detail", case)).content.decode()
    assert "情况好转" in body and 'data-testid="closure-approve"' in body
    assert lead.post(_url("closure-approve", case)).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    # Closed: the reopen form instead of the note form; a second approval is a clear error.
    body = lead.get(_url("detail", case)).content.decode()
    assert 'data-testid="reopen-form"' in body and 'data-testid="note-form"' not in body
    assert lead.post(_url("closure-approve", case)).status_code == 400
    assert lead.post(_url("reopen", case), {"reopen-reason": "再次转介"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE


def test_a_note_can_be_corrected_for_24_hours_then_only_addenda(org, case):
    client = client_for(org, "counsellor")
    _note(case, client)
    note = CaseNote.objects.get()
    edit = _url("note-edit", case, note.pk)
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"data": "更正后", "assessment": "", "plan": ""})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.data == "更正后" and note.versions.count() == 1
    assert 'data-testid="edited"' in client.get(_url("detail", case)).content.decode()

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        client = client_for(org, "counsellor")  # a new day, a new log-in
        response = client.get(edit)
        assert response.status_code == 200 and 'data-testid="addenda-only"' in response.content.decode()
        assert f'data-testid="note-edit-{note.pk}"' not in client.get(_url("detail", case)).content.decode()
        response = client.post(edit, {"data": "太晚了"})
        assert response.status_code == 400
        assert "Add an addendum instead" in response.content.decode()
        note.refresh_from_db()
        assert note.data == "更正后" and note.versions.count() == 1
        key = f"add{note.pk}-body"
        response = client.post(_url("note-addendum", case, note.pk), {key: "补充：已联系家属"})
        assert response.status_code == 302
        assert "补充：已联系家属" in client.get(_url("detail", case)).content.decode()


def test_only_the_author_corrects_a_note(org, case):
    _note(case, client_for(org, "counsellor"))
    note = CaseNote.objects.get()
    lead = client_for(org, "lead_counsellor")
    assert lead.post(_url("note-edit", case, note.pk), {"data": "改"}).status_code == 403
    note.refresh_from_db()
    assert note.data == "电话沟通，睡眠改善"


def test_nul_bytes_and_unknown_ids_give_400_and_404_never_500(org, case):
    client = client_for(org, "counsellor")
    response = _note(case, client, data="坏\x00数据")
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert CaseNote.objects.count() == 0
    response = client.post(_url("risk", case), {"risk-risk": "high", "risk-reason": "\x00"})
    assert response.status_code == 400
    response = client.post(_url("flag", case), {"flag-kind": "nonsense", "flag-reason": "x"})
    assert response.status_code == 400
    assert client.get(reverse("cases:detail", args=[999999])).status_code == 404
    assert client.get(reverse("cases:detail", args=[2**70])).status_code == 404
    assert client.post(_url("note-addendum", case, 999999), {"add999999-body": "x"}).status_code == 404
    assert client.post(_url("note-edit", case, 2**70), {}).status_code == 404
    assert client.post(_url("flag-clear", case, 2**70), {}).status_code == 404
    assert client.post(_url("intervention-update", case, 999999), {}).status_code == 404
    assert client.post(_url("transfer-accept", case)).status_code == 404
    assert client.get(_url("safety-plan", case) + "?version=abc").status_code == 404
    assert client.get(_url("safety-plan-print", case)).status_code == 404  # no plan yet
    # A note in another case is not found through this one.
    other = services.case_open(
        actor=org.users["lead_counsellor"],
        referral=core.referral_create(
            actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure"
        ),
        counsellor=org.users["counsellor"],
    )
    _note(other, client)
    assert client.get(_url("note-edit", case, CaseNote.objects.get().pk)).status_code == 404


def test_the_supervisor_receives_only_the_action_text_of_a_change_of_post(org, case):
    client = client_for(org, "counsellor")
    action = "请于月底前安排轮岗至后勤岗位"
    response = client.post(
        _url("intervention-add", case),
        {
            "iv-kind": "change_of_post",
            "iv-occurred_on": timezone.localdate().isoformat(),
            "iv-details": "持续失眠，工作压力过大（保密）",
            "iv-supervisor_action": action,
            "iv-supervisor_due": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    intervention = Intervention.objects.get()
    followup = intervention.supervisor_followup
    assert followup.owner == org.users["supervisor"] and followup.kind == FollowUp.Kind.GENERAL
    supervisor = client_for(org, "supervisor")
    body = supervisor.get(reverse("followups:detail", args=[followup.pk])).content.decode()
    assert action in body
    for secret in ("持续失眠", case.reference, "刘咨询", f"/cases/{case.pk}/", "change_of_post", "轮岗交流"):
        assert secret not in body, secret
    assert supervisor.get(_url("detail", case)).status_code == 404
    # The counsellor's timeline shows what was sent.
    assert action in client.get(_url("detail", case)).content.decode()


def test_an_action_text_is_refused_for_other_interventions_beside_its_field(org, case):
    client = client_for(org, "counsellor")
    response = client.post(
        _url("intervention-add", case),
        {"iv-kind": "counselling", "iv-occurred_on": timezone.localdate().isoformat(), "iv-supervisor_action": "调岗"},
    )
    assert response.status_code == 400
    assert "Only a change of post or time off" in response.content.decode()
    assert not Intervention.objects.exists()


def test_the_safety_plan_is_edited_in_versions_and_printed_for_the_person(org, case):
    client = client_for(org, "counsellor")
    _note(case, client, data="不应出现在打印页的记录")
    page = client.get(_url("safety-plan", case))
    assert page.status_code == 200
    response = client.post(_url("safety-plan", case), {"warning_signs": "连续失眠", "reasons_for_living": "女儿"})
    assert response.status_code == 302
    response = client.post(_url("safety-plan", case), {"warning_signs": "连续失眠、饮酒", "reasons_for_living": "女儿"})
    assert SafetyPlan.objects.filter(case=case).count() == 2
    assert "连续失眠、饮酒" in client.get(_url("safety-plan", case)).content.decode()  # prefilled
    assert client.post(_url("safety-plan", case), {}).status_code == 400
    response = client.get(_url("safety-plan-print", case))
    body = response.content.decode()
    assert response.status_code == 200 and "@media print" in body
    assert "连续失眠、饮酒" in body and "女儿" in body and "李明" in body
    assert "不应出现在打印页的记录" not in body and case.reference not in body
    old = client.get(_url("safety-plan-print", case) + "?version=1").content.decode()
    assert "连续失眠、饮酒" not in old and "连续失眠" in old


def test_a_transfer_is_decided_by_the_receiver_on_the_case_page(org, case):
    other = _second_counsellor(org)
    client = client_for(org, "counsellor")
    response = client.post(
        _url("transfer", case), {"transfer-to": other.pk, "transfer-handover_note": "每周三电话回访"}
    )
    assert response.status_code == 302
    receiver = _client_as(other)
    body = receiver.get(_url("detail", case)).content.decode()
    assert "每周三电话回访" in body and 'data-testid="transfer-accept"' in body
    assert client.post(_url("transfer-accept", case)).status_code == 403
    assert receiver.post(_url("transfer-decline", case), {"decline-reason": ""}).status_code == 400
    assert receiver.post(_url("transfer-accept", case)).status_code == 302
    case.refresh_from_db()
    assert case.counsellor == other
    assert client.get(_url("detail", case)).status_code == 404


def test_risk_status_and_flags_from_the_page_render_on_the_timeline(org, case):
    client = client_for(org, "counsellor")
    assert client.post(_url("risk", case), {"risk-risk": "high", "risk-reason": "情绪低落"}).status_code == 302
    assert client.post(_url("status", case), {"status-status": "monitoring"}).status_code == 302
    assert client.post(_url("flag", case), {"flag-kind": "self_harm", "flag-reason": "有自伤念头"}).status_code == 302
    flag = case.flags.get()
    assert client.post(_url("flag-clear", case, flag.pk), {f"clear{flag.pk}-reason": ""}).status_code == 400
    assert client.post(_url("flag-clear", case, flag.pk), {f"clear{flag.pk}-reason": "已缓解"}).status_code == 302
    body = client.get(_url("detail", case)).content.decode()
    for text in ("Risk: moderate → high", "Status: new → monitoring", "Flag raised: risk of self-harm", "已缓解"):
        assert text in body, text
    zh = client_for(org, "counsellor")
    zh.cookies["django_language"] = "zh-hans"
    assert zh.get(_url("detail", case), HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200


def _page_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(_url("detail", case)).status_code == 200
    return len(ctx.captured_queries)


def test_the_case_page_takes_a_fixed_number_of_queries(org, case):
    client = client_for(org, "counsellor")
    counsellor = org.users["counsellor"]

    def notes(n):
        for i in range(n):
            note = services.note_add(actor=counsellor, case=case, data=services.NoteInput(form="free", body=f"记录{i}"))
            services.note_addendum(actor=counsellor, note=note, body=f"补充{i}")

    notes(5)
    _page_queries(client, case)  # warm caches (content types, sessions)
    few = _page_queries(client, case)
    notes(25)
    many = _page_queries(client, case)
    assert many == few, (few, many)
