"""The access matrix for the leave API (issue 11, item 8): /api/v1/leave/types/, balances/, requests/
(with decide and cancel), ledger/, working-days/ and holidays/.

Everything needs ``leave.calendar``: anyone signed in, or an API client with a leave scope (the
fixture's "api_client" has people:read and org:read: 403 everywhere; "api_client_no_scope" has
leave:read). A person's leave is for the person, their supervisor (town A), the HR officer of their
unit (town A) and administrators; counsellors for people on their caseload (none here); anyone else
is told it does not exist (404). Deciding is the supervisor's alone; withdrawing the person's, their
supervisor's and their HR officer's; leave:read does not write (403). tests/leave/test_api.py checks
the rows and fields each principal gets.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from leave import services
from leave.models import LeaveType
from tests.conftest import Org
from tests.matrix import Entry, api

#: The fixture's API clients: people:read + org:read (no leave scope: 403), and leave:read.
CLIENTS = {"api_client": 403, "api_client_no_scope": 200}
#: Anyone signed in, and leave:read.
EVERYONE = api({}) | CLIENTS
#: The staff member's leave (A1): themselves, A's supervisor, A's HR officer, administrators, leave:read.
STAFF_LEAVE = api({}, default_user=404) | {
    "staff": 200,
    "supervisor": 200,
    "hr_officer": 200,
    "administrator": 200,
    **CLIENTS,
}


def staff_only(org: Org) -> dict:
    return {"person": org.people["staff"].external_id}


def days_ahead() -> tuple[date, date]:
    """Two weeks starting a fortnight from today: always some working days, always within a year."""
    start = timezone.localdate() + timedelta(days=14)
    return start, start + timedelta(days=13)


def staff_request(org: Org) -> dict:
    """Personal leave (no balance needed) the staff member asked for, waiting for the supervisor."""
    start, end = days_ahead()
    request = services.request_submit(
        actor=org.users["staff"],
        person=org.people["staff"],
        data=services.RequestInput(LeaveType.objects.get(code="personal"), start, end),
    )
    return {"pk": request.pk}


def week(org: Org) -> dict:
    start, _end = days_ahead()
    return {"start": start.isoformat(), "end": (start + timedelta(days=6)).isoformat()}


ENTRIES = {
    "leave-types": Entry(EVERYONE, api=True),
    "leave-working-days": Entry(EVERYONE, data=week, api=True),
    "leave-holidays": Entry(EVERYONE, api=True),
    # Named: the staff member's balances and ledger. (Unnamed, a user gets their own: the rows test.)
    "leave-balances": Entry(STAFF_LEAVE, data=staff_only, api=True),
    "leave-ledger": Entry(STAFF_LEAVE, data=staff_only, api=True),
    # Everyone signed in lists (what they may see: tests/leave/test_api.py checks the rows, and who may
    # POST a request for whom - one URL name, one entry here).
    "leave-request-list": Entry(EVERYONE, api=True),
    "leave-request-detail": Entry(STAFF_LEAVE, kwargs=staff_request, api=True),
    "leave-request-decide": Entry(
        STAFF_LEAVE | {"staff": 403, "hr_officer": 403, "administrator": 403, "api_client_no_scope": 403},
        kwargs=staff_request,
        method="post",
        data={"approve": True, "comment": "同意"},
        api=True,
    ),
    "leave-request-cancel": Entry(
        STAFF_LEAVE | {"administrator": 403, "api_client_no_scope": 403},
        kwargs=staff_request,
        method="post",
        data={"reason": "计划变化"},
        api=True,
    ),
}
