"""Talk tasks. Schedules live in config/celery.py."""

from celery import shared_task

from talks import services


@shared_task(name="talks.ensure_talk_cadence", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def ensure_talk_cadence() -> None:
    """Give every supervisor a "talk due" follow-up for each report who has none, so the reminder
    pipeline covers people never talked to as well. Idempotent (one open talk-due per pair)."""
    services.ensure_cadence()
