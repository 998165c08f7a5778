"""The leave pages (issue 11, items 5, 6 and 8): my leave, requesting leave with what it will cost,
one request and its decision, approvals, the team calendar, work on rest days, a person's leave with
HR's adjustments, the holiday calendar and the home sections. Bad input gives its error next to its
field and writes nothing; list pages read a fixed number of queries."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from leave import selectors, services
from leave.home import SECTIONS
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType, OvertimeRecord
from tests.conftest import client_for, verified_login
from tests.factories import UserFactory, make_person
from wellbeing.actors import command_actor

pytestmark = pytest.mark.django_db

SYSTEM = command_actor("test")


@pytest.fixture(autouse=True)
def _monday_2_march_2026():
    """A Monday; 2026's holidays are known, 2027's are not."""
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        yield


MINE = "/leave/"
NEW = "/leave/request/"
PREVIEW = "/leave/request/preview/"
LEDGER = "/leave/ledger/"
APPROVALS = "/leave/approvals/"
TEAM = "/leave/team/"
OVERTIME = "/leave/overtime/"
CALENDAR = "/leave/calendar/"


def _request_url(pk: int, action: str = "") -> str:
    return f"/leave/requests/{pk}/{action + '/' if action else ''}"


def _person_url(person, action: str = "") -> str:
    return f"/leave/people/{person.pk}/{action + '/' if action else ''}"


def _allocate(person, year: int = 2026, start: date = date(2014, 7, 1)) -> None:
    """11 years of service in 2026: 10 days of annual leave."""
    person.work_start_date = start
    person.save(update_fields=["work_start_date"])
    services.annual_reconcile(actor=SYSTEM, person=person, year=year)


@pytest.fixture
def staff(org):
    _allocate(org.people["staff"])
    return org.people["staff"]


def _annual() -> LeaveType:
    return LeaveType.objects.get(code="annual")


def _submit(org, start: date, end: date, *, code: str = "annual", person: str = "staff") -> LeaveRequest:
    leave_type = LeaveType.objects.get(code=code)
    return services.request_submit(
        actor=org.users[person],
        person=org.people[person],
        data=services.RequestInput(leave_type, start, end),
    )


def _form(start: str, end: str = "", **extra) -> dict:
    data = {"leave_type": "annual", "start_date": start, "end_date": end, "note": ""}
    data.update(extra)
    return data


def _error(html: str, field: str) -> str:
    """The text of a field's error line on the request form (``err-<field>``)."""
    match = re.search(rf'<div id="err-{field}"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error line for {field}"
    return match.group(1).strip()


def _data(response, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>\s*([^<]*)', response.content.decode())
    assert match, testid
    return match.group(1).strip()


# --- Who may open what --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "url", "status"),
    [
        ("staff", MINE, 200),
        ("staff", NEW, 200),
        ("staff", OVERTIME, 200),
        ("staff", CALENDAR, 200),
        ("staff", LEDGER, 200),
        ("staff", APPROVALS, 403),
        ("staff", TEAM, 403),
        ("supervisor", APPROVALS, 200),
        ("supervisor", TEAM, 200),
        ("hr_officer", APPROVALS, 200),
        ("hr_officer", TEAM, 200),
        ("counsellor", APPROVALS, 403),
        ("administrator", TEAM, 403),
        ("leading_group", MINE, 200),
    ],
)
def test_it_opens_each_page_only_for_those_who_may(org, principal, url, status):
    assert client_for(org, principal).get(url).status_code == status


def test_it_sends_someone_signed_out_to_the_log_in_page(org):
    response = client_for(org, "anonymous").get(MINE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("principal", "status"),
    [("staff", 200), ("supervisor", 200), ("hr_officer", 200), ("outsider_supervisor", 404), ("counsellor", 404)],
)
def test_a_request_is_seen_by_the_person_supervisor_and_hr_and_missing_for_others(org, staff, principal, status):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    assert client_for(org, principal).get(_request_url(leave.pk)).status_code == status


@pytest.mark.parametrize(
    ("principal", "status"),
    [("staff", 200), ("supervisor", 200), ("hr_officer", 200), ("outsider_supervisor", 404), ("outsider", 404)],
)
def test_a_persons_leave_is_seen_by_those_who_may_and_missing_for_others(org, staff, principal, status):
    assert client_for(org, principal).get(_person_url(staff)).status_code == status


# --- My leave --------------------------------------------------------------------------------------------


def test_my_leave_shows_the_years_balances_and_requests(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))  # Thu..Tue: 4 working days
    response = client_for(org, "staff").get(MINE)
    assert response.status_code == 200
    html = response.content.decode()
    assert _data(response, "annual-entitled") == "10"
    assert _data(response, "annual-taken") == "0"
    assert _data(response, "annual-waiting") == "4"
    assert _data(response, "annual-left").startswith("6")
    assert f'data-request="{leave.pk}"' in html and leave.reference in html
    assert 'href="/leave/request/"' in html
    assert "/leave/ledger/?type=annual&amp;year=2026" in html


@pytest.mark.parametrize("year", ["1900", "abc", "99999999999999999999"])
def test_a_year_outside_the_calendar_is_a_form_error_not_a_crash(org, staff, year):
    response = client_for(org, "staff").get(MINE, {"year": year})
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.content.decode()


def test_my_leave_switches_year(org, staff):
    response = client_for(org, "staff").get(MINE, {"year": "2025"})
    assert response.status_code == 200
    assert _data(response, "annual-entitled") == "0"  # nothing allocated for 2025


# --- Requesting leave ------------------------------------------------------------------------------------


def test_check_shows_the_days_and_the_balance_after_without_sending(org, staff):
    response = client_for(org, "staff").post(NEW, _form("2026-03-12", "2026-03-17", action="check"))
    assert response.status_code == 200
    assert _data(response, "preview-days") == "4"
    assert _data(response, "preview-balance") == "10"
    assert _data(response, "preview-after") == "6"
    assert not LeaveRequest.objects.exists()


def test_the_preview_fragment_shows_the_cost_and_marks_a_provisional_count(org, staff):
    client = client_for(org, "staff")
    response = client.get(PREVIEW, _form("2026-03-12", "2026-03-17"))
    assert response.status_code == 200
    assert _data(response, "preview-days") == "4"
    assert _data(response, "preview-after") == "6"
    assert 'data-testid="preview-provisional"' not in response.content.decode()
    # A half day: the last day until noon.
    assert _data(client.get(PREVIEW, _form("2026-03-12", "2026-03-17", end_am="on")), "preview-days") == "3.5"
    # 2027's holidays are not announced: sick leave (no balance) in January 2027 is provisional.
    response = client.get(PREVIEW, {"leave_type": "sick", "start_date": "2027-01-04", "end_date": "2027-01-05"})
    assert _data(response, "preview-days") == "2"
    assert 'data-testid="preview-provisional"' in response.content.decode()


def test_the_preview_fragment_puts_errors_next_to_their_fields_with_htmx(org, staff):
    response = client_for(org, "staff").get(PREVIEW, _form("2026-03-17", "2026-03-12"), headers={"HX-Request": "true"})
    assert response.status_code == 200  # shown by htmx
    html = response.content.decode()
    assert 'hx-swap-oob="true"' in html
    assert "before the first day" in _error(html, "end_date")
    assert _error(html, "start_date") == ""
    # Before a first day is chosen it only says what to do, and clears the marks.
    html = client_for(org, "staff").get(PREVIEW, {"leave_type": "annual"}, headers={"HX-Request": "true"})
    assert "Choose the dates" in html.content.decode()
    assert _error(html.content.decode(), "start_date") == ""


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        (_form("2026-03-17", "2026-03-12"), "end_date", "before the first day"),
        (_form("2026-10-01", "2026-10-01", start_pm="on"), "start_pm", "not a working day"),
        (_form("2026-03-16", "2026-03-16"), "start_date", "You already have"),
        (_form("2026-04-01", "2026-04-01", note="下午\x00请假"), "note", "Null characters"),
        (_form("2026-04-01", "2026-04-30"), "end_date", "cannot go below zero"),
        ({"leave_type": "no-such-type", "start_date": "2026-04-01"}, "leave_type", "valid choice"),
        (_form("2026-13-01"), "start_date", "valid date"),
    ],
    ids=[
        "end-before-start",
        "half-day-on-a-holiday",
        "overlap",
        "nul-byte",
        "beyond-the-balance",
        "unknown-type",
        "bad-date",
    ],
)
def test_bad_requests_show_the_error_next_to_the_field_and_write_nothing(org, staff, data, field, text):
    existing = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    client = client_for(org, "staff")
    for action in ("check", "send"):
        response = client.post(NEW, {**data, "action": action})
        assert response.status_code == 400
        assert text in _error(response.content.decode(), field)
    assert list(LeaveRequest.objects.all()) == [existing]
    assert not LeaveLedgerEntry.objects.filter(request__isnull=False).exists()


def test_a_request_is_sent_to_the_supervisor_and_its_page_says_so(org, staff):
    client = client_for(org, "staff")
    response = client.post(NEW, _form("2026-03-12", "2026-03-17", note="回老家", action="send"))
    leave = LeaveRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == _request_url(leave.pk)
    assert (leave.status, leave.days, leave.approver) == ("pending", 4, org.users["supervisor"])
    page = client.get(_request_url(leave.pk))
    html = page.content.decode()
    assert "sent to 张主任 for approval" in html
    assert _data(page, "request-days") == "4"
    assert "回老家" in html
    assert 'data-testid="approve"' not in html  # nobody decides on their own leave
    assert 'data-testid="cancel"' in html  # but they may withdraw it


def test_an_error_without_a_field_is_shown_above_the_form(org):
    """The head of town A has nobody above them to approve: said at the top of the form, nothing written."""
    _allocate(org.people["supervisor"])
    response = client_for(org, "supervisor").post(NEW, _form("2026-03-12", action="send"))
    assert response.status_code == 400
    assert "Nobody can approve this leave yet" in _error(response.content.decode(), "all")
    assert not LeaveRequest.objects.exists()


def test_a_login_without_a_staff_record_has_no_leave_pages(org):
    client = Client()
    verified_login(client, UserFactory(username="no_person"))
    for url in (MINE, NEW, OVERTIME, LEDGER):
        assert client.get(url).status_code == 403, url


def test_a_single_day_needs_only_the_first_day(org, staff):
    response = client_for(org, "staff").post(NEW, _form("2026-03-12", action="send"))
    assert response.status_code == 302
    assert LeaveRequest.objects.get().end_date == date(2026, 3, 12)


def test_the_form_offers_the_type_asked_for(org, staff):
    html = client_for(org, "staff").get(NEW, {"type": "in_lieu"}).content.decode()
    assert re.search(r'<option value="in_lieu" selected>', html)


# --- Deciding, cancelling --------------------------------------------------------------------------------


def test_the_supervisor_approves_and_the_balance_changes_on_the_persons_page(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    hr = client_for(org, "hr_officer")
    assert _data(hr.get(_person_url(staff)), "annual-taken") == "0"
    supervisor = client_for(org, "supervisor")
    listed = supervisor.get(APPROVALS).content.decode()
    assert f'data-request="{leave.pk}"' in listed
    response = supervisor.post(
        _request_url(leave.pk, "decide"),
        {"from": "approvals", f"r{leave.pk}-decision": "approve", f"r{leave.pk}-comment": "同意"},
    )
    assert response.status_code == 302 and response["Location"] == APPROVALS
    leave.refresh_from_db()
    assert (leave.status, leave.decision_comment) == ("approved", "同意")
    page = hr.get(_person_url(staff))
    assert _data(page, "annual-taken") == "4"
    assert _data(page, "annual-left").startswith("6")
    assert _data(client_for(org, "staff").get(MINE), "annual-left").startswith("6")


def test_rejecting_needs_a_comment_next_to_the_comment_field(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    supervisor = client_for(org, "supervisor")
    response = supervisor.post(_request_url(leave.pk, "decide"), {"decide-decision": "reject", "decide-comment": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'name="decide-comment"[^>]*is-invalid|is-invalid[^>]*name="decide-comment"', html)
    assert "Say why the request is rejected." in html
    leave.refresh_from_db()
    assert leave.status == "pending"
    # From the approvals list the error comes back on the list, beside that request.
    response = supervisor.post(
        _request_url(leave.pk, "decide"), {"from": "approvals", f"r{leave.pk}-decision": "reject"}
    )
    assert response.status_code == 400 and "Say why the request is rejected." in response.content.decode()
    response = supervisor.post(
        _request_url(leave.pk, "decide"), {"decide-decision": "reject", "decide-comment": "人手不足"}
    )
    assert response.status_code == 302
    leave.refresh_from_db()
    assert leave.status == "rejected"


def test_a_request_decided_meanwhile_is_said_at_the_top_of_the_approvals(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    services.request_decide(actor=org.users["supervisor"], request=leave, approve=True)
    response = client_for(org, "supervisor").post(
        _request_url(leave.pk, "decide"),
        {"from": "approvals", f"r{leave.pk}-decision": "reject", f"r{leave.pk}-comment": "迟了"},
    )
    assert response.status_code == 400
    assert "there is nothing to decide" in _data(response, "problems")
    leave.refresh_from_db()
    assert leave.status == "approved"


@pytest.mark.parametrize("principal", ["staff", "hr_officer", "administrator"])
def test_only_the_supervisor_decides(org, staff, principal):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    response = client_for(org, principal).post(_request_url(leave.pk, "decide"), {"decide-decision": "approve"})
    assert response.status_code == 403
    leave.refresh_from_db()
    assert leave.status == "pending"


def test_actions_are_post_only(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    supervisor = client_for(org, "supervisor")
    for action in ("decide", "cancel", "send"):
        assert supervisor.get(_request_url(leave.pk, action)).status_code == 405


def test_cancelling_approved_leave_needs_a_reason_and_returns_the_days(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    services.request_decide(actor=org.users["supervisor"], request=leave, approve=True)
    client = client_for(org, "staff")
    response = client.post(_request_url(leave.pk, "cancel"), {"cancel-reason": ""})
    assert response.status_code == 400
    assert "Say why approved leave is cancelled." in response.content.decode()
    assert 'id="cancel" data-testid="cancel" open' in response.content.decode()
    response = client.post(_request_url(leave.pk, "cancel"), {"cancel-reason": "工作安排变化"})
    assert response.status_code == 302
    leave.refresh_from_db()
    assert leave.status == "cancelled"
    assert _data(client.get(MINE), "annual-left").startswith("10")


def test_a_waiting_request_is_withdrawn_without_a_reason(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    response = client_for(org, "staff").post(_request_url(leave.pk, "cancel"), {"cancel-reason": ""})
    assert response.status_code == 302
    leave.refresh_from_db()
    assert leave.status == "withdrawn"


def test_a_drafted_request_looks_like_any_other_and_is_sent_by_the_person(org, staff):
    draft = services.care_draft(
        actor=org.users["counsellor"], person=staff, start_date=date(2026, 3, 23), end_date=date(2026, 3, 24)
    )
    for principal in ("staff", "supervisor"):
        html = client_for(org, principal).get(_request_url(draft.pk)).content.decode().lower()
        for word in ("care", "counsel", "recommend", "咨询", "关怀", "建议"):
            assert word not in html, (principal, word)
    page = client_for(org, "staff").get(_request_url(draft.pk)).content.decode()
    assert 'data-testid="send-draft"' in page and 'value="2026-03-23"' in page
    # The person moves it by a day and sends it.
    response = client_for(org, "staff").post(_request_url(draft.pk, "send"), _form("2026-03-24", "2026-03-25"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.start_date, draft.days) == ("pending", date(2026, 3, 24), 2)
    # A second send is refused beside the form, not a crash.
    response = client_for(org, "staff").post(_request_url(draft.pk, "send"), _form("2026-03-24", "2026-03-25"))
    assert response.status_code == 400
    assert "sent already" in response.content.decode()


# --- The ledger ------------------------------------------------------------------------------------------


def test_the_ledger_explains_the_balance_line_by_line(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    services.request_decide(actor=org.users["supervisor"], request=leave, approve=True)
    response = client_for(org, "staff").get(LEDGER, {"type": "annual", "year": "2026"})
    html = response.content.decode()
    assert re.findall(r'data-testid="running">([^<]*)<', html) == ["10", "6"]
    assert _data(response, "ledger-balance") == "6"
    assert "statutory days for the years of service" in html
    assert leave.reference in html
    # Someone else's ledger: for those who may see their leave; for anyone else it does not exist.
    assert client_for(org, "supervisor").get(LEDGER, {"person": staff.pk}).status_code == 200
    assert client_for(org, "outsider").get(LEDGER, {"person": staff.pk}).status_code == 404
    assert client_for(org, "staff").get(LEDGER, {"year": "1800"}).status_code == 400


def test_the_ledger_reads_a_fixed_number_of_queries(org, staff):
    client = client_for(org, "staff")
    client.get(LEDGER)
    with CaptureQueriesContext(connection) as short:
        client.get(LEDGER, {"type": "annual"})
    for n in range(6):
        services.ledger_adjust(
            actor=org.users["hr_officer"], person=staff, leave_type=_annual(), year=2026, days=1, reason=f"补录{n}"
        )
    with CaptureQueriesContext(connection) as long:
        response = client.get(LEDGER, {"type": "annual"})
    assert len(re.findall(r'data-testid="ledger-line"', response.content.decode())) == 7
    assert len(long) == len(short)


# --- Approvals and the team calendar -------------------------------------------------------------------


def test_hr_sees_waiting_requests_read_only(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    html = client_for(org, "hr_officer").get(APPROVALS).content.decode()
    assert f'data-testid="read-only-row" data-request="{leave.pk}"' in html
    assert 'data-testid="decide-row"' not in html
    assert 'data-testid="nothing-to-decide"' in html


def test_the_outsider_supervisor_sees_nothing_of_town_a(org, staff):
    _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    html = client_for(org, "outsider_supervisor").get(APPROVALS).content.decode()
    assert 'data-testid="decide-row"' not in html and "王静" not in html
    html = client_for(org, "outsider_supervisor").get(TEAM, {"month": "2026-03"}).content.decode()
    assert "王静" not in html


WEEKDAYS_IN_MARCH = [3, 4, 5, 6, 9, 10, 11, 12, 13, 16]


def _more_people_on_leave(org, n: int) -> None:
    personal = LeaveType.objects.get(code="personal")
    for i in range(n):
        person = make_person(org.section_a1, full_name=f"同事{i}", external_id=f"EX-more-{i}")
        day = date(2026, 3, WEEKDAYS_IN_MARCH[i])
        services.request_submit(
            actor=org.users["supervisor"], person=person, data=services.RequestInput(personal, day, day)
        )


def test_approvals_read_a_fixed_number_of_queries(org, staff, django_assert_max_num_queries):
    _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    record = services.overtime_record(
        actor=org.users["staff"],
        person=staff,
        data=services.OvertimeInput(date(2026, 3, 1), OvertimeRecord.Kind.WEEKEND, Decimal(8), "防汛值班"),
    )
    client = client_for(org, "supervisor")
    client.get(APPROVALS)
    with CaptureQueriesContext(connection) as few:
        client.get(APPROVALS)
    _more_people_on_leave(org, 6)
    with django_assert_max_num_queries(len(few)):
        html = client.get(APPROVALS).content.decode()
    assert html.count('data-testid="decide-row"') == 7
    assert f'data-record="{record.pk}"' in html


def test_the_team_calendar_shows_the_months_leave_and_holidays(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    services.request_decide(actor=org.users["supervisor"], request=leave, approve=True)
    client = client_for(org, "supervisor")
    html = client.get(TEAM, {"month": "2026-03"}).content.decode()
    # Thu, Fri, Mon, Tue (not the weekend between) in the grid and in the phone list.
    assert html.count(f'data-testid="leave-chip" data-request="{leave.pk}"') == 4
    for day in ("2026-03-12", "2026-03-13", "2026-03-16", "2026-03-17"):
        assert f'data-date="{day}"' in html
    html = client.get(TEAM, {"month": "2026-02"}).content.decode()
    assert "春节" in html  # the Spring Festival holiday is marked
    assert 'data-date="2026-02-14"' in html and "make-up workday" in html  # a Saturday worked
    # The reader's own leave only when asked for.
    _allocate(org.people["hr_officer"])
    own = _submit(org, date(2026, 3, 19), date(2026, 3, 19), person="hr_officer")
    hr = client_for(org, "hr_officer")
    assert f'data-request="{leave.pk}"' in hr.get(TEAM, {"month": "2026-03"}).content.decode()
    assert f'data-request="{own.pk}"' not in hr.get(TEAM, {"month": "2026-03"}).content.decode()
    assert f'data-request="{own.pk}"' in hr.get(TEAM, {"month": "2026-03", "mine": "1"}).content.decode()


@pytest.mark.parametrize("month", ["2026-13", "March", "1900-01", "2026-03\x00"])
def test_a_bad_month_is_a_form_error(org, month):
    response = client_for(org, "supervisor").get(TEAM, {"month": month})
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.content.decode()


def test_the_team_calendar_reads_a_fixed_number_of_queries(org, staff, django_assert_max_num_queries):
    _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    client = client_for(org, "supervisor")
    client.get(TEAM, {"month": "2026-03"})
    with CaptureQueriesContext(connection) as few:
        client.get(TEAM, {"month": "2026-03"})
    _more_people_on_leave(org, 8)
    with django_assert_max_num_queries(len(few)):
        html = client.get(TEAM, {"month": "2026-03"}).content.decode()
    assert "同事7" in html


def test_my_leave_and_a_persons_page_read_a_fixed_number_of_queries(org, staff, django_assert_max_num_queries):
    _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    staff_client, hr = client_for(org, "staff"), client_for(org, "hr_officer")
    staff_client.get(MINE)
    hr.get(_person_url(staff))
    with CaptureQueriesContext(connection) as mine_few:
        staff_client.get(MINE)
    with CaptureQueriesContext(connection) as person_few:
        hr.get(_person_url(staff))
    for day in (19, 20, 23, 24, 25):
        _submit(org, date(2026, 3, day), date(2026, 3, day), code="personal")
    for day in (7, 8, 1):
        services.overtime_record(
            actor=org.users["staff"],
            person=staff,
            data=services.OvertimeInput(date(2026, 2, day), OvertimeRecord.Kind.WEEKEND, Decimal(4), "值班"),
        )
    with django_assert_max_num_queries(len(mine_few)):
        assert staff_client.get(MINE).content.decode().count('data-testid="request-row"') == 6
    with django_assert_max_num_queries(len(person_few)):
        hr.get(_person_url(staff))


# --- Work on rest days -----------------------------------------------------------------------------------


def test_rest_day_work_is_recorded_confirmed_and_earns_time_off(org, staff):
    client = client_for(org, "staff")
    response = client.post(
        OVERTIME, {"work_date": "2026-03-01", "kind": "weekend", "hours": "8", "purpose": "防汛值班"}
    )
    assert response.status_code == 302
    record = OvertimeRecord.objects.get()
    assert 'data-status="pending"' in client.get(OVERTIME).content.decode()
    supervisor = client_for(org, "supervisor")
    assert f'data-record="{record.pk}"' in supervisor.get(APPROVALS).content.decode()
    # Staff may not confirm their own work.
    assert client.post(f"/leave/overtime/{record.pk}/decide/", {f"o{record.pk}-decision": "confirm"}).status_code == 403
    response = supervisor.post(f"/leave/overtime/{record.pk}/decide/", {f"o{record.pk}-decision": "confirm"})
    assert response.status_code == 302
    page = client.get(MINE)
    assert _data(page, "in-lieu-left").startswith("1")
    assert "2026-04-30" in _data(page, "in-lieu-expiry") or "2026-04-30" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"work_date": "2026-03-07", "kind": "weekend", "hours": "8", "purpose": "值班"}, "work_date"),  # future
        ({"work_date": "2026-03-01", "kind": "weekend", "hours": "30", "purpose": "值班"}, "hours"),
        ({"work_date": "2026-03-01", "kind": "weekend", "hours": "8", "purpose": "值\x00班"}, "purpose"),
        ({"work_date": "2026-03-01", "kind": "lunch", "hours": "8", "purpose": "值班"}, "kind"),
    ],
    ids=["future", "too-many-hours", "nul-byte", "unknown-kind"],
)
def test_bad_rest_day_work_is_refused_next_to_the_field(org, staff, data, field):
    response = client_for(org, "staff").post(OVERTIME, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert re.search(rf'name="{field}"[^>]*is-invalid|is-invalid[^>]*name="{field}"', response.content.decode())
    assert not OvertimeRecord.objects.exists()


def test_not_confirming_needs_a_comment(org, staff):
    record = services.overtime_record(
        actor=org.users["staff"],
        person=staff,
        data=services.OvertimeInput(date(2026, 3, 1), OvertimeRecord.Kind.WEEKEND, Decimal(8), "值班"),
    )
    response = client_for(org, "supervisor").post(
        f"/leave/overtime/{record.pk}/decide/", {f"o{record.pk}-decision": "reject", f"o{record.pk}-comment": ""}
    )
    assert response.status_code == 400
    assert "Say why this work is not confirmed." in response.content.decode()
    record.refresh_from_db()
    assert record.status == "pending"


# --- A person's leave: HR's adjustments --------------------------------------------------------------------


def test_hr_adjusts_a_balance_with_a_reason(org, staff):
    hr = client_for(org, "hr_officer")
    assert 'data-testid="adjust"' in hr.get(_person_url(staff)).content.decode()
    response = hr.post(
        _person_url(staff, "adjust"),
        {"adjust-leave_type": "annual", "adjust-year": "2026", "adjust-days": "2", "adjust-reason": "补录2025年度结转"},
    )
    assert response.status_code == 302 and response["Location"] == f"{_person_url(staff)}?year=2026"
    assert _data(hr.get(_person_url(staff)), "annual-left").startswith("12")
    # Without a reason: the error beside the reason, nothing written.
    before = LeaveLedgerEntry.objects.count()
    response = hr.post(
        _person_url(staff, "adjust"),
        {"adjust-leave_type": "annual", "adjust-year": "2026", "adjust-days": "1", "adjust-reason": ""},
    )
    assert response.status_code == 400
    assert response.context["forms"]["adjust"].errors["reason"]
    assert 'id="adjust" data-testid="adjust" open' in response.content.decode()
    assert LeaveLedgerEntry.objects.count() == before


@pytest.mark.parametrize(("principal", "status"), [("supervisor", 403), ("staff", 403), ("outsider_supervisor", 404)])
def test_only_hr_adjusts(org, staff, principal, status):
    client = client_for(org, principal)
    if status == 403:
        assert 'data-testid="adjust"' not in client.get(_person_url(staff)).content.decode()
    response = client.post(
        _person_url(staff, "adjust"),
        {"adjust-leave_type": "annual", "adjust-year": "2026", "adjust-days": "2", "adjust-reason": "x"},
    )
    assert response.status_code == status
    assert selectors.balances_for(staff, 2026)[0].balance == 10


def test_hr_carries_leave_over_once(org, staff):
    hr = client_for(org, "hr_officer")
    data = {"carry-year": "2026", "carry-days": "3", "carry-reason": "防汛未能休假"}
    assert hr.post(_person_url(staff, "carry-over"), data).status_code == 302
    assert selectors.balances_for(staff, 2027)[0].balance == 3
    response = hr.post(_person_url(staff, "carry-over"), data)
    assert response.status_code == 400
    assert "carried over already" in response.content.decode()


# --- The holiday calendar ----------------------------------------------------------------------------------


def test_the_holiday_calendar_lists_the_years_holidays_and_make_up_workdays(org):
    client = client_for(org, "staff")
    response = client.get(CALENDAR, {"year": "2026"})
    html = response.content.decode()
    assert "春节" in html and "国庆节" in html
    assert "02-14" in html  # a Saturday worked for the Spring Festival
    assert 'data-testid="provisional"' not in html
    assert 'data-testid="provisional"' in client.get(CALENDAR, {"year": "2027"}).content.decode()
    assert client.get(CALENDAR, {"year": "1900"}).status_code == 400


# --- Home ------------------------------------------------------------------------------------------------


def _sections(org, principal) -> dict:
    request = RequestFactory().get("/")
    request.user = org.users[principal]
    return {s.key: s for provider in SECTIONS for s in provider(request)}


def test_home_shows_the_supervisor_what_waits_and_staff_their_balance(org, staff):
    leave = _submit(org, date(2026, 3, 12), date(2026, 3, 17))
    supervisor = _sections(org, "supervisor")
    assert [i.key for i in supervisor["leave-to-decide"].items] == [f"leave-request-{leave.pk}"]
    mine = _sections(org, "staff")["my-leave"]
    assert mine.items[0].text == "Annual leave 2026: 6 days left"
    assert [i.key for i in mine.items[1:]] == [f"leave-mine-{leave.pk}"]
    assert "leave-to-decide" not in _sections(org, "staff")
    assert "leave-to-decide" not in _sections(org, "outsider_supervisor")
    # The home page itself renders them.
    html = client_for(org, "supervisor").get("/").content.decode()
    assert f'data-key="leave-request-{leave.pk}"' in html


def test_a_draft_on_the_home_page_asks_to_be_sent_and_says_nothing_more(org, staff):
    draft = services.care_draft(
        actor=org.users["counsellor"], person=staff, start_date=date(2026, 3, 23), end_date=date(2026, 3, 24)
    )
    item = next(i for i in _sections(org, "staff")["my-leave"].items if i.key == f"leave-mine-{draft.pk}")
    assert item.action == ("Check and send", _request_url(draft.pk))
    assert "care" not in repr(item).lower()


def test_no_page_leaks_a_500_on_odd_ids(org):
    client = client_for(org, "supervisor")
    for url in ("/leave/requests/99999999999/", "/leave/people/99999999999/", "/leave/overtime/99999999999/decide/"):
        response = client.post(url) if "decide" in url else client.get(url)
        assert response.status_code == 404, url
    assert client.get(PREVIEW, {"start_date": "2026-03-12", "leave_type": "x" * 500}).status_code == 200
    assert client.get(LEDGER, {"type": "nope", "person": "abc"}).status_code == 400
