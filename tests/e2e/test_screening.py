"""Taking a screening questionnaire on a 375 px phone (issue 9): consent first, every answer a large
tap target, and a red result (PHQ-9 item 9 above 0) shows the crisis contacts at once while the
on-call counsellor's inbox already holds the red item - before any scan has run. Also on a 1280 px
screen in English."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import verified_login
from tests.factories import PASSWORD
from wellbeing.models import Notification, Referral, ScanRun, Screening, Tier
from wellbeing.reminders import scan
from wellbeing.screening import shipped
from wellbeing.services.oncall import oncall_shift_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
ANSWERS = [0, 1, 0, 0, 1, 0, 0, 0, 2]  # total 4 ("none"), but item 9 above 0: red


@pytest.fixture
def questionnaires(transactional_db):
    """The shipped questionnaires and crisis contacts (the data migration's; a transactional test
    before this one may have flushed them)."""
    from django.apps import apps

    shipped.load(apps)


@pytest.fixture
def scans(monkeypatch) -> list:
    """Every scan started during the test, with the follow-ups it was limited to (None: all due)."""
    started: list = []
    real = scan.run_scan

    def recording(*args, **kwargs):
        started.append(kwargs.get("ids"))
        return real(*args, **kwargs)

    monkeypatch.setattr(scan, "run_scan", recording)
    return started


def _sign_in(browser, live_server, language: str, viewport: dict):
    phone = viewport["width"] < 600
    # The browser's own locale is the other language: the page follows the user's choice.
    other = LOCALES["zh-hans" if language == "en" else "en"]
    context = browser.new_context(viewport=viewport, locale=other, is_mobile=phone, has_touch=phone)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def _no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll}px wide on a {width}px screen"


def _take_phq9_red(page, live_server, artifacts, name: str, viewport: dict) -> None:
    """From the home page: the check-up, consent, the questionnaire, the result."""
    page.goto(f"{live_server.url}/screening/")
    page.click("[data-testid=take-phq9]")
    # Consent comes first; the whole row of the box is the tap target.
    page.wait_for_url("**/screening/consent/?next=*")
    assert page.locator("[data-testid=notice]").is_visible()
    page.click("[data-testid=give-consent]")  # without the tick: refused, next to the box
    page.wait_for_selector("[data-testid=agree-error]")
    row = page.locator("label.consent-check")
    assert row.bounding_box()["height"] >= 44
    row.click()
    page.click("[data-testid=give-consent]")
    page.wait_for_url(f"{live_server.url}/screening/take/phq9/")

    assert page.locator("fieldset.question").count() == len(ANSWERS)
    for label in page.locator("label.answer-option").all():
        box = label.bounding_box()
        assert box["height"] >= 44, f"an answer is {box['height']}px tall"
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    _no_sideways_scroll(page, viewport["width"])
    for n, value in enumerate(ANSWERS, start=1):
        # Tapping the answer's text (not the small circle) chooses it.
        page.locator(f"label[for=item-{n}-{value}] span").click()
        assert page.locator(f"#item-{n}-{value}").is_checked()
    page.screenshot(path=str(artifacts / f"screening-take-{name}.png"), full_page=True)

    page.click("[data-testid=submit-answers]")
    page.wait_for_selector("[data-testid=crisis-contacts]")
    # At once: the crisis contacts are the first thing on the screen, without scrolling.
    contacts = page.locator("[data-testid=crisis-contacts]")
    assert contacts.is_visible()
    assert contacts.get_attribute("role") == "alert"
    hotline = page.locator("[data-testid=crisis-contact][data-phone='12356']")
    box = hotline.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
    assert box["height"] >= 44
    assert hotline.get_attribute("href") == "tel:12356"
    assert "12356" in contacts.inner_text()
    _no_sideways_scroll(page, viewport["width"])
    page.screenshot(path=str(artifacts / f"screening-red-{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("language", "viewport", "name"),
    [("zh-hans", PHONE, "zh-375"), ("en", DESKTOP, "en-1280")],
    ids=["phone-zh", "desktop-en"],
)
def test_a_red_phq9_shows_crisis_contacts_at_once_and_reaches_the_on_call_counsellor(
    browser, live_server, questionnaires, org, scans, artifacts, language, viewport, name
):
    counsellor = org.users["counsellor"]
    today = timezone.localdate()
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=counsellor, starts_on=today, ends_on=today + timedelta(days=1)
    )
    context, page = _sign_in(browser, live_server, language, viewport)
    try:
        _take_phq9_red(page, live_server, artifacts, name, viewport)
        if language == "zh-hans":
            assert page.locator("html").get_attribute("lang") == "zh-hans"
            assert "全国统一心理援助热线" in page.inner_text("[data-testid=crisis-contacts]")
    finally:
        context.close()

    screening = Screening.objects.get(person=org.people["staff"])
    assert screening.tier == "red"
    referral = screening.referral
    assert referral.urgency == Referral.Urgency.IMMINENT and referral.assigned_to == counsellor
    assert (referral.followup.owner, referral.followup.tier) == (counsellor, Tier.RED)
    # Sent as the answers were stored, not by a scan: the only run is the red item's own dispatch
    # (wellbeing.tasks.dispatch_followup, the scan's code path limited to that one follow-up).
    assert scans == [[referral.followup.pk]]
    assert ScanRun.objects.count() == 1
    notification = Notification.objects.get(recipient=counsellor)
    assert notification.tier == Tier.RED
    inbox = Client()
    verified_login(inbox, counsellor)
    html = inbox.get("/inbox/").content.decode()
    assert f'id="notification-{notification.pk}"' in html and "tier-red" in html
