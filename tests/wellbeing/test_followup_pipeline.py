"""The reminder pipeline with a frozen clock: every stage, every channel, quiet hours, snooze, an
unavailable owner, and a red follow-up dispatched on creation."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import ACTOR
from wellbeing import services
from wellbeing.models import (
    AuditEvent,
    Delivery,
    FollowUp,
    Notification,
    Reminder,
    ReminderPolicy,
    Stage,
    Tier,
    Unavailability,
    WebhookEndpoint,
)
from wellbeing.reminders import delivery as delivery_mod
from wellbeing.reminders.scan import due_for_retry, run_scan
from wellbeing.tasks import deliver, recover_scan_runs, retry_deliveries, scan_followups

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield traveller


def scan(clock, when: str, capture) -> list[Reminder]:
    """Move the clock, run the beat's scan task (deliveries run eagerly after commit), and return the
    reminders it recorded."""
    clock.move_to(at(when))
    before = set(Reminder.objects.values_list("pk", flat=True))
    with capture(execute=True):
        scan_followups()
    return list(Reminder.objects.exclude(pk__in=before).order_by("id"))


def stages(reminders) -> list[tuple[str, int, str]]:
    return [(r.stage, r.repeat, r.recipient.username) for r in reminders]


@pytest.fixture
def talk_due(org, clock):
    return services.followup_create(
        actor=org.users["supervisor"],
        owner=org.users["staff"],
        title="与李明谈心",
        kind=FollowUp.Kind.TALK_DUE,
        due_at=at("2026-03-03 10:00"),
        person=org.people["colleague"],
    )


def test_it_walks_a_follow_up_through_every_stage(org, clock, talk_due, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    assert scan(clock, "2026-03-03 09:59", cap) == []
    assert stages(scan(clock, "2026-03-03 10:00", cap)) == [("due", 0, "staff")]
    assert scan(clock, "2026-03-03 10:30", cap) == []  # nothing twice
    # Routine grace is one day; then overdue to the owner.
    assert stages(scan(clock, "2026-03-04 10:00", cap)) == [("overdue", 0, "staff")]
    # Daily repeats while overdue...
    assert stages(scan(clock, "2026-03-05 10:00", cap)) == [("repeat", 1, "staff")]
    assert stages(scan(clock, "2026-03-06 10:05", cap)) == [("repeat", 2, "staff")]
    # ...and escalation to the owner's manager three days after it became overdue.
    assert stages(scan(clock, "2026-03-07 10:00", cap)) == [("escalated", 0, "supervisor"), ("repeat", 3, "staff")]
    assert Notification.objects.filter(reminder__followup=talk_due).count() == 6
    assert len(mail.outbox) == 6  # one digest per recipient per scan
    services.followup_complete(actor=org.users["staff"], followup=talk_due, by_record=True)  # the talk was logged
    assert scan(clock, "2026-03-09 10:00", cap) == []


def test_after_an_outage_only_the_latest_repeat_is_sent(org, clock, talk_due, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    scan(clock, "2026-03-03 10:00", cap)
    scan(clock, "2026-03-04 10:00", cap)
    got = stages(scan(clock, "2026-03-06 12:00", cap))  # beat was down for two days
    assert got == [("repeat", 2, "staff")]


def test_one_digest_per_recipient_lists_all_their_items(org, clock, django_capture_on_commit_callbacks):
    for i in range(3):
        services.followup_create(actor=ACTOR, owner=org.users["staff"], title=f"事项{i}", due_at=at("2026-03-02 10:00"))
    reminders = scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    assert len(reminders) == 3
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["staff@example.gov.cn"]
    for i in range(3):
        assert f"事项{i}" in message.body
    assert Notification.objects.filter(recipient=org.users["staff"]).count() == 3


def test_messages_carry_no_sensitive_text(org, clock, django_capture_on_commit_callbacks):
    services.followup_create(
        actor=ACTOR,
        owner=org.users["counsellor"],
        title="个案回访",
        kind=FollowUp.Kind.CASE_CONTACT,
        person=org.people["colleague"],
        due_at=at("2026-03-02 10:00"),
    )
    WebhookEndpoint.objects.create(name="team", url="http://127.0.0.1:9/", include_clinical=True)
    scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    body = mail.outbox[0].body + mail.outbox[0].alternatives[0][0]
    assert "个案回访" not in body  # counselling work is named by its kind only, even to its owner
    assert "李明" not in body  # the person it is about is never named
    assert "/follow-ups/" in body
    payload = json.dumps(
        delivery_mod.webhook_payload(Delivery.objects.get(channel="webhook"), list(Reminder.objects.all())),
        ensure_ascii=False,
    )
    assert "李明" not in payload


def test_a_red_follow_up_is_dispatched_on_creation_and_escalates_unacknowledged(
    org, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        red = services.followup_create(
            actor=ACTOR,
            owner=org.users["counsellor"],
            title="紧急：当日联系",
            kind=FollowUp.Kind.CASE_CONTACT,
            tier=Tier.RED,
            due_at=at("2026-03-02 17:00"),
        )
    assert stages(Reminder.objects.filter(followup=red)) == [("alert", 0, "counsellor")]
    assert mail.outbox[0].subject.startswith("[Urgent]")
    # Not acknowledged within the hour: escalated to the lead counsellor (counselling work).
    assert scan(clock, "2026-03-02 09:59", django_capture_on_commit_callbacks) == []
    assert stages(scan(clock, "2026-03-02 10:01", django_capture_on_commit_callbacks)) == [
        ("escalated", 0, "lead_counsellor")
    ]


def test_an_acknowledged_red_item_does_not_escalate_early(org, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        red = services.followup_create(
            actor=ACTOR, owner=org.users["staff"], title="紧急", tier=Tier.RED, due_at=at("2026-03-02 17:00")
        )
    clock.move_to(at("2026-03-02 09:20"))
    services.followup_acknowledge(actor=org.users["staff"], followup=red)
    assert stages(scan(clock, "2026-03-02 10:01", django_capture_on_commit_callbacks)) == []
    assert stages(scan(clock, "2026-03-02 17:00", django_capture_on_commit_callbacks)) == [
        ("due", 0, "staff"),
        ("overdue", 0, "staff"),  # red has no grace
    ]


def test_quiet_hours_hold_everything_but_red(org, clock, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    routine = services.followup_create(
        actor=ACTOR, owner=org.users["staff"], title="例行", due_at=at("2026-03-02 23:00")
    )
    assert scan(clock, "2026-03-02 23:30", cap) == []
    clock.move_to(at("2026-03-03 02:00"))
    with cap(execute=True):
        red = services.followup_create(
            actor=ACTOR, owner=org.users["staff"], title="紧急", tier=Tier.RED, due_at=at("2026-03-03 08:00")
        )
    assert Reminder.objects.filter(followup=red, stage=Stage.ALERT).exists()  # red ignores quiet hours
    assert scan(clock, "2026-03-03 06:59", cap) == [] or all(r.followup == red for r in Reminder.objects.all())
    assert not Reminder.objects.filter(followup=routine).exists()
    got = scan(clock, "2026-03-03 07:00", cap)
    assert ("due", 0, "staff") in [(r.stage, r.repeat, r.recipient.username) for r in got if r.followup == routine]


def test_snooze_holds_reminders_then_starts_again(org, clock, talk_due, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    scan(clock, "2026-03-03 10:00", cap)
    clock.move_to(at("2026-03-03 11:00"))
    services.followup_snooze(
        actor=org.users["staff"], followup=talk_due, until=at("2026-03-06 09:00"), reason="对方出差"
    )
    assert scan(clock, "2026-03-05 10:00", cap) == []  # no overdue, no repeat while snoozed
    assert stages(scan(clock, "2026-03-06 09:00", cap)) == [("due", 0, "staff")]
    talk_due.refresh_from_db()
    assert talk_due.status == FollowUp.Status.OPEN and talk_due.cycle == 2
    assert stages(scan(clock, "2026-03-07 09:00", cap)) == [("overdue", 0, "staff")]


@pytest.mark.parametrize(
    ("until", "reason", "field"),
    [
        ("2026-03-01 09:00", "x", "until"),
        ("2026-03-30 09:00", "x", "until"),
        ("2026-03-03 09:00", "  ", "reason"),
    ],
    ids=["past", "too-far", "no-reason"],
)
def test_bad_snoozes_are_refused_and_change_nothing(org, clock, talk_due, until, reason, field):
    with pytest.raises(ValidationError) as exc:
        services.followup_snooze(actor=org.users["staff"], followup=talk_due, until=at(until), reason=reason)
    assert field in exc.value.message_dict
    talk_due.refresh_from_db()
    assert talk_due.status == FollowUp.Status.OPEN and talk_due.cycle == 1


def test_red_items_cannot_be_snoozed(org, clock):
    red = services.followup_create(
        actor=ACTOR, owner=org.users["staff"], title="紧急", tier=Tier.RED, due_at=at("2026-03-02 17:00")
    )
    with pytest.raises(ValidationError, match="Red"):
        services.followup_snooze(actor=org.users["staff"], followup=red, until=at("2026-03-02 12:00"), reason="x")


def test_only_the_owner_can_complete_it(org, clock, talk_due):
    with pytest.raises(PermissionDenied):
        services.followup_complete(actor=org.users["outsider"], followup=talk_due, by_record=True)
    services.followup_complete(actor=org.users["staff"], followup=talk_due, outcome="已谈", by_record=True)
    with pytest.raises(ValidationError):
        services.followup_complete(actor=org.users["staff"], followup=talk_due, by_record=True)


def test_bad_follow_up_input_is_refused(org, clock):
    before = FollowUp.objects.count()
    for title in ["", "x" * 201, "坏\x00标题"]:
        with pytest.raises(ValidationError):
            services.followup_create(actor=ACTOR, owner=org.users["staff"], title=title, due_at=at("2026-03-03 10:00"))
    assert FollowUp.objects.count() == before


def test_an_unavailable_owner_has_reminders_routed_to_their_delegate(
    org, clock, talk_due, django_capture_on_commit_callbacks
):
    Unavailability.objects.create(
        user=org.users["staff"],
        starts_at=at("2026-03-01 00:00"),
        ends_at=at("2026-03-10 00:00"),
        delegate=org.users["hr_officer"],
    )
    got = scan(clock, "2026-03-03 10:00", django_capture_on_commit_callbacks)
    assert stages(got) == [("due", 0, "hr_officer")]
    assert got[0].routed_from == org.users["staff"]


def test_without_a_delegate_they_go_to_the_escalation_target(org, clock, talk_due, django_capture_on_commit_callbacks):
    Unavailability.objects.create(
        user=org.users["staff"], starts_at=at("2026-03-01 00:00"), ends_at=at("2026-03-10 00:00")
    )
    assert stages(scan(clock, "2026-03-03 10:00", django_capture_on_commit_callbacks)) == [("due", 0, "supervisor")]


def test_without_a_manager_escalation_goes_to_the_units_supervisor(org, clock, django_capture_on_commit_callbacks):
    f = services.followup_create(
        actor=ACTOR,
        owner=org.users["hr_officer"],
        title="审批",
        due_at=at("2026-03-02 10:00"),
        grace=timedelta(0),
    )
    ReminderPolicy.objects.create(
        grace=timedelta(0), escalation_delay=timedelta(hours=1), repeat_interval=timedelta(days=1)
    )
    scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    got = scan(clock, "2026-03-02 11:00", django_capture_on_commit_callbacks)
    assert ("escalated", 0, "supervisor") in stages(got)
    assert f.pk == got[0].followup_id


def test_policies_per_kind_and_tier_override_the_defaults(org, clock, django_capture_on_commit_callbacks):
    ReminderPolicy.objects.create(
        kind=FollowUp.Kind.TALK_ACTION,
        grace=timedelta(hours=2),
        escalation_delay=timedelta(hours=4),
        repeat_interval=timedelta(hours=6),
    )
    services.followup_create(
        actor=ACTOR,
        owner=org.users["staff"],
        title="行动",
        kind=FollowUp.Kind.TALK_ACTION,
        due_at=at("2026-03-02 10:00"),
    )
    cap = django_capture_on_commit_callbacks
    scan(clock, "2026-03-02 10:00", cap)
    assert stages(scan(clock, "2026-03-02 12:00", cap)) == [("overdue", 0, "staff")]
    assert stages(scan(clock, "2026-03-02 16:00", cap)) == [("escalated", 0, "supervisor")]


def test_a_rerun_or_a_racing_scan_never_records_twice(org, clock, talk_due, django_capture_on_commit_callbacks):
    clock.move_to(at("2026-03-03 10:00"))
    # Another scan already recorded (and digested) the "due" reminder, but this one read the follow-up
    # before that scan wrote the follow-up's new state.
    from wellbeing.models import ScanRun

    other = ScanRun.objects.create(started_at=timezone.now(), digested_at=timezone.now())
    Reminder.objects.create(
        followup=talk_due,
        cycle=1,
        stage=Stage.DUE,
        recipient=org.users["staff"],
        scheduled_for=talk_due.due_at,
        scan=other,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_scan(timezone.now())
        run_scan(timezone.now())
    assert Reminder.objects.filter(followup=talk_due).count() == 1
    assert Notification.objects.count() == 0  # the other scan owns that reminder's notification
    assert len(mail.outbox) == 0


def test_reminders_of_a_scan_that_died_before_queueing_digests_are_sent_later(
    org, clock, talk_due, django_capture_on_commit_callbacks
):
    from wellbeing.models import ScanRun
    from wellbeing.reminders import scan as scan_module

    clock.move_to(at("2026-03-03 10:00"))
    run = ScanRun.objects.create(started_at=timezone.now())
    # recorded the reminder and notification, then "crashed"
    scan_module._scan_batch(run, timezone.now(), directory=scan_module.RoleDirectory(timezone.now()))
    assert Notification.objects.filter(reminder__followup=talk_due).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        recover_scan_runs()
    assert mail.outbox == []  # the run might still be alive: leave it alone
    clock.move_to(at("2026-03-03 10:06"))
    with django_capture_on_commit_callbacks(execute=True):
        recover_scan_runs()
    assert len(mail.outbox) == 1 and "与李明谈心" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        recover_scan_runs()
    assert len(mail.outbox) == 1  # and only once
    assert Notification.objects.filter(reminder__followup=talk_due).count() == 1


# --- Delivery channels ---------------------------------------------------------------------------------


class Receiver(BaseHTTPRequestHandler):
    requests: list = []
    status = 200
    reply = b"{}"

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).requests.append((self.path, dict(self.headers), self.rfile.read(length)))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.requests, Receiver.status, Receiver.reply = [], 200, b"{}"
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_json_webhook_is_signed_with_hmac(org, clock, talk_due, receiver, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name="hr", url=f"{receiver}/hook", secret="s3cret")
    scan(clock, "2026-03-03 10:00", django_capture_on_commit_callbacks)
    _path, headers, body = Receiver.requests[0]
    expected = hmac.new(b"s3cret", headers["X-Tanxin-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Tanxin-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "followups.digest"
    # A webhook is a group channel: counts and a link, never a title or a name.
    assert (payload["total"], payload["tiers"]["routine"]) == (1, 1)
    assert payload["url"].endswith("/follow-ups/")
    assert "李明" not in body.decode()
    assert Delivery.objects.get(channel="webhook").status == "sent"


@pytest.mark.parametrize("fmt", ["wecom", "dingtalk"])
def test_group_robot_formats(org, clock, talk_due, receiver, fmt, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(
        name="robot", url=f"{receiver}/send?key=abc", secret="SEC1" if fmt == "dingtalk" else "", format=fmt
    )
    Receiver.reply = b'{"errcode": 0, "errmsg": "ok"}'
    scan(clock, "2026-03-03 10:00", django_capture_on_commit_callbacks)
    path, _headers, body = Receiver.requests[0]
    payload = json.loads(body)
    assert payload["msgtype"] == "markdown"
    text = json.dumps(payload, ensure_ascii=False)
    assert "李明" not in text and "谈心" not in text  # a chat group sees counts and a link only
    assert "/follow-ups/" in text and ": 1" in text
    if fmt == "dingtalk":
        assert "timestamp=" in path and "sign=" in path


def test_a_failing_webhook_is_retried_with_backoff_then_marked_failed(
    org, clock, talk_due, receiver, settings, django_capture_on_commit_callbacks
):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    settings.DELIVERY_RETRY_BASE_SECONDS = 60
    WebhookEndpoint.objects.create(name="down", url=f"{receiver}/hook")
    Receiver.status = 503
    scan(clock, "2026-03-03 10:00", django_capture_on_commit_callbacks)
    d = Delivery.objects.get(channel="webhook")
    assert (d.status, d.attempts) == ("pending", 1)
    assert d.next_attempt_at == at("2026-03-03 10:01")
    assert "503" in d.last_error
    assert due_for_retry(at("2026-03-03 10:00:30")) == []
    clock.move_to(at("2026-03-03 10:01"))
    assert due_for_retry(timezone.now()) == [d.pk]
    deliver(d.pk)
    d.refresh_from_db()
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 2, at("2026-03-03 10:03"))
    clock.move_to(at("2026-03-03 10:03"))
    deliver(d.pk)
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("failed", 3)
    # An administrator retries once the receiver is back.
    Receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_retry(actor=org.users["administrator"], delivery=d)
    d.refresh_from_db()
    assert d.status == "sent"
    retry = AuditEvent.objects.filter(target_type__model="delivery", target_id=str(d.pk)).get()
    assert retry.actor_label == "administrator"


def test_a_failing_smtp_server_is_retried(org, clock, talk_due, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.support.mail.FlakyBackend"
    from tests.support.mail import FlakyBackend

    FlakyBackend.failures_left = 1
    scan(clock, "2026-03-03 10:00", django_capture_on_commit_callbacks)
    d = Delivery.objects.get(channel="email")
    assert d.status == "pending" and "SMTP" in d.last_error
    clock.move_to(d.next_attempt_at)
    with django_capture_on_commit_callbacks(execute=True):
        retry_deliveries()  # re-queues deliveries that are due for a retry
    d.refresh_from_db()
    assert d.status == "sent" and len(FlakyBackend.sent) == 1


def test_a_delivery_is_claimed_once(org, clock, talk_due, django_capture_on_commit_callbacks):
    clock.move_to(at("2026-03-03 10:00"))
    run_scan(timezone.now())  # without running the queued tasks
    d = Delivery.objects.get()
    assert delivery_mod.claim(d.pk) is not None
    assert delivery_mod.claim(d.pk) is None  # a second worker (or a re-delivered task) gets nothing
    # A worker that died mid-send leaves its lease to expire; then the delivery is taken again.
    clock.move_to(at("2026-03-03 10:11"))
    assert due_for_retry(timezone.now()) == [d.pk]
    assert delivery_mod.deliver(d.pk) == "sent"
    assert delivery_mod.deliver(d.pk) == "skipped"
    assert len(mail.outbox) == 1


# --- The other services --------------------------------------------------------------------------------


def test_reschedule_starts_the_stages_over_and_is_audited(org, clock, talk_due, django_capture_on_commit_callbacks):
    from wellbeing.models import AuditEvent

    cap = django_capture_on_commit_callbacks
    scan(clock, "2026-03-03 10:00", cap)
    services.followup_reschedule(
        actor=org.users["staff"], followup=talk_due, due_at=at("2026-03-10 10:00"), reason="改期"
    )
    assert scan(clock, "2026-03-04 10:00", cap) == []  # no overdue for the old date
    assert stages(scan(clock, "2026-03-10 10:00", cap)) == [("due", 0, "staff")]
    event = AuditEvent.objects.filter(target_id=str(talk_due.pk), action=AuditEvent.Action.UPDATE).latest("id")
    assert event.reason == "改期" and "due_at" in event.changes


def test_reassign_sends_later_reminders_to_the_new_owner(org, clock, talk_due, django_capture_on_commit_callbacks):
    services.followup_reassign(actor=org.users["supervisor"], followup=talk_due, owner=org.users["hr_officer"])
    assert stages(scan(clock, "2026-03-03 10:00", django_capture_on_commit_callbacks)) == [("due", 0, "hr_officer")]


def test_cancel_needs_a_reason_and_stops_reminders(org, clock, talk_due, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        services.followup_cancel(actor=org.users["staff"], followup=talk_due, reason=" ")
    services.followup_cancel(actor=org.users["staff"], followup=talk_due, reason="人员调离")
    assert scan(clock, "2026-03-05 10:00", django_capture_on_commit_callbacks) == []


def test_webhooks_respect_unit_priority_and_counselling_work(org, clock, receiver, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(name="town-b", url=f"{receiver}/b", unit=org.town_b)
    WebhookEndpoint.objects.create(name="urgent", url=f"{receiver}/urgent", min_tier=Tier.ORANGE)
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="A镇事项", due_at=at("2026-03-02 10:00"))
    services.followup_create(actor=ACTOR, owner=org.users["outsider"], title="B镇事项", due_at=at("2026-03-02 10:00"))
    services.followup_create(
        actor=ACTOR,
        owner=org.users["outsider"],
        title="B镇个案",
        due_at=at("2026-03-02 10:00"),
        kind=FollowUp.Kind.CASE_CONTACT,
    )
    services.followup_create(
        actor=ACTOR, owner=org.users["staff"], title="橙色", tier=Tier.ORANGE, due_at=at("2026-03-02 10:00")
    )
    scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    got = {path: json.loads(body)["tiers"] for path, _h, body in Receiver.requests}
    assert got == {
        "/b": {"red": 0, "orange": 0, "yellow": 0, "routine": 1},  # B's own item, not its counselling work
        "/urgent": {"red": 0, "orange": 1, "yellow": 0, "routine": 0},
    }


def test_celery_is_configured_for_crash_safety(settings):
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_TIME_LIMIT < 3600  # below the default Redis visibility timeout
    from config.celery import app
    from wellbeing import tasks

    for task in (tasks.scan_followups, tasks.deliver, tasks.dispatch_followup):
        assert task.time_limit < 3600 and task.ignore_result
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert "wellbeing.scan_followups" in schedule
