"""The counsellor's day in a browser (issue 10, "Done when"): log in (with the two-factor code), open
the caseload, open the most urgent case, add a note recording a contact, schedule the next contact,
and see it on the case page. On a 375 px phone and a 1280 px screen, in Chinese and in English, with
screenshots of the board and the case page in test-results/. And the lead counsellor's board of every
open case and team view, with a case waiting in the unassigned queue."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import services
from cases.models import CaseNote, Risk
from tests.factories import PASSWORD
from wellbeing.services import referral_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def caseload(org):
    """Two cases on the counsellor's caseload: the colleague's (moderate) and the staff member's
    (imminent: the most urgent, first on the board)."""
    lead, counsellor = org.users["lead_counsellor"], org.users["counsellor"]
    services.case_open(actor=lead, referral=org.referral, counsellor=counsellor)
    referral = referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure"
    )
    urgent = services.case_open(actor=lead, referral=referral, risk=Risk.IMMINENT, counsellor=counsellor)
    services.safety_plan_save(
        actor=counsellor, case=urgent, sections={"warning_signs": "连续失眠", "reasons_for_living": "女儿"}
    )
    return urgent


def _sign_in(browser, live_server, org, language: str, viewport: dict, username: str = "counsellor"):
    phone = viewport["width"] < 600
    other = LOCALES["zh-hans" if language == "en" else "en"]
    context = browser.new_context(viewport=viewport, locale=other, is_mobile=phone, has_touch=phone)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # Counsellors log in with a second factor.
    page.wait_for_selector("#id_token")
    device = TOTPDevice.objects.get(user=org.users[username])
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    page.fill("#id_token", f"{totp.token():0{device.digits}d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def _no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll}px wide on a {width}px screen"


@pytest.mark.parametrize(
    ("language", "viewport"),
    [("zh-hans", PHONE), ("en", PHONE), ("en", DESKTOP), ("zh-hans", DESKTOP)],
    ids=["zh-phone", "en-phone", "en-desktop", "zh-desktop"],
)
def test_the_counsellors_day(browser, live_server, org, caseload, artifacts, language, viewport):
    urgent = caseload
    TOTPDevice.objects.create(user=org.users["counsellor"], name="phone", confirmed=True)
    width = viewport["width"]
    name = f"case-{language}-{width}"
    context, page = _sign_in(browser, live_server, org, language, viewport)
    try:
        # The caseload: the most urgent case first.
        page.goto(f"{live_server.url}/cases/")
        rows = page.locator("[data-testid=board-rows] a")
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(artifacts / f"{name}-board.png"), full_page=True)
        rows.first.click()
        page.wait_for_url(f"{live_server.url}/cases/{urgent.pk}/")
        assert page.inner_text("[data-testid=case-person]") == "王静"
        assert "tier-red" in page.get_attribute("[data-testid=case-risk]", "class")
        _no_sideways_scroll(page, width)
        # On a phone the everyday actions come before the timeline.
        if width < 768:
            note_box = page.locator("[data-testid=add-note]").bounding_box()
            assert note_box["y"] < page.locator("[data-testid=timeline]").bounding_box()["y"]
            assert note_box["height"] >= 44
        page.screenshot(path=str(artifacts / f"{name}-before.png"), full_page=True)

        # Add a note recording a phone contact.
        page.click("[data-testid=add-note] > summary")
        page.fill("#id_note-data", "电话联系，本人情绪平稳")
        page.fill("#id_note-plan", "明日再次电话")
        page.select_option("#id_note-contact", "phone")
        page.click("[data-testid=note-submit]")
        page.wait_for_url(f"{live_server.url}/cases/{urgent.pk}/#timeline")
        assert page.locator("[data-testid=timeline]").get_by_text("电话联系，本人情绪平稳").is_visible()
        note = CaseNote.objects.get(case=urgent)
        assert note.contact == "phone"

        # Schedule the next contact for this afternoon (within a day at imminent risk).
        when = (timezone.localtime() + timedelta(hours=4)).replace(second=0, microsecond=0)
        page.click("[data-testid=schedule-next] > summary")
        page.fill("#id_next-due_at", when.strftime("%Y-%m-%dT%H:%M"))
        page.click("[data-testid=next-submit]")
        page.wait_for_url(f"{live_server.url}/cases/{urgent.pk}/")
        assert page.inner_text("[data-testid=next-contact]").strip().startswith(when.strftime("%Y-%m-%d %H:%M"))
        urgent.refresh_from_db()
        assert timezone.localtime(urgent.contact_followup.due_at) == when
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("language", "viewport"),
    [("zh-hans", PHONE), ("en", DESKTOP)],
    ids=["zh-phone", "en-desktop"],
)
def test_the_lead_counsellor_sees_every_open_case_and_the_unassigned_queue(
    browser, live_server, org, caseload, artifacts, language, viewport
):
    waiting = services.case_open(
        actor=org.users["lead_counsellor"],
        referral=referral_create(
            actor=org.users["supervisor"], person=org.people["supervisor"], urgency="soon", reason="work_pressure"
        ),
        risk=Risk.HIGH,
    )
    TOTPDevice.objects.create(user=org.users["lead_counsellor"], name="phone", confirmed=True)
    width = viewport["width"]
    name = f"lead-{language}-{width}"
    context, page = _sign_in(browser, live_server, org, language, viewport, username="lead_counsellor")
    try:
        page.goto(f"{live_server.url}/cases/?view=open")
        rows = page.locator("[data-testid=board-rows] a")
        assert rows.count() == 3
        assert rows.first.get_attribute("data-case") == str(caseload.pk)  # imminent first
        unassigned = page.locator(f"[data-testid=board-rows] a[data-case='{waiting.pk}']")
        assert "张主任" in unassigned.inner_text()
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(artifacts / f"{name}-board.png"), full_page=True)

        page.goto(f"{live_server.url}/cases/team/")
        queue = page.locator("[data-testid=unassigned]")
        assert "张主任" in queue.inner_text()
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(artifacts / f"{name}-team.png"), full_page=True)
    finally:
        context.close()
