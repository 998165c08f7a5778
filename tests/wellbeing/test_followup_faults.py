"""Fault test of the reminder pipeline against a real Redis broker and real Celery processes.

2,000 follow-ups fall due. Two beats run side by side; the SMTP server refuses mail for a while and
then recovers; the worker is killed with SIGKILL in the middle of delivering and started again.
Afterwards every (follow-up, stage) has exactly one reminder row and exactly one in-app
notification, and every e-mail digest reached the SMTP server at least once; duplicates are counted
and reported (target 0).

Needs PostgreSQL and Redis (CI provides both: `bash .ci/run`); elsewhere it skips with a message.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from tests.factories import UserFactory, make_person, make_unit
from wellbeing.models import Delivery, FollowUp, Notification, Reminder
from wellbeing.reminders.timing import TimingTable, initial_next_action

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FOLLOWUPS = 2000
OWNERS = 100
REDIS_URL = os.environ.get("FAULT_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        return False


class SmtpSink:
    """A real SMTP server (aiosmtpd) that refuses mail while ``failing`` and counts Message-IDs."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.failing = True
        self.received: Counter[str] = Counter()
        self.refused = 0
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if sink.failing:
                    sink.refused += 1
                    return "451 4.3.0 Try again later"
                message = message_from_bytes(envelope.content)
                time.sleep(0.01)  # a real server takes a moment: deliveries are in flight when killed
                with sink._lock:
                    sink.received[message["X-Tanxin-Delivery"]] += 1
                return "250 OK"

        with socket.socket() as probe:  # a free port (aiosmtpd checks readiness by connecting to it)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def _spawn(args: list[str], env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so SIGKILL reaches the pool's children too
    )


def _kill(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _seed() -> None:
    county = make_unit("县", code="F")
    users = []
    for i in range(OWNERS):
        user = UserFactory(username=f"owner{i}")
        make_person(county, user=user, external_id=f"F{i:04d}")
        users.append(user)
    due = timezone.now() - timedelta(minutes=1)
    timings = TimingTable()
    rows = []
    for i in range(FOLLOWUPS):
        f = FollowUp(owner=users[i % OWNERS], title=f"事项 {i}", due_at=due, kind=FollowUp.Kind.GENERAL)
        f.created_at = due
        f.next_action_at = initial_next_action(f, timings.for_followup(f))
        rows.append(f)
    FollowUp.objects.bulk_create(rows, batch_size=500)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL; CI does)")
def test_every_reminder_once_through_kills_double_beats_and_smtp_failures(tmp_path):
    if not _redis_available():
        pytest.skip(f"needs Redis at {REDIS_URL} (CI starts it)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    _seed()
    smtp = SmtpSink()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.support.fault_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "FAULT_BROKER_URL": REDIS_URL,
        # Celery reads CELERY_BROKER_URL from the environment ahead of the settings: without this the
        # processes would share the suite's broker (and whatever an earlier killed worker left there)
        # instead of the database this test flushes.
        "CELERY_BROKER_URL": REDIS_URL,
        "FAULT_SMTP_PORT": str(smtp.port),
        "FAULT_BEAT_SCHEDULE": str(tmp_path / "unused"),
    }
    log = open(tmp_path / "celery.log", "w")  # noqa: SIM115 - closed in finally
    worker_args = ["worker", "--concurrency=2", "--loglevel=WARNING", "--without-gossip", "--without-mingle"]
    processes: list[subprocess.Popen] = []
    try:
        processes.append(_spawn([*worker_args, "-n", "w1@%h"], env, log))
        for n in (1, 2):  # two beats side by side, each scanning every second
            processes.append(_spawn(["beat", "--loglevel=WARNING", "-s", str(tmp_path / f"beat{n}")], env, log))

        # The scan records every reminder; the SMTP server refuses the digests for now.
        _wait(lambda: Reminder.objects.count() == FOLLOWUPS, 120, "all reminders to be recorded")
        _wait(lambda: smtp.refused >= 20, 60, "the SMTP server to refuse some mail")
        smtp.failing = False

        # Kill the worker in the middle of delivering, then start a new one.
        total = Delivery.objects.count()
        _wait(lambda: sum(smtp.received.values()) >= 10, 60, "deliveries to resume")
        _kill(processes[0])
        sent_when_killed = sum(smtp.received.values())
        assert sent_when_killed < total, "the kill came too late to interrupt delivery"
        processes[0] = _spawn([*worker_args, "-n", "w2@%h"], env, log)

        _wait(
            lambda: not Delivery.objects.exclude(status=Delivery.Status.SENT).exists(),
            180,
            "every delivery to be sent",
        )
    finally:
        for p in processes:
            _kill(p)
        smtp.stop()
        log.close()

    # Exactly one reminder and one notification per (follow-up, stage).
    per_stage = Reminder.objects.values("followup_id", "cycle", "stage").annotate(n=Count("id"))
    assert per_stage.count() == FOLLOWUPS
    assert all(row["n"] == 1 for row in per_stage)
    assert FollowUp.objects.filter(reminders__stage="due").distinct().count() == FOLLOWUPS
    assert Notification.objects.count() == FOLLOWUPS
    assert not Reminder.objects.filter(notification__isnull=True).exists()

    # Every e-mail digest reached the SMTP server at least once; duplicates are reported.
    keys = set(Delivery.objects.filter(channel="email").values_list("key", flat=True))
    missing = keys - set(smtp.received)
    duplicates = sum(n - 1 for n in smtp.received.values())
    print(
        f"\nfault test: {FOLLOWUPS} follow-ups, {len(keys)} e-mail digests, {smtp.refused} refused while SMTP "
        f"was down, worker killed after {sent_when_killed} sent; duplicates: {duplicates} (target 0)"
    )
    assert not missing, f"{len(missing)} digests never reached the SMTP server"
    assert set(smtp.received) <= keys
