"""Two requests or two approvals at the same moment, from two threads with a database connection each
(PostgreSQL: SQLite serialises every write anyway). Whatever the interleaving, the balance never goes
below zero, nothing is taken twice, and the ledger sums to the balance the pages show."""

from __future__ import annotations

import importlib
import threading
from datetime import date
from decimal import Decimal
from decimal import Decimal as D

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from leave import selectors, services
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType, LeaveYearTotal
from leave.services import ledger
from wellbeing.actors import command_actor

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL; CI does)"),
    pytest.mark.django_db(transaction=True),
]

SYSTEM = command_actor("test")
Status = LeaveRequest.Status


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        yield


@pytest.fixture
def annual(org) -> LeaveType:
    # A transactional test that ran earlier flushed the database, shipped rows included: put the
    # leave types back (as migration 0002 does: only the missing ones).
    if not LeaveType.objects.exists():
        importlib.import_module("leave.migrations.0002_leave_types").create(apps, None)
    staff = org.people["staff"]
    staff.work_start_date = date(2014, 7, 1)  # ten days a year
    staff.save(update_fields=["work_start_date"])
    services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
    return LeaveType.objects.get(code="annual")


def at_once(*calls):
    """Run each call in its own thread, all released together; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # collected and checked by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (a deadlock?)"
    return results


def refused(results) -> list[ValidationError]:
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)]
    assert others == [], f"unexpected errors: {others!r}"
    return [r for r in results if isinstance(r, ValidationError)]


def assert_ledger_matches_the_balance_shown(person, annual):
    shown = {b.leave_type.code: b for b in selectors.balances_for(person, 2026)}["annual"]
    total = LeaveLedgerEntry.objects.filter(person=person, leave_type=annual, year=2026).aggregate(s=Sum("days"))["s"]
    assert shown.balance == total
    assert shown.balance >= 0
    assert ledger.total_mismatches() == []  # the HR report's yearly totals too


def test_two_requests_that_together_exceed_the_balance_cannot_both_be_submitted(org, annual):
    staff, user = org.people["staff"], org.users["staff"]
    first = services.RequestInput(annual, date(2026, 4, 13), date(2026, 4, 20))  # 6 days
    second = services.RequestInput(annual, date(2026, 5, 11), date(2026, 5, 18))  # 6 days
    results = at_once(
        lambda: services.request_submit(actor=user, person=staff, data=first),
        lambda: services.request_submit(actor=user, person=staff, data=second),
    )
    [error] = refused(results)
    assert "end_date" in error.message_dict
    [waiting] = LeaveRequest.objects.filter(person=staff)
    assert (waiting.status, waiting.days) == (Status.PENDING, 6)
    services.request_decide(actor=org.users["supervisor"], request=waiting, approve=True)
    assert_ledger_matches_the_balance_shown(staff, annual)
    assert selectors.balances_for(staff, 2026)[0].balance == 4


def test_two_approvals_racing_never_take_more_than_the_balance(org, annual):
    staff, supervisor = org.people["staff"], org.users["supervisor"]
    requests = [
        services.request_submit(actor=org.users["staff"], person=staff, data=services.RequestInput(annual, start, end))
        for start, end in ((date(2026, 4, 13), date(2026, 4, 17)), (date(2026, 4, 20), date(2026, 4, 24)))
    ]
    # HR corrects the balance down after both were sent: 9 days left, 10 asked for.
    services.ledger_adjust(
        actor=org.users["hr_officer"], person=staff, leave_type=annual, year=2026, days=-1, reason="更正多计天数"
    )
    results = at_once(
        *[lambda r=r: services.request_decide(actor=supervisor, request=r, approve=True) for r in requests]
    )
    assert len(refused(results)) >= 1
    statuses = list(LeaveRequest.objects.filter(person=staff).values_list("status", flat=True))
    assert statuses.count(Status.APPROVED) <= 1
    taken = -(LeaveLedgerEntry.objects.filter(person=staff, kind="taken").aggregate(s=Sum("days"))["s"] or 0)
    assert taken <= 9
    assert_ledger_matches_the_balance_shown(staff, annual)


def test_two_approvals_that_fit_both_go_through(org, annual):
    staff, supervisor = org.people["staff"], org.users["supervisor"]
    requests = [
        services.request_submit(actor=org.users["staff"], person=staff, data=services.RequestInput(annual, start, end))
        for start, end in ((date(2026, 4, 13), date(2026, 4, 17)), (date(2026, 4, 20), date(2026, 4, 24)))
    ]
    results = at_once(
        *[lambda r=r: services.request_decide(actor=supervisor, request=r, approve=True) for r in requests]
    )
    assert refused(results) == []
    assert set(LeaveRequest.objects.filter(person=staff).values_list("status", flat=True)) == {Status.APPROVED}
    assert selectors.balances_for(staff, 2026)[0].balance == 0
    assert_ledger_matches_the_balance_shown(staff, annual)


def test_the_same_request_approved_twice_at_once_is_taken_once(org, annual):
    staff, supervisor = org.people["staff"], org.users["supervisor"]
    request = services.request_submit(
        actor=org.users["staff"],
        person=staff,
        data=services.RequestInput(annual, date(2026, 4, 13), date(2026, 4, 17)),
    )
    results = at_once(
        lambda: services.request_decide(actor=supervisor, request=request, approve=True),
        lambda: services.request_decide(actor=supervisor, request=request, approve=True),
    )
    [error] = refused(results)
    assert "__all__" in error.message_dict
    assert LeaveLedgerEntry.objects.filter(request=request, kind="taken").aggregate(s=Sum("days"))["s"] == Decimal(-5)
    assert_ledger_matches_the_balance_shown(staff, annual)


def test_lines_written_at_once_for_the_same_year_all_count_in_its_total(org, annual):
    """No lock is shared by two corrections of the same person's year: the total's upsert adds each."""
    staff, hr = org.people["staff"], org.users["hr_officer"]
    results = at_once(
        *[
            lambda days=days: services.ledger_adjust(
                actor=hr, person=staff, leave_type=annual, year=2026, days=days, reason="补记加班折算"
            )
            for days in (1, 2, D("0.5"))
        ]
    )
    assert refused(results) == []
    total = LeaveYearTotal.objects.get(person=staff, leave_type=annual, year=2026)
    assert (total.granted, total.balance) == (10, D("13.5"))
    assert_ledger_matches_the_balance_shown(staff, annual)
