"""Access matrix: the counselling team's screening pages (issue 9). A person's results and one result
are the counselling team's (access.md "screening result": a counsellor for people on their caseload,
the lead counsellor all); the person themself reads theirs on their own result page, and everyone else
is told it does not exist (404). The rota: counsellors and the lead counsellor read it, only the lead
counsellor changes it (403 for anyone else)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.conftest import Org
from tests.matrix import Entry, pages
from wellbeing.models import Screening
from wellbeing.screening import services
from wellbeing.services.oncall import oncall_shift_create

#: The counselling team: the counsellor (the person is on their caseload) and the lead counsellor.
TEAM_PAGE = pages({}, default_user=404) | {"counsellor": 200, "lead_counsellor": 200}
TEAM_ACTION = pages({}, default_user=404) | {"counsellor": 302, "lead_counsellor": 302}
ROTA_PAGE = pages({}, default_user=403) | {"counsellor": 200, "lead_counsellor": 200}
ROTA_CHANGE = pages({}, default_user=403) | {"lead_counsellor": 302}


def _red_screening(org: Org) -> Screening:
    """The counsellor is on call; the staff member's red PHQ-9 (item 9 > 0) is referred to them, so
    the staff member is on the counsellor's caseload."""
    today = timezone.localdate()
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=today, ends_on=today
    )
    return services.screening_submit(
        actor=org.users["staff"], instrument="phq9", answers=[0, 0, 0, 0, 0, 0, 0, 0, 1], consent=True
    ).screening


def staff_results(org: Org) -> dict:
    _red_screening(org)
    return {"external_id": org.people["staff"].external_id}


def staff_result(org: Org) -> dict:
    return {"pk": _red_screening(org).pk}


def future_shift(org: Org) -> dict:
    start = timezone.localdate() + timedelta(days=20)
    shift = oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=start, ends_on=start
    )
    return {"pk": shift.pk}


def new_shift(org: Org) -> dict:
    start = timezone.localdate() + timedelta(days=10)
    return {"counsellor": org.users["counsellor"].pk, "starts_on": start.isoformat(), "span": "week"}


ENTRIES = {
    "screening:person": Entry(TEAM_PAGE, kwargs=staff_results),
    "screening:detail": Entry(TEAM_PAGE, kwargs=staff_result),
    "screening:review": Entry(
        TEAM_ACTION, kwargs=staff_result, method="post", data={"tier": "orange", "reason": "已联系本人"}
    ),
    "screening:oncall": Entry(ROTA_PAGE),
    "screening:oncall_add": Entry(ROTA_CHANGE, method="post", data=new_shift),
    "screening:oncall_remove": Entry(ROTA_CHANGE, kwargs=future_shift, method="post"),
}
