"""Leave in a browser (issue 11, "Done when"): a person requests leave on a phone, seeing what it costs
as they choose the dates, their supervisor approves it, and the person's balance changes. In Chinese
and in English. A second test walks the leave pages on a 375 px phone and a 1280 px screen, in both
languages, checks nothing scrolls sideways, and keeps screenshots in test-results/."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leave import selectors, services
from leave.calendar import Calendar
from leave.models import LeaveRequest, LeaveType, OvertimeRecord
from tests.factories import PASSWORD, make_person
from wellbeing.actors import command_actor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
SYSTEM = command_actor("e2e")


def _days_ahead() -> tuple[date, date]:
    """Two working days in a row, a few working days from today, within one year."""
    calendar = Calendar()
    start = calendar.add_working_days(timezone.localdate(), 3)
    end = calendar.add_working_days(start, 1)
    if end.year != start.year:
        start = calendar.add_working_days(date(end.year, 1, 1) - timedelta(days=1), 1)
        end = calendar.add_working_days(start, 1)
    return start, end


def _allocate(person, year: int) -> Decimal:
    person.work_start_date = date(2014, 7, 1)
    person.save(update_fields=["work_start_date"])
    services.annual_reconcile(actor=SYSTEM, person=person, year=year)
    return selectors.balances_for(person, year)[0].available


def _sign_in(browser, live_server, username: str, language: str, viewport: dict):
    phone = viewport["width"] < 600
    # The browser's own locale is the other language: the page follows the user's choice.
    other = LOCALES["zh-hans" if language == "en" else "en"]
    context = browser.new_context(viewport=viewport, locale=other, is_mobile=phone, has_touch=phone)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def _no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide on a {width}px screen"


def _wait_text(page, selector: str, text: str) -> None:
    """Wait until ``selector`` shows ``text`` (htmx answers as the fields change, one change at a time)."""
    page.wait_for_function(
        "([sel, text]) => { const el = document.querySelector(sel); return el && el.textContent.trim() === text; }",
        arg=[selector, text],
    )


def _left(page) -> str:
    return page.inner_text("[data-testid=annual-left]").split()[0]


@pytest.mark.parametrize(("language", "supervisor_viewport"), [("zh-hans", PHONE), ("en", DESKTOP)], ids=["zh", "en"])
def test_a_person_requests_leave_on_a_phone_and_the_supervisor_approves(
    browser, live_server, org, artifacts, language, supervisor_viewport
):
    start, end = _days_ahead()
    entitled = _allocate(org.people["staff"], start.year)
    assert entitled == 10

    context, page = _sign_in(browser, live_server, "staff", language, PHONE)
    try:
        page.goto(f"{live_server.url}/leave/?year={start.year}")
        assert _left(page) == "10"
        _no_sideways_scroll(page, PHONE["width"])
        page.click("[data-testid=request-leave]")
        page.wait_for_url(f"{live_server.url}/leave/request/")
        box = page.locator("[data-testid=send]").bounding_box()
        assert box["height"] >= 44  # a thumb can hit it

        # The last day before the first: said beside the last day as soon as it is chosen.
        page.fill("#id_start_date", end.isoformat())
        page.fill("#id_end_date", start.isoformat())
        page.wait_for_function("() => document.getElementById('err-end_date').textContent.trim() !== ''")
        assert page.locator("#id_end_date").bounding_box()["y"] < page.locator("#err-end_date").bounding_box()["y"]

        # Two working days: the cost and the balance after, before sending.
        page.fill("#id_start_date", start.isoformat())
        page.fill("#id_end_date", end.isoformat())
        _wait_text(page, "[data-testid=preview-days]", "2")
        assert page.inner_text("[data-testid=preview-after]") == "8"
        assert page.inner_text("#err-end_date").strip() == ""
        _no_sideways_scroll(page, PHONE["width"])
        page.screenshot(path=str(artifacts / f"leave-request-{language}.png"), full_page=True)
        page.click("[data-testid=send]")
        page.wait_for_url(f"{live_server.url}/leave/requests/*/")
        leave = LeaveRequest.objects.get(person=org.people["staff"])
        assert page.get_attribute("[data-testid=status]", "data-status") == "pending"
        assert leave.days == 2
    finally:
        context.close()

    context, page = _sign_in(browser, live_server, "supervisor", language, supervisor_viewport)
    try:
        page.goto(f"{live_server.url}/leave/approvals/")
        row = page.locator(f"[data-testid=decide-row][data-request='{leave.pk}']")
        assert "王静" in row.inner_text()
        row.locator("textarea").fill("同意，注意交接")
        row.locator("[data-testid=approve]").click()
        page.wait_for_url(f"{live_server.url}/leave/approvals/")
        assert page.locator("[data-testid=nothing-to-decide]").is_visible()
        _no_sideways_scroll(page, supervisor_viewport["width"])
        page.screenshot(path=str(artifacts / f"leave-approved-{language}.png"), full_page=True)
    finally:
        context.close()
    leave.refresh_from_db()
    assert (leave.status, leave.decision_comment) == ("approved", "同意，注意交接")

    context, page = _sign_in(browser, live_server, "staff", language, PHONE)
    try:
        page.goto(f"{live_server.url}/leave/?year={start.year}")
        assert _left(page) == "8"
        assert page.inner_text("[data-testid=annual-taken]") == "2"
        row = page.locator(f"[data-testid=request-row][data-request='{leave.pk}']")
        assert row.locator("[data-testid=status]").get_attribute("data-status") == "approved"
        page.screenshot(path=str(artifacts / f"leave-mine-{language}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def a_month_of_leave(org):
    """The staff member with annual leave, one request approved and one waiting, rest-day work to confirm,
    and two colleagues on leave: the pages as they look in use."""
    start, end = _days_ahead()
    staff = org.people["staff"]
    _allocate(staff, start.year)
    annual = LeaveType.objects.get(code="annual")
    approved = services.request_submit(
        actor=org.users["staff"], person=staff, data=services.RequestInput(annual, start, end, note="回老家探亲")
    )
    services.request_decide(actor=org.users["supervisor"], request=approved, approve=True, comment="同意")
    later = Calendar().add_working_days(end, 4)
    waiting = services.request_submit(
        actor=org.users["staff"], person=staff, data=services.RequestInput(annual, later, later, end_am=True)
    )
    services.overtime_record(
        actor=org.users["staff"],
        person=staff,
        data=services.OvertimeInput(
            timezone.localdate() - timedelta(days=1), OvertimeRecord.Kind.NIGHT, 6, "夜间防汛值班"
        ),
    )
    personal = LeaveType.objects.get(code="personal")
    for n, name in enumerate(["欧阳晓明", "李明"]):
        person = (
            make_person(org.section_a1, full_name=name, external_id=f"EX-e2e-{n}")
            if n == 0
            else org.people["colleague"]
        )
        day = Calendar().add_working_days(start, n)
        services.request_submit(
            actor=org.users["supervisor"], person=person, data=services.RequestInput(personal, day, day)
        )
    return approved, waiting


@pytest.mark.parametrize(
    ("language", "viewport"),
    [("zh-hans", PHONE), ("en", PHONE), ("zh-hans", DESKTOP), ("en", DESKTOP)],
    ids=["zh-phone", "en-phone", "zh-desktop", "en-desktop"],
)
def test_the_leave_pages_fit_a_phone_and_a_desktop(
    browser, live_server, org, artifacts, a_month_of_leave, language, viewport
):
    approved, waiting = a_month_of_leave
    width = viewport["width"]
    month = approved.start_date.strftime("%Y-%m")

    def shot(page, name: str) -> None:
        _no_sideways_scroll(page, width)
        page.screenshot(path=str(artifacts / f"leave-{name}-{language}-{width}.png"), full_page=True)

    context, page = _sign_in(browser, live_server, "staff", language, viewport)
    try:
        page.goto(f"{live_server.url}/leave/?year={approved.start_date.year}")
        shot(page, "mine")
        page.goto(f"{live_server.url}/leave/request/")
        day = Calendar().add_working_days(waiting.end_date, 3)
        page.fill("#id_start_date", day.isoformat())
        page.check("#id_start_pm")
        _wait_text(page, "[data-testid=preview-days]", "0.5")
        shot(page, "new")
        page.goto(f"{live_server.url}/leave/requests/{waiting.pk}/")
        shot(page, "request")
        page.goto(f"{live_server.url}/leave/ledger/?type=annual&year={approved.start_date.year}")
        shot(page, "ledger")
        page.goto(f"{live_server.url}/leave/overtime/")
        shot(page, "overtime")
    finally:
        context.close()

    context, page = _sign_in(browser, live_server, "supervisor", language, viewport)
    try:
        page.goto(f"{live_server.url}/leave/approvals/")
        assert page.locator("[data-testid=decide-row]").count() == 3
        shot(page, "approvals")
        page.goto(f"{live_server.url}/leave/team/?month={month}")
        visible = page.locator("[data-testid=team-grid]" if width >= 768 else "[data-testid=team-days]")
        assert "王静" in visible.inner_text()
        shot(page, "team")
        page.goto(f"{live_server.url}/leave/requests/{waiting.pk}/")
        assert page.locator("[data-testid=approve]").is_visible()
        shot(page, "request-supervisor")
        page.goto(f"{live_server.url}/")
        shot(page, "home-supervisor")
    finally:
        context.close()

    context, page = _sign_in(browser, live_server, "hr_officer", language, viewport)
    try:
        page.goto(f"{live_server.url}/leave/people/{org.people['staff'].pk}/?year={approved.start_date.year}")
        page.click("[data-testid=adjust] > summary")
        shot(page, "person")
        page.goto(f"{live_server.url}/leave/calendar/?year={approved.start_date.year}")
        shot(page, "calendar")
    finally:
        context.close()
