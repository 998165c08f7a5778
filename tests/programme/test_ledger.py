"""The work ledger (issue 13, item 6): an Excel workbook with one sheet per area in the layout an
office expects (title rows, the header row frozen with the unit column, print titles, landscape A4),
headers in the reader's language (Chinese for a Chinese reader), hidden figures as "—", unit names
that a spreadsheet would run as formulas kept as text; and the same as a PDF. For the leading group
only."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.utils import timezone

from programme import services as programme_services
from tests.conftest import USER_ROLES, client_for
from tests.factories import ACTOR, make_person
from tests.programme.test_suppression_property import area_sheets, page_figures, workbook_figures
from wellbeing import figures, services

XLSX = "/programme/dashboard/ledger.xlsx"
PDF = "/programme/dashboard/ledger.pdf"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _book(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    return openpyxl.load_workbook(io.BytesIO(response.content))


@pytest.fixture
def leader(org):
    return client_for(org, "leading_group")


def test_one_sheet_per_area_frozen_headers_print_titles_landscape(org, leader):
    response = leader.get(XLSX)
    assert f"work-ledger-{timezone.localdate().year}.xlsx" in response["Content-Disposition"]
    book = _book(response)
    sheets = area_sheets(book, figures.dimensions())
    assert len(sheets) == len(figures.dimensions())
    assert len({ws.title for ws in sheets.values()}) == len(sheets)
    for key, ws in sheets.items():
        assert ws.freeze_panes == "B5", key
        assert ws.print_title_rows in ("1:4", "$1:$4"), key
        assert ws.page_setup.orientation == "landscape", key
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), key
        assert str(ws["A1"].value).startswith("Work ledger"), key
        header = [c.value for c in ws[4]]
        assert header[:2] == ["Unit", "Staff"], key
        assert len(header) == 2 + len(figures.dimension(key).columns), key


def test_headers_are_in_chinese_for_a_chinese_reader(org, leader):
    leader.cookies["django_language"] = "zh-hans"
    book = _book(leader.get(XLSX, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    for ws in book.worksheets:
        header = [c.value for c in ws[4] if c.value]
        assert header, ws.title
        untranslated = [h for h in header if not CJK.search(str(h))]
        assert not untranslated, f"{ws.title}: {untranslated}"
        assert CJK.search(ws.title), ws.title
        assert CJK.search(str(ws["A1"].value)), ws["A1"].value
    assert [c.value for c in book.worksheets[-1][4]][:2] == ["单位", "人数"]


def test_hidden_figures_are_a_dash_and_shown_ones_numbers(org, leader):
    for _i in range(12):
        make_person(org.section_a1)
    book = _book(leader.get(XLSX))
    cells = [
        c.value
        for ws in area_sheets(book, figures.dimensions()).values()
        for row in ws.iter_rows(min_row=5)
        for c in row[1:]
    ]
    assert "—" in cells
    assert any(isinstance(v, int) and v >= 5 for v in cells)
    assert all(v == "—" or (isinstance(v, int) and (v == 0 or v >= 5)) for v in cells if v is not None)


def test_the_workbook_has_the_dashboards_figures_for_a_unit_too(org, leader):
    for _i in range(7):
        make_person(org.town_a)
    query = {"unit": org.town_a.pk}
    on_page = page_figures(leader.get("/programme/dashboard/", query).content.decode())
    in_book = workbook_figures(leader.get(XLSX, query).content, figures.dimensions())
    assert in_book == on_page
    assert [label for label, _v in in_book["talks.coverage"]] == ["城关镇", "(directly in 城关镇)", "综合办A"]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_unit_names_a_spreadsheet_would_run_stay_text(org, leader, name):
    services.org_unit_update(actor=ACTOR, unit=org.county, name=name)
    services.org_unit_update(actor=ACTOR, unit=org.town_a, name=name + "镇")
    book = _book(leader.get(XLSX))
    for ws in area_sheets(book, figures.dimensions()).values():
        cell = ws["A5"]
        assert cell.data_type != "f", (ws.title, cell.value)
        assert str(cell.value).lstrip().lstrip("'") == name
        assert not str(cell.value).startswith(("=", "+", "-", "@"))
        assert str(ws["A7"].value).strip() == name + "镇"  # a town, indented
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_the_plan_progress_sheet_when_there_is_a_plan(org, leader):
    year = timezone.localdate().year
    plan = programme_services.plan_create(
        actor=org.users["leading_group"], year=year, title="工作计划", owner=org.users["leading_group"]
    )
    programme_services.task_create(
        actor=org.users["leading_group"],
        plan=plan,
        title="讲座",
        category="lecture",
        owner=org.users["staff"],
        due_on=timezone.localdate(),
        indicator="1 场",
    )
    book = _book(leader.get(XLSX))
    assert len(book.worksheets) == len(figures.dimensions()) + 1
    rows = {r[0]: r[1] for r in book.worksheets[0].iter_rows(min_row=5, values_only=True)}
    assert rows["Tasks"] == 1


def test_the_pdf_is_a_pdf_in_either_language(org, leader):
    response = leader.get(PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"work-ledger-{timezone.localdate().year}.pdf" in response["Content-Disposition"]
    leader.cookies["django_language"] = "zh-hans"
    chinese = leader.get(PDF, {"unit": org.town_a.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200 and chinese.content.startswith(b"%PDF")


@pytest.mark.parametrize("url", [XLSX, PDF])
def test_only_the_leading_group_gets_the_ledger(org, url):
    for role in USER_ROLES:
        expected = 200 if role == "leading_group" else 403
        assert client_for(org, role).get(url).status_code == expected, role
    anonymous = client_for(org, "anonymous").get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    api_client = client_for(org, "api_client").get(url)
    assert api_client.status_code == 302  # a token does not sign anyone in to a page
