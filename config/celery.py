"""The Celery app. Every periodic schedule is declared here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tanxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def schedule_periodic_tasks(sender, **kwargs):
    from django.conf import settings

    # The overdue scan (every minute by default). Idempotent: a second beat sends nothing twice.
    sender.add_periodic_task(
        settings.FOLLOWUP_SCAN_SECONDS, sender.signature("wellbeing.scan_followups"), name="wellbeing.scan_followups"
    )
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
