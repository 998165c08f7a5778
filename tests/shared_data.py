"""Data built once for the tests of one module, each test rolled back to it (``setUpTestData`` for pytest).

A module-scoped fixture opens a transaction with ``shared_transaction``, builds its data in it and
yields. Each test's own transaction (pytest-django's ``db``) is then a savepoint inside that one, rolled
back when the test ends: every test starts from the data as it was built, whatever the test before it
wrote. After the module's last test the outer transaction is rolled back too, so nothing is committed
and no other test sees the data. Under pytest-xdist each worker builds its own copy, when it runs
any of the module's tests (xdist hands out consecutive tests, so a module usually runs on one).

Two rules keep it sound, and ``check_isolation`` (autouse in tests/conftest.py) fails a test that
breaks them:

- every test of such a module uses the fixture: pytest keeps a module-scoped fixture until the module's
  last test, so a test that expects an empty database goes in another module;
- no transactional test (``transaction=True``, ``transactional_db``, ``live_server``) uses it: it
  would commit, or flush the database, inside the shared transaction.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

#: (fixture name, module) of the shared data open now, if any.
_open: tuple[str, str] | None = None


def transactional(request: pytest.FixtureRequest) -> bool:
    """Whether the test runs on committed data (pytest-django's TransactionTestCase)."""
    marker = request.node.get_closest_marker("django_db")
    return bool({"transactional_db", "live_server"} & set(request.fixturenames)) or bool(
        marker and marker.kwargs.get("transaction")
    )


def ensure_shipped_data() -> None:
    """The questionnaires and crisis contacts migration 0018 ships with, and the leave types migration
    0002 ships, are part of every database: put them back if a transactional test flushed them."""
    from django.apps import apps

    from leave.models import LeaveType
    from wellbeing.models import Instrument
    from wellbeing.screening import shipped

    if not Instrument.objects.exists():
        shipped.load(apps)
    if not LeaveType.objects.exists():
        importlib.import_module("leave.migrations.0002_leave_types").create(apps, None)


@contextmanager
def shared_transaction(request: pytest.FixtureRequest, django_db_blocker) -> Iterator[None]:
    """Hold a transaction open for a module-scoped fixture (``request`` is its own), rolled back at the end."""
    global _open
    if request.scope != "module":
        raise RuntimeError(f"{request.fixturename}: shared data belongs to a module-scoped fixture")
    if _open is not None:
        raise RuntimeError(f"{request.fixturename}: the shared data of {_open[1]} ({_open[0]}) is still open")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # as Django's TestCase marks its class-wide block (durable blocks nest)
        outer.__enter__()
    _open = (request.fixturename, request.node.nodeid)
    try:
        yield
    finally:
        _open = None
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def check_isolation(request: pytest.FixtureRequest) -> None:
    """Fail a test that would run inside another test's shared data, or commit or flush it."""
    if _open is None:
        return
    fixture, module = _open
    if fixture not in request.fixturenames:
        pytest.fail(
            f"{request.node.nodeid} would see the data {module} shares through its fixture {fixture!r} "
            "(tests/shared_data.py): every test of that module must use it, or move to another module"
        )
    if transactional(request):
        pytest.fail(f"{request.node.nodeid}: a transactional test cannot use shared data ({fixture!r})")


@dataclass(frozen=True)
class SeededDemo:
    #: What ``seed_demo`` printed.
    output: str
    #: The (travelled) time when it had finished: each test resumes the clock from there.
    clock: datetime

    @contextmanager
    def on_its_clock(self) -> Iterator[str]:
        """The clock of a test that had just seeded the demo itself (ticking); yields the output."""
        with time_machine.travel(self.clock, tick=True):
            yield self.output


@contextmanager
def seeded_demo(request: pytest.FixtureRequest, django_db_blocker, *, at: datetime) -> Iterator[SeededDemo]:
    """``manage.py seed_demo`` run once, on a clock ticking from ``at``, shared as above.

    Without quiet hours, as tests/conftest.py runs every test that does not freeze its clock."""
    with shared_transaction(request, django_db_blocker):
        out = StringIO()
        with (
            django_db_blocker.unblock(),
            override_settings(FOLLOWUP_QUIET_HOURS=""),
            time_machine.travel(at, tick=True),
        ):
            ensure_shipped_data()
            call_command("seed_demo", stdout=out)
            clock = timezone.now()
        yield SeededDemo(out.getvalue(), clock)
