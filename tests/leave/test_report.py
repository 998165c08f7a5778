"""The HR leave report (issue 11, items 7 and 8): untaken annual leave and work on rest days by unit,
one unit's people, and the CSV / Excel export of the same rows. HR officers see their units and only
theirs; everyone else is refused; bad input is a form error (400), an unknown format a 404; the
report runs a fixed number of queries whatever the headcount."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from leave import selectors_report
from leave.models import LeaveLedgerEntry, LeaveType, OvertimeRecord
from tests.conftest import USER_ROLES, client_for
from tests.factories import make_person, make_unit
from wellbeing.models import OrgUnit, Person

pytestmark = pytest.mark.django_db
D = Decimal
REPORT = reverse("leave:report")


@pytest.fixture(autouse=True)
def _autumn_2026():
    with time_machine.travel("2026-10-12 10:00 +0800", tick=False):
        yield


def _export(fmt: str) -> str:
    return reverse("leave:report-export", args=[fmt])


def _line(person, category, kind, days, year=2026, **fields):
    leave_type = LeaveType.objects.get(category=category)
    fields.setdefault("effective_on", date(year, 3, 1))
    return LeaveLedgerEntry.objects.create(
        person=person, leave_type=leave_type, year=year, kind=kind, days=D(days), created_label="test", **fields
    )


def _annual(person, kind, days, year=2026):
    return _line(person, LeaveType.Category.ANNUAL, kind, days, year)


def _in_lieu(person, kind, days, year=2026, **fields):
    return _line(person, LeaveType.Category.IN_LIEU, kind, days, year, **fields)


def _work(org, person, when, kind, hours, status=OvertimeRecord.Status.CONFIRMED):
    return OvertimeRecord.objects.create(
        person=person,
        work_date=when,
        kind=kind,
        hours=D(hours),
        purpose="防汛值班",
        status=status,
        recorded_by=org.users["supervisor"],
    )


@pytest.fixture
def ledger(org):
    """A small ledger by hand. Town A's own staff: the supervisor (15, 10 taken), the HR officer
    (nothing). Section A1: 王静 (10, 3 taken net of a cancellation; below half), 李明 (5 + 2 carried in,
    4 taken) and someone who has left (not counted). Town B: 陈红 (never shown to town A's officer)."""
    Kind, W = LeaveLedgerEntry.Kind, OvertimeRecord.Kind
    staff, colleague, supervisor = org.people["staff"], org.people["colleague"], org.people["supervisor"]
    _annual(staff, Kind.ALLOCATION, 10)
    _annual(staff, Kind.TAKEN, -3)
    _annual(staff, Kind.TAKEN, -1)
    _annual(staff, Kind.CANCELLED, 1)
    _annual(staff, Kind.ALLOCATION, 10, year=2025)  # another year
    _annual(staff, Kind.TAKEN, -10, year=2025)
    # Time off in lieu (today is 2026-10-12): a day earned in September, half of it used; a day earned
    # in June, past its use-by date and not yet written off (earned this year, but no longer usable);
    # two days earned last year that expired.
    lot = _in_lieu(staff, Kind.ACCRUED, 1, expires_on=date(2026, 11, 20))
    _in_lieu(staff, Kind.USED, "-0.5", lot=lot)
    _in_lieu(staff, Kind.ACCRUED, 1, expires_on=date(2026, 8, 5))
    old = _in_lieu(staff, Kind.ACCRUED, 2, year=2025, expires_on=date(2025, 12, 1))
    _in_lieu(staff, Kind.EXPIRED, -2, year=2025, lot=old)
    _work(org, staff, date(2026, 2, 28), W.WEEKEND, 8)
    _work(org, staff, date(2026, 5, 1), W.HOLIDAY, 4)
    _work(org, staff, date(2026, 6, 6), W.WEEKEND, 6, status=OvertimeRecord.Status.PENDING)  # not confirmed
    _work(org, staff, date(2025, 12, 6), W.WEEKEND, 8)  # last year
    _annual(colleague, Kind.ALLOCATION, 5)
    _annual(colleague, Kind.CARRIED_IN, 2)
    _annual(colleague, Kind.TAKEN, -4)
    _work(org, colleague, date(2026, 3, 3), W.NIGHT, 3)
    _annual(supervisor, Kind.ALLOCATION, 15)
    _annual(supervisor, Kind.TAKEN, -10)
    gone = make_person(org.section_a1, full_name="离职者", status=Person.Status.LEFT, left_on=date(2026, 6, 30))
    _annual(gone, Kind.ALLOCATION, 10)
    outsider = org.people["outsider"]
    _annual(outsider, Kind.ALLOCATION, 10)
    _work(org, outsider, date(2026, 3, 7), W.WEEKEND, 8)
    return org


def _rows(report):
    return {r.name: r for r in report.units}


def test_it_sums_the_ledger_by_unit_for_the_hr_officers_units(ledger):
    org = ledger
    report = selectors_report.untaken_by_unit(org.users["hr_officer"], 2026)
    assert [r.name for r in report.units] == ["城关镇", "综合办A"]  # the tree's order; town B absent
    a1 = _rows(report)["综合办A"]
    assert a1.parents == ("城关镇",) and a1.label == "城关镇 / 综合办A"
    assert (a1.people, a1.entitled, a1.taken, a1.untaken, a1.balance) == (2, 17, 7, 10, 10)
    assert a1.share == 41  # 7 of 17 (two people: nothing is suppressed for HR, who see their units)
    assert a1.below_share == 1  # 王静: 3 of 10
    assert (a1.weekend_hours, a1.holiday_hours, a1.night_hours, a1.rest_day_hours) == (8, 4, 3, 15)
    assert (a1.toil_accrued, a1.toil_unused) == (2, D("0.5"))
    town = _rows(report)["城关镇"]
    assert (town.people, town.entitled, town.taken, town.untaken, town.below_share) == (2, 15, 10, 5, 0)
    assert (town.rest_day_hours, town.share) == (0, 67)
    total = report.total
    assert (total.people, total.entitled, total.taken, total.untaken, total.below_share) == (4, 32, 17, 15, 1)


def test_last_years_report_is_last_years_ledger(ledger):
    a1 = _rows(selectors_report.untaken_by_unit(ledger.users["hr_officer"], 2025))["综合办A"]
    assert (a1.entitled, a1.taken, a1.untaken, a1.below_share) == (10, 10, 0, 0)
    assert (a1.weekend_hours, a1.toil_accrued) == (8, 2)


def test_one_units_people_most_untaken_first(ledger):
    org = ledger
    people = selectors_report.people_in_unit(org.users["hr_officer"], 2026, org.section_a1.pk)
    assert [(p.name, p.entitled, p.taken, p.untaken, p.weekend_hours, p.below_share) for p in people] == [
        ("王静", 10, 3, 7, 8, True),
        ("李明", 7, 4, 3, 0, False),
    ]
    # Another unit's people are not the officer's to see.
    assert selectors_report.people_in_unit(org.users["hr_officer"], 2026, org.section_b1.pk) == []


@pytest.mark.parametrize("principal", ["administrator", "supervisor", "lead_counsellor", "leading_group", "staff"])
def test_nobody_but_hr_gets_figures(ledger, principal):
    user = ledger.users[principal]
    assert selectors_report.untaken_by_unit(user, 2026).units == []
    assert selectors_report.people_in_unit(user, 2026, ledger.section_a1.pk) == []


def test_the_page_shows_the_officers_units_with_a_chart_and_its_table(ledger):
    org = ledger
    response = client_for(org, "hr_officer").get(REPORT, {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert "综合办A" in html and "城关镇" in html
    assert "综合办B" not in html and "陈红" not in html and "青石镇" not in html
    assert 'id="leave-report-data"' in html and "vendor/echarts-5.6.0/echarts.min.js" in html
    chart = response.context["chart_data"]
    assert [(u["name"], u["taken"], u["untaken"], u["hours"]) for u in chart["units"]] == [
        ("城关镇", 10.0, 5.0, 0.0),
        ("综合办A", 7.0, 10.0, 15.0),
    ]
    assert f'data-unit="{org.section_a1.pk}"' in html
    assert 'data-testid="report-people"' not in html  # no unit chosen yet


def test_the_page_opens_one_units_people(ledger):
    org = ledger
    response = client_for(org, "hr_officer").get(REPORT, {"year": 2026, "unit": org.section_a1.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="report-people"' in html
    assert "王静" in html and "李明" in html and "离职者" not in html
    assert reverse("leave:person", args=[org.people["staff"].pk]) in html
    # The export links carry the same choice.
    assert f"{_export('csv')}?year=2026&amp;unit={org.section_a1.pk}" in html


@pytest.mark.parametrize("year", ["abc", "1900", "99999999999999999999", "2026\x00"])
def test_a_bad_year_is_a_form_error(org, year):
    response = client_for(org, "hr_officer").get(REPORT, {"year": year})
    assert response.status_code == 400
    assert response.context["form"].errors["year"]
    assert 'data-testid="report-errors"' in response.content.decode()
    assert client_for(org, "hr_officer").get(_export("csv"), {"year": year}).status_code == 400


def test_a_unit_that_is_not_the_officers_is_a_form_error_and_shows_nobody(ledger):
    org = ledger
    for unit in (org.section_b1.pk, 0, "x", 2**40):
        response = client_for(org, "hr_officer").get(REPORT, {"year": 2026, "unit": unit})
        assert response.status_code == 400, unit
        assert response.context["form"].errors["unit"]
        assert "陈红" not in response.content.decode()
    response = client_for(org, "hr_officer").get(_export("xlsx"), {"year": 2026, "unit": org.section_b1.pk})
    assert response.status_code == 400


@pytest.mark.parametrize("principal", [p for p in USER_ROLES if p != "hr_officer"])
def test_everyone_else_is_refused(org, principal):
    client = client_for(org, principal)
    assert client.get(REPORT).status_code == 403
    assert client.get(_export("csv")).status_code == 403
    assert client.get(_export("xlsx")).status_code == 403


@pytest.mark.parametrize("fmt", ["pdf", "CSV", "xls", "json"])
def test_an_unknown_format_is_not_found(org, fmt):
    assert client_for(org, "hr_officer").get(_export(fmt)).status_code == 404


def test_the_csv_has_the_pages_figures_and_opens_in_excel(ledger):
    response = client_for(ledger, "hr_officer").get(_export("csv"), {"year": 2026})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="leave-report-2026.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for Chinese
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(header) == 13 and [r[0] for r in body] == ["城关镇", "城关镇 / 综合办A"]
    a1 = dict(zip(header, body[1], strict=True))
    assert [a1[h] for h in header[1:8]] == ["2", "17", "7", "10", "10", "41", "1"]
    assert [a1[h] for h in header[8:]] == ["8", "4", "3", "2", "0.5"]


def test_the_excel_file_has_the_same_figures_as_numbers(ledger):
    org = ledger
    response = client_for(org, "hr_officer").get(_export("xlsx"), {"year": 2026})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="leave-report-2026.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["A"].width >= 16
    assert rows[2][:8] == ("城关镇 / 综合办A", 2, 17, 7, 10, 10, 41, 1)
    assert rows[2][8:] == (8, 4, 3, 2, 0.5)
    assert all(isinstance(v, int | float) for v in rows[2][1:])
    # One unit's people: the same numbers as on the page.
    response = client_for(org, "hr_officer").get(_export("xlsx"), {"year": 2026, "unit": org.section_a1.pk})
    assert f'filename="leave-report-2026-unit-{org.section_a1.pk}.xlsx"' in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[:5] for r in rows[1:]] == [("王静", "EX-staff", 10, 3, 7), ("李明", "EX-colleague", 7, 4, 3)]


def test_a_name_is_never_run_as_a_formula(org):
    org.people["colleague"].full_name = "=HYPERLINK(1)"
    org.people["colleague"].save(update_fields=["full_name"])
    client = client_for(org, "hr_officer")
    body = client.get(_export("csv"), {"unit": org.section_a1.pk}).content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body
    sheet = load_workbook(io.BytesIO(client.get(_export("xlsx"), {"unit": org.section_a1.pk}).content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(1)" in names


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def _more_people(org, n: int) -> None:
    """``n`` more people in a new section of town A with a year of leave and rest-day work each."""
    Kind = LeaveLedgerEntry.Kind
    section = make_unit("新区办", parent=org.town_a, kind=OrgUnit.Kind.SECTION)
    for i in range(n):
        person = make_person(section if i % 2 else org.section_a1)
        _annual(person, Kind.ALLOCATION, 10)
        _annual(person, Kind.TAKEN, -(i % 5) - 1)
        _in_lieu(person, Kind.ACCRUED, 1, expires_on=date(2026, 11, 1))
        _work(org, person, date(2026, 3, 7), OvertimeRecord.Kind.WEEKEND, 8)


def test_the_report_runs_the_same_queries_whatever_the_headcount(ledger):
    org = ledger
    user = org.users["hr_officer"]
    client = client_for(org, "hr_officer")

    def counts():
        return (
            _queries(lambda: selectors_report.untaken_by_unit(user, 2026)),
            _queries(lambda: selectors_report.people_in_unit(user, 2026, org.section_a1.pk)),
            _queries(lambda: client.get(REPORT, {"year": 2026, "unit": org.section_a1.pk})),
            _queries(lambda: client.get(_export("xlsx"), {"year": 2026})),
        )

    client.get(REPORT)  # the session settles
    selectors_report.untaken_by_unit(user, 2026)  # the officer's roles, read once per request
    before = counts()
    assert before[:2] == (5, 5)
    _more_people(org, 12)
    after = counts()
    assert after == before
    report = selectors_report.untaken_by_unit(user, 2026)
    assert [r.name for r in report.units] == ["城关镇", "综合办A", "新区办"]
    assert report.total.people == 16
