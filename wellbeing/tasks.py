"""Core periodic tasks. Small, idempotent, named explicitly; schedules live in config/celery.py."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="wellbeing.purge_expired_sessions", ignore_result=True, time_limit=600, soft_time_limit=540)
def purge_expired_sessions() -> None:
    """Delete expired sessions (idempotent: a second run finds nothing)."""
    call_command("clearsessions")
