"""A member of staff's screening pages (issue 9): consent first, taking a questionnaire on a phone
(per-item errors, a double tap stores one result), their own result with what happens next by tier,
reminders and declining them, withdrawing consent. In both languages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import verified_login
from tests.factories import UserFactory
from wellbeing.models import (
    CrisisContact,
    FollowUp,
    Instrument,
    Referral,
    Screening,
    ScreeningConsent,
)
from wellbeing.screening import services

pytestmark = pytest.mark.django_db

PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 0, 0]  # 7: mild, green
PHQ9_MODERATE = [2, 2, 2, 1, 1, 1, 1, 1, 0]  # 11: moderate, yellow
PHQ9_SEVERE = [2, 2, 2, 2, 2, 2, 2, 2, 0]  # 16: moderately severe, orange
PHQ9_ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # 1: none, but item 9 > 0: red

HOME = "/screening/"
CONSENT = "/screening/consent/"
TAKE = "/screening/take/phq9/"


def _zh(client):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    return client


def _html(response) -> str:
    return response.content.decode()


def submit(org, answers, who="staff", instrument="phq9"):
    return services.screening_submit(
        actor=org.users[who], instrument=instrument, answers=answers, consent=True
    ).screening


def _answers(values) -> dict:
    return {f"item_{n}": str(v) for n, v in enumerate(values, start=1)}


@pytest.fixture
def staff(as_principal):
    return as_principal("staff")


@pytest.fixture
def consented(org, staff):
    services.consent_give(actor=org.users["staff"])
    return staff


# --- Each page in both languages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "marker", "name"),
    [
        ("en", 'lang="en"', "Patient Health Questionnaire (PHQ-9)"),
        ("zh-hans", 'lang="zh-hans"', "患者健康问卷抑郁量表（PHQ-9）"),
    ],
)
def test_each_page_shows_in_both_languages(org, staff, language, marker, name):
    staff.post("/i18n/setlang/", {"language": language, "next": "/"})
    home = _html(staff.get(HOME))
    assert marker in home and name in home
    assert 'data-testid="consent-missing"' in home and 'data-testid="no-results"' in home
    consent = _html(staff.get(CONSENT))
    assert marker in consent and services.NOTICE_VERSION in consent
    assert 'data-testid="retention"' in consent
    staff.post(CONSENT, {"agree": "on"})
    take = _html(staff.get(TAKE))
    assert marker in take and name in take
    item1 = "做事时提不起劲或没有兴趣" if language == "zh-hans" else "Little interest or pleasure in doing things"
    option = "几乎每天" if language == "zh-hans" else "Nearly every day"
    assert item1 in take and option in take
    screening = Screening.objects.get(pk=submit(org, PHQ9_MILD).pk)
    result = _html(staff.get(reverse("screening:result", args=[screening.pk])))
    assert marker in result
    label = screening.band.label_zh if language == "zh-hans" else screening.band.label_en
    assert label in result


def test_someone_without_a_staff_record_is_refused(client):
    user = UserFactory(username="no_profile")
    verified_login(client, user)
    for url in (HOME, CONSENT, TAKE):
        assert client.get(url).status_code == 403


# --- Consent ------------------------------------------------------------------------------------------


def test_the_notice_says_what_who_and_how_long(staff, settings):
    settings.SCREENING_RETENTION_DAYS = 3 * 365
    html = _html(staff.get(CONSENT))
    assert "3 years" in html
    for words in ("What is collected", "Who sees it", "never your answers or results", "groups of 5", "HR systems"):
        assert words in html
    assert 'type="checkbox"' in html and " checked" not in html  # never ticked in advance
    settings.SCREENING_RETENTION_DAYS = 400
    assert "400 days" in _html(staff.get(CONSENT))


def test_consent_is_refused_without_the_tick(org, staff):
    response = staff.post(CONSENT, {"next": TAKE})
    assert response.status_code == 400
    html = _html(response)
    assert 'data-testid="agree-error"' in html and "Tick the box" in html
    assert not ScreeningConsent.objects.exists()


def test_consent_returns_to_the_questionnaire_it_was_asked_for(org, staff):
    response = staff.get(TAKE)
    assert response.status_code == 302
    assert response["Location"] == f"{CONSENT}?next=%2Fscreening%2Ftake%2Fphq9%2F"
    page = staff.get(response["Location"])
    assert f'value="{TAKE}"' in _html(page)  # carried in the form
    response = staff.post(CONSENT, {"agree": "on", "next": TAKE})
    assert response.status_code == 302 and response["Location"] == TAKE
    consent = ScreeningConsent.objects.get(person=org.people["staff"])
    assert consent.notice_version == services.NOTICE_VERSION and consent.is_current
    assert staff.get(TAKE).status_code == 200


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_an_unsafe_next_is_ignored(org, staff, unsafe):
    assert f'value="{unsafe}"' not in _html(staff.get(CONSENT, {"next": unsafe}))
    response = staff.post(CONSENT, {"agree": "on", "next": unsafe})
    assert response.status_code == 302 and response["Location"] == HOME


def test_consent_can_be_withdrawn(org, consented):
    html = _html(consented.get(HOME))
    assert 'data-testid="consent-given"' in html and 'data-testid="withdraw"' in html
    response = consented.post(reverse("screening:withdraw"), follow=True)
    assert response.redirect_chain[-1][0] == HOME
    assert "withdrawn" in _html(response)
    consent = ScreeningConsent.objects.get(person=org.people["staff"])
    assert consent.withdrawn_at is not None
    assert 'data-testid="consent-missing"' in _html(consented.get(HOME))
    assert consented.get(TAKE).status_code == 302  # no new screenings without consent
    assert consented.get(reverse("screening:withdraw")).status_code == 405


# --- Taking a questionnaire ---------------------------------------------------------------------------


def test_the_take_page_has_every_item_as_a_fieldset_with_tappable_options(consented):
    html = _html(consented.get(TAKE))
    assert html.count("<fieldset") == 9
    assert 'id="item-9"' in html and "<legend>" in html
    assert html.count('type="radio"') == 9 * 4
    assert 'name="token"' in html
    assert "Over the last 2 weeks" in html  # the instructions


def test_each_page_gets_a_new_form_token(consented):
    first = consented.get(TAKE).context["form"].token
    second = consented.get(TAKE).context["form"].token
    assert first and second and first != second


def test_missing_answers_are_shown_per_item_and_nothing_is_stored(org, consented):
    data = {"token": "t-1", **_answers(PHQ9_MILD[:7])}  # items 8 and 9 left out
    data["item_3"] = "7"  # not an option
    response = consented.post(TAKE, data)
    assert response.status_code == 400
    html = _html(response)
    summary = html[html.index('data-testid="error-summary"') : html.index('data-testid="instructions"')]
    assert re.findall(r'href="#(item-\d+)"', summary) == ["item-3", "item-8", "item-9"]
    assert 'data-testid="item-8-error"' in html and "Answer item 8." in html
    assert 'data-testid="item-3-error"' in html
    assert 'id="item-1-1" value="1" checked' in html  # the answers given are kept
    assert 'value="t-1"' in html  # the same token, so sending again is still one submission
    assert not Screening.objects.exists()


def test_a_double_tap_stores_one_result(org, consented):
    data = {"token": "tap-twice", **_answers(PHQ9_SEVERE)}
    first = consented.post(TAKE, data)
    second = consented.post(TAKE, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Screening.objects.count() == 1
    assert Referral.objects.filter(person=org.people["staff"]).count() == 1


def test_the_same_questionnaire_may_be_taken_again(consented):
    for token in ("a", "b"):
        consented.post(TAKE, {"token": token, **_answers(PHQ9_MILD)})
    assert Screening.objects.count() == 2


@pytest.mark.parametrize("code", ["scl90", "nope"])
def test_an_unknown_questionnaire_is_not_found(consented, code):
    assert consented.get(f"/screening/take/{code}/").status_code == 404


def test_an_inactive_questionnaire_is_not_found(consented):
    Instrument.objects.filter(code="gad7").update(is_active=False)
    assert consented.get("/screening/take/gad7/").status_code == 404
    assert 'data-testid="take-gad7"' not in _html(consented.get(HOME))


def test_consent_withdrawn_in_another_tab_keeps_the_answers(org, consented):
    services.consent_withdraw(actor=org.users["staff"])
    response = consented.post(TAKE, {"token": "x", **_answers(PHQ9_MILD)})
    assert response.status_code == 400
    assert 'data-testid="consent-link"' in _html(response)
    assert not Screening.objects.exists()


# --- The result ---------------------------------------------------------------------------------------


def _result(client, screening):
    response = client.get(reverse("screening:result", args=[screening.pk]))
    assert response.status_code == 200
    return _html(response)


def test_red_shows_the_crisis_contacts_first(org, consented):
    response = consented.post(TAKE, {"token": "red", **_answers(PHQ9_ITEM9)}, follow=True)
    html = _html(response)
    screening = Screening.objects.get()
    assert screening.tier == "red"
    main = html[html.index("<main") :]
    assert main.index('data-testid="crisis-contacts"') < main.index("<h1")
    assert 'role="alert"' in main[: main.index("<h1")]
    assert main.index("12356") < main.index('data-testid="band-explanation"')
    assert 'href="tel:12356"' in html and 'href="tel:120"' in html and 'href="tel:110"' in html
    assert "will contact you today" in html
    assert "This is a screening, not a diagnosis." in html
    assert ">red<" not in html and "tier-red" not in html  # the colour word is not shown to the person
    again = _result(consented, screening)  # every time it is opened
    assert again.index('data-testid="crisis-contacts"') < again.index("<h1")


def test_red_shows_the_organisations_crisis_contacts(org, staff):
    CrisisContact.objects.all().delete()
    CrisisContact.objects.create(name_zh="单位心理热线", name_en="Our helpline", phone="0571-1234", position=1)
    html = _result(staff, submit(org, PHQ9_ITEM9))
    assert 'href="tel:0571-1234"' in html and "Our helpline" in html


def test_orange_says_a_counsellor_will_contact_within_24_hours(org, staff):
    html = _result(staff, submit(org, PHQ9_SEVERE))
    assert "within 24 hours" in html
    assert 'data-testid="crisis-contacts"' not in html and 'data-testid="ask-counsellor"' not in html


def test_yellow_offers_a_counsellor_once(org, staff, settings):
    settings.SCREENING_RESCREEN_DAYS = 28
    screening = submit(org, PHQ9_MODERATE)
    html = _result(staff, screening)
    assert "Would you like a counsellor to contact you?" in html
    assert "again in 4 weeks" in html
    assert 'data-testid="crisis-contacts"' not in html
    ask = reverse("screening:ask", args=[screening.pk])
    response = staff.post(ask)
    assert response.status_code == 302
    staff.post(ask)  # asking twice makes one request
    referral = Referral.objects.get(person=org.people["staff"])
    assert referral.source == Referral.Source.SELF and referral.urgency == Referral.Urgency.SOON
    html = _result(staff, screening)
    assert 'data-testid="asked"' in html and 'data-testid="ask-counsellor"' not in html


def test_green_shows_resources_only(org, staff):
    html = _result(staff, submit(org, PHQ9_MILD))
    assert 'data-testid="crisis-contacts"' not in html and 'data-testid="ask-counsellor"' not in html
    assert 'data-testid="self-help"' in html and "12356" in html  # the hotline, among the resources
    assert "paid leave" in html and "heart-to-heart talk" in html
    assert "Mild" in html and "This is a screening, not a diagnosis." in html


def test_who5_is_shown_as_a_percentage(org, staff):
    screening = submit(org, [3, 3, 3, 3, 3], instrument="who5")  # raw 15: 60
    html = _result(staff, screening)
    assert '<span class="score">60</span>' in html and "from 0 to 100" in html


def test_a_reviewed_tier_decides_what_the_person_is_told(org, staff):
    screening = submit(org, PHQ9_MILD)
    services.screening_review(actor=org.users["lead_counsellor"], screening=screening, tier="orange", reason="面谈后")
    assert "within 24 hours" in _result(staff, screening)


def test_someone_elses_result_is_not_found(org, as_principal):
    screening = submit(org, PHQ9_ITEM9)
    for who in ("outsider", "supervisor", "lead_counsellor"):
        client = as_principal(who)
        assert client.get(reverse("screening:result", args=[screening.pk])).status_code == 404
        assert client.post(reverse("screening:ask", args=[screening.pk])).status_code == 404


def test_the_home_page_lists_own_results(org, staff):
    mine = submit(org, PHQ9_MODERATE)
    other = submit(org, PHQ9_MILD, who="outsider")
    html = _html(staff.get(HOME))
    assert f'data-key="result-{mine.pk}"' in html and f'data-key="result-{other.pk}"' not in html
    assert "score 11" in html and "Moderate" in html


# --- Reminders ----------------------------------------------------------------------------------------


def test_a_reminder_can_be_taken_or_declined(org, staff, as_principal):
    submit(org, PHQ9_MODERATE)  # yellow: take it again in a few weeks
    reminder = FollowUp.objects.get(owner=org.users["staff"], kind=FollowUp.Kind.SCREENING_INVITATION)
    html = _html(staff.get(HOME))
    assert f'data-key="reminder-{reminder.pk}"' in html
    assert f'href="{TAKE}" data-testid="reminder-take"' in html
    decline = reverse("screening:decline", args=[reminder.pk])
    assert as_principal("outsider").post(decline).status_code == 404  # someone else's
    response = staff.post(decline)
    assert response.status_code == 302 and response["Location"] == HOME
    reminder.refresh_from_db()
    assert not reminder.is_active
    assert f'data-key="reminder-{reminder.pk}"' not in _html(staff.get(HOME))


def test_another_kind_of_follow_up_cannot_be_declined_here(org, staff):
    task = org.followups["staff_task"]
    assert staff.post(reverse("screening:decline", args=[task.pk])).status_code == 404


def test_the_home_page_shows_reminders_with_one_tap_to_take(org, staff):
    assert 'data-testid="screening-reminders"' not in _html(staff.get("/"))
    submit(org, PHQ9_MODERATE)
    home = _html(_zh(staff).get("/"))
    assert 'data-testid="screening-reminders"' in home
    assert f'href="{TAKE}" data-testid="item-action"' in home


def test_yellow_after_an_open_referral_says_a_counsellor_is_already_due(org, staff):
    submit(org, PHQ9_SEVERE)  # orange: a referral is open
    screening = submit(org, PHQ9_MODERATE)
    html = _result(staff, screening)
    assert 'data-testid="outreach-open"' in html and 'data-testid="ask-counsellor"' not in html
    assert 'data-testid="asked"' not in html
    staff.post(reverse("screening:ask", args=[screening.pk]))
    assert Referral.objects.filter(person=org.people["staff"]).count() == 1  # not a second one
