"""Logging a talk in under a minute on a 375 px phone (issue 8 item 4), in Chinese and in English, with
the browser's locale set to the other language: the quick path fits two phone screens and takes at
most 8 touches; the kept draft brings back the action rows; an error inside an action row is
announced at the top and its link goes to the field; dates show in the page's language; the picker
never shows a stale result."""

import contextlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from talks.models import Talk
from talks.services import ActionInput, TalkInput, talk_create
from tests.factories import PASSWORD
from wellbeing.models import FollowUp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TWO_PHONE_SCREENS = 2 * 812  # px: the quick form with one action, before it is saved
MAX_TOUCHES = 8
# The browser speaks the other language than the page: the page's language must win.
BROWSER_LOCALE = {"en": "zh-CN", "zh-hans": "en-US"}
ENGLISH_DATE_WORDS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun|AM|PM)\b"
)
CHINESE_DATE_WORDS = re.compile(r"\d+\s*[年月日]|星期|周[一二三四五六日天]|[上下]午")


def _phone(browser, live_server, language, width=375):
    context = browser.new_context(
        viewport={"width": width, "height": 812}, locale=BROWSER_LOCALE[language], is_mobile=width < 500
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


class Touches:
    """Every fill, click and choice the supervisor makes on a form control, counted."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def fill(self, selector, value):
        self.count += 1
        self.page.fill(selector, value)

    def click(self, selector):
        self.count += 1
        self.page.click(selector)

    def select(self, selector, value):
        self.count += 1
        self.page.select_option(selector, value)


def _pick(page, touches, query, name):
    touches.fill("#picker", query)
    touches.click(f"#picker-results .pick[data-name='{name}']")
    page.wait_for_selector(f"#chosen .chip[data-name='{name}']")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_quick_path_fits_two_screens_and_eight_touches(browser, live_server, org, artifacts, language):
    context, page = _phone(browser, live_server, language)
    try:
        page.goto(f"{live_server.url}/talks/new/")
        touches = Touches(page)
        _pick(page, touches, "lm", "李明")  # 1, 2
        touches.click("label[for=id_mood_3]")  # 3: state of mind 4; "when" is now already
        touches.fill("#id_main_content", "谈工作安排和休息")  # 4
        touches.click("#add-action")  # 5
        page.wait_for_selector("#id_actions-0-description")
        touches.fill("#id_actions-0-description", "调整值班表")  # 6; owner "me" and due in a week by default
        # 李明 has no login: "the person" is offered disabled, saying why.
        person = page.locator("#id_actions-0-owner_kind option[value=person]")
        assert person.is_disabled() and re.search(r"[(（].+[)）]", person.inner_text())
        assert not page.is_visible("#id_actions-0-person")  # no "for whom" in an individual talk
        assert not page.is_visible("#id_actions-0-owner")  # no colleague unless one is chosen
        height = page.evaluate("document.documentElement.scrollHeight")
        page.screenshot(path=str(artifacts / f"quick-talk-{language}-375.png"), full_page=True)
        assert height <= TWO_PHONE_SCREENS, f"the quick form is {height}px tall"
        page.set_viewport_size({"width": 1280, "height": 812})
        page.screenshot(path=str(artifacts / f"quick-talk-{language}-1280.png"), full_page=True)
        page.set_viewport_size({"width": 375, "height": 812})
        touches.click("[data-testid=save-talk]")  # 7
        page.wait_for_selector("[data-testid=talk-detail]")
        assert touches.count <= MAX_TOUCHES

        talk = Talk.objects.exclude(pk=org.talk.pk).get()
        assert talk.mood == 4 and abs(timezone.now() - talk.held_at) < timedelta(minutes=5)
        action = talk.actions.get()
        assert action.owner == org.users["supervisor"]
        assert action.due_date == timezone.localdate() + timedelta(days=7)
        # The new action is in "My follow-ups".
        page.goto(f"{live_server.url}/follow-ups/?bucket=upcoming")
        assert "调整值班表" in page.inner_text("[data-testid=followup-list]")
        assert FollowUp.objects.filter(pk=action.followup_id, owner=org.users["supervisor"], status="open").exists()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_draft_brings_back_the_action_rows_and_the_people(browser, live_server, org, artifacts, language):
    context, page = _phone(browser, live_server, language)
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    try:
        page.goto(f"{live_server.url}/talks/new/")
        touches = Touches(page)
        _pick(page, touches, "lm", "李明")
        page.fill("#id_main_content", "未保存的草稿")
        for i in range(2):
            page.click("#add-action")
            page.wait_for_selector(f"#id_actions-{i}-description")
        page.fill("#id_actions-0-description", "联系家属")
        page.fill("#id_actions-0-due_date", due)
        page.fill("#id_actions-1-description", "安排调休")
        page.select_option("#id_actions-1-owner_kind", "colleague")
        page.select_option("#id_actions-1-owner", str(org.people["staff"].pk))
        page.click("#more-details > summary")
        page.check("#more-details input[name=mood_tags][value=workload]")

        page.goto(f"{live_server.url}/follow-ups/")  # called away mid-way
        page.goto(f"{live_server.url}/talks/new/")
        page.wait_for_selector("#id_actions-1-description")
        page.wait_for_load_state("networkidle")
        assert "李明" in page.inner_text("#chosen")
        assert page.input_value("#id_main_content") == "未保存的草稿"
        assert page.locator("#actions .action-row").count() == 2
        assert page.input_value("#id_actions-0-description") == "联系家属"
        assert page.input_value("#id_actions-0-due_date") == due
        assert page.input_value("#id_actions-1-description") == "安排调休"
        assert page.input_value("#id_actions-1-owner_kind") == "colleague"
        assert page.is_visible("#id_actions-1-owner")
        assert page.input_value("#id_actions-1-owner") == str(org.people["staff"].pk)
        assert page.input_value("#id_actions-TOTAL_FORMS") == "2"
        # "More details" opens by itself: one of its fields has a value.
        assert page.evaluate("document.getElementById('more-details').open")
        page.screenshot(path=str(artifacts / f"draft-restored-{language}-375.png"), full_page=True)

        # A reload brings it back too, and the restored form saves as it is.
        page.reload()
        page.wait_for_selector("#id_actions-1-description")
        page.wait_for_load_state("networkidle")
        page.click("[data-testid=save-talk]")
        page.wait_for_selector("[data-testid=talk-detail]")
        talk = Talk.objects.exclude(pk=org.talk.pk).get()
        actions = {a.description: a for a in talk.actions.all()}
        assert actions["联系家属"].due_date.isoformat() == due
        assert actions["安排调休"].owner == org.users["staff"]
        assert talk.mood_tags == ["workload"]
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_error_in_an_action_row_is_announced_at_the_top(browser, live_server, org, artifacts, language):
    context, page = _phone(browser, live_server, language)
    try:
        page.goto(f"{live_server.url}/talks/new/")
        touches = Touches(page)
        _pick(page, touches, "lm", "李明")
        page.fill("#id_main_content", "谈工作")
        page.click("#add-action")
        page.wait_for_selector("#id_actions-0-description")
        page.fill("#id_actions-0-description", "调整值班表")
        page.fill("#id_actions-0-due_date", "31/12")
        page.click("[data-testid=save-talk]")
        page.wait_for_selector("#error-summary")
        page.screenshot(path=str(artifacts / f"action-error-{language}-375.png"), full_page=True)
        # The summary is announced (role=alert) and has the focus.
        assert page.get_attribute("#error-summary", "role") == "alert"
        assert page.evaluate("document.activeElement.id") == "error-summary"
        link = page.locator("#error-summary a[href='#id_actions-0-due_date']")
        label = page.inner_text("label[for=id_actions-0-due_date]").strip()
        assert label in link.inner_text() and "1" in link.inner_text()
        # The error also stands next to the field.
        assert "is-invalid" in page.get_attribute("#id_actions-0-due_date", "class")
        link.click()
        assert page.evaluate("document.activeElement.id") == "id_actions-0-due_date"
        # The row kept what was typed.
        assert page.input_value("#id_actions-0-description") == "调整值班表"
        assert Talk.objects.count() == 1
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_dates_show_in_the_pages_language_whatever_the_browsers_locale(browser, live_server, org, artifacts, language):
    context, page = _phone(browser, live_server, language)
    yesterday = timezone.localdate() - timedelta(days=1)
    due = timezone.localdate() + timedelta(days=10)
    try:
        page.goto(f"{live_server.url}/talks/new/")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page.input_value("#id_held_at"))
        touches = Touches(page)
        _pick(page, touches, "lm", "李明")
        page.fill("#id_held_at", f"{yesterday.isoformat()} 08:15")
        page.fill("#id_main_content", "谈工作")
        page.click("#add-action")
        page.wait_for_selector("#id_actions-0-description")
        page.fill("#id_actions-0-description", "调整值班表")
        page.fill("#id_actions-0-due_date", due.isoformat())
        shown = page.inner_text("#id_held_at-echo") + " " + page.inner_text("#id_actions-0-due_date-echo")
        text = page.inner_text("main")
        if language == "zh-hans":
            assert "年" in shown and "星期" in shown
            assert not ENGLISH_DATE_WORDS.search(shown) and not ENGLISH_DATE_WORDS.search(text)
        else:
            assert re.search(r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday", shown)
            assert not CHINESE_DATE_WORDS.search(shown) and not CHINESE_DATE_WORDS.search(text)
        assert "08:15" in shown
        page.screenshot(path=str(artifacts / f"dates-{language}-375.png"), full_page=True)
        page.click("[data-testid=save-talk]")
        page.wait_for_selector("[data-testid=talk-detail]")
        talk = Talk.objects.exclude(pk=org.talk.pk).get()
        assert timezone.localtime(talk.held_at).strftime("%Y-%m-%d %H:%M") == f"{yesterday.isoformat()} 08:15"
        assert talk.actions.get().due_date == due
    finally:
        context.close()


def test_the_picker_never_shows_a_stale_result(browser, live_server, org):
    context, page = _phone(browser, live_server, "zh-hans")
    held = []

    def hold_the_first_query(route):
        if "q=l" in route.request.url and not held:
            held.append(route)  # answered late, after the newer query
        else:
            route.continue_()

    try:
        page.goto(f"{live_server.url}/talks/new/")
        page.route("**/talks/people/?*", hold_the_first_query)
        page.fill("#picker", "l")
        page.wait_for_timeout(400)  # the request for "l" is on its way (and held)
        assert held
        assert page.locator("#picker-results .pick").count() == 0  # nothing to tap meanwhile
        page.fill("#picker", "wj")
        page.wait_for_selector("#picker-results .pick[data-name='王静']")
        with contextlib.suppress(Exception):  # hx-sync may have aborted it already: then nothing comes back
            held[0].continue_()  # the old answer arrives now
        page.wait_for_timeout(600)
        names = page.eval_on_selector_all("#picker-results .pick", "els => els.map(e => e.dataset.name)")
        assert names == ["王静"]
    finally:
        context.close()


def test_an_open_action_is_ticked_off_after_picking_the_person(browser, live_server, org, artifacts):
    earlier = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["colleague"]],
            held_at=timezone.now() - timedelta(days=10),
            main_content="上次谈话",
            actions=[ActionInput("联系家属", timezone.localdate() + timedelta(days=2))],
        ),
    )
    action = earlier.actions.get()
    context, page = _phone(browser, live_server, "zh-hans")
    try:
        page.goto(f"{live_server.url}/talks/new/")
        touches = Touches(page)
        _pick(page, touches, "lm", "李明")
        box = f"#carried input[name=complete_actions][value='{action.pk}']"
        page.wait_for_selector(box)  # loaded when the person was picked
        page.check(box)
        page.fill("#id_main_content", "谈工作")
        page.reload()  # the kept draft keeps the tick too
        page.wait_for_selector(box)
        page.wait_for_load_state("networkidle")
        assert page.is_checked(box)
        page.screenshot(path=str(artifacts / "carried-actions-zh-hans-375.png"), full_page=True)
        page.click("[data-testid=save-talk]")
        page.wait_for_selector("[data-testid=talk-detail]")
        followup = FollowUp.objects.get(pk=action.followup_id)
        assert followup.status == FollowUp.Status.DONE and followup.completed_by == org.users["supervisor"]
    finally:
        context.close()


def test_the_owners_offered_follow_the_person_chosen(browser, live_server, org):
    context, page = _phone(browser, live_server, "en")
    person = "#id_actions-0-owner_kind option[value=person]"
    try:
        page.goto(f"{live_server.url}/talks/new/")
        touches = Touches(page)
        _pick(page, touches, "wj", "王静")  # has a login
        page.click("#add-action")
        page.wait_for_selector("#id_actions-0-description")
        page.fill("#id_actions-0-description", "自行安排休假")
        assert not page.locator(person).is_disabled()
        page.select_option("#id_actions-0-owner_kind", "person")
        # 王静 was the wrong person: 李明, who has no login, took part.
        page.click("#chosen .chip[data-name='王静'] .chip-remove")
        _pick(page, touches, "lm", "李明")
        page.wait_for_function("() => document.querySelector('#id_actions-0-owner_kind option[value=person]').disabled")
        assert page.input_value("#id_actions-0-owner_kind") == "supervisor"  # no longer "the person"
        assert page.input_value("#id_actions-0-description") == "自行安排休假"  # what was typed stays
        assert "(" in page.locator(person).inner_text()
    finally:
        context.close()
