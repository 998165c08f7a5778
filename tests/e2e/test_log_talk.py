"""A supervisor on a 375 px phone logs a talk with two actions, sees the next talk scheduled, and
sees the actions in "My follow-ups" - in English and in Chinese."""

from datetime import timedelta

import pytest
from django.utils import timezone

from talks.models import Talk
from tests.factories import PASSWORD
from wellbeing.models import FollowUp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"locale": "en-US", "heading": "Log a heart-to-heart talk", "saved": "Talk logged", "upcoming": "Upcoming"},
    "zh-hans": {"locale": "zh-CN", "heading": "记录谈心谈话", "saved": "谈心已记录", "upcoming": "即将到期"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_supervisor_logs_a_talk_on_a_phone(browser, live_server, org, artifacts, language):
    text = TEXT[language]
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale=text["locale"], is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "supervisor")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.goto(f"{live_server.url}/talks/new/")
        assert text["heading"] in page.inner_text("h1")
        # The person picker finds 李明 by pinyin initials.
        page.fill("#picker", "lm")
        page.click("#picker-results .pick[data-name='李明']")
        assert "李明" in page.inner_text("#chosen")
        page.fill("#id_main_content", "谈工作安排和休息")
        page.click("#more-details > summary")  # the summary for the person is one of the more details
        page.fill("#id_shared_summary", "约定调整值班")
        # Two actions, added inline.
        for i, (description, days) in enumerate([("调整值班表", 7), ("安排调休", 3)]):
            page.click("#add-action")
            page.wait_for_selector(f"#id_actions-{i}-description")
            page.fill(f"#id_actions-{i}-description", description)
            page.fill(f"#id_actions-{i}-due_date", (timezone.localdate() + timedelta(days=days)).isoformat())
        page.screenshot(path=str(artifacts / f"log-talk-{language}.png"), full_page=True)
        page.click("[data-testid=save-talk]")
        page.wait_for_selector("[data-testid=talk-detail]")
        assert text["saved"] in page.inner_text("main")
        talk = Talk.objects.exclude(pk=org.talk.pk).get()
        assert talk.actions.count() == 2

        # The next talk is scheduled, and both actions are in "My follow-ups".
        page.goto(f"{live_server.url}/follow-ups/?bucket=upcoming")
        listing = page.inner_text("[data-testid=followup-list]")
        assert "李明" in listing  # the next talk with 李明
        assert "调整值班表" in listing and "安排调休" in listing
        nxt = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], status="open")
        assert timezone.localdate(nxt.due_at) == timezone.localdate() + timedelta(days=90)
        page.screenshot(path=str(artifacts / f"follow-ups-{language}.png"), full_page=True)
    finally:
        context.close()


def test_a_draft_survives_leaving_the_page(browser, live_server, org):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="en-US", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "supervisor")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/talks/new/")
        page.fill("#picker", "wj")
        page.click("#picker-results .pick[data-name='王静']")
        page.fill("#id_main_content", "未保存的草稿")
        page.goto(f"{live_server.url}/follow-ups/")  # called away mid-way
        page.goto(f"{live_server.url}/talks/new/")
        assert page.input_value("#id_main_content") == "未保存的草稿"
        assert "王静" in page.inner_text("#chosen")
        assert Talk.objects.count() == 1  # nothing was saved but the fixture's talk
    finally:
        context.close()
