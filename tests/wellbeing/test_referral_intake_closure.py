"""A referral's intake follow-up ends with the referral (acknowledged, taken in or closed on its page),
never with a bare "done" or a "set aside" on the follow-up that would leave the referral "received"."""

import pytest

from wellbeing import services
from wellbeing.models import FollowUp, Referral

pytestmark = pytest.mark.django_db


def test_the_intake_follow_up_offers_the_referral_not_done(as_principal, org):
    f = org.referral.followup
    client = as_principal("lead_counsellor")
    page = client.get(f"/follow-ups/{f.pk}/").content.decode()
    assert f'href="/referrals/{org.referral.pk}/"' in page and 'data-testid="record-action"' in page
    assert f'action="/follow-ups/{f.pk}/complete/"' not in page and 'data-testid="set-aside"' not in page

    client.post(f"/follow-ups/{f.pk}/complete/", {"outcome": ""})
    client.post(f"/follow-ups/{f.pk}/set-aside/", {"reason": "other", "note": "x"})
    f.refresh_from_db()
    assert f.is_active  # neither a bare "done" nor a "set aside" ends it
    api = as_principal("lead_counsellor", api=True).post(f"/api/v1/follow-ups/{f.pk}/complete/", {}, format="json")
    assert api.status_code == 400
    f.refresh_from_db()
    assert f.is_active


def test_acknowledging_the_referral_ends_its_follow_up(org):
    referral = services.referral_acknowledge(actor=org.users["lead_counsellor"], referral=org.referral)
    assert referral.status == Referral.Status.ACKNOWLEDGED
    assert FollowUp.objects.get(pk=referral.followup_id).status == FollowUp.Status.DONE
