"""The access matrix for the screening API (issue 9, item 6): /api/v1/screenings/ and /api/v1/instruments/.

No API client scope reaches screening (access.md: screening results "never"): 403 for every token.
Everyone signed in here has a staff record, so everyone may take a questionnaire and list results
(their own; a counsellor's caseload; the lead counsellor's consented people). One result: the person,
the counsellor it was referred to (their caseload) and the lead counsellor; anyone else gets 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.conftest import API_ROLES, Org
from tests.matrix import Entry, api
from wellbeing.screening import services
from wellbeing.services.oncall import oncall_shift_create

PHQ9_MODERATE = [2, 2, 2, 1, 1, 1, 1, 1, 0]  # 11: yellow
PHQ9_ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # item 9 > 0: red

NO_API_CLIENT = dict.fromkeys(API_ROLES, 403)
#: Reads and writes for people signed in: every signed-in principal 200, tokens 403.
SIGNED_IN = api({}) | NO_API_CLIENT


def staff_red_result(org: Org) -> dict:
    """The staff member's red PHQ-9, referred to the counsellor on call (so on their caseload)."""
    today = timezone.localdate()
    oncall_shift_create(
        actor=org.users["lead_counsellor"],
        counsellor=org.users["counsellor"],
        starts_on=today,
        ends_on=today + timedelta(days=6),
    )
    submitted = services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_ITEM9, consent=True)
    return {"pk": submitted.screening.pk}


def staff_yellow_result(org: Org) -> dict:
    submitted = services.screening_submit(
        actor=org.users["staff"], instrument="phq9", answers=PHQ9_MODERATE, consent=True
    )
    return {"pk": submitted.screening.pk}


def phq9(org: Org) -> dict:
    return {"code": "phq9"}


ENTRIES = {
    # Everyone signed in lists (what they may see: tests/wellbeing/test_screening_api.py checks the rows).
    "screening-list": Entry(SIGNED_IN, api=True),
    "screening-detail": Entry(
        api({}, default_user=404) | {"staff": 200, "counsellor": 200, "lead_counsellor": 200} | NO_API_CLIENT,
        kwargs=staff_red_result,
        api=True,
    ),
    # Asking for a counsellor about a result: the person themself only (anyone else: as if missing).
    "screening-ask-counsellor": Entry(
        api({}, default_user=404) | {"staff": 200} | NO_API_CLIENT,
        kwargs=staff_yellow_result,
        method="post",
        api=True,
    ),
    "instrument-list": Entry(SIGNED_IN, api=True),
    "instrument-detail": Entry(SIGNED_IN, kwargs=phq9, api=True),
}
