"""The HR sync's housekeeping task (registered from WellbeingConfig.ready(); scheduled in config/celery.py).

Kept apart from wellbeing/tasks.py, which the services import to queue their work: this task calls a
service, and the two-way import would be a cycle.
"""

from celery import shared_task

from wellbeing.services import sync


@shared_task(name="wellbeing.purge_sync_state", ignore_result=True, time_limit=300, soft_time_limit=240)
def purge_sync_state() -> None:
    """Drop idempotency keys past IDEMPOTENCY_KEY_HOURS and full-sync runs past their time."""
    sync.purge_expired()
