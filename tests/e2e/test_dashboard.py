"""The leading group's dashboard in a browser (issue 13, "Done when"): the leading-group member opens
the dashboard on a desktop (1280 px) and on a phone (375 px), in English and in Chinese, sees a chart
beside each table, filters a unit, downloads the work ledger, and the workbook (opened with openpyxl)
has the same figures as the page. Screenshots go to test-results/ and /tmp/shots/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation

from talks.services import TalkInput, talk_create
from tests.factories import ACTOR, PASSWORD, make_person
from tests.programme.test_suppression_property import workbook_figures
from wellbeing import figures, services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
SHOTS = Path("/tmp/shots")  # noqa: S108 (screenshots to look at, nothing read back)

#: The page's tables as {area key: [[row label, cell, ...], ...]}.
TABLES_JS = """() => Object.fromEntries(
  [...document.querySelectorAll('table[data-testid^="table-"]')].map(t => [
    t.dataset.testid.slice(6),
    [...t.querySelectorAll("tbody tr")].map(tr => [...tr.querySelectorAll("th, td")].map(c => c.textContent.trim())),
  ])
)"""


def _populate(org) -> None:
    """Enough people for figures to show: 12 more in A1 (seven talked to, five with something
    overdue), 8 more in B1 (two talked to)."""
    a1 = [make_person(org.section_a1, full_name=f"城关{i}") for i in range(12)]
    b1 = [make_person(org.section_b1, full_name=f"青石{i}") for i in range(8)]
    held = timezone.now() - timedelta(days=2)
    for leader, group in (("supervisor", a1[:7]), ("outsider_supervisor", b1[:2])):
        for p in group:
            talk_create(
                actor=org.users[leader],
                data=TalkInput(participants=[p], held_at=held, main_content="工作近况", shared_summary="保持联系"),
            )
    for p in a1[7:]:
        services.followup_create(
            actor=ACTOR,
            owner=org.users["supervisor"],
            title="回访",
            due_at=datetime.now(UTC) - timedelta(days=3),
            person=p,
        )


def _sign_in(browser, live_server, language: str, viewport: dict):
    phone = viewport["width"] < 600
    other = LOCALES["zh-hans" if language == "en" else "en"]  # the page follows the user's choice
    context = browser.new_context(
        viewport=viewport, locale=other, is_mobile=phone, has_touch=phone, accept_downloads=True
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "leading_group")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")
    return context, page


def _figure(text: str) -> int | None:
    return None if text == "—" else int(text)


def _page_figures(page) -> dict[str, list[tuple[str, list[int | None]]]]:
    return {
        key: [(row[0], [_figure(v) for v in row[1:]]) for row in rows] for key, rows in page.evaluate(TABLES_JS).items()
    }


def _charts_drawn(page) -> None:
    keys = [d.key for d in figures.dimensions()]
    for key in keys:
        page.wait_for_selector(f'[data-chart="{key}"] svg', state="attached")
    assert page.locator("[data-chart] svg").count() >= len(keys)


def _no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide on a {width}px screen"


@pytest.mark.parametrize("language", ["en", "zh-hans"], ids=["en", "zh"])
def test_the_leading_group_filters_the_dashboard_and_downloads_the_same_figures(
    browser, live_server, org, artifacts, language
):
    _populate(org)
    SHOTS.mkdir(parents=True, exist_ok=True)
    short = "zh" if language == "zh-hans" else "en"
    for device, viewport in VIEWPORTS.items():
        context, page = _sign_in(browser, live_server, language, viewport)
        try:
            page.goto(f"{live_server.url}/programme/dashboard/")
            _charts_drawn(page)
            whole = _page_figures(page)
            assert list(whole) == [d.key for d in figures.dimensions()]
            assert whole["talks.coverage"][0][0] == "青溪县"
            cells = [v for rows in whole.values() for _label, values in rows for v in values]
            assert None in cells and any(v is not None and v >= 5 for v in cells)
            _no_sideways_scroll(page, viewport["width"])
            page.screenshot(path=str(SHOTS / f"dashboard-{device}-{short}.png"), full_page=True)
            page.screenshot(path=str(artifacts / f"dashboard-{device}-{short}.png"), full_page=True)

            # Filter a unit: town A, its own people and its section.
            page.select_option("[data-testid=unit-filter]", str(org.town_a.pk))
            page.click("[data-testid=dashboard-filter] button[type=submit]")
            page.wait_for_url(f"**unit={org.town_a.pk}**")
            _charts_drawn(page)
            sliced = _page_figures(page)
            labels = [label for label, _values in sliced["talks.coverage"]]
            assert labels[0] == "城关镇" and labels[-1] == "综合办A" and len(labels) == 3
            town_a = dict(whole["talks.coverage"])["城关镇"]
            assert sliced["talks.coverage"][0][1] == town_a  # a slice of the same table

            # The workbook: the same figures as the page.
            with page.expect_download() as download:
                page.click("[data-testid=ledger-xlsx]")
            path = download.value.path()
            assert download.value.suggested_filename.endswith(".xlsx")
            with translation.override(language):  # the sheets are found by the areas' titles
                in_book = workbook_figures(Path(path).read_bytes(), figures.dimensions())
            assert in_book == sliced
            _no_sideways_scroll(page, viewport["width"])
        finally:
            context.close()
