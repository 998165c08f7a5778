"""What the cases app changes in the core's referral flow: imminent risk reaches the lead counsellor
as well as the on-call counsellor, and taking a referral in happens on the triage page."""

import pytest
from django.utils import timezone

from tests.conftest import client_for
from wellbeing import services
from wellbeing.models import Notification, Referral, Tier
from wellbeing.services.oncall import oncall_shift_create

pytestmark = pytest.mark.django_db


def test_an_imminent_referral_goes_to_the_on_call_counsellor_and_tells_the_lead(org):
    today = timezone.localdate()
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=today, ends_on=today
    )
    referral = services.referral_create(
        actor=org.users["supervisor"],
        person=org.people["staff"],
        urgency="imminent",
        reason="self_harm",
        note="他说不想活了",
    )
    assert referral.assigned_to == org.users["counsellor"]
    item = Notification.objects.get(recipient=org.users["lead_counsellor"], message_key="referral.imminent")
    assert item.tier == Tier.RED and item.url == f"/referrals/{referral.pk}/"
    # Names the on-call counsellor who has it, never the person or the reason.
    assert "刘咨询" in item.display_title and "王静" not in item.display_title and "不想活" not in item.display_title
    assert not Notification.objects.filter(recipient=org.users["counsellor"], message_key="referral.imminent").exists()


def test_the_lead_counsellor_who_owns_it_is_not_told_twice(org):
    referral = services.referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="imminent", reason="self_harm"
    )
    assert referral.assigned_to == org.users["lead_counsellor"]  # nobody on call
    assert not Notification.objects.filter(message_key="referral.imminent").exists()


def test_a_less_urgent_referral_tells_nobody_extra(org):
    services.referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="urgent", reason="family"
    )
    assert not Notification.objects.filter(message_key="referral.imminent").exists()


def test_taking_in_on_the_referral_page_goes_to_triage(org):
    lead = client_for(org, "lead_counsellor")
    response = lead.post(f"/referrals/{org.referral.pk}/take-in/")
    assert response.status_code == 302 and response["Location"] == f"/cases/intake/{org.referral.pk}/"
    org.referral.refresh_from_db()
    assert org.referral.status == Referral.Status.RECEIVED
    page = lead.get(f"/referrals/{org.referral.pk}/").content.decode()
    assert f'href="/cases/intake/{org.referral.pk}/"' in page and 'data-testid="take-in"' not in page
