"""Access matrix: a member of staff's screening pages (issue 9). Everyone with a staff record may take
questionnaires and see their own results (every signed-in principal of the org fixture has one); a
result or reminder is its owner's alone: anyone else is told it does not exist (404)."""

from __future__ import annotations

from tests.conftest import USER_ROLES, Org
from tests.matrix import Entry, pages
from wellbeing.models import FollowUp
from wellbeing.screening import services

PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 0, 0]  # 7: green
PHQ9_MODERATE = [2, 2, 2, 1, 1, 1, 1, 1, 0]  # 11: yellow (a re-screening reminder)


def phq9_with_consent(org: Org) -> dict:
    """Everyone has consented, so the questionnaire itself is shown (without consent: the notice)."""
    for role in USER_ROLES:
        services.consent_give(actor=org.users[role])
    return {"code": "phq9"}


def staff_result(org: Org) -> dict:
    submitted = services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_MILD, consent=True)
    return {"pk": submitted.screening.pk}


def staff_reminder(org: Org) -> dict:
    services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_MODERATE, consent=True)
    reminder = FollowUp.objects.get(owner=org.users["staff"], kind=FollowUp.Kind.SCREENING_INVITATION)
    return {"pk": reminder.pk}


OWN_ONLY = pages({}, default_user=404)

ENTRIES = {
    "screening:home": Entry(pages({})),
    "screening:consent": Entry(pages({})),
    "screening:withdraw": Entry(pages({}, default_user=302), method="post"),
    "screening:take": Entry(pages({}), kwargs=phq9_with_consent),
    "screening:result": Entry(OWN_ONLY | {"staff": 200}, kwargs=staff_result),
    "screening:ask": Entry(OWN_ONLY | {"staff": 302}, kwargs=staff_result, method="post"),
    "screening:decline": Entry(OWN_ONLY | {"staff": 302}, kwargs=staff_reminder, method="post"),
}
