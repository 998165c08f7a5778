"""The safety net survives a bad row, reminders never go to someone who left, and an escalation
always climbs (and never back to the item's own owner)."""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from talks.cadence import ensure_cadence
from tests.factories import ACTOR, UserFactory, make_person
from wellbeing import services, tasks
from wellbeing.models import AuditEvent, Delivery, FollowUp, Reminder, ScanRun, Tier
from wellbeing.reminders import routing, scan, timing
from wellbeing.selectors import pipeline_status

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield traveller


def run_beat(clock, when: str, capture) -> list[Reminder]:
    clock.move_to(at(when))
    before = set(Reminder.objects.values_list("pk", flat=True))
    with capture(execute=True):
        tasks.scan_followups()
    return list(Reminder.objects.exclude(pk__in=before).order_by("id"))


@pytest.fixture
def five_hundred_due(org, clock, settings):
    settings.FOLLOWUP_SCAN_BATCH = 100  # five batches: the bad row sits in the third
    owner = org.users["staff"]
    followups = [
        services.followup_create(actor=ACTOR, owner=owner, title=f"事项{i}", due_at=at("2026-03-02 10:00"))
        for i in range(500)
    ]
    return followups, followups[250]


@pytest.mark.parametrize("where", ["routing", "planning"])
def test_one_bad_follow_up_does_not_block_the_499_behind_it(
    org, clock, five_hundred_due, monkeypatch, where, django_capture_on_commit_callbacks
):
    followups, bad = five_hundred_due
    if where == "routing":
        real = routing.Router.recipient

        def recipient(self, f, stage):
            if f.pk == bad.pk:
                raise ValueError("routing exploded")
            return real(self, f, stage)

        monkeypatch.setattr(routing.Router, "recipient", recipient)
    else:
        real_plan = timing.plan

        def plan(f, t, now):
            if f.pk == bad.pk:
                raise ValueError("planning exploded")
            return real_plan(f, t, now)

        monkeypatch.setattr(scan, "plan", plan)

    recorded = run_beat(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    # Every other due reminder went out in the same scan, in one digest.
    assert {r.followup_id for r in recorded} == {f.pk for f in followups} - {bad.pk}
    assert len(mail.outbox) == 1
    bad.refresh_from_db()
    assert bad.scan_failures == 1 and "exploded" in bad.scan_error
    assert bad.next_action_at == at("2026-03-02 10:01")  # retried after a minute, then 2, 4, ...
    # Counted where operators look, and the audit trail names the task that set it aside.
    assert pipeline_status()["failing"] == 1
    out = StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("followup_status", stdout=out)
    assert exit_code.value.code == 2 and f"#{bad.pk} general: 1 failure(s)" in out.getvalue()
    body = json.loads(Client().get("/health/").content)
    assert (body["status"], body["followups_set_aside"]) == ("degraded", 1)
    audit = AuditEvent.objects.get(target_type__model="followup", target_id=str(bad.pk), reason__contains="set aside")
    assert audit.actor_label == "task:wellbeing.scan_followups"

    # Still failing a minute later: the back-off doubles; the others are not touched again.
    assert run_beat(clock, "2026-03-02 10:01", django_capture_on_commit_callbacks) == []
    bad.refresh_from_db()
    assert bad.scan_failures == 2 and bad.next_action_at == at("2026-03-02 10:03")

    # Fixed: the next attempt reminds it, and it no longer counts as failing.
    monkeypatch.undo()
    recorded = run_beat(clock, "2026-03-02 10:03", django_capture_on_commit_callbacks)
    assert [(r.followup_id, r.stage) for r in recorded] == [(bad.pk, "due")]
    bad.refresh_from_db()
    assert (bad.scan_failures, bad.scan_error) == (0, "")
    assert pipeline_status()["failing"] == 0


def test_delivery_retries_run_even_when_the_scan_fails(org, clock, monkeypatch, django_capture_on_commit_callbacks):
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="事项", due_at=at("2026-03-02 10:00"))
    clock.move_to(at("2026-03-02 10:00"))
    run = scan.run_scan(timezone.now())  # recorded and digested, but its delivery was never queued
    delivery = Delivery.objects.get(scan=run)
    monkeypatch.setattr(scan, "run_scan", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("scan is down")))
    clock.move_to(at("2026-03-02 10:05"))
    with pytest.raises(RuntimeError):
        tasks.scan_followups()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.retry_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == "sent" and len(mail.outbox) == 1


def test_the_pipelines_jobs_are_scheduled_separately():
    from config.celery import app

    app.loader.import_default_modules()
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        "wellbeing.scan_followups",
        "wellbeing.recover_scan_runs",
        "wellbeing.retry_deliveries",
        "wellbeing.prune_scan_runs",
        "wellbeing.redeliver_lifecycle_events",
    } <= schedule


# --- (a) a section chief leaves -----------------------------------------------------------------


def test_escalations_skip_a_manager_who_left_and_reach_the_unit_supervisor(
    org, clock, django_capture_on_commit_callbacks
):
    chief_user = UserFactory(username="chief")
    chief = make_person(org.section_a1, full_name="钱科长", user=chief_user, manager=org.people["supervisor"])
    worker_user = UserFactory(username="worker")
    worker = make_person(org.section_a1, full_name="孙干事", user=worker_user, manager=chief)
    action = services.followup_create(
        actor=ACTOR, owner=worker_user, title="上报材料", kind=FollowUp.Kind.TALK_ACTION, due_at=at("2026-03-02 10:00")
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.person_leave(actor=ACTOR, person=chief)
    cap = django_capture_on_commit_callbacks
    for day in ("2026-03-02 10:00", "2026-03-03 10:00", "2026-03-06 10:00", "2026-03-07 10:00"):
        run_beat(clock, day, cap)
    escalated = Reminder.objects.filter(followup=action, stage="escalated")
    assert [r.recipient.username for r in escalated] == ["supervisor"]
    assert not Reminder.objects.filter(recipient=chief_user).exists()
    assert all(chief_user.email not in m.to for m in mail.outbox)
    assert worker.manager_id == chief.pk  # his staff still name him: routing skips him


# --- (b) one lead counsellor --------------------------------------------------------------------


@pytest.fixture
def red_referral(org, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_create(
            actor=org.users["supervisor"], person=org.people["colleague"], urgency="imminent", reason="self_harm"
        )
    return referral.followup


def test_an_unacknowledged_red_referral_never_escalates_back_to_its_only_lead_counsellor(
    org, clock, red_referral, django_capture_on_commit_callbacks
):
    assert red_referral.tier == Tier.RED and red_referral.owner == org.users["lead_counsellor"]
    run_beat(clock, "2026-03-02 10:05", django_capture_on_commit_callbacks)  # an hour after, unacknowledged
    stages = [(r.stage, r.recipient.username) for r in Reminder.objects.filter(followup=red_referral)]
    assert ("alert", "lead_counsellor") in stages
    assert "escalated" not in {stage for stage, _ in stages}  # never "escalated" back to her
    red_referral.refresh_from_db()
    assert red_referral.escalation_unrouted
    status = pipeline_status()
    assert status["unrouted"] == 1
    assert any("ESCALATION_SECOND_LINE_CLINICAL" in p for p in status["problems"])
    assert json.loads(Client().get("/health/").content)["configuration_errors"] >= 1


def test_with_a_second_line_the_red_referral_escalates_to_it(
    org, clock, settings, red_referral, django_capture_on_commit_callbacks
):
    settings.ESCALATION_SECOND_LINE_CLINICAL = ["counsellor"]
    run_beat(clock, "2026-03-02 10:05", django_capture_on_commit_callbacks)
    escalated = Reminder.objects.get(followup=red_referral, stage="escalated")
    assert escalated.recipient.username == "counsellor"
    assert not any("CLINICAL" in p for p in pipeline_status()["problems"])


def test_a_second_line_outside_the_counselling_team_is_never_used_for_counselling_work(
    org, clock, settings, red_referral, django_capture_on_commit_callbacks
):
    settings.ESCALATION_SECOND_LINE_CLINICAL = ["hr_officer"]
    run_beat(clock, "2026-03-02 10:05", django_capture_on_commit_callbacks)
    assert not Reminder.objects.filter(followup=red_referral, stage="escalated").exists()
    assert any("ESCALATION_SECOND_LINE_CLINICAL" in p for p in pipeline_status()["problems"])


def test_the_cadence_task_is_recorded_under_its_name(org):
    from talks.tasks import ensure_talk_cadence

    ensure_talk_cadence()
    created = AuditEvent.objects.filter(target_type__model="followup", action=AuditEvent.Action.CREATE).latest("id")
    assert created.actor_label == "task:talks.ensure_talk_cadence"
    assert ensure_cadence(actor=ACTOR) == 0


def test_recovery_and_pruning_are_their_own_tasks(org, clock, django_capture_on_commit_callbacks):
    ScanRun.objects.create(started_at=timezone.now() - timedelta(days=2))
    tasks.prune_scan_runs()
    assert not ScanRun.objects.exists()
