"""/api/v1/cases/, notes and interventions under a case, and /api/v1/referrals/ (issue 10, item 8):
each endpoint for the principals who may and who may not, bad input, audited reads, fixed query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, CaseNote, Intervention
from tests.conftest import API_ROLES, client_for
from tests.factories import make_person
from wellbeing.models import AuditEvent
from wellbeing.services import referral_create

pytestmark = pytest.mark.django_db

CASES = reverse("case-list")
REFERRALS = reverse("api-referral-list")
SECRET = "本人提到想结束生命"  # clinical text: must never leak where it does not belong
NO_CASES = ["staff", "supervisor", "outsider_supervisor", "outsider", "hr_officer", "leading_group", "administrator"]


@pytest.fixture(autouse=True)
def _room_on_the_caseload(settings):
    settings.CASELOAD_LIMIT = 100


def open_case(org, *, holder: str | None = "counsellor", risk: str = "moderate", note: str = "") -> Case:
    person = make_person(org.section_a1)
    referral = referral_create(
        actor=org.users["supervisor"], person=person, urgency="soon", reason="work_pressure", note=note
    )
    counsellor = org.users[holder] if holder else None
    return services.case_open(actor=org.users["lead_counsellor"], referral=referral, counsellor=counsellor, risk=risk)


def add_note(org, case: Case, text: str = "电话联系", author: str = "counsellor") -> CaseNote:
    return services.note_add(actor=org.users[author], case=case, data=services.NoteInput(data=text))


def audit_mark() -> int:
    """The latest audit row's id: the rows a test looks for come after it (the trail is append-only)."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def api(org, principal: str):
    return client_for(org, principal, api=True)


def notes_url(case) -> str:
    return reverse("case-notes", args=[case.pk])


def interventions_url(case) -> str:
    return reverse("case-interventions", args=[case.pk])


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def assert_error(response, status: int, field: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"message", "errors"}, body
    if field is not None:
        assert field in body["errors"], body


# --- /api/v1/cases/ -----------------------------------------------------------------------------------


def test_it_lists_only_the_counsellors_caseload_and_every_case_for_the_lead(org):
    mine = [open_case(org), open_case(org, risk="imminent")]
    theirs = open_case(org, holder="lead_counsellor")
    waiting = open_case(org, holder=None)

    assert ids(api(org, "counsellor").get(CASES)) == {c.pk for c in mine}
    assert ids(api(org, "lead_counsellor").get(CASES)) == {c.pk for c in [*mine, theirs, waiting]}
    # Another counsellor's case, or one waiting unassigned, does not exist for the counsellor.
    for other in (theirs, waiting):
        assert_error(api(org, "counsellor").get(reverse("case-detail", args=[other.pk])), 404)


def test_a_case_shows_what_the_board_shows_and_no_clinical_text(org):
    case = open_case(org, risk="imminent")
    add_note(org, case, SECRET)
    response = api(org, "counsellor").get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "reference",
        "person",
        "status",
        "risk",
        "counsellor",
        "next_contact_due",
        "contact_overdue",
        "closure_pending",
        "created_at",
        "updated_at",
        "url",
    }
    assert body["reference"] == case.reference and body["risk"] == "imminent"
    assert body["person"] == {
        "external_id": case.person.external_id,
        "full_name": case.person.full_name,
        "unit": org.section_a1.name,
    }
    assert body["counsellor"] == {"id": org.users["counsellor"].pk, "name": "刘咨询"}
    assert body["next_contact_due"] is not None and body["contact_overdue"] is False
    assert body["url"].endswith(f"/cases/{case.pk}/")
    assert SECRET not in response.content.decode()
    waiting = open_case(org, holder=None)
    assert api(org, "lead_counsellor").get(reverse("case-detail", args=[waiting.pk])).json()["counsellor"] is None


def test_the_list_is_in_board_order_overdue_first_then_risk(org):
    low = open_case(org, risk="low")
    high = open_case(org, risk="high")
    overdue = open_case(org, risk="low")
    overdue.contact_followup.due_at = timezone.now() - timedelta(hours=1)
    overdue.contact_followup.save(update_fields=["due_at"])
    rows = api(org, "counsellor").get(CASES).json()["results"]
    assert [r["id"] for r in rows] == [overdue.pk, high.pk, low.pk]
    assert rows[0]["contact_overdue"] is True


def test_the_filters(org):
    mine = open_case(org, holder="lead_counsellor", risk="high")
    waiting = open_case(org, holder=None, risk="low")
    other = open_case(org, risk="low")
    lead = api(org, "lead_counsellor")
    assert ids(lead.get(CASES, {"mine": "true"})) == {mine.pk}
    assert ids(lead.get(CASES, {"unassigned": "true"})) == {waiting.pk}
    assert ids(lead.get(CASES, {"risk": "low"})) == {waiting.pk, other.pk}
    assert ids(lead.get(CASES, {"status": "closed"})) == set()
    assert ids(lead.get(CASES, {"status": "new"})) == {mine.pk, waiting.pk, other.pk}
    assert_error(lead.get(CASES, {"risk": "extreme"}), 400, "risk")
    assert_error(lead.get(CASES, {"status": "x\x00"}), 400, "status")
    assert_error(lead.get(CASES, {"mine": "perhaps"}), 400, "mine")


def test_pages_follow_the_board_and_a_bad_cursor_is_a_400(org):
    cases = [open_case(org) for _ in range(5)]
    client = api(org, "counsellor")
    seen, url = [], CASES + "?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(c.pk for c in cases) and len(seen) == 5
    assert client.get(CASES + "?page_size=2").json()["previous"] is None
    for cursor in ("abc", "%00", "bz0tMQ==", "bz05OTk5OTk5OTk5OTk5"):
        assert_error(client.get(CASES + f"?cursor={cursor}"), 400, "cursor")


@pytest.mark.parametrize("principal", NO_CASES)
def test_anyone_else_signed_in_is_refused_the_cases(org, principal):
    case = open_case(org)
    client = api(org, principal)
    assert_error(client.get(CASES), 403)
    assert_error(client.get(reverse("case-detail", args=[case.pk])), 403)
    assert_error(client.get(notes_url(case)), 403)
    assert_error(client.post(notes_url(case), {"data": "x"}, format="json"), 403)
    assert_error(client.get(interventions_url(case)), 403)
    assert not CaseNote.objects.filter(case=case).exists()


@pytest.mark.parametrize("principal", API_ROLES)
def test_no_api_client_scope_reaches_cases_or_referrals(org, principal):
    case = open_case(org)
    add_note(org, case)
    client = api(org, principal)
    for url in (
        CASES,
        reverse("case-detail", args=[case.pk]),
        notes_url(case),
        interventions_url(case),
        REFERRALS,
        reverse("api-referral-detail", args=[org.referral.pk]),
    ):
        response = client.get(url)
        assert_error(response, 403)
        assert "API client" in response.json()["message"]
    assert_error(client.post(notes_url(case), {"data": "x"}, format="json"), 403)


def test_signed_out_is_a_401(org):
    case = open_case(org)
    for url in (CASES, notes_url(case), REFERRALS):
        assert_error(api(org, "anonymous").get(url), 401)


# --- Notes ---------------------------------------------------------------------------------------------


def test_reading_notes_is_audited_one_row_per_note(org):
    case = open_case(org)
    first = add_note(org, case, SECRET)
    second = add_note(org, case, "第二次")
    mark = audit_mark()
    response = api(org, "counsellor").get(notes_url(case))
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows] == [first.pk, second.pk]
    assert rows[0]["data"] == SECRET and rows[0]["editable"] is True and rows[0]["form"] == "dap"
    assert rows[0]["author"] == {"id": org.users["counsellor"].pk, "name": "刘咨询"}
    reads = AuditEvent.objects.filter(
        id__gt=mark, action=AuditEvent.Action.SENSITIVE_READ, actor=org.users["counsellor"]
    )
    assert {r.target_id for r in reads} == {str(first.pk), str(second.pk)}
    assert all(r.subject_person_id == case.person_id for r in reads)
    assert all(SECRET not in str(r.changes) for r in reads)
    # Someone else's note may not be corrected by the lead counsellor reading it.
    lead_rows = api(org, "lead_counsellor").get(notes_url(case)).json()
    assert lead_rows[0]["editable"] is False


def test_a_counsellor_does_not_see_the_notes_of_a_case_that_is_not_theirs(org):
    case = open_case(org, holder="lead_counsellor")
    add_note(org, case, SECRET, author="lead_counsellor")
    mark = audit_mark()
    response = api(org, "counsellor").get(notes_url(case))
    assert_error(response, 404)
    assert SECRET not in response.content.decode()
    assert not AuditEvent.objects.filter(id__gt=mark, action=AuditEvent.Action.SENSITIVE_READ).exists()


def test_a_counsellor_adds_a_note_recording_a_contact(org):
    case = open_case(org)
    old_contact = case.contact_followup
    response = api(org, "counsellor").post(
        notes_url(case),
        {"form": "dap", "data": "电话联系", "assessment": "稳定", "plan": "一周后再联系", "contact": "phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["data"] == "电话联系" and body["contact"] == "phone" and body["editable"] is True
    note = CaseNote.objects.get(pk=body["id"])
    assert note.author == org.users["counsellor"] and note.case == case
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE and case.contact_followup_id != old_contact.pk
    free = api(org, "counsellor").post(notes_url(case), {"form": "free", "body": "补记"}, format="json")
    assert free.status_code == 201 and free.json()["body"] == "补记"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "data"),
        ({"form": "dap", "data": "  "}, "data"),
        ({"form": "free"}, "body"),
        ({"form": "essay", "data": "x"}, "form"),
        ({"data": "x\x00y"}, "data"),
        ({"form": "free", "body": "\x00"}, "body"),
        ({"data": "长" * 20001}, "data"),
        ({"data": "x", "contact": "carrier pigeon"}, "contact"),
        ({"data": "x", "contact": "phone", "next_due": "2001-01-01T09:00"}, "next_due"),
        ({"data": "x", "next_due": "2026-13-45T99:99"}, "next_due"),
        ({"data": "x", "next_due": "9999-12-31T23:59:59-23:59"}, "next_due"),
        ({"data": ["x"]}, "data"),
    ],
)
def test_a_bad_note_is_a_400_on_its_field_and_stores_nothing(org, data, field):
    case = open_case(org)
    response = api(org, "counsellor").post(notes_url(case), data, format="json")
    assert_error(response, 400, field)
    assert not CaseNote.objects.filter(case=case).exists()


def test_a_body_that_is_not_an_object_is_a_400(org):
    case = open_case(org)
    client = api(org, "counsellor")
    assert_error(client.post(notes_url(case), ["data"], format="json"), 400)
    assert_error(client.post(notes_url(case), "{not json", content_type="application/json"), 400)
    assert not CaseNote.objects.filter(case=case).exists()


def test_a_note_for_an_unknown_or_hidden_case_is_a_404(org):
    hidden = open_case(org, holder="lead_counsellor")
    client = api(org, "counsellor")
    for pk in (hidden.pk, 999999, 2**70):
        assert_error(client.post(reverse("case-notes", args=[pk]), {"data": "x"}, format="json"), 404)
    assert_error(client.post("/api/v1/cases/abc/notes/", {"data": "x"}, format="json"), 404)
    assert not CaseNote.objects.exists()


def test_a_case_one_may_see_but_not_work_on_is_a_403(org):
    """A counsellor being handed a case sees it (to decide) but does not write in it yet."""
    case = open_case(org, holder="lead_counsellor")
    services.transfer_propose(
        actor=org.users["lead_counsellor"], case=case, to=org.users["counsellor"], handover_note="交接"
    )
    client = api(org, "counsellor")
    assert client.get(reverse("case-detail", args=[case.pk])).status_code == 200
    assert_error(client.post(notes_url(case), {"data": "x"}, format="json"), 403)
    assert not CaseNote.objects.filter(case=case).exists()


def test_a_note_on_a_closed_case_is_a_400(org):
    case = open_case(org, holder="lead_counsellor")
    lead = org.users["lead_counsellor"]
    services.closure_request(actor=lead, case=case, outcome="stable", summary="稳定")
    services.closure_approve(actor=lead, case=Case.objects.get(pk=case.pk))
    response = api(org, "lead_counsellor").post(notes_url(case), {"data": "x"}, format="json")
    assert_error(response, 400, "__all__")


# --- Interventions ----------------------------------------------------------------------------------


def test_a_counsellor_records_and_reads_interventions_audited(org):
    case = open_case(org)
    client = api(org, "counsellor")
    today = timezone.localdate().isoformat()
    response = client.post(
        interventions_url(case),
        {"kind": "external_referral", "occurred_on": today, "service": "县人民医院", "details": SECRET},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "proposed"
    intervention = Intervention.objects.get(pk=response.json()["id"])
    mark = audit_mark()
    rows = client.get(interventions_url(case)).json()
    assert [r["id"] for r in rows] == [intervention.pk] and rows[0]["details"] == SECRET
    assert AuditEvent.objects.filter(
        id__gt=mark,
        action=AuditEvent.Action.SENSITIVE_READ,
        target_id=str(intervention.pk),
        actor=org.users["counsellor"],
    ).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "kind"),
        ({"kind": "counselling"}, "occurred_on"),
        ({"kind": "hypnosis", "occurred_on": "2026-01-01"}, "kind"),
        ({"kind": "counselling", "occurred_on": "2026-02-30"}, "occurred_on"),
        ({"kind": "counselling", "occurred_on": "1900-01-01"}, "occurred_on"),
        ({"kind": "external_referral", "occurred_on": "TODAY"}, "service"),
        ({"kind": "counselling", "occurred_on": "TODAY", "details": "a\x00b"}, "details"),
        ({"kind": "counselling", "occurred_on": "TODAY", "details": "长" * 20001}, "details"),
        ({"kind": "counselling", "occurred_on": "TODAY", "supervisor_action": "调岗"}, "supervisor_action"),
        ({"kind": "time_off", "occurred_on": "TODAY", "supervisor_action": "x" * 201}, "supervisor_action"),
        ({"kind": "counselling", "occurred_on": "TODAY", "status": "maybe"}, "status"),
        (
            {"kind": "time_off", "occurred_on": "TODAY", "supervisor_action": "休假", "supervisor_due": "2001-01-01"},
            None,
        ),
    ],
)
def test_a_bad_intervention_is_a_400_and_stores_nothing(org, data, field):
    case = open_case(org)
    data = {k: (timezone.localdate().isoformat() if v == "TODAY" else v) for k, v in data.items()}
    response = api(org, "counsellor").post(interventions_url(case), data, format="json")
    assert_error(response, 400, field)
    assert not Intervention.objects.filter(case=case).exists()


def test_an_intervention_for_an_unknown_case_is_a_404(org):
    client = api(org, "counsellor")
    data = {"kind": "counselling", "occurred_on": timezone.localdate().isoformat()}
    assert_error(client.post(reverse("case-interventions", args=[424242]), data, format="json"), 404)
    assert_error(client.get(reverse("case-interventions", args=[424242])), 404)


# --- Referrals ----------------------------------------------------------------------------------------

TEAM_ONLY = {"urgency", "reason", "source", "referred_by", "acknowledged_by", "taken_in_by", "closed_by", "note"}


def test_a_referrer_sees_the_status_only(org):
    referral = referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="urgent", reason="self_harm", note=SECRET
    )
    client = api(org, "supervisor")
    response = client.get(REFERRALS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["id"] for r in rows} == {referral.pk, org.referral.pk}
    for row in rows:
        assert set(row) == {"id", "status", "person", "created_at", "acknowledged_at", "taken_in_at", "closed_at"}
    detail = client.get(reverse("api-referral-detail", args=[referral.pk]))
    assert detail.status_code == 200 and not (TEAM_ONLY & set(detail.json()))
    for body in (response, detail):
        text = body.content.decode()
        assert SECRET not in text and "self_harm" not in text and "urgent" not in text


def test_the_lead_counsellor_sees_every_referral_and_reads_the_note_audited(org):
    referral = referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="urgent", reason="family", note=SECRET
    )
    client = api(org, "lead_counsellor")
    rows = client.get(REFERRALS).json()["results"]
    assert {r["id"] for r in rows} >= {referral.pk, org.referral.pk}
    row = next(r for r in rows if r["id"] == referral.pk)
    assert row["urgency"] == "urgent" and row["reason"] == "family" and "note" not in row
    assert SECRET not in client.get(REFERRALS).content.decode()
    mark = audit_mark()
    detail = client.get(reverse("api-referral-detail", args=[referral.pk])).json()
    assert detail["note"] == SECRET and detail["referred_by"]["name"] == "张主任"
    assert AuditEvent.objects.filter(
        id__gt=mark,
        action=AuditEvent.Action.SENSITIVE_READ,
        target_id=str(referral.pk),
        actor=org.users["lead_counsellor"],
    ).exists()
    assert_error(client.get(REFERRALS, {"status": "lost"}), 400, "status")


@pytest.mark.parametrize("principal", ["staff", "counsellor", "hr_officer", "leading_group", "outsider_supervisor"])
def test_others_see_no_referrals(org, principal):
    client = api(org, principal)
    response = client.get(REFERRALS)
    assert response.status_code == 200 and response.json()["results"] == []
    assert_error(client.get(reverse("api-referral-detail", args=[org.referral.pk])), 404)
    assert_error(client.get(reverse("api-referral-detail", args=[10**30])), 404)


# --- A fixed number of queries, however many rows ------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_the_case_list_takes_the_same_queries_for_3_and_25_cases(org):
    for i in range(3):
        open_case(org, holder=["counsellor", "lead_counsellor", None][i % 3])
    small = {p: _queries(api(org, p), CASES) for p in ("counsellor", "lead_counsellor")}
    for i in range(22):
        open_case(org, holder=["counsellor", "lead_counsellor", None][i % 3])
    large = {p: _queries(api(org, p), CASES) for p in ("counsellor", "lead_counsellor")}
    assert Case.objects.count() == 25
    assert small == large


def test_the_notes_list_takes_the_same_queries_for_3_and_25_notes(org):
    case = open_case(org)
    for _ in range(3):
        add_note(org, case)
    small = _queries(api(org, "counsellor"), notes_url(case))
    for _ in range(22):
        add_note(org, case)
    add_note(org, case, author="lead_counsellor")
    assert _queries(api(org, "counsellor"), notes_url(case)) == small


def test_the_interventions_list_takes_the_same_queries_for_3_and_25(org):
    case = open_case(org)
    data = services.InterventionInput(kind="counselling", occurred_on=timezone.localdate(), details="面谈")
    for _ in range(3):
        services.intervention_add(actor=org.users["counsellor"], case=case, data=data)
    small = _queries(api(org, "counsellor"), interventions_url(case))
    for _ in range(22):
        services.intervention_add(actor=org.users["counsellor"], case=case, data=data)
    assert _queries(api(org, "counsellor"), interventions_url(case)) == small


def test_the_referral_list_takes_the_same_queries_for_3_and_25(org):
    people = [make_person(org.section_a1) for _ in range(25)]
    for person in people[:2]:
        referral_create(actor=org.users["supervisor"], person=person, urgency="soon", reason="family")
    small = {p: _queries(api(org, p), REFERRALS) for p in ("supervisor", "lead_counsellor")}
    for person in people[2:]:
        referral = referral_create(actor=org.users["supervisor"], person=person, urgency="soon", reason="family")
        services.case_open(actor=org.users["lead_counsellor"], referral=referral)
    assert {p: _queries(api(org, p), REFERRALS) for p in ("supervisor", "lead_counsellor")} == small
