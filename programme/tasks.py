"""The programme's Celery tasks: thin wrappers over services (conventions.md), each idempotent."""

from celery import shared_task

from programme import services
from wellbeing import workload


@shared_task(name="programme.workload_signals")
def workload_signals() -> dict:
    """Daily: suggest talks for people the workload signals flag (``wellbeing.workload.scan``)."""
    run = workload.scan()
    return {"flagged": run.flagged, "suggested": run.suggested, "failed": run.failed}


@shared_task(name="programme.close_activity_reminders")
def close_activity_reminders() -> int:
    """Hourly: activity reminders whose activity has ended are done."""
    return services.close_past_reminders()
