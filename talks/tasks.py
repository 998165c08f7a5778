"""Talk tasks. Schedules live in config/celery.py."""

from celery import shared_task

from talks import cadence
from wellbeing.actors import task_actor


@shared_task(name="talks.ensure_talk_cadence", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def ensure_talk_cadence() -> None:
    """Give every supervisor a "talk due" follow-up for each report who has none, and end the ones
    owed by people who no longer supervise them. Idempotent (one open talk-due per pair)."""
    cadence.ensure_cadence(actor=task_actor("talks.ensure_talk_cadence"))
