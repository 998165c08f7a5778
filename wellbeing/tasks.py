"""Core Celery tasks: thin, named, time-limited wrappers that call services. Schedules live in
config/celery.py. Every task is idempotent, so a re-delivered or duplicate task changes nothing.

The scan, the recovery of abandoned runs, delivery retries, lifecycle re-announcements and pruning
are separate tasks, so one failing never stops the others.
"""

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from wellbeing import lifecycle, retention
from wellbeing.actors import task_actor
from wellbeing.reminders import delivery, scan


def _queue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)


@shared_task(name="wellbeing.purge_expired_sessions", ignore_result=True, time_limit=600, soft_time_limit=540)
def purge_expired_sessions() -> None:
    """Delete expired sessions (a second run finds nothing)."""
    call_command("clearsessions")


@shared_task(name="wellbeing.apply_retention", ignore_result=True, time_limit=3600, soft_time_limit=3300)
def apply_retention() -> None:
    """Daily: delete or anonymise what is past retention, kind by kind in small batches (one kind
    failing does not stop the others; a second run finds nothing left to do). docs/data-lifecycle.md."""
    retention.run(actor=task_actor("wellbeing.apply_retention"))


@shared_task(name="wellbeing.scan_followups", ignore_result=True, time_limit=240, soft_time_limit=200)
def scan_followups() -> None:
    """Record the reminders that are due and queue their digests."""
    _queue(scan.run_scan(timezone.now(), actor=task_actor("wellbeing.scan_followups")).delivery_ids)


@shared_task(name="wellbeing.recover_scan_runs", ignore_result=True, time_limit=120, soft_time_limit=100)
def recover_scan_runs() -> None:
    """Create and queue the digests of scan runs that died before creating them."""
    _queue(scan.recover_abandoned_runs(timezone.now()))


@shared_task(name="wellbeing.retry_deliveries", ignore_result=True, time_limit=120, soft_time_limit=100)
def retry_deliveries() -> None:
    """Queue deliveries awaiting a retry, or abandoned by a worker that died (lease expired)."""
    _queue(scan.due_for_retry(timezone.now()))


@shared_task(name="wellbeing.prune_scan_runs", ignore_result=True, time_limit=300, soft_time_limit=240)
def prune_scan_runs() -> None:
    scan.prune_scan_runs(timezone.now())


@shared_task(name="wellbeing.dispatch_followup", ignore_result=True, time_limit=120, soft_time_limit=100)
def dispatch_followup(followup_id: int) -> None:
    """A red follow-up's immediate alert, without waiting for the next scan (same code path, so a
    scan running at the same moment cannot send it twice)."""
    _queue(
        scan.run_scan(timezone.now(), ids=[followup_id], actor=task_actor("wellbeing.dispatch_followup")).delivery_ids
    )


@shared_task(name="wellbeing.deliver", ignore_result=True, time_limit=120, soft_time_limit=100)
def deliver(delivery_id: int) -> None:
    """Send one digest (e-mail, WeCom / DingTalk message or webhook). Failures are recorded and retried
    with back-off."""
    delivery.deliver(delivery_id)


@shared_task(name="wellbeing.redeliver_lifecycle_events", ignore_result=True, time_limit=300, soft_time_limit=240)
def redeliver_lifecycle_events() -> None:
    """Announce again the lifecycle events whose receivers failed."""
    lifecycle.redeliver_due()
