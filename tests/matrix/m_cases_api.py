"""The access matrix for the cases API (issue 10, item 8): /api/v1/cases/ (with a case's notes and
interventions) and /api/v1/referrals/.

Cases are for counsellors and the lead counsellor (access.md "case: existence, risk, status" and "case
notes"): a counsellor sees the cases they hold, the lead counsellor every case; anyone else signed in is
refused (403) before any case is looked up, so nothing says whether a case exists. No API client scope
reads any of it (403). Referrals: everyone signed in lists the ones the policy lets them see (a referrer
the status of the ones they made); one referral is for the lead counsellor, the counsellor it is
assigned to and its referrer, anyone else gets 404.
"""

from __future__ import annotations

from cases import services
from tests.conftest import API_ROLES, Org
from tests.factories import make_person
from tests.matrix import Entry, api
from wellbeing.services import referral_create

NO_API_CLIENT = dict.fromkeys(API_ROLES, 403)
#: Counsellors and the lead counsellor; everyone else signed in 403, tokens 403.
COUNSELLORS = api({}, default_user=403) | {"counsellor": 200, "lead_counsellor": 200} | NO_API_CLIENT


def counsellors_case(org: Org) -> dict:
    """A case on the counsellor's caseload (a colleague in A1 referred by their supervisor)."""
    person = make_person(org.section_a1, full_name="林个案")
    referral = referral_create(
        actor=org.users["supervisor"], person=person, urgency="soon", reason="work_pressure", note="备注"
    )
    case = services.case_open(actor=org.users["lead_counsellor"], referral=referral, counsellor=org.users["counsellor"])
    services.note_add(actor=org.users["counsellor"], case=case, data=services.NoteInput(data="电话联系"))
    return {"pk": case.pk}


def referral(org: Org) -> dict:
    return {"pk": org.referral.pk}


ENTRIES = {
    "case-list": Entry(COUNSELLORS, api=True),
    "case-detail": Entry(COUNSELLORS, kwargs=counsellors_case, api=True),
    "case-notes": Entry(COUNSELLORS, kwargs=counsellors_case, api=True),
    "case-interventions": Entry(COUNSELLORS, kwargs=counsellors_case, api=True),
    # Everyone signed in lists (what they may see: tests/cases/test_api.py checks the rows and fields).
    "api-referral-list": Entry(api({}) | NO_API_CLIENT, api=True),
    # The fixture's referral: made by the supervisor, waiting with the lead counsellor.
    "api-referral-detail": Entry(
        api({}, default_user=404) | {"supervisor": 200, "lead_counsellor": 200} | NO_API_CLIENT,
        kwargs=referral,
        api=True,
    ),
}
