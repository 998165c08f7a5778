"""The yearly totals (``LeaveYearTotal``) the HR report reads instead of every ledger line: kept by
each line saved, recomputed after a bulk load, checked by ``manage.py leave_totals``, filled for the
lines an installation already had. (Every other leave test also checks, as it ends, that the totals
agree with the ledger: tests/leave/conftest.py.)"""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from leave import selectors_report
from leave.models import LeaveLedgerEntry, LeaveType, LeaveYearTotal
from leave.services import ledger

pytestmark = pytest.mark.django_db
Kind = LeaveLedgerEntry.Kind


def _line(person, category, kind, days, year=2026, **fields):
    return LeaveLedgerEntry(
        person=person,
        leave_type=LeaveType.objects.get(category=category),
        year=year,
        kind=kind,
        days=D(days),
        effective_on=date(year, 3, 1),
        created_label="test",
        **fields,
    )


def _totals(person):
    return {
        (t.leave_type.category, t.year): (t.granted, t.taken, t.accrued, t.balance, t.lines)
        for t in LeaveYearTotal.objects.filter(person=person).select_related("leave_type")
    }


def test_each_line_saved_adds_to_its_years_total(org):
    staff = org.people["staff"]
    for kind, days, year in (
        (Kind.ALLOCATION, 10, 2026),
        (Kind.CARRIED_IN, 2, 2026),
        (Kind.TAKEN, -3, 2026),
        (Kind.CANCELLED, 1, 2026),
        (Kind.ADJUSTED, "-0.5", 2026),
        (Kind.ALLOCATION, 5, 2025),
    ):
        _line(staff, "annual", kind, days, year).save()
    _line(staff, "in_lieu", Kind.ACCRUED, "1.5", expires_on=date(2026, 12, 1)).save()
    assert _totals(staff) == {
        ("annual", 2026): (D(12), D(2), D(0), D("9.5"), 5),
        ("annual", 2025): (D(5), D(0), D(0), D(5), 1),
        ("in_lieu", 2026): (D(0), D(0), D("1.5"), D("1.5"), 1),
    }
    assert _totals(org.people["colleague"]) == {}


def test_lines_loaded_in_bulk_are_summed_again_and_the_command_says_whether_they_agree(org, capsys):
    staff, colleague = org.people["staff"], org.people["colleague"]
    _line(staff, "annual", Kind.ALLOCATION, 10).save()
    LeaveLedgerEntry.objects.bulk_create(
        [_line(staff, "annual", Kind.TAKEN, -4), _line(colleague, "annual", Kind.ALLOCATION, 5)]
    )  # bulk_create skips save(): the totals lag behind
    wrong = ledger.total_mismatches()
    assert {(w[0], w[3], w[4]) for w in wrong} == {
        (staff.pk, (D(10), D(0), D(0), D(10), 1), (D(10), D(4), D(0), D(6), 2)),
        (colleague.pk, None, (D(5), D(0), D(0), D(5), 1)),
    }
    with pytest.raises(CommandError, match="2 yearly totals differ from the ledger"):
        call_command("leave_totals", "--check")
    assert f"person {staff.pk}" in capsys.readouterr().err

    assert ledger.rebuild_totals([colleague.pk]) == 1  # one person's only
    assert [w[0] for w in ledger.total_mismatches()] == [staff.pk]
    call_command("leave_totals", "--rebuild")
    assert "2 yearly totals recomputed from the ledger." in capsys.readouterr().out
    call_command("leave_totals", "--check")
    assert "agree with the ledger" in capsys.readouterr().out
    assert _totals(staff) == {("annual", 2026): (D(10), D(4), D(0), D(6), 2)}


def test_a_total_that_drifted_is_found_and_repaired_from_the_ledger(org):
    staff = org.people["staff"]
    _line(staff, "annual", Kind.ALLOCATION, 10).save()
    LeaveYearTotal.objects.filter(person=staff).update(balance=D(99))
    assert len(ledger.total_mismatches()) == 1
    ledger.rebuild_totals()
    assert ledger.total_mismatches() == []
    assert _totals(staff)[("annual", 2026)][3] == D(10)


def test_the_migration_sums_the_lines_an_installation_already_has(org):
    staff, colleague = org.people["staff"], org.people["colleague"]
    for line in (
        _line(staff, "annual", Kind.ALLOCATION, 10),
        _line(staff, "annual", Kind.TAKEN, -3),
        _line(colleague, "in_lieu", Kind.ACCRUED, 1, expires_on=date(2026, 12, 1)),
    ):
        line.save()
    expected = _totals(staff), _totals(colleague)
    LeaveYearTotal.objects.all().delete()  # as before migration 0005
    importlib.import_module("leave.migrations.0005_year_totals").fill_totals(apps, None)
    assert (_totals(staff), _totals(colleague)) == expected
    assert ledger.total_mismatches() == []


def test_the_report_counts_what_the_totals_hold_for_the_officers_units(org):
    staff, colleague = org.people["staff"], org.people["colleague"]
    for line in (
        _line(staff, "annual", Kind.ALLOCATION, 10),
        _line(staff, "annual", Kind.TAKEN, -2),  # 20 %: below the share
        _line(colleague, "annual", Kind.ALLOCATION, 5),
        _line(colleague, "annual", Kind.TAKEN, -5),
        _line(colleague, "in_lieu", Kind.ACCRUED, 2, expires_on=date(2026, 12, 1)),
    ):
        line.save()
    report = selectors_report.untaken_by_unit(org.users["hr_officer"], 2026)
    total = report.total
    assert (total.entitled, total.taken, total.untaken, total.below_share, total.toil_accrued) == (
        D(15),
        D(7),
        D(8),
        1,
        D(2),
    )
