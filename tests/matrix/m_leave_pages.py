"""Access matrix: the leave pages (issue 11; access.md "leave balances and requests"). One's own leave,
requesting it, the ledger, rest-day work and the holiday calendar are every staff member's; approvals
and the team calendar are for supervisors and HR officers (403 for anyone else); a request or a
person's leave is seen by the person, their supervisor, their unit's HR officer and administrators
(everyone else: 404, as if it did not exist). Deciding is the supervisor's, adjusting and carrying over
HR's (403 for others who see the record). The reports are in the reports' own module.

The matrix runs on the wall clock: the dates below are working days counted from today."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from leave import services
from leave.calendar import Calendar
from leave.models import LeaveRequest, LeaveType, OvertimeRecord
from tests.conftest import Org
from tests.matrix import Entry, pages

TEAM_PAGE = pages({}, default_user=403) | {"supervisor": 200, "outsider_supervisor": 200, "hr_officer": 200}
#: The staff member's leave: themself, their supervisor, town A's HR officer, the administrator.
STAFF_LEAVE = pages({}, default_user=404) | {"staff": 200, "supervisor": 200, "hr_officer": 200, "administrator": 200}


def _working_day(ahead: int) -> date:
    return Calendar().add_working_days(timezone.localdate(), ahead)


def _request_form(day: date) -> dict:
    return {"leave_type": "personal", "start_date": day.isoformat(), "end_date": day.isoformat()}


def pending_request(org: Org) -> dict:
    """A day of personal leave (no balance needed) the staff member asked for, waiting for the supervisor."""
    day = _working_day(5)
    leave = services.request_submit(
        actor=org.users["staff"],
        person=org.people["staff"],
        data=services.RequestInput(LeaveType.objects.get(code="personal"), day, day),
    )
    return {"pk": leave.pk}


def drafted_request(org: Org) -> dict:
    day = _working_day(6)
    draft = services.care_draft(actor=org.users["counsellor"], person=org.people["staff"], start_date=day, end_date=day)
    return {"pk": draft.pk}


def send_the_draft(org: Org) -> dict:
    return _request_form(LeaveRequest.objects.get(status=LeaveRequest.Status.DRAFT).start_date)


def pending_rest_day_work(org: Org) -> dict:
    record = services.overtime_record(
        actor=org.users["staff"],
        person=org.people["staff"],
        data=services.OvertimeInput(
            timezone.localdate() - timedelta(days=1), OvertimeRecord.Kind.NIGHT, 4, "夜间防汛值班"
        ),
    )
    return {"pk": record.pk}


def do_not_confirm(org: Org) -> dict:
    pk = OvertimeRecord.objects.get().pk
    return {f"o{pk}-decision": "reject", f"o{pk}-comment": "当晚未排班"}


def the_staff_member(org: Org) -> dict:
    return {"person_id": org.people["staff"].pk}


def the_staff_member_with_this_years_leave(org: Org) -> dict:
    person = org.people["staff"]
    person.work_start_date = date(2014, 7, 1)
    person.save(update_fields=["work_start_date"])
    services.annual_reconcile(actor=org.users["hr_officer"], person=person, year=timezone.localdate().year)
    return {"person_id": person.pk}


def add_a_day(org: Org) -> dict:
    return {
        "adjust-leave_type": "annual",
        "adjust-year": timezone.localdate().year,
        "adjust-days": "1",
        "adjust-reason": "补录",
    }


def carry_a_day(org: Org) -> dict:
    return {"carry-year": timezone.localdate().year, "carry-days": "1", "carry-reason": "防汛未能休假"}


#: Whoever may request leave for the staff member: themself, their supervisor, town A's HR officer.
MAY_ACT = {"staff": 302, "supervisor": 302, "hr_officer": 302, "administrator": 403}

ENTRIES = {
    "leave:mine": Entry(pages({})),
    "leave:new": Entry(pages({})),
    "leave:preview": Entry(pages({})),
    "leave:ledger": Entry(pages({})),
    "leave:overtime": Entry(pages({})),
    "leave:calendar": Entry(pages({})),
    "leave:approvals": Entry(TEAM_PAGE),
    "leave:team": Entry(TEAM_PAGE),
    "leave:request": Entry(STAFF_LEAVE, kwargs=pending_request),
    "leave:send": Entry(
        pages({}, default_user=404) | {"staff": 302}, kwargs=drafted_request, method="post", data=send_the_draft
    ),
    # Rejecting (approving would be the same rule): the supervisor only; the others who see it are refused.
    "leave:decide": Entry(
        pages({}, default_user=404) | {"supervisor": 302, "staff": 403, "hr_officer": 403, "administrator": 403},
        kwargs=pending_request,
        method="post",
        data={"decide-decision": "reject", "decide-comment": "人手不足"},
    ),
    # Withdrawing a waiting request: the person, their supervisor or HR; the administrator reads only.
    "leave:cancel": Entry(
        pages({}, default_user=404) | MAY_ACT, kwargs=pending_request, method="post", data={"cancel-reason": ""}
    ),
    "leave:overtime-decide": Entry(
        pages({}, default_user=404) | {"supervisor": 302, "staff": 403, "hr_officer": 403, "administrator": 403},
        kwargs=pending_rest_day_work,
        method="post",
        data=do_not_confirm,
    ),
    "leave:person": Entry(STAFF_LEAVE, kwargs=the_staff_member),
    "leave:adjust": Entry(
        pages({}, default_user=404) | {"hr_officer": 302, "staff": 403, "supervisor": 403, "administrator": 403},
        kwargs=the_staff_member,
        method="post",
        data=add_a_day,
    ),
    "leave:carry-over": Entry(
        pages({}, default_user=404) | {"hr_officer": 302, "staff": 403, "supervisor": 403, "administrator": 403},
        kwargs=the_staff_member_with_this_years_leave,
        method="post",
        data=carry_a_day,
    ),
}
