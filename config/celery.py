"""The Celery app. Every periodic schedule is declared here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tanxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["wellbeing.screening"])  # check-ups and the screening retention task


@app.on_after_configure.connect
def schedule_periodic_tasks(sender, **kwargs):
    from django.conf import settings

    # The reminder pipeline's jobs run separately, so one failing never stops the others. Each is
    # idempotent: a second beat or a re-delivered task sends nothing twice.
    every = settings.FOLLOWUP_SCAN_SECONDS
    for name, seconds in (
        ("wellbeing.scan_followups", every),
        ("wellbeing.recover_scan_runs", every),
        ("wellbeing.retry_deliveries", every),
        ("wellbeing.redeliver_lifecycle_events", every),
        ("wellbeing.prune_scan_runs", 3600),
    ):
        sender.add_periodic_task(seconds, sender.signature(name), name=name)
    # Every supervisor owes each report a talk: schedule the missing "talk due" follow-ups.
    sender.add_periodic_task(
        crontab(hour=6, minute=30), sender.signature("talks.ensure_talk_cadence"), name="talks.ensure_talk_cadence"
    )
    # Expired sessions are deleted nightly so a stolen cookie cannot outlive its timeout in the table.
    sender.add_periodic_task(
        crontab(hour=3, minute=15),
        sender.signature("wellbeing.purge_expired_sessions"),
        name="wellbeing.purge_expired_sessions",
    )
    # HR sync: idempotency keys expire after 24 hours; runs of a full sync never closed are dropped.
    sender.add_periodic_task(
        crontab(minute=20), sender.signature("wellbeing.purge_sync_state"), name="wellbeing.purge_sync_state"
    )
    # Check-ups: invite the people of open check-ups; cancel the invitations closed ones left open.
    sender.add_periodic_task(
        crontab(hour=0, minute=10),
        sender.signature("wellbeing.screening_open_campaigns"),
        name="wellbeing.screening_open_campaigns",
    )
    # Retention per record kind (RETENTION, docs/data-lifecycle.md): what is past its period is deleted
    # or anonymised nightly, at a quiet hour (PIPL §19, §47).
    sender.add_periodic_task(
        crontab(hour=2, minute=40), sender.signature("wellbeing.apply_retention"), name="wellbeing.apply_retention"
    )
    # Screening results past SCREENING_RETENTION_DAYS are deleted nightly (PIPL §19).
    sender.add_periodic_task(
        crontab(hour=3, minute=45),
        sender.signature("wellbeing.screening_purge_expired"),
        name="wellbeing.screening_purge_expired",
    )
    # Leave: allocations (monthly: the public rule set's higher band starts the month after a
    # threshold; on 1 January for the new year), expiry and time-off-in-lieu nudges (daily), and the
    # check that nobody goes without rest (monthly, from LEAVE_REST_CHECK_DATE on).
    sender.add_periodic_task(
        crontab(day_of_month=1, hour=0, minute=30), sender.signature("leave.allocate_year"), name="leave.allocate_year"
    )
    sender.add_periodic_task(crontab(hour=0, minute=45), sender.signature("leave.daily"), name="leave.daily")
    sender.add_periodic_task(
        crontab(day_of_month=1, hour=7, minute=0), sender.signature("leave.rest_check"), name="leave.rest_check"
    )
    # The programme: talks suggested by the workload signals (daily), activity reminders closed once
    # the activity is over (hourly).
    sender.add_periodic_task(
        crontab(hour=6, minute=45), sender.signature("programme.workload_signals"), name="programme.workload_signals"
    )
    sender.add_periodic_task(
        crontab(minute=5),
        sender.signature("programme.close_activity_reminders"),
        name="programme.close_activity_reminders",
    )
