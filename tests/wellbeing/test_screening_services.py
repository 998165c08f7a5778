"""Taking a screening: consent, what each tier triggers, double taps, bad input (issue 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wellbeing.encryption import decrypt_text
from wellbeing.models import (
    AuditEvent,
    FollowUp,
    Notification,
    OnCallShift,
    Referral,
    Screening,
    ScreeningConsent,
    Tier,
)
from wellbeing.screening import services
from wellbeing.services.oncall import oncall_shift_create

pytestmark = pytest.mark.django_db

PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 0, 0]  # 7: mild, green
PHQ9_MODERATE = [2, 2, 2, 1, 1, 1, 1, 1, 0]  # 11: moderate, yellow
PHQ9_SEVERE = [2, 2, 2, 2, 2, 2, 2, 2, 0]  # 16: moderately severe, orange
PHQ9_ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # 1: none, but item 9 > 0: red


def submit(org, answers, **kwargs):
    kwargs.setdefault("consent", True)
    return services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=answers, **kwargs)


def test_it_refuses_a_screening_without_consent_and_stores_nothing(org):
    with pytest.raises(ValidationError) as exc:
        submit(org, PHQ9_MILD, consent=False)
    assert "consent" in exc.value.message_dict
    assert not Screening.objects.exists()
    assert not ScreeningConsent.objects.exists()


def test_consent_true_records_the_separate_consent_once(org):
    submit(org, PHQ9_MILD)
    submit(org, PHQ9_MILD)
    consent = ScreeningConsent.objects.get()
    assert consent.person == org.people["staff"] and consent.notice_version == services.NOTICE_VERSION
    assert Screening.objects.count() == 2  # taking the same questionnaire again is normal


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ([0] * 8, {"answers"}),
        ([0] * 10, {"answers"}),
        ([0, 0, 0, 0, 4, 0, 0, 0, 0], {"item_5"}),
        ([0, 0, -1, 0, 0, 0, 0, 0, None], {"item_3", "item_9"}),
        ("0,0,0", {"answers"}),
    ],
)
def test_bad_answers_are_refused_per_item_and_store_nothing(org, answers, errors):
    with pytest.raises(ValidationError) as exc:
        submit(org, answers)
    assert set(exc.value.message_dict) == errors
    assert not Screening.objects.exists()
    assert not ScreeningConsent.objects.exists()  # the consent given with it is not kept either


def test_an_unknown_instrument_is_refused(org):
    with pytest.raises(ValidationError) as exc:
        services.screening_submit(actor=org.users["staff"], instrument="scl90", answers=[0] * 90, consent=True)
    assert "instrument" in exc.value.message_dict


def test_the_same_submission_twice_stores_one_result(org):
    first = submit(org, PHQ9_SEVERE, submission_key="tap-1")
    again = submit(org, PHQ9_SEVERE, submission_key="tap-1")
    assert first.created and not again.created
    assert again.screening.pk == first.screening.pk
    assert Screening.objects.count() == 1
    assert Referral.objects.filter(person=org.people["staff"], source="screening").count() == 1


def test_answers_are_encrypted_at_rest_and_the_score_is_not(org):
    from django.db import connection

    screening = submit(org, PHQ9_MODERATE).screening
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers, score, tier FROM wellbeing_screening WHERE id = %s", [screening.pk])
        stored, score, tier = cursor.fetchone()
    assert "[2, 2, 2" not in stored and "2,2,2" not in stored
    assert decrypt_text(stored) == "[2, 2, 2, 1, 1, 1, 1, 1, 0]"  # an encrypted token of the answer vector
    assert Screening.objects.get(pk=screening.pk).answers == PHQ9_MODERATE
    assert (score, tier) == (11, "yellow")


def test_a_red_result_refers_at_once_to_the_on_call_counsellor_in_the_same_transaction(
    org, django_capture_on_commit_callbacks
):
    counsellor = org.users["counsellor"]
    oncall_shift_create(
        actor=org.users["lead_counsellor"],
        counsellor=counsellor,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=6),
    )
    with django_capture_on_commit_callbacks(execute=True):
        screening = submit(org, PHQ9_ITEM9).screening
    assert screening.tier == "red" and screening.score == 1 and screening.band.code == "none"
    referral = screening.referral
    assert referral.urgency == Referral.Urgency.IMMINENT and referral.source == Referral.Source.SCREENING
    assert referral.assigned_to == counsellor
    followup = referral.followup
    assert (followup.owner, followup.tier) == (counsellor, Tier.RED)
    # Dispatched as the transaction committed: the counsellor's inbox holds it before any scan.
    assert Notification.objects.filter(recipient=counsellor).exists()


def test_with_nobody_on_call_red_goes_to_the_lead_counsellor(org, django_capture_on_commit_callbacks):
    assert not OnCallShift.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        referral = submit(org, PHQ9_ITEM9).screening.referral
    assert referral.followup.owner == org.users["lead_counsellor"]
    assert Notification.objects.filter(recipient=org.users["lead_counsellor"]).exists()


def test_orange_refers_with_a_24_hour_follow_up(org):
    screening = submit(org, PHQ9_SEVERE).screening
    assert screening.tier == "orange"
    followup = screening.referral.followup
    assert followup.tier == Tier.ORANGE and followup.owner == org.users["lead_counsellor"]
    assert timedelta(hours=23) < followup.due_at - screening.created_at <= timedelta(hours=24, seconds=5)


def test_yellow_offers_outreach_and_reminds_to_take_it_again(org, settings):
    screening = submit(org, PHQ9_MODERATE).screening
    assert screening.tier == "yellow" and screening.referral is None
    reminder = FollowUp.objects.get(kind=FollowUp.Kind.SCREENING_INVITATION)
    assert reminder.owner == org.users["staff"] and reminder.confidential
    assert reminder.escalation == FollowUp.Escalation.NONE
    days = (reminder.due_at - screening.created_at).days
    assert days == settings.SCREENING_RESCREEN_DAYS - 1 or days == settings.SCREENING_RESCREEN_DAYS
    # Taking it again ends the reminder.
    submit(org, PHQ9_MILD)
    reminder.refresh_from_db()
    assert reminder.status == FollowUp.Status.DONE
    # Accepting the outreach refers the person to the team, soon; asking twice makes one referral.
    first = services.referral_ask(actor=org.users["staff"], screening=screening)
    second = services.referral_ask(actor=org.users["staff"], screening=screening)
    assert first.pk == second.pk and first.urgency == Referral.Urgency.SOON and first.source == "self"


def test_green_triggers_nothing(org):
    screening = submit(org, PHQ9_MILD).screening
    assert screening.tier == "green" and screening.referral is None
    assert not FollowUp.objects.filter(kind=FollowUp.Kind.SCREENING_INVITATION).exists()


def test_withdrawn_consent_stops_new_screenings_and_ends_reminders(org):
    submit(org, PHQ9_MODERATE)
    services.consent_withdraw(actor=org.users["staff"])
    assert FollowUp.objects.get(kind=FollowUp.Kind.SCREENING_INVITATION).status == FollowUp.Status.CANCELLED
    with pytest.raises(ValidationError) as exc:
        submit(org, PHQ9_MILD, consent=False)
    assert "consent" in exc.value.message_dict
    assert Screening.objects.count() == 1
    assert not Screening.objects.consented().exists()  # out of statistics from now on


def test_a_counsellor_overrides_a_tier_with_a_reason_and_raising_it_refers(org):
    screening = submit(org, PHQ9_MODERATE).screening
    lead = org.users["lead_counsellor"]
    with pytest.raises(ValidationError) as exc:
        services.screening_review(actor=lead, screening=screening, tier="orange", reason=" ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.screening_review(actor=org.users["supervisor"], screening=screening, tier="orange", reason="x")
    reviewed = services.screening_review(actor=lead, screening=screening, tier="orange", reason="面谈后判断风险更高")
    assert reviewed.effective_tier == "orange" and reviewed.tier == "yellow"
    assert reviewed.referral is not None and reviewed.referral.urgency == Referral.Urgency.URGENT
    event = AuditEvent.objects.filter(target_id=str(screening.pk), action=AuditEvent.Action.UPDATE).get()
    assert "面谈" not in str(event.changes)


def test_only_staff_with_a_profile_take_screenings(org):
    from tests.factories import UserFactory

    with pytest.raises(PermissionDenied):
        services.screening_submit(actor=UserFactory(), instrument="phq9", answers=PHQ9_MILD, consent=True)
    with pytest.raises(TypeError):
        services.screening_submit(actor=None, instrument="phq9", answers=PHQ9_MILD, consent=True)


def test_a_red_result_about_the_on_call_counsellor_goes_to_a_colleague(org, django_capture_on_commit_callbacks):
    """Found by review: never to the person it is about, who could silence it."""
    counsellor = org.users["counsellor"]
    today = timezone.localdate()
    oncall_shift_create(actor=org.users["lead_counsellor"], counsellor=counsellor, starts_on=today, ends_on=today)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.screening_submit(actor=counsellor, instrument="phq9", answers=PHQ9_ITEM9, consent=True)
    referral = result.screening.referral
    assert referral.assigned_to == org.users["lead_counsellor"]
    assert referral.followup.owner == org.users["lead_counsellor"]
    from wellbeing import policy

    assert not policy.can(counsellor, "referral.acknowledge", referral)


def test_a_red_result_is_kept_with_nobody_in_the_counselling_team_to_receive_it(org, caplog):
    """Found by review: the result (and the crisis contacts it shows) must never be lost."""
    from wellbeing.models import RoleAssignment
    from wellbeing.services import role_end

    for assignment in RoleAssignment.objects.filter(role="lead_counsellor"):
        role_end(
            actor=org.users["administrator"],
            assignment=assignment,
        )
    screening = submit(org, PHQ9_ITEM9).screening
    assert screening.pk and screening.tier == "red" and screening.referral is None
    assert "no counsellor can receive" in caplog.text


def test_withdrawn_consent_hides_results_that_led_to_no_referral_from_the_lead_counsellor(org):
    """Found by review: an unrelated referral of the person does not keep their other results visible."""
    from wellbeing import policy

    screening = submit(org, PHQ9_MILD).screening
    lead = org.users["lead_counsellor"]
    assert policy.screenings_visible_to(lead).filter(pk=screening.pk).exists()
    from wellbeing.services import referral_create

    referral_create(actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure")
    services.consent_withdraw(actor=org.users["staff"])
    assert not policy.screenings_visible_to(lead).filter(pk=screening.pk).exists()
