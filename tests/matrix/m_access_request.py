"""The access request (docs/privacy.md): a person exports their own records; an administrator
answers a person's written request from the person's page."""

from tests.conftest import Org
from tests.matrix import Entry, pages


def colleague(org: Org) -> dict:
    return {"external_id": org.people["colleague"].external_id}


ENTRIES = {
    # Everyone here has a person record (a login without one gets 403: tests/wellbeing/test_access_request.py).
    "my-records-export": Entry(pages({}), method="post"),
    # Administrators answer a written request; those who see the person otherwise are refused (403),
    # everyone else is told the person does not exist (404).
    "person-access-request": Entry(
        pages({}, default_user=404)
        | {"administrator": 200, "supervisor": 403, "hr_officer": 403, "lead_counsellor": 403},
        kwargs=colleague,
    ),
}
