"""/api/v1/leave/... (issue 11, item 8): each endpoint for a principal who may and one who may not,
list rows exactly as the policy allows, pinned query counts, bad input as a 400 on its field with
nothing written, and the supervisor approving through the API with the balance showing it.

The clock is frozen on Monday 2 March 2026 (the holiday library has the year)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services as case_services
from leave import services
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType
from tests.conftest import client_for
from tests.factories import ACTOR
from wellbeing.actors import command_actor
from wellbeing.models import AuditEvent
from wellbeing.services import api_client_create, referral_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

SYSTEM = command_actor("test")
TYPES = reverse("leave-types")
BALANCES = reverse("leave-balances")
REQUESTS = reverse("leave-request-list")
LEDGER = reverse("leave-ledger")
WORKING_DAYS = reverse("leave-working-days")
HOLIDAYS = reverse("leave-holidays")
NOTE = "下午去医院复查"  # a note may say why: never for API clients, counsellors or administrators
REQUEST_FIELDS = {
    "id",
    "reference",
    "person",
    "leave_type",
    "start_date",
    "end_date",
    "start_pm",
    "end_am",
    "days",
    "provisional",
    "status",
    "origin",
    "submitted_at",
    "approver",
    "decided_by",
    "decided_at",
    "decision_comment",
    "cancelled_at",
    "cancel_reason",
}


@pytest.fixture
def frozen():
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        yield


def api(org, principal: str):
    return client_for(org, principal, api=True)


def writer(org):
    """An HR system with leave:write (the fixture's clients: people:read + org:read, and leave:read)."""
    _, token = api_client_create(actor=ACTOR, name="hr-leave-writer", scopes="leave:read,leave:write")
    client = client_for(org, "anonymous", api=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def leave_type(code: str) -> LeaveType:
    return LeaveType.objects.get(code=code)


def allocate(person, year: int = 2026) -> None:
    """Ten days of annual leave (the fixture's people started work in 2008)."""
    services.annual_reconcile(actor=SYSTEM, person=person, year=year)


def submit(org, principal, person, code="annual", start=date(2026, 3, 12), end=date(2026, 3, 17), note=""):
    actor = org.users[principal]
    data = services.RequestInput(leave_type(code), start, end, note=note)
    return services.request_submit(actor=actor, person=person, data=data)


def care_draft(org, person):
    return services.care_draft(
        actor=org.users["counsellor"], person=person, start_date=date(2026, 4, 6), end_date=date(2026, 4, 10)
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_error(response, status: int, field: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"message", "errors"}, body
    if field is not None:
        assert field in body["errors"], body


def detail(pk: int, action: str | None = None) -> str:
    return reverse(f"leave-request-{action or 'detail'}", args=[pk])


def written() -> tuple[int, int, int]:
    """What a write leaves behind: requests, ledger lines, audit rows (not the row that records an API
    client's call, which every call writes, refused or not)."""
    return (
        LeaveRequest.objects.count(),
        LeaveLedgerEntry.objects.count(),
        AuditEvent.objects.exclude(action=AuditEvent.Action.API_CALL).count(),
    )


# --- Scopes -----------------------------------------------------------------------------------------


def test_an_api_client_without_a_leave_scope_is_refused_everything(org):
    request = submit(org, "staff", org.people["staff"], "personal")
    client = api(org, "api_client")  # people:read, org:read
    for url in (TYPES, BALANCES, REQUESTS, detail(request.pk), LEDGER, WORKING_DAYS, HOLIDAYS):
        response = client.get(url, {"person": "EX-staff", "start": "2026-03-02", "end": "2026-03-06"})
        assert_error(response, 403)
        assert "leave:read" in response.json()["message"]
    before = written()
    assert_error(client.post(REQUESTS, {"person": "EX-staff"}, format="json"), 403)
    assert_error(client.post(detail(request.pk, "cancel"), {}, format="json"), 403)
    assert written() == before


def test_signed_out_is_a_401(org):
    for url in (TYPES, BALANCES, REQUESTS, LEDGER, WORKING_DAYS, HOLIDAYS):
        assert_error(api(org, "anonymous").get(url), 401)


# --- Types ------------------------------------------------------------------------------------------


def test_the_leave_types_for_anyone_signed_in_and_leave_clients(org):
    inactive = leave_type("family_visit")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    rows = api(org, "staff").get(TYPES).json()
    assert [r["code"] for r in rows][:4] == ["annual", "in_lieu", "sick", "personal"]
    by_code = {r["code"]: r for r in rows}
    assert by_code["annual"] == {
        "code": "annual",
        "name_zh": "年休假",
        "name_en": "Annual leave",
        "category": "annual",
        "unit": "working_days",
        "paid": True,
        "needs_balance": True,
        "max_days_per_request": None,
        "affects_annual": False,
        "is_active": True,
    }
    assert by_code["marriage"]["max_days_per_request"] == 3
    assert by_code["maternity"]["unit"] == "calendar_days"
    assert by_code["family_visit"]["is_active"] is False
    assert api(org, "api_client_no_scope").get(TYPES).json() == rows  # leave:read


# --- Balances ---------------------------------------------------------------------------------------


def test_balances_default_to_oneself_and_show_annual_leave_and_time_off_in_lieu(org):
    allocate(org.people["staff"])
    submit(org, "staff", org.people["staff"])  # four days waiting
    body = api(org, "staff").get(BALANCES).json()
    assert body["person"] == {"external_id": "EX-staff", "full_name": "王静"}
    assert body["year"] == 2026
    annual, in_lieu = body["balances"]
    assert annual == {
        "leave_type": {"code": "annual", "name": "Annual leave"},
        "year": 2026,
        "entitled": 10,
        "taken": 0,
        "pending": 4,
        "balance": 10,
        "available": 6,
    }
    assert in_lieu["leave_type"]["code"] == "in_lieu" and in_lieu["year"] is None and in_lieu["balance"] == 0
    # Another year has nothing allocated.
    assert api(org, "staff").get(BALANCES, {"year": 2025}).json()["balances"][0]["entitled"] == 0


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("staff", 200),
        ("supervisor", 200),
        ("hr_officer", 200),
        ("administrator", 200),
        ("api_client_no_scope", 200),
        ("outsider_supervisor", 404),
        ("outsider", 404),
        ("counsellor", 404),
        ("lead_counsellor", 404),
        ("leading_group", 404),
    ],
)
def test_someones_balances_for_who_may_see_their_leave(org, principal, status):
    response = api(org, principal).get(BALANCES, {"person": "EX-staff"})
    if status == 200:
        assert response.status_code == 200 and response.json()["person"]["external_id"] == "EX-staff"
    else:
        assert_error(response, 404)


def test_balances_bad_input(org):
    staff = api(org, "staff")
    assert_error(staff.get(BALANCES, {"person": "nobody"}), 404)
    for year in ("abc", "1999", "2101", "20\x0026", "99999999999999999999999"):
        assert_error(staff.get(BALANCES, {"year": year}), 400, "year")
    assert_error(staff.get(BALANCES, {"person": "EX-\x00staff"}), 400, "person")
    # An API client names the person.
    assert_error(api(org, "api_client_no_scope").get(BALANCES), 400, "person")


# --- Requests: who sees which -------------------------------------------------------------------------


@pytest.fixture
def requests(org):
    """A request each of the staff member, the colleague in A1 (recorded by the supervisor), and the
    outsider in B1; and a counsellor's recommendation drafted for the staff member."""
    return {
        "staff": submit(org, "staff", org.people["staff"], "personal", note=NOTE),
        "colleague": submit(org, "supervisor", org.people["colleague"], "personal"),
        "outsider": submit(org, "outsider", org.people["outsider"], "personal"),
        "draft": care_draft(org, org.people["staff"]),
    }


ROWS = {
    "staff": {"staff", "draft"},  # the draft is theirs alone to see
    "supervisor": {"staff", "colleague"},
    "hr_officer": {"staff", "colleague"},
    "outsider_supervisor": {"outsider"},
    "outsider": {"outsider"},
    "counsellor": set(),
    "lead_counsellor": set(),
    "leading_group": set(),
    "administrator": {"staff", "colleague", "outsider"},
    "api_client_no_scope": {"staff", "colleague", "outsider"},
}


@pytest.mark.parametrize("principal", sorted(ROWS))
def test_the_list_holds_exactly_the_requests_the_policy_allows(org, requests, principal):
    expected = {requests[name].pk for name in ROWS[principal]}
    assert ids(api(org, principal).get(REQUESTS)) == expected
    for name, request in requests.items():
        response = api(org, principal).get(detail(request.pk))
        if name in ROWS[principal]:
            assert response.status_code == 200
        else:
            assert_error(response, 404)


def test_a_counsellor_sees_the_leave_of_someone_on_their_caseload_without_the_note(org, requests, settings):
    settings.CASELOAD_LIMIT = 100
    referral = referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure"
    )
    case_services.case_open(actor=org.users["lead_counsellor"], referral=referral, counsellor=org.users["counsellor"])
    response = api(org, "counsellor").get(REQUESTS)
    assert ids(response) == {requests["staff"].pk}
    assert "note" not in response.json()["results"][0]


@pytest.mark.parametrize(
    ("principal", "sees_note"),
    [
        ("staff", True),
        ("supervisor", True),
        ("hr_officer", True),
        ("administrator", False),
        ("api_client_no_scope", False),
    ],
)
def test_a_request_shows_its_note_only_to_who_may_read_it_and_never_the_care_mark(org, requests, principal, sees_note):
    # The recommendation, sent by the person: an ordinary request from then on, for everyone.
    allocate(org.people["staff"])
    draft = requests["draft"]
    sent = services.request_submit(
        actor=org.users["staff"],
        person=org.people["staff"],
        data=services.RequestInput(leave_type("annual"), draft.start_date, draft.end_date),
        draft=draft,
    )
    assert sent.care is True  # the mark is there, and only there
    client = api(org, principal)
    body = client.get(detail(requests["staff"].pk)).json()
    assert set(body) == REQUEST_FIELDS | ({"note"} if sees_note else set())
    assert (NOTE in str(body)) is sees_note
    care = client.get(detail(sent.pk)).json()
    assert set(care) == REQUEST_FIELDS | ({"note"} if sees_note else set())
    assert care["origin"] == "person" and care["status"] == "pending"
    assert "care" not in str(care).lower() and "counsel" not in str(care).lower()
    listed = {row["id"]: row for row in client.get(REQUESTS).json()["results"]}
    assert listed[sent.pk] == care


def test_a_request_as_shown(org, requests):
    body = api(org, "supervisor").get(detail(requests["staff"].pk)).json()
    assert body | {"id": 0, "submitted_at": ""} == {
        "id": 0,
        "reference": requests["staff"].reference,
        "person": {"external_id": "EX-staff", "full_name": "王静", "unit": org.section_a1.name},
        "leave_type": {"code": "personal", "name": "Personal leave"},
        "start_date": "2026-03-12",
        "end_date": "2026-03-17",
        "start_pm": False,
        "end_am": False,
        "days": 4,
        "provisional": False,
        "status": "pending",
        "origin": "person",
        "submitted_at": "",
        "approver": "张主任",
        "decided_by": None,
        "decided_at": None,
        "decision_comment": "",
        "cancelled_at": None,
        "cancel_reason": "",
        "note": NOTE,
    }


def test_the_filters(org, requests):
    later = submit(org, "staff", org.people["staff"], "sick", date(2026, 5, 11), date(2026, 5, 12))
    admin = api(org, "administrator")
    assert ids(admin.get(REQUESTS, {"person": "EX-staff"})) == {requests["staff"].pk, later.pk}
    assert ids(admin.get(REQUESTS, {"person": "EX-nobody"})) == set()
    assert ids(admin.get(REQUESTS, {"type": "sick"})) == {later.pk}
    assert ids(admin.get(REQUESTS, {"date_from": "2026-04-01"})) == {later.pk}
    assert ids(admin.get(REQUESTS, {"date_to": "2026-03-12"})) == {
        r.pk for r in requests.values() if r.status != "draft"
    }
    assert ids(admin.get(REQUESTS, {"date_from": "2026-03-17", "date_to": "2026-03-17"})) == {
        requests[name].pk for name in ("staff", "colleague", "outsider")
    }
    services.request_cancel(actor=org.users["staff"], request=later)
    assert ids(admin.get(REQUESTS, {"status": "withdrawn"})) == {later.pk}
    assert_error(admin.get(REQUESTS, {"type": "holiday"}), 400, "type")
    assert_error(admin.get(REQUESTS, {"type": "sick\x00"}), 400, "type")
    assert_error(admin.get(REQUESTS, {"status": "lost"}), 400, "status")
    assert_error(admin.get(REQUESTS, {"date_from": "2026-02-30"}), 400, "date_from")
    assert_error(admin.get(REQUESTS, {"date_from": "2026-03-10", "date_to": "2026-03-01"}), 400, "date_to")


def test_pages_are_stable_and_a_bad_cursor_is_a_400(org):
    made = [
        submit(org, "supervisor", org.people["colleague"], "personal", date(2026, 4, d), date(2026, 4, d))
        for d in (7, 8, 9, 10, 13)
    ]
    client = api(org, "supervisor")
    seen, url = [], REQUESTS + "?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == [r.pk for r in reversed(made)]  # latest first
    for cursor in ("abc", "cD0yMDI2LTAyLTMw", "cD1ub3Q="):  # p=2026-02-30, p=not
        assert_error(client.get(REQUESTS + f"?cursor={cursor}"), 400, "cursor")


#: A page of requests: the session, the user (and their verified device, roles and staff record) or the
#: token; then the page itself in one query.
#: An API client's count includes the audit row every call of a client writes (issue 12).
PINNED = {"supervisor": 5, "administrator": 5, "api_client_no_scope": 3}


@pytest.mark.parametrize("principal", sorted(PINNED))
def test_the_list_costs_the_same_queries_whatever_its_length(org, principal):
    client = api(org, principal)
    client.get(TYPES)  # an API client's first request records its use (once a minute)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(REQUESTS)
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    submit(org, "supervisor", org.people["colleague"], "personal", date(2026, 4, 7), date(2026, 4, 7))
    few, rows = count()
    for d in (8, 9, 10, 13, 14):
        request = submit(org, "supervisor", org.people["colleague"], "personal", date(2026, 4, d), date(2026, 4, d))
        if d == 8:
            services.request_decide(actor=org.users["supervisor"], request=request, approve=True)
    many, more = count()
    assert (rows, more) == (1, 6)
    assert many == few
    assert few == PINNED[principal], few


# --- Requests: writing --------------------------------------------------------------------------------

REQUEST = {"leave_type": "annual", "start_date": "2026-03-12", "end_date": "2026-03-17"}


def test_a_person_requests_leave_for_themselves(org):
    allocate(org.people["staff"])
    response = api(org, "staff").post(REQUESTS, REQUEST | {"note": NOTE}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["days"], body["status"], body["origin"], body["note"]) == (4, "pending", "person", NOTE)
    request = LeaveRequest.objects.get(pk=body["id"])
    assert request.person == org.people["staff"] and request.approver == org.users["supervisor"]


def test_an_hr_system_with_leave_write_requests_for_a_person(org):
    allocate(org.people["staff"])
    response = writer(org).post(REQUESTS, REQUEST | {"person": "EX-staff", "note": NOTE}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["origin"] == "api" and "note" not in body
    request = LeaveRequest.objects.get(pk=body["id"])
    assert (request.origin, request.note) == ("api", NOTE)
    # The supervisor sees it (with the note) and is asked to decide.
    assert api(org, "supervisor").get(detail(request.pk)).json()["note"] == NOTE
    assert request.approval_followup.owner == org.users["supervisor"]


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("supervisor", 201),
        ("hr_officer", 201),
        ("administrator", 403),  # sees everyone's leave, requests for nobody
        ("api_client_no_scope", 403),  # leave:read only
        ("outsider_supervisor", 404),
        ("counsellor", 404),
    ],
)
def test_requesting_for_someone_else(org, principal, status):
    client = api(org, principal)
    before = written()
    response = client.post(
        REQUESTS,
        {"person": "EX-staff", "leave_type": "sick", "start_date": "2026-03-03", "end_date": "2026-03-03"},
        format="json",
    )
    if status == 201:
        assert response.status_code == 201, response.content
        assert response.json()["person"]["external_id"] == "EX-staff"
    else:
        assert_error(response, status)
        assert written() == before


def test_an_api_client_must_name_the_person(org):
    assert_error(writer(org).post(REQUESTS, REQUEST, format="json"), 400, "person")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": "2026-03-10"}, "end_date"),  # before the start
        ({"leave_type": "holiday"}, "leave_type"),  # no such type
        ({"leave_type": "family_visit"}, "leave_type"),  # no longer requested
        ({"start_date": "2026-03-16", "end_date": "2026-03-16"}, "start_date"),  # overlaps the request waiting
        ({"note": "病\x00假"}, "note"),
        ({"leave_type": "annual\x00"}, "leave_type"),
        ({"start_date": "2150-01-05", "end_date": "2150-01-06"}, "start_date"),  # far outside the calendar
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": "2026-04-06", "end_date": "2026-04-07", "start_pm": True}, "start_pm"),  # 清明 holiday
        ({"start_date": "2026-04-08", "end_date": "2026-04-30"}, "end_date"),  # more than the balance
        ({"start_date": "2026-03-21", "end_date": "2026-03-22"}, "end_date"),  # a weekend: no working days
        ({"start_pm": "perhaps"}, "start_pm"),
        ({"note": "长" * 501}, "note"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_writes_nothing(org, change, field):
    allocate(org.people["staff"])
    family_visit = leave_type("family_visit")
    family_visit.is_active = False
    family_visit.save(update_fields=["is_active"])
    submit(org, "staff", org.people["staff"])  # 12 to 17 March, waiting
    client = api(org, "staff")
    before = written()
    response = client.post(
        REQUESTS, {"leave_type": "annual", "start_date": "2026-04-13", "end_date": "2026-04-14"} | change, format="json"
    )
    assert_error(response, 400, field)
    assert written() == before


def test_a_body_that_is_not_an_object_is_a_400(org):
    client = api(org, "staff")
    before = written()
    assert_error(client.post(REQUESTS, ["annual"], format="json"), 400)
    assert written() == before


# --- Deciding and cancelling --------------------------------------------------------------------------


def test_the_supervisor_approves_through_the_api_and_the_balance_shows_it(org):
    allocate(org.people["staff"])
    staff, supervisor = api(org, "staff"), api(org, "supervisor")
    request_id = staff.post(REQUESTS, REQUEST, format="json").json()["id"]
    assert staff.get(BALANCES).json()["balances"][0] | {"leave_type": None} == {
        "leave_type": None,
        "year": 2026,
        "entitled": 10,
        "taken": 0,
        "pending": 4,
        "balance": 10,
        "available": 6,
    }
    response = supervisor.post(detail(request_id, "decide"), {"approve": True, "comment": "同意"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["decided_by"], body["decision_comment"]) == ("approved", "张主任", "同意")
    annual = staff.get(BALANCES).json()["balances"][0]
    assert (annual["taken"], annual["pending"], annual["balance"], annual["available"]) == (4, 0, 6, 6)
    # The ledger explains it line by line.
    ledger = staff.get(LEDGER).json()
    assert [(line["kind"], line["days"], line["running"], line["request"]) for line in ledger["lines"]] == [
        ("allocation", 10, 10, None),
        ("taken", -4, 6, f"L-{request_id:06d}"),
    ]
    assert ledger["balance"] == 6
    # Deciding twice is a 400.
    assert_error(supervisor.post(detail(request_id, "decide"), {"approve": False, "comment": "x"}, format="json"), 400)


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("staff", 403),  # never about oneself
        ("hr_officer", 403),
        ("administrator", 403),
        ("api_client_no_scope", 403),
        ("outsider_supervisor", 404),
        ("counsellor", 404),
    ],
)
def test_only_the_supervisor_decides(org, principal, status):
    request = submit(org, "staff", org.people["staff"], "personal")
    client = api(org, principal)
    before = written()
    response = client.post(detail(request.pk, "decide"), {"approve": True}, format="json")
    assert_error(response, status)
    assert written() == before
    assert LeaveRequest.objects.get(pk=request.pk).status == "pending"


def test_an_hr_system_never_decides(org):
    request = submit(org, "staff", org.people["staff"], "personal")
    assert_error(writer(org).post(detail(request.pk, "decide"), {"approve": True}, format="json"), 403)


def test_deciding_bad_input(org):
    request = submit(org, "staff", org.people["staff"], "personal")
    supervisor = api(org, "supervisor")
    before = written()
    assert_error(supervisor.post(detail(request.pk, "decide"), {"approve": False}, format="json"), 400, "comment")
    assert_error(supervisor.post(detail(request.pk, "decide"), {"comment": "好"}, format="json"), 400, "approve")
    assert_error(
        supervisor.post(detail(request.pk, "decide"), {"approve": True, "comment": "\x00"}, format="json"),
        400,
        "comment",
    )
    assert written() == before
    # A draft of someone else's is not there, even for the supervisor.
    draft = care_draft(org, org.people["staff"])
    assert_error(supervisor.post(detail(draft.pk, "decide"), {"approve": True}, format="json"), 404)


def test_cancelling_approved_leave_needs_a_reason_and_returns_the_days(org):
    allocate(org.people["staff"])
    request = submit(org, "staff", org.people["staff"])
    services.request_decide(actor=org.users["supervisor"], request=request, approve=True)
    staff = api(org, "staff")
    before = written()
    assert_error(staff.post(detail(request.pk, "cancel"), {}, format="json"), 400, "reason")
    assert written() == before
    response = staff.post(detail(request.pk, "cancel"), {"reason": "工作安排变化"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "工作安排变化")
    assert staff.get(BALANCES).json()["balances"][0]["balance"] == 10
    assert_error(staff.post(detail(request.pk, "cancel"), {"reason": "再次"}, format="json"), 400)


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("staff", 200),
        ("supervisor", 200),
        ("hr_officer", 200),
        ("administrator", 403),
        ("api_client_no_scope", 403),  # leave:read only
        ("outsider_supervisor", 404),
        ("lead_counsellor", 404),
    ],
)
def test_who_may_withdraw_a_request(org, principal, status):
    request = submit(org, "staff", org.people["staff"], "personal")
    response = api(org, principal).post(detail(request.pk, "cancel"), {}, format="json")
    if status == 200:
        assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    else:
        assert_error(response, status)
        assert LeaveRequest.objects.get(pk=request.pk).status == "pending"


def test_an_hr_system_with_leave_write_cancels(org):
    request = submit(org, "staff", org.people["staff"], "personal")
    response = writer(org).post(detail(request.pk, "cancel"), {"reason": "人事系统撤销"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


# --- The ledger ---------------------------------------------------------------------------------------


def test_the_ledger_and_the_balances_cost_the_same_queries_whatever_the_ledgers_length(org):
    staff = org.people["staff"]
    allocate(staff)
    client = api(org, "hr_officer")

    def count(url=LEDGER) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"person": "EX-staff", "year": 2026})
        assert response.status_code == 200
        body = response.json()
        return len(queries), len(body["lines"]) if "lines" in body else body["balances"][0]["balance"]

    few, lines = count()
    few_balances, _ = count(BALANCES)
    for n in range(4):
        services.ledger_adjust(
            actor=org.users["hr_officer"],
            person=staff,
            leave_type=leave_type("annual"),
            year=2026,
            days=Decimal("0.5"),
            reason=f"补记{n}",
        )
    many, more = count()
    assert (lines, more) == (1, 5)
    # The session and the user's access (4: the user comes with their person record), the person, the
    # leave type, then the lines in one query.
    assert many == few == 7
    many_balances, balance = count(BALANCES)
    assert balance == 12
    # The session and the user's access (4), the person, the types, the ledger, the pending days and the
    # earliest use-by date of the time off in lieu still to be used.
    assert many_balances == few_balances == 9
    body = client.get(LEDGER, {"person": "EX-staff"}).json()
    assert body["balance"] == 12 and body["lines"][-1]["reason"] == "补记3"
    assert body["lines"][-1]["recorded_by"] == "吴人事"
    assert body["lines"][0]["explanation"] == "statutory days for the years of service"


def test_time_off_in_lieu_across_years(org):
    staff = org.people["staff"]
    record = services.overtime_record(
        actor=org.users["staff"],
        person=staff,
        data=services.OvertimeInput(date(2026, 1, 10), "weekend", Decimal(8), "防汛值班"),
    )
    services.overtime_decide(actor=org.users["supervisor"], record=record, confirm=True)
    body = api(org, "staff").get(LEDGER, {"type": "in_lieu", "year": 2025}).json()
    assert body["year"] is None and body["leave_type"]["code"] == "in_lieu"
    assert [(line["kind"], line["days"], line["expires_on"]) for line in body["lines"]] == [
        ("accrued", 1, "2026-03-11")
    ]


def test_the_ledger_for_who_may_see_it_and_bad_input(org):
    allocate(org.people["staff"])
    assert api(org, "supervisor").get(LEDGER, {"person": "EX-staff"}).status_code == 200
    assert api(org, "api_client_no_scope").get(LEDGER, {"person": "EX-staff"}).status_code == 200
    assert_error(api(org, "outsider_supervisor").get(LEDGER, {"person": "EX-staff"}), 404)
    assert_error(api(org, "leading_group").get(LEDGER, {"person": "EX-staff"}), 404)
    staff = api(org, "staff")
    assert_error(staff.get(LEDGER, {"type": "sick"}), 400, "type")
    assert_error(staff.get(LEDGER, {"year": "3000"}), 400, "year")
    assert_error(staff.get(LEDGER, {"person": "EX-colleague"}), 404)


# --- Working days and holidays ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "days", "provisional"),
    [
        # 2026 Spring Festival: 15 to 23 February off, Saturday 14 February worked.
        ({"start": "2026-02-13", "end": "2026-02-24"}, 3, False),
        ({"start": "2026-02-14", "end": "2026-02-14"}, 1, False),
        # 2025 National Day and Mid-autumn: 1 to 8 October off, 28 September and 11 October worked.
        ({"start": "2025-09-28", "end": "2025-10-11"}, 6, False),
        ({"start": "2026-03-02", "end": "2026-03-06", "start_pm": "true", "end_am": "true"}, 4, False),
        ({"start": "2026-03-02", "end": "2026-03-08", "type": "maternity"}, 7, False),  # calendar days
        ({"start": "2026-03-02", "end": "2026-03-08", "type": "annual"}, 5, False),
        ({"start": "2030-03-04", "end": "2030-03-08"}, 5, True),  # not announced yet
    ],
)
def test_working_days(org, params, days, provisional):
    response = api(org, "staff").get(WORKING_DAYS, params)
    assert response.status_code == 200, response.content
    assert response.json() == {"start": params["start"], "end": params["end"], "days": days, "provisional": provisional}
    assert api(org, "api_client_no_scope").get(WORKING_DAYS, params).json()["days"] == days


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-03-06", "end": "2026-03-02"}, "end"),
        ({"start": "2003-12-30", "end": "2004-01-02"}, "start"),
        ({"start": "2100-12-30", "end": "2101-01-02"}, "end"),
        ({"start": "2026-02-30", "end": "2026-03-02"}, "start"),
        ({"start": "2026-03-02\x00", "end": "2026-03-06"}, "start"),
        ({"start": "2026-03-02"}, "end"),
        ({"start": "2004-01-01", "end": "2100-12-31"}, "end"),  # more than ten years
        ({"start": "2026-03-02", "end": "2026-03-06", "type": "nap"}, "type"),
        ({"start": "2026-03-02", "end": "2026-03-06", "type": "annual\x00"}, "type"),
        ({"start": "2026-03-02", "end": "2026-03-02", "start_pm": "1", "end_am": "1"}, "end_am"),
    ],
)
def test_working_days_bad_input(org, params, field):
    assert_error(api(org, "staff").get(WORKING_DAYS, params), 400, field)


def test_a_years_holidays(org):
    body = api(org, "staff").get(HOLIDAYS, {"year": 2026}).json()
    assert (body["year"], body["source"], body["provisional"]) == (2026, "library", False)
    days = {row["date"]: row for row in body["days"]}
    assert days["2026-02-14"] == {"date": "2026-02-14", "kind": "workday", "name": "春节"}
    assert days["2026-10-01"]["kind"] == "holiday"
    assert api(org, "staff").get(HOLIDAYS).json()["year"] == 2026  # this year by default
    far = api(org, "api_client_no_scope").get(HOLIDAYS, {"year": 2090}).json()
    assert (far["source"], far["provisional"], far["days"]) == ("none", True, [])
    for year in ("1999", "2101", "abc", "2026\x00"):
        assert_error(api(org, "staff").get(HOLIDAYS, {"year": year}), 400, "year")
