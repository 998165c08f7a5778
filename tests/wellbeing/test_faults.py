"""Faults a county's system must survive (issue 14, docs/faults.md): the database lost in the middle
of a request, a read-only or full database, a broker that lost its messages, SMTP and webhooks down
for an hour, and a worker killed in the middle of a scan.

What runs real processes lives elsewhere: the worker killed with SIGKILL while delivering, on a real
Redis, in test_followup_faults.py; PostgreSQL restarted under gunicorn in scripts/faults/pg_restart.py.
"""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import psycopg
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from talks.models import Talk, TalkAction
from tests.conftest import verified_login
from tests.factories import ACTOR
from wellbeing import services, tasks
from wellbeing.models import AuditEvent, Delivery, FollowUp, Notification, Reminder, ScanRun, Tier, WebhookEndpoint
from wellbeing.reminders import scan as scan_module
from wellbeing.reminders.scan import run_scan

TZ = ZoneInfo("Asia/Shanghai")
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL; CI does)"
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _talk_form(org) -> dict:
    when = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    return {
        "participants": [org.people["colleague"].pk],
        "kind": "individual",
        "occasion": "routine",
        "held_at": when.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "mood": "3",
        "main_content": "谈了工作安排",
        "confidentiality": "normal",
        "referral_urgency": "routine",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
        "actions-0-description": "调整值班表",
        "actions-0-owner_kind": "supervisor",
        "actions-0-due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }


def _talk_json() -> dict:
    return {
        "participants": ["EX-colleague"],
        "held_at": timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0).isoformat(),
        "main_content": "谈了近况",
        "actions": [{"description": "安排探望", "due_date": (timezone.localdate() + timedelta(days=1)).isoformat()}],
    }


def _written() -> tuple[int, int, int, int]:
    return Talk.objects.count(), TalkAction.objects.count(), FollowUp.objects.count(), AuditEvent.objects.count()


class LoseConnectionAt:
    """A query wrapper that loses the connection at the first statement matching ``marker`` - after
    the request has already written other rows in its transaction. ``kill`` (PostgreSQL) really ends
    the server process serving the connection; otherwise the error Django raises then is raised."""

    def __init__(self, marker: str, *, kill: bool = False, cause: Exception | None = None):
        self.marker, self.kill, self.cause, self.fired = marker, kill, cause, 0

    def __call__(self, execute, sql, params, many, context):
        if self.marker in sql and not self.fired:
            self.fired += 1
            if self.kill:
                pid = context["connection"].connection.info.backend_pid
                db = django_settings.DATABASES["default"]
                with psycopg.connect(
                    host=db["HOST"] or "127.0.0.1",
                    port=db["PORT"] or 5432,
                    user=db["USER"],
                    password=db["PASSWORD"] or None,
                    dbname=db["NAME"],
                    autocommit=True,
                ) as other:
                    other.execute("SELECT pg_terminate_backend(%s)", [pid])
            elif self.cause is not None:
                raise OperationalError(str(self.cause)) from self.cause
            else:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


# --- 1. The database lost in the middle of a request ------------------------------------------------------


def test_a_connection_lost_while_logging_a_talk_is_a_503_page_and_nothing_is_half_written(as_principal, org):
    client = as_principal("supervisor")
    before = _written()
    fault = LoseConnectionAt('INSERT INTO "talks_talkaction"')
    with connection.execute_wrapper(fault):
        response = client.post("/talks/new/", _talk_form(org))
    assert fault.fired == 1  # the talk row was written before the connection went
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "The database cannot be reached at the moment" in page and "Traceback" not in page
    assert _written() == before  # the talk, its action, its follow-ups and audit rows: all or nothing
    # The next request works, and logs the talk whole.
    response = client.post("/talks/new/", _talk_form(org))
    assert response.status_code == 302
    talk = Talk.objects.latest("id")
    assert TalkAction.objects.filter(talk=talk).count() == 1


def test_a_connection_lost_in_an_api_call_is_a_503_in_the_one_error_shape(as_principal, org):
    api = as_principal("supervisor", api=True)
    before = _written()
    with connection.execute_wrapper(LoseConnectionAt('INSERT INTO "talks_talkaction"')):
        response = api.post("/api/v1/talks/", _talk_json(), format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "message": "The database cannot be reached at the moment. Please try again in a minute.",
        "errors": {},
    }
    assert _written() == before
    assert api.post("/api/v1/talks/", _talk_json(), format="json").status_code == 201


@pytest.mark.parametrize(("path", "json_body"), [("/", False), ("/api/v1/talks/", True)])
def test_a_connection_lost_before_the_view_runs_is_a_503_too(org, path, json_body):
    """Loading the session happens in middleware, outside any view: Django's error handler answers."""
    client = Client(raise_request_exception=False)
    verified_login(client, org.users["supervisor"])
    with connection.execute_wrapper(LoseConnectionAt('FROM "django_session"')):
        response = client.get(path)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    if json_body:
        assert response.json()["message"].startswith("The database cannot be reached")
    else:
        assert "The database cannot be reached" in response.content.decode()
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "sqlstate",
    ["40P01", "40001", "57014", "54000", "42P01"],  # deadlock, serialization, timeout, limit, no table
)
def test_an_error_of_the_request_itself_is_a_500_not_a_503(org, sqlstate):
    """A database error that is not about reaching the database must not hide behind 'try again'."""
    cause = psycopg.errors.lookup(sqlstate)("crafted")
    client = Client(raise_request_exception=False)
    verified_login(client, org.users["supervisor"])
    with connection.execute_wrapper(LoseConnectionAt('FROM "django_session"', cause=cause)):
        assert client.get("/").status_code == 500


def test_a_bug_is_still_a_500_not_a_503(org):
    """Only database faults are 503: a programming error must not hide behind 'try again'."""
    client = Client(raise_request_exception=False)
    verified_login(client, org.users["supervisor"])

    def broken(execute, sql, params, many, context):
        if 'FROM "django_session"' in sql:
            raise ZeroDivisionError
        return execute(sql, params, many, context)

    with connection.execute_wrapper(broken):
        assert client.get("/").status_code == 500


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_server_process_killed_mid_request_is_a_503_and_the_next_request_reconnects(as_principal, org):
    """The real thing on PostgreSQL: the server process serving the connection is terminated (what a
    restart does to every connection) after the talk row was written."""
    client = as_principal("supervisor")
    before = _written()
    fault = LoseConnectionAt('INSERT INTO "talks_talkaction"', kill=True)
    with connection.execute_wrapper(fault):
        response = client.post("/talks/new/", _talk_form(org))
    assert fault.fired == 1
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert _written() == before  # the server rolled the transaction back when its process ended
    response = client.post("/talks/new/", _talk_form(org))
    assert response.status_code == 302
    assert Talk.objects.count() == before[0] + 1


def test_a_stale_connection_is_checked_and_replaced_on_postgresql():
    """Pooled (the default) or persistent connections: each is health-checked before use, so after a
    restart a dead one is replaced instead of failing a request."""
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['CONN_HEALTH_CHECKS'], d['CONN_MAX_AGE'], 'pool' in d.get('OPTIONS', {}))"
    )
    seen = []
    for pool in ("true", "false"):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": "postgres://tanxin@db.example/tanxin",
            "DATABASE_POOL": pool,
        }
        out = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=django_settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seen.append(out.stdout.split())
    assert seen == [["True", "0", "True"], ["True", "60", "False"]]


# --- 5. A read-only or full database ----------------------------------------------------------------------


def test_a_full_disk_is_a_503_saying_the_database_cannot_take_writes(as_principal, org):
    api = as_principal("supervisor", api=True)
    before = _written()
    full = psycopg.errors.DiskFull("could not extend file: No space left on device")
    with connection.execute_wrapper(LoseConnectionAt('INSERT INTO "talks_talkaction"', cause=full)):
        response = api.post("/api/v1/talks/", _talk_json(), format="json")
    assert response.status_code == 503
    assert response.json()["message"].startswith("The database cannot take writes at the moment")
    assert _written() == before


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_read_only_database_refuses_writes_clearly_and_health_turns_red(as_principal, org, settings):
    settings.ESCALATION_SECOND_LINE_CLINICAL = ["counsellor"]  # fully configured: health is "ok"
    page = as_principal("supervisor")
    api = as_principal("supervisor", api=True)
    run_scan(timezone.now())
    health = Client().get("/health/")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    before = _written()
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")  # this session: what a standby does
    try:
        response = page.post("/talks/new/", _talk_form(org))
        assert response.status_code == 503 and response["Retry-After"] == "5"
        assert "The database cannot take writes at the moment" in response.content.decode()
        response = api.post("/api/v1/talks/", _talk_json(), format="json")
        assert response.status_code == 503
        assert response.json()["message"].startswith("The database cannot take writes at the moment")
        health = Client().get("/health/")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "failing"
        assert body["checks"]["database"] == {"ok": True}
        assert body["checks"]["database_writes"] == {"ok": False, "error": "read_only"}
        assert body["checks"]["broker"] == {"ok": True}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")
    assert _written() == before
    health = Client().get("/health/")
    assert health.status_code == 200 and health.json()["checks"]["database_writes"] == {"ok": True}


def test_health_names_each_check_and_turns_red_when_the_database_or_the_broker_is_away(org, settings):
    settings.ESCALATION_SECOND_LINE_CLINICAL = ["counsellor"]
    run_scan(timezone.now())
    body = Client().get("/health/").json()
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": {"ok": True},
        "database_writes": {"ok": True},
        "broker": {"ok": True},
        "scan": {"ok": True},
    }
    # The broker is away (nothing listens on that port).
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    response = Client().get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["checks"]["broker"] == {"ok": False, "error": "OperationalError"}
    settings.CELERY_BROKER_URL = "memory://"
    # The database is away: no query answers.
    with connection.execute_wrapper(lambda *args: (_ for _ in ()).throw(OperationalError("connection refused"))):
        response = Client().get("/health/")
    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "checks": {
            "database": {"ok": False, "error": "unavailable"},
            "database_writes": {"ok": False},
            "broker": {"ok": True},
        },
    }


# --- Reminders: a frozen clock ----------------------------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield traveller


def _beat(clock, when: datetime, capture, task=tasks.retry_deliveries) -> None:
    clock.move_to(when)
    with capture(execute=True):
        task()


# --- 2. Redis restarted and flushed -----------------------------------------------------------------------


def test_messages_lost_with_a_flushed_broker_are_sent_by_the_sweep_once(
    org, clock, monkeypatch, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    lost: list[tuple[str, tuple]] = []
    for task in (tasks.deliver, tasks.dispatch_followup):
        monkeypatch.setattr(task, "delay", lambda *args, _name=task.name: lost.append((_name, args)))
    staff = org.users["staff"]
    mine = [
        services.followup_create(actor=ACTOR, owner=staff, title=f"事项{i}", due_at=at("2026-03-02 10:00"))
        for i in range(3)
    ]
    with cap(execute=True):  # a red item is dispatched at once, after its commit: that message is lost too
        red = services.followup_create(
            actor=ACTOR, owner=staff, title="紧急事项", due_at=at("2026-03-02 09:30"), tier=Tier.RED
        )
    mine.append(red)
    # The beat's scan records every reminder and its inbox item in the database, then queues the
    # digests - and the broker (Redis restarted without persistence, or flushed) loses every message.
    _beat(clock, at("2026-03-02 10:00"), cap, task=tasks.scan_followups)
    assert {name for name, _args in lost} == {"wellbeing.deliver", "wellbeing.dispatch_followup"}
    reminders = Reminder.objects.filter(followup__in=mine)
    recorded = reminders.count()
    assert reminders.filter(followup__in=mine[:3]).count() == 3
    assert reminders.filter(followup=red, stage="alert").count() == 1  # the lost red dispatch: the scan took it
    assert Notification.objects.filter(reminder__in=reminders).count() == recorded
    deliveries = Delivery.objects.all()
    delivery = deliveries.get(recipient=staff)
    assert (delivery.status, delivery.attempts, mail.outbox) == ("pending", 0, [])
    monkeypatch.undo()  # Redis is back, empty

    _beat(clock, at("2026-03-02 10:00:30"), cap)
    assert mail.outbox == []  # the first attempt's own message might still be on its way
    _beat(clock, at("2026-03-02 10:01"), cap)  # the sweep sends what is still pending
    assert {(d.status, d.attempts) for d in deliveries} == {("sent", 1)}
    to_staff = [m for m in mail.outbox if m.to == [staff.email]]
    assert len(to_staff) == 1 and all(f.title in to_staff[0].body for f in mine)
    sent = len(mail.outbox)
    # A lost message that turns up after all (re-delivered), the sweep again, the scan again: nothing twice.
    for name, args in lost:
        getattr(tasks, name.split(".")[1])(*args)
    _beat(clock, at("2026-03-02 10:02"), cap)
    _beat(clock, at("2026-03-02 10:02"), cap, task=tasks.scan_followups)
    assert len(mail.outbox) == sent
    assert reminders.count() == Notification.objects.filter(reminder__in=reminders).count() == recorded
    assert Delivery.objects.filter(recipient=staff).count() == 1


# --- 3. SMTP and webhooks down for an hour -----------------------------------------------------------------


class OutageBackend(BaseEmailBackend):
    """An SMTP server that refuses every message until ``back_at`` (a frozen-clock time)."""

    back_at: datetime | None = None
    sent: list = []

    def send_messages(self, messages):
        if timezone.now() < OutageBackend.back_at:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        OutageBackend.sent.extend(messages)
        return len(messages)


class DownReceiver(BaseHTTPRequestHandler):
    back_at: datetime | None = None
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        up = timezone.now() >= DownReceiver.back_at
        if up:
            DownReceiver.received.append((self.path, body))
        self.send_response(200 if up else 502)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}' if up else b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), DownReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_smtp_and_webhooks_down_for_an_hour_are_retried_with_backoff_then_delivered_once(
    org, clock, receiver, settings, django_capture_on_commit_callbacks
):
    """With the shipped retry settings (60 s doubling, 8 attempts), an hour's outage costs six
    attempts and the seventh, at 11:03, delivers each message once."""
    cap = django_capture_on_commit_callbacks
    settings.EMAIL_BACKEND = "tests.wellbeing.test_faults.OutageBackend"
    OutageBackend.back_at = DownReceiver.back_at = at("2026-03-02 11:00")
    OutageBackend.sent, DownReceiver.received = [], []
    WebhookEndpoint.objects.create(name="hr", url=f"{receiver}/hook", secret="s3cret")
    WebhookEndpoint.objects.create(name="wecom group", url=f"{receiver}/wecom?key=k", format="wecom")
    WebhookEndpoint.objects.create(name="dingtalk group", url=f"{receiver}/ding?access_token=t", format="dingtalk")
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="整理台账", due_at=at("2026-03-02 10:00"))
    _beat(clock, at("2026-03-02 10:00"), cap, task=tasks.scan_followups)
    assert Delivery.objects.count() == 4

    attempts: dict[int, list[str]] = {d.pk: [] for d in Delivery.objects.all()}
    seen = dict.fromkeys(attempts, 0)
    minute = at("2026-03-02 10:00")
    while minute <= at("2026-03-02 11:15"):  # the beat's sweep every minute for 75 minutes
        for d in Delivery.objects.all():
            if d.attempts != seen[d.pk]:
                attempts[d.pk].append(timezone.localtime(minute).strftime("%H:%M"))
                seen[d.pk] = d.attempts
        minute += timedelta(minutes=1)
        _beat(clock, minute, cap)

    expected = ["10:00", "10:01", "10:03", "10:07", "10:15", "10:31", "11:03"]
    for d in Delivery.objects.all():
        assert (d.status, d.attempts, timezone.localtime(d.sent_at).strftime("%H:%M")) == ("sent", 7, "11:03"), d.key
        assert attempts[d.pk] == expected, d.key
    assert len(OutageBackend.sent) == 1
    assert sorted(path.split("?")[0] for path, _body in DownReceiver.received) == ["/ding", "/hook", "/wecom"]
    assert json.loads(dict(DownReceiver.received)["/hook"])["total"] == 1


# --- 4. The worker killed during a scan --------------------------------------------------------------------


def test_a_scan_killed_midway_loses_and_doubles_nothing(
    org, clock, settings, monkeypatch, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    settings.FOLLOWUP_SCAN_BATCH = 100
    owners = [org.users["staff"], org.users["supervisor"]]
    followups = [
        services.followup_create(actor=ACTOR, owner=owners[i % 2], title=f"事项{i}", due_at=at("2026-03-02 10:00"))
        for i in range(450)
    ]
    real = scan_module._notify_in_app
    calls = []

    def killed_in_the_third_batch(rows, found):
        calls.append(len(rows))
        if len(calls) == 3:
            raise SystemExit("worker killed")  # not an Exception: nothing in the scan catches it
        return real(rows, found)

    monkeypatch.setattr(scan_module, "_notify_in_app", killed_in_the_third_batch)
    clock.move_to(at("2026-03-02 10:00"))
    with pytest.raises(SystemExit), cap(execute=True):
        tasks.scan_followups()
    monkeypatch.undo()
    dead = ScanRun.objects.get()
    # Two batches were committed; the third rolled back whole; no digest was made.
    assert (Reminder.objects.count(), Notification.objects.count(), dead.reminders) == (200, 200, 200)
    assert dead.digested_at is None and mail.outbox == []

    # The restarted worker's next scan takes the rest; the recovery sends the dead run's digests.
    _beat(clock, at("2026-03-02 10:01"), cap, task=tasks.scan_followups)
    assert Reminder.objects.count() == 450
    _beat(clock, at("2026-03-02 10:06"), cap, task=tasks.recover_scan_runs)
    # And everything once more: nothing new.
    _beat(clock, at("2026-03-02 10:07"), cap, task=tasks.scan_followups)
    _beat(clock, at("2026-03-02 10:08"), cap, task=tasks.recover_scan_runs)
    _beat(clock, at("2026-03-02 10:09"), cap)

    per_followup = Reminder.objects.values_list("followup_id", flat=True)
    assert sorted(per_followup) == sorted(f.pk for f in followups)  # each exactly once
    assert Notification.objects.count() == 450
    assert not Reminder.objects.filter(notification__isnull=True).exists()
    # Two runs, each with one digest per owner, each sent once.
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["sent"] * 4
    assert len(mail.outbox) == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(2 * [u.email for u in owners])
