"""Referrals nobody can miss: nothing preselected, and an open referral shown before a second."""

from wellbeing import services
from wellbeing.models import Referral


def test_the_referral_form_preselects_neither_urgency_nor_reason(org, as_principal):
    response = as_principal("supervisor").get(f"/people/{org.people['staff'].external_id}/refer/")
    form = response.context["form"]
    assert form["urgency"].value() in (None, "") and form["reason"].value() in (None, "")
    refused = as_principal("supervisor").post(f"/people/{org.people['staff'].external_id}/refer/", {})
    assert refused.status_code == 400
    assert {"urgency", "reason"} <= set(refused.context["form"].errors)
    assert not Referral.objects.filter(person=org.people["staff"]).exists()


def test_an_open_referral_is_shown_before_a_second_is_made(org, as_principal):
    # The org fixture's supervisor referred the colleague already (status received).
    html = as_principal("supervisor").get(f"/people/{org.people['colleague'].external_id}/refer/").content.decode()
    assert 'data-testid="open-referrals"' in html
    staff_page = as_principal("supervisor").get(f"/people/{org.people['staff'].external_id}/refer/")
    assert 'data-testid="open-referrals"' not in staff_page.content.decode()


def test_the_referrer_sees_only_their_own_open_referrals_there(org, as_principal):
    services.referral_create(
        actor=org.users["lead_counsellor"], person=org.people["staff"], urgency="soon", reason="family"
    )
    html = as_principal("supervisor").get(f"/people/{org.people['staff'].external_id}/refer/").content.decode()
    assert 'data-testid="open-referrals"' not in html  # made by someone else: not the supervisor's to see


def test_the_talk_form_asks_for_the_referrals_urgency(org, as_principal):
    from django.utils import timezone

    data = {
        "participants": [org.people["colleague"].pk],
        "kind": "individual",
        "occasion": "routine",
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "confidentiality": "normal",
        "main_content": "x",
        "refer": "on",
        "referral_reason": "work_pressure",
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
    }
    response = as_principal("supervisor").post("/talks/new/", data)
    assert response.status_code == 400 and "referral_urgency" in response.context["form"].errors


def test_untouched_fields_get_no_green_tick(org, as_principal):
    refused = as_principal("supervisor").post(f"/people/{org.people['staff'].external_id}/refer/", {})
    html = refused.content.decode()
    assert "is-invalid" in html and "is-valid" not in html.replace("is-invalid", "")
