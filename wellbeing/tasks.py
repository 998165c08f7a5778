"""Core Celery tasks: thin, named, time-limited wrappers that call services. Schedules live in
config/celery.py. Every task is idempotent, so a re-delivered or duplicate task changes nothing."""

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from wellbeing.followups import delivery, scan


@shared_task(name="wellbeing.purge_expired_sessions", ignore_result=True, time_limit=600, soft_time_limit=540)
def purge_expired_sessions() -> None:
    """Delete expired sessions (a second run finds nothing)."""
    call_command("clearsessions")


@shared_task(name="wellbeing.scan_followups", ignore_result=True, time_limit=240, soft_time_limit=200)
def scan_followups() -> None:
    """Record the reminders that are due, queue their delivery, and re-queue deliveries awaiting a
    retry or abandoned by a dead worker."""
    now = timezone.now()
    scan.run_scan(now)
    scan.recover_abandoned_runs(now)
    for delivery_id in scan.due_for_retry(now):
        deliver.delay(delivery_id)
    scan.prune_scan_runs(now)


@shared_task(name="wellbeing.dispatch_followup", ignore_result=True, time_limit=120, soft_time_limit=100)
def dispatch_followup(followup_id: int) -> None:
    """A red follow-up's immediate alert, without waiting for the next scan (same code path, so a
    scan running at the same moment cannot send it twice)."""
    scan.run_scan(timezone.now(), ids=[followup_id])


@shared_task(name="wellbeing.deliver", ignore_result=True, time_limit=120, soft_time_limit=100)
def deliver(delivery_id: int) -> None:
    """Send one e-mail or webhook digest. Failures are recorded and retried by the scan with back-off."""
    delivery.deliver(delivery_id)
