"""The Celery app. Every periodic schedule is declared here, in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tanxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Expired sessions are deleted nightly so a stolen cookie cannot outlive its timeout in the table.
    "wellbeing.purge_expired_sessions": {
        "task": "wellbeing.purge_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
}
