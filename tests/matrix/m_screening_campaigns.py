"""Access matrix entries for the check-up pages (issue 9, item 4; access.md "screening result":
supervisors see completion only, the leading group counts, the lead counsellor all)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.conftest import Org
from tests.matrix import Entry, pages
from wellbeing.models import Instrument
from wellbeing.screening.campaigns import campaign_create


def campaign_of_town_a(org: Org) -> dict:
    """A check-up of town A, open today: town B's supervisor does not find it."""
    campaign = campaign_create(
        actor=org.users["leading_group"],
        name="城关镇心理体检",
        units=[org.town_a],
        instruments=list(Instrument.objects.filter(code="phq9")),
        opens_on=timezone.localdate(),
        closes_on=timezone.localdate() + timedelta(days=14),
    )
    return {"pk": campaign.pk}


ENTRIES = {
    "screening:campaigns": Entry(
        pages(
            {"supervisor": 200, "outsider_supervisor": 200, "lead_counsellor": 200, "leading_group": 200},
            default_user=403,
        )
    ),
    "screening:campaign_new": Entry(pages({"lead_counsellor": 200, "leading_group": 200}, default_user=403)),
    "screening:campaign": Entry(
        pages({"supervisor": 200, "lead_counsellor": 200, "leading_group": 200}, default_user=404),
        kwargs=campaign_of_town_a,
    ),
}
