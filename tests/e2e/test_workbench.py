"""The workbench on a 375 px phone (issue 8): the inbox and its count without opening the menu, and a
talk due that cannot be closed with a bare "done" - only by logging the talk or setting it aside with
a reason. In Chinese and in English."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ACTOR, PASSWORD
from wellbeing import services
from wellbeing.models import FollowUp, Notification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
PHONE = {"width": 375, "height": 812}


def _phone(browser, live_server, language: str, username: str = "supervisor"):
    # The browser's own locale is the other language: the page follows the user's choice.
    other = LOCALES["zh-hans" if language == "en" else "en"]
    context = browser.new_context(viewport=PHONE, locale=other, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] and box["x"] >= 0


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_inbox_count_shows_on_a_phone_without_the_menu(browser, live_server, org, artifacts, language):
    for _ in range(3):
        Notification.objects.create(recipient=org.users["supervisor"], title="x")
    context, page = _phone(browser, live_server, language)
    try:
        assert page.locator("#main-nav").is_hidden()  # the menu is collapsed
        assert page.locator("[data-testid=inbox-link]").is_visible()
        assert page.inner_text("[data-testid=unread-count]") == "3"
        assert _in_view(page, "[data-testid=inbox-link]")
        box = page.locator("[data-testid=inbox-link]").bounding_box()
        assert box["height"] >= 44  # a thumb can hit it
        page.screenshot(path=str(artifacts / f"home-inbox-{language}.png"))
        page.click("[data-testid=inbox-link]")
        page.wait_for_url(f"{live_server.url}/inbox/")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_talk_due_ends_only_with_a_talk_or_a_reason(browser, live_server, org, artifacts, language):
    colleague = org.people["colleague"]
    FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, person=colleague).delete()
    due = services.followup_create(
        actor=ACTOR,
        owner=org.users["supervisor"],
        title="talk",
        kind=FollowUp.Kind.TALK_DUE,
        subject=colleague,
        person=colleague,
        due_at=timezone.now() - timedelta(days=1),
    )
    context, page = _phone(browser, live_server, language)
    try:
        # Home: the talk due, with one tap to log it.
        item = page.locator("[data-testid=talks-due] [data-key=talk-due-EX-colleague]")
        assert item.is_visible()
        assert item.locator("[data-testid=item-action]").get_attribute("href") == "/talks/new/?person=EX-colleague"

        page.goto(f"{live_server.url}/follow-ups/?bucket=overdue&kind=talk_due")
        row = page.locator(f"#followup-{due.pk}")
        assert row.locator("[data-testid=complete]").count() == 0  # no bare "done"
        assert row.locator("[data-testid=record-action]").get_attribute("href") == "/talks/new/?person=EX-colleague"

        # Setting it aside without saying why does not close it.
        row.locator("[data-testid=set-aside]").click()
        form = page.locator(f"#set-aside-{due.pk}")
        form.wait_for(state="visible")
        form.locator("button[type=submit]").click()
        page.wait_for_timeout(500)
        due.refresh_from_db()
        assert due.is_active

        # With a reason it is set aside, recorded, and the next one follows a cadence later.
        form.locator("select[name=reason]").select_option("outside")
        form.locator("button[type=submit]").click()
        gone = f"() => !document.querySelector('#followup-{due.pk} [data-testid=set-aside]')"
        page.wait_for_function(gone, timeout=10_000)
        page.screenshot(path=str(artifacts / f"talk-due-set-aside-{language}.png"), full_page=True)
        due.refresh_from_db()
        assert not due.is_active
        assert FollowUp.objects.filter(
            kind=FollowUp.Kind.TALK_DUE, person=colleague, status=FollowUp.Status.OPEN
        ).exists()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_supervisors_morning(browser, live_server, org, artifacts, language):
    """Open home, see the talks due, log a routine talk with one agreed action by the quick path (at
    most 8 touches, the form no taller than two phone screens), and find the action in the follow-ups
    and on the home page."""
    colleague = org.people["colleague"]
    FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, person=colleague).delete()
    services.followup_create(
        actor=ACTOR,
        owner=org.users["supervisor"],
        title="talk",
        kind=FollowUp.Kind.TALK_DUE,
        subject=colleague,
        person=colleague,
        due_at=timezone.now() + timedelta(days=2),
    )
    context, page = _phone(browser, live_server, language)
    touches = 0
    try:
        page.screenshot(path=str(artifacts / f"morning-home-{language}.png"), full_page=True)
        item = page.locator("[data-testid=talks-due] [data-key=talk-due-EX-colleague]")
        assert "李明" in item.inner_text()
        item.locator("[data-testid=item-action]").click()  # 1: "Log the talk"
        touches += 1
        page.wait_for_selector("#talk-form")
        assert "李明" in page.inner_text("#chosen")  # the person comes with the tap
        page.click("label[for=id_mood_3]")  # 2
        page.fill("#id_main_content", "谈工作安排和休息")  # 3
        page.click("#add-action")  # 4
        page.wait_for_selector("#id_actions-0-description")
        page.fill("#id_actions-0-description", "调整值班表")  # 5
        touches += 4
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= 2 * PHONE["height"], f"the quick form is {height}px tall"
        page.click("[data-testid=save-talk]")  # 6
        touches += 1
        assert touches <= 8
        page.wait_for_selector("[data-testid=talk-detail]")

        # The action is in "My follow-ups", and on the home page; the talk due is gone from it.
        page.goto(f"{live_server.url}/follow-ups/?kind=talk_action")
        assert "调整值班表" in page.inner_text("[data-testid=followup-list]")
        page.goto(f"{live_server.url}/")
        assert "调整值班表" in page.inner_text("[data-testid=open-actions]")
        assert page.locator("[data-key=talk-due-EX-colleague]").count() == 0
        page.screenshot(path=str(artifacts / f"morning-after-{language}.png"), full_page=True)
    finally:
        context.close()
