"""Access matrix: the cases app's list pages (issue 10). The board, the intake and the transfers are
the counselling team's (403 for anyone else, as role pages are); the team view and quick assignment
are the lead counsellor's; triage is the lead counsellor's (or the on-call counsellor's for an imminent
referral assigned to them) and a 404 for everyone else; self-referral is every staff member's;
emergency access is for counsellors and administrators (403 for anyone else)."""

from __future__ import annotations

from cases import services
from cases.models import Case
from tests.conftest import Org
from tests.matrix import Entry, pages

TEAM_PAGE = pages({}, default_user=403) | {"counsellor": 200, "lead_counsellor": 200}
LEAD_PAGE = pages({}, default_user=403) | {"lead_counsellor": 200}


def referral(org: Org) -> dict:
    """The fixture's "soon" referral about the colleague, waiting for the lead counsellor."""
    return {"referral_pk": org.referral.pk}


def unassigned_case(org: Org) -> dict:
    case = services.case_open(actor=org.users["lead_counsellor"], referral=org.referral)
    return {"pk": case.pk}


def assign_to_the_counsellor(org: Org) -> dict:
    case = Case.objects.get(person=org.people["colleague"])
    return {f"c{case.pk}-counsellor": org.users["counsellor"].pk}


ENTRIES = {
    "cases:board": Entry(TEAM_PAGE),
    "cases:intake": Entry(TEAM_PAGE),
    "cases:transfers": Entry(TEAM_PAGE),
    "cases:triage": Entry(pages({}, default_user=404) | {"lead_counsellor": 200}, kwargs=referral),
    "cases:team": Entry(LEAD_PAGE),
    # A case nobody holds: only the lead counsellor sees it (and assigns it); for everyone else it
    # does not exist.
    "cases:assign": Entry(
        pages({}, default_user=404) | {"lead_counsellor": 302},
        kwargs=unassigned_case,
        method="post",
        data=assign_to_the_counsellor,
    ),
    # Every principal here has a staff record (a login without one gets 404: tests/cases/test_board_pages.py).
    "cases:self-referral": Entry(pages({})),
    "cases:break-glass": Entry(pages({}, default_user=403) | {"counsellor": 200, "administrator": 200}),
}
