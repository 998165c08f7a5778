"""Leave from HR (issue 12, item 5: ``POST /api/v1/sync/leave/``) and the leave stream of the change
feed (``GET /api/v1/changes/?streams=leave``).

Recorded leave lands in the ledger with its source and lowers the balance; the same batch again
writes nothing; a clash with leave in Tanxin is reported naming the request, never merged; a short
balance is reported on ``days``; changed and withdrawn records give their days back; bad input is
reported per record (or a 400 for the envelope), never a 500; only an HR system with ``leave:write``
may push. The feed shows decided leave and ledger lines without any free text, and a counsellor's
recommendation as the person's own.

The clock is frozen on Monday 2 March 2026 (the holiday library has the year: 6 April is 清明)."""

from __future__ import annotations

import importlib
import json
import time
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leave import receivers, services
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType
from leave.services import ledger
from tests.conftest import client_for
from tests.factories import ACTOR, make_person
from wellbeing.actors import command_actor
from wellbeing.models import ApiClient, AuditEvent, ChangeEntry, Person
from wellbeing.selectors_changes import horizon
from wellbeing.services import api_client_create, api_client_revoke, person_update

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

SYSTEM = command_actor("test")
SYNC = reverse("sync-leave")
CHANGES = reverse("changes")
BALANCES = reverse("leave-balances")
NOTE = "下午去医院复查"
COMMENT = "同意，注意休息"
REASON = "家里有急事"


@pytest.fixture
def frozen():
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        yield


def hr(org, name: str = "hr-leave-writer"):
    """An HR system with leave:read and leave:write, and its client row."""
    client_row, token = api_client_create(actor=ACTOR, name=name, scopes="leave:read,leave:write")
    client = client_for(org, "anonymous", api=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.row = ApiClient.objects.get(pk=client_row.pk)
    return client


def push(client, records, headers=None, **body):
    return client.post(SYNC, {"records": records, **body}, format="json", **(headers or {}))


def rec(key: str, person: str = "EX-staff", code: str = "annual", start="2026-03-09", end="2026-03-11", **extra):
    return {"external_id": key, "person": person, "leave_type": code, "start_date": start, "end_date": end, **extra}


def answer(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def allocate(person, year: int = 2026) -> None:
    """Ten days of annual leave (the fixture's people started work in 2008)."""
    services.annual_reconcile(actor=SYSTEM, person=person, year=year)


def annual_balance(person) -> Decimal:
    return ledger.balance(person, LeaveType.objects.get(code="annual"), 2026)


def submit(org, person, start, end, *, code="annual", principal="supervisor", note="", end_am=False):
    data = services.RequestInput(LeaveType.objects.get(code=code), start, end, end_am=end_am, note=note)
    return services.request_submit(actor=org.users[principal], person=person, data=data)


def approve(org, request):
    return services.request_decide(actor=org.users["supervisor"], request=request, approve=True, comment=COMMENT)


def written() -> tuple[int, int, int, int]:
    """What a call leaves behind: requests, ledger lines, feed lines, audit rows of anything but the
    API call itself."""
    return (
        LeaveRequest.objects.count(),
        LeaveLedgerEntry.objects.count(),
        ChangeEntry.objects.count(),
        AuditEvent.objects.exclude(action=AuditEvent.Action.API_CALL).count(),
    )


def live(key: str) -> LeaveRequest:
    return LeaveRequest.objects.get(hr_external_id=key, status=LeaveRequest.Status.APPROVED)


def settle() -> None:
    """On PostgreSQL the feed serves only lines of finished transactions (the feed tests commit):
    wait until the horizon passes the last line written (another test worker's open transaction may
    hold it back a moment)."""
    if connection.vendor != "postgresql":
        return
    last = ChangeEntry.objects.aggregate(last=Max("txid"))["last"] or 0
    deadline = time.monotonic() + 300
    while horizon() <= last:
        assert time.monotonic() < deadline, "the feed's horizon never passed the last line"
        time.sleep(0.05)


def leave_lines(client) -> list[dict]:
    settle()
    response = client.get(CHANGES, {"streams": "leave", "limit": 1000})
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- Recording leave taken ----------------------------------------------------------------------------


def test_it_records_taken_leave_in_the_ledger_with_its_source_and_lowers_the_balance(org):
    staff = org.people["staff"]
    allocate(staff)
    client = hr(org)
    body = answer(push(client, [rec("LV-1")]))
    assert body == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}

    request = live("LV-1")
    assert (request.person, request.leave_type.code, request.days) == (staff, "annual", 3)
    assert (request.origin, request.hr_client, request.status) == ("hr", client.row, "approved")
    assert request.submitted_at is not None and request.decided_at is not None
    assert request.approval_followup is None and request.approver is None
    lines = list(LeaveLedgerEntry.objects.filter(request=request))
    assert [(line.kind, line.days, line.effective_on) for line in lines] == [("taken", -3, date(2026, 3, 9))]
    assert lines[0].created_label == "api:hr-leave-writer"
    assert annual_balance(staff) == 7
    balances = client.get(BALANCES, {"person": "EX-staff"}).json()["balances"]
    assert (balances[0]["taken"], balances[0]["balance"]) == (3, 7)
    # The request shows like any other (it is no draft), and its write is audited with the client.
    shown = client.get(reverse("leave-request-detail", args=[request.pk]))
    assert shown.status_code == 200 and shown.json()["status"] == "approved"
    audit = AuditEvent.objects.get(target_id=str(request.pk), target_type__model="leaverequest")
    assert (audit.action, audit.actor_api_client, audit.subject_person) == (AuditEvent.Action.CREATE, client.row, staff)
    assert audit.changes["hr_external_id"] == [None, "LV-1"]


def test_days_are_counted_by_the_holiday_calendar_and_half_days(org):
    client = hr(org)
    body = answer(
        push(
            client,
            [
                # Friday 3 April to Tuesday 7 April: the weekend and 清明 (Monday 6 April) do not count.
                rec("LV-1", code="sick", start="2026-04-03", end="2026-04-07"),
                # Maternity leave runs in calendar days.
                rec("LV-2", person="EX-colleague", code="maternity", start="2026-04-03", end="2026-04-07"),
                rec("LV-3", code="personal", start="2026-03-09", end="2026-03-10", start_pm=True),
            ],
        )
    )
    assert body["created"] == 3, body
    assert [live(k).days for k in ("LV-1", "LV-2", "LV-3")] == [2, 5, Decimal("1.5")]
    assert live("LV-3").start_pm is True


def test_the_same_batch_again_gives_the_same_answer_and_writes_nothing(org):
    allocate(org.people["staff"])
    client = hr(org)
    batch = [rec("LV-1"), rec("LV-2", person="EX-colleague", code="sick")]
    first = push(client, batch, headers={"HTTP_IDEMPOTENCY_KEY": "batch-2026-03-02"})
    assert answer(first) == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    before = written()

    replay = push(client, batch, headers={"HTTP_IDEMPOTENCY_KEY": "batch-2026-03-02"})
    assert replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"
    assert written() == before
    # Without the key, the same records are unchanged: nothing is written either.
    assert answer(push(client, batch)) == {"created": 0, "updated": 0, "unchanged": 2, "errors": []}
    assert written() == before
    assert annual_balance(org.people["staff"]) == 7


def test_a_short_balance_is_reported_on_days_and_nothing_is_written(org):
    staff = org.people["staff"]
    allocate(staff)  # ten days
    client = hr(org)
    before = written()
    body = answer(push(client, [rec("LV-1", start="2026-03-02", end="2026-03-20")]))  # fifteen working days
    assert body["created"] == 0
    assert body["errors"] == [
        {"index": 0, "external_id": "LV-1", "errors": {"days": ["Not enough days left: 5 more than the balance."]}}
    ]
    assert written() == before
    assert annual_balance(staff) == 10
    # Requests still waiting in Tanxin hold no days against leave already taken.
    submit(org, staff, date(2026, 4, 13), date(2026, 4, 17))  # five days waiting
    assert answer(push(client, [rec("LV-1", start="2026-03-02", end="2026-03-13")]))["created"] == 1
    assert annual_balance(staff) == 0


# --- Clashes ------------------------------------------------------------------------------------------


def test_a_clash_with_approved_leave_is_reported_naming_the_request_and_the_others_are_applied(org):
    staff = org.people["staff"]
    allocate(staff)
    allocate(org.people["colleague"])  # sick leave recomputes the year's annual leave: no change here
    approved = approve(org, submit(org, staff, date(2026, 3, 12), date(2026, 3, 17)))
    client = hr(org)
    before = written()
    body = answer(
        push(
            client,
            [
                rec("LV-1", person="EX-colleague", code="sick"),
                rec("LV-2", start="2026-03-16", end="2026-03-18"),
                rec("LV-3", start="2026-03-19", end="2026-03-19"),
            ],
        )
    )
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    [error] = body["errors"]
    assert (error["index"], error["external_id"], list(error["errors"])) == (1, "LV-2", ["start_date"])
    message = error["errors"]["start_date"][0]
    assert approved.reference in message and "2026-03-12" in message and "2026-03-17" in message
    assert not LeaveRequest.objects.filter(hr_external_id="LV-2").exists()
    requests, lines, _feed, _audit = written()
    assert (requests, lines) == (before[0] + 2, before[1] + 1)  # LV-1 (sick: no ledger) and LV-3
    assert annual_balance(staff) == 10 - 4 - 1


def test_leave_waiting_for_approval_clashes_too_and_half_days_may_share_a_day(org):
    staff = org.people["staff"]
    pending = submit(org, staff, date(2026, 3, 12), date(2026, 3, 13), code="personal", end_am=True)
    client = hr(org)
    body = answer(
        push(
            client,
            [
                rec("LV-1", code="sick", start="2026-03-13", end="2026-03-13"),  # the whole day
                rec("LV-2", code="sick", start="2026-03-13", end="2026-03-16", start_pm=True),  # the afternoon
            ],
        )
    )
    assert body["created"] == 1
    [error] = body["errors"]
    assert error["index"] == 0 and pending.reference in error["errors"]["start_date"][0]
    assert live("LV-2").days == Decimal("1.5")


def test_records_of_one_batch_clash_with_each_other(org):
    client = hr(org)
    body = answer(push(client, [rec("LV-1", code="sick"), rec("LV-2", code="personal", start="2026-03-11")]))
    assert body["created"] == 1
    assert live("LV-1").reference in body["errors"][0]["errors"]["start_date"][0]


# --- Changing and withdrawing -------------------------------------------------------------------------


def test_status_cancelled_withdraws_a_record_and_gives_its_days_back(org):
    staff = org.people["staff"]
    allocate(staff)
    client = hr(org)
    answer(push(client, [rec("LV-1")]))
    request = live("LV-1")
    assert annual_balance(staff) == 7

    body = answer(push(client, [{"external_id": "LV-1", "status": "cancelled"}]))
    assert body == {"created": 0, "updated": 1, "unchanged": 0, "errors": []}
    request.refresh_from_db()
    assert (request.status, request.cancel_reason) == ("cancelled", "hr_cancelled")
    assert annual_balance(staff) == 10
    kinds = list(LeaveLedgerEntry.objects.filter(request=request).order_by("id").values_list("kind", "days"))
    assert kinds == [("taken", -3), ("cancelled", 3)]
    # Withdrawn already, or never recorded: nothing to do.
    before = written()
    again = answer(push(client, [{"external_id": "LV-1", "status": "cancelled"}, rec("LV-9", status="cancelled")]))
    assert again == {"created": 0, "updated": 0, "unchanged": 2, "errors": []}
    assert written() == before


def test_a_changed_record_cancels_the_old_request_and_records_the_new_one(org):
    staff = org.people["staff"]
    allocate(staff)
    client = hr(org)
    answer(push(client, [rec("LV-1")]))
    old = live("LV-1")

    body = answer(push(client, [rec("LV-1", end="2026-03-10")]))
    assert body == {"created": 0, "updated": 1, "unchanged": 0, "errors": []}
    old.refresh_from_db()
    new = live("LV-1")
    assert (old.status, old.cancel_reason) == ("cancelled", "hr_changed")
    assert new.pk != old.pk and new.days == 2
    assert annual_balance(staff) == 8
    assert LeaveRequest.objects.filter(hr_external_id="LV-1").count() == 2
    audit = AuditEvent.objects.get(target_id=str(new.pk), target_type__model="leaverequest")
    assert audit.changes["replaces"] == [None, old.reference]

    # Another type: the same.
    assert answer(push(client, [rec("LV-1", code="sick", end="2026-03-10")]))["updated"] == 1
    assert annual_balance(staff) == 10


def test_a_change_that_cannot_be_recorded_keeps_the_old_request(org):
    staff = org.people["staff"]
    allocate(staff)
    approve(org, submit(org, staff, date(2026, 3, 16), date(2026, 3, 17)))
    client = hr(org)
    answer(push(client, [rec("LV-1")]))
    old = live("LV-1")
    before = written()

    clash = answer(push(client, [rec("LV-1", end="2026-03-16")]))
    assert clash["updated"] == 0 and list(clash["errors"][0]["errors"]) == ["start_date"]
    short = answer(push(client, [rec("LV-1", start="2026-03-18", end="2026-03-31")]))  # 10 days, 8 with LV-1 back
    assert short["updated"] == 0 and list(short["errors"][0]["errors"]) == ["days"]
    assert written() == before
    assert live("LV-1") == old


def test_a_call_that_moves_leave_off_some_dates_may_record_other_leave_on_them(org):
    client = hr(org)
    answer(push(client, [rec("LV-1", code="sick")]))
    body = answer(
        push(
            client,
            [
                rec("LV-2", code="personal"),  # on LV-1's dates: applied after LV-1 moves away
                rec("LV-1", code="sick", start="2026-03-16", end="2026-03-16"),
            ],
        )
    )
    assert body == {"created": 1, "updated": 1, "unchanged": 0, "errors": []}


def test_each_client_keeps_its_own_record_ids(org):
    first, second = hr(org, "hr-county"), hr(org, "hr-payroll")
    answer(push(first, [rec("LV-1", code="sick")]))
    body = answer(push(second, [rec("LV-1", person="EX-colleague", code="sick")]))
    assert body["created"] == 1
    assert LeaveRequest.objects.filter(hr_external_id="LV-1", status="approved").count() == 2


# --- Bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (rec("LV-1", person="EX-nobody"), "person"),
        (rec("LV-1", code="holiday"), "leave_type"),
        (rec("LV-1", start="2026-03-11", end="2026-03-09"), "end_date"),
        (rec("LV-1", start="2026-02-30"), "start_date"),
        (rec("LV-1", end="11/03/2026"), "end_date"),
        (rec("LV-1", start=None), "start_date"),
        (rec("LV-1", start="2029-03-09", end="2029-03-09"), "start_date"),
        (rec("LV-1", start_pm="yes"), "start_pm"),
        (rec("LV-1", start="2026-03-09", end="2026-03-09", start_pm=True, end_am=True), "end_am"),
        (rec("LV-1", start="2026-03-07", end="2026-03-08"), "end_date"),  # a weekend: no working day
        (rec("LV-1", start="2026-03-07", end="2026-03-09", start_pm=True), "start_pm"),  # a half Saturday
        (rec("LV-1", start="2025-12-29", end="2026-01-02"), "end_date"),  # annual leave over two years
        (rec("LV-1", status="lost"), "status"),
        (rec("LV-1", note=NOTE), "note"),
        (rec(""), "external_id"),
        (rec("x" * 65), "external_id"),
        (rec("LV-1", person=7), "person"),
        ("LV-1", "record"),
        (None, "record"),
        ([rec("LV-1")], "record"),
    ],
)
def test_bad_records_are_reported_on_their_field_and_the_others_applied(org, record, field):
    allocate(org.people["staff"])
    client = hr(org)
    before = written()
    body = answer(push(client, [rec("LV-OK", person="EX-colleague", code="sick"), record]))
    assert body["created"] == 1
    [error] = body["errors"]
    assert error["index"] == 1 and field in error["errors"], error
    assert error["external_id"] == (record.get("external_id") if isinstance(record, dict) else None)
    assert written()[0] == before[0] + 1


def test_leave_after_a_person_left_is_refused(org):
    colleague = org.people["colleague"]
    person_update(actor=ACTOR, person=colleague, status=Person.Status.LEFT, left_on=date(2026, 3, 10))
    body = answer(
        push(hr(org), [rec("LV-1", person="EX-colleague", code="sick", start="2026-03-09", end="2026-03-11")])
    )
    assert "end_date" in body["errors"][0]["errors"]
    assert (
        answer(push(hr(org, "other"), [rec("LV-2", person="EX-colleague", code="sick", end="2026-03-10")]))["created"]
        == 1
    )


def test_a_key_twice_in_one_batch_is_reported(org):
    body = answer(
        push(hr(org), [rec("LV-1", code="sick"), rec("LV-1", code="sick", start="2026-03-16", end="2026-03-16")])
    )
    assert body["created"] == 1 and body["errors"][0]["index"] == 1
    assert "external_id" in body["errors"][0]["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": [rec("LV-1")], "full": True}, "full"),
        ({"records": [rec("LV-1")], "run": "2026-03"}, "run"),
        ({"records": {"LV-1": rec("LV-1")}}, "records"),
        ({}, "records"),
        ([rec("LV-1")], "records"),
    ],
)
def test_a_bad_envelope_is_a_400_and_writes_nothing(org, body, field):
    client = hr(org)
    before = written()
    response = client.post(SYNC, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert written() == before


def test_more_records_than_a_call_takes_is_a_400(org, settings):
    settings.SYNC_MAX_RECORDS = 3
    client = hr(org)
    response = push(client, [rec(f"LV-{i}", code="sick", start=f"2026-03-{9 + i:02d}") for i in range(4)])
    assert response.status_code == 400 and "records" in response.json()["errors"]
    assert not LeaveRequest.objects.exists()


def test_a_malformed_body_is_a_400_not_a_500(org):
    response = hr(org).post(SYNC, "{not json", content_type="application/json")
    assert response.status_code == 400


# --- Who may push -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("anonymous", 401),
        ("api_client", 403),  # people:read, org:read
        ("api_client_no_scope", 403),  # leave:read only
        ("staff", 403),
        ("supervisor", 403),
        ("hr_officer", 403),
        ("administrator", 403),
    ],
)
def test_only_an_hr_system_with_leave_write_pushes_leave(org, principal, status):
    client = client_for(org, principal, api=True)
    response = client.post(SYNC, {"records": [rec("LV-1", code="sick")]}, format="json")
    assert response.status_code == status, response.content
    assert set(response.json()) == {"message", "errors"}
    assert not LeaveRequest.objects.exists()


def test_a_revoked_client_is_refused(org):
    client = hr(org)
    api_client_revoke(actor=ACTOR, client=client.row)
    assert push(client, [rec("LV-1", code="sick")]).status_code == 401


# --- Cost ---------------------------------------------------------------------------------------------


def test_a_batch_costs_a_fixed_number_of_queries_per_record(org):
    people = [make_person(org.section_a1, full_name=f"员工{i}", external_id=f"HR-{i:03d}") for i in range(30)]
    for person in people:
        allocate(person)
    client = hr(org)
    client.get(CHANGES)  # the client's first call
    ContentType.objects.get_for_model(LeaveRequest)  # cached from here on, as in a running server

    def cost(keys: range) -> int:
        batch = [rec(f"LV-{i}", person=f"HR-{i:03d}") for i in keys]
        with CaptureQueriesContext(connection) as ctx:
            assert answer(push(client, batch))["created"] == len(keys)
        return len(ctx.captured_queries)

    ten, twenty = cost(range(10)), cost(range(10, 30))
    # A record: a savepoint and its release, the request, the ledger's two reads, its line and the
    # line added to its year's total, the audit row. The change-feed lines of the whole call are one
    # statement.
    assert twenty - ten == 8 * 10, (ten, twenty)
    assert ten <= 8 * 10 + 15, ten


# --- The change feed's leave stream -------------------------------------------------------------------
# On PostgreSQL the feed serves only lines of finished transactions: these tests commit.

feed = pytest.mark.django_db(transaction=True)


@feed
def test_approved_and_cancelled_leave_and_ledger_lines_are_in_the_feed_without_free_text(org):
    staff = org.people["staff"]
    allocate(staff)
    request = approve(org, submit(org, staff, date(2026, 3, 12), date(2026, 3, 13), principal="staff", note=NOTE))
    services.request_cancel(actor=org.users["supervisor"], request=request, reason=REASON)
    client = hr(org)
    lines = leave_lines(client)

    requests = [line for line in lines if line["type"] == "leave_request"]
    assert [(line["key"], line["op"]) for line in requests] == [
        (request.reference, "upsert"),
        (request.reference, "tombstone"),
    ]
    assert requests[0]["data"] == {
        "reference": request.reference,
        "person": "EX-staff",
        "leave_type": "annual",
        "start_date": "2026-03-12",
        "end_date": "2026-03-13",
        "start_pm": False,
        "end_am": False,
        "days": 2,
        "provisional": False,
        "status": "approved",
        "origin": "person",
    }
    assert requests[1]["data"]["status"] == "cancelled"

    entries = [line for line in lines if line["type"] == "leave_ledger_entry"]
    allocation, taken, cancelled = (LeaveLedgerEntry.objects.get(pk=line["data"]["id"]) for line in entries)
    assert [e.kind for e in (allocation, taken, cancelled)] == ["allocation", "taken", "cancelled"]
    assert entries[1] == {
        **entries[1],
        "key": f"E-{taken.pk:06d}",
        "op": "upsert",
        "stream": "leave",
        "data": {
            "id": taken.pk,
            "person": "EX-staff",
            "leave_type": "annual",
            "year": 2026,
            "kind": "taken",
            "days": -2,
            "effective_on": "2026-03-12",
            "expires_on": None,
            "lot": allocation.pk,
            "request": request.reference,
        },
    }
    assert entries[0]["data"]["expires_on"] == "2026-12-31" and entries[0]["data"]["request"] is None
    text = json.dumps(lines, ensure_ascii=False)
    for free_text in (NOTE, COMMENT, REASON, "care", "reason", "comment", "note"):
        assert free_text not in text


@feed
def test_leave_recorded_by_hr_shows_its_origin_but_not_the_hr_systems_record_id_in_the_feed(org):
    # The feed is shared by every client with leave:read: one HR system's record ids are its own.
    allocate(org.people["staff"])
    client = hr(org)
    answer(push(client, [rec("LV-1")]))
    answer(push(client, [{"external_id": "LV-1", "status": "cancelled"}]))
    requests = [line for line in leave_lines(client) if line["type"] == "leave_request"]
    assert [(line["op"], line["data"]["origin"]) for line in requests] == [("upsert", "hr"), ("tombstone", "hr")]
    assert not any("LV-1" in json.dumps(line, ensure_ascii=False) for line in requests)


@feed
def test_care_leave_shows_in_the_feed_as_the_persons_own(org):
    staff = org.people["staff"]
    allocate(staff)
    draft = services.care_draft(
        actor=org.users["counsellor"], person=staff, start_date=date(2026, 4, 7), end_date=date(2026, 4, 8)
    )
    data = services.RequestInput(draft.leave_type, draft.start_date, draft.end_date)
    request = services.request_submit(actor=org.users["staff"], person=staff, data=data, draft=draft)
    approve(org, request)
    [line] = [line for line in leave_lines(hr(org)) if line["type"] == "leave_request"]
    assert line["data"]["origin"] == "person"
    assert "care" not in json.dumps(line, ensure_ascii=False)


@feed
def test_drafts_waiting_rejected_and_withdrawn_requests_write_no_feed_lines(org):
    staff = org.people["staff"]
    before = ChangeEntry.objects.filter(stream="leave").count()
    services.care_draft(
        actor=org.users["counsellor"], person=staff, start_date=date(2026, 4, 7), end_date=date(2026, 4, 8)
    )
    pending = submit(org, staff, date(2026, 3, 9), date(2026, 3, 9), code="sick")
    rejected = submit(org, staff, date(2026, 3, 10), date(2026, 3, 10), code="personal")
    services.request_decide(actor=org.users["supervisor"], request=rejected, approve=False, comment="工作忙")
    withdrawn = submit(org, staff, date(2026, 3, 11), date(2026, 3, 11), code="personal")
    services.request_cancel(actor=org.users["supervisor"], request=withdrawn)
    assert pending.status == "pending"
    assert ChangeEntry.objects.filter(stream="leave").count() == before
    assert leave_lines(hr(org)) == []


def test_the_leave_stream_needs_a_leave_scope(org):
    response = client_for(org, "api_client", api=True).get(CHANGES, {"streams": "leave"})
    assert response.status_code == 403
    assert client_for(org, "api_client_no_scope", api=True).get(CHANGES, {"streams": "leave"}).status_code == 200


def test_the_leave_stream_starts_complete_with_what_existed_before_it(org):
    """Migration 0003 writes a line for every decided request and every ledger line that exists, in
    the shape the receivers write."""
    staff = org.people["staff"]
    allocate(staff)
    approved = approve(org, submit(org, staff, date(2026, 3, 12), date(2026, 3, 13), note=NOTE))
    cancelled = approve(org, submit(org, staff, date(2026, 3, 16), date(2026, 3, 16)))
    services.request_cancel(actor=org.users["supervisor"], request=cancelled, reason=REASON)
    submit(org, staff, date(2026, 3, 18), date(2026, 3, 18), code="sick")  # waiting: no line
    ChangeEntry.objects.filter(stream="leave").delete()

    migration = importlib.import_module("leave.migrations.0003_hr_push")
    migration.backfill(django_apps, SimpleNamespace(connection=connection))

    lines = {(line.type, line.key): line for line in ChangeEntry.objects.filter(stream="leave")}
    approved.refresh_from_db()
    cancelled.refresh_from_db()
    assert lines[("leave_request", approved.reference)].op == "upsert"
    assert lines[("leave_request", approved.reference)].data == receivers.request_data(approved)
    assert lines[("leave_request", cancelled.reference)].op == "tombstone"
    assert lines[("leave_request", cancelled.reference)].data == receivers.request_data(cancelled)
    entries = LeaveLedgerEntry.objects.all()
    assert len(lines) == 2 + len(entries)
    for entry in entries:
        assert lines[("leave_ledger_entry", entry.reference)].data == receivers.entry_data(entry)
    assert NOTE not in json.dumps([line.data for line in lines.values()], ensure_ascii=False)
