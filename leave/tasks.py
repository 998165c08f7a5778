"""Celery tasks: thin, idempotent wrappers around the services (config/celery.py schedules them)."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from leave import services
from wellbeing.actors import task_actor


@shared_task(name="leave.allocate_year", ignore_result=True, time_limit=3600, soft_time_limit=3500)
def allocate_year(year: int | None = None) -> dict:
    """Reconcile everyone's annual allocation for ``year`` (default: this year). Monthly, so the
    public rule set's higher band arrives in the month after a threshold; a second run writes nothing."""
    actor = task_actor("leave.allocate_year")
    today = timezone.localdate()
    if year is not None:
        return services.annual_allocate_year(actor=actor, year=year).as_dict()
    result = services.annual_allocate_year(actor=actor, year=today.year).as_dict()
    if today.month == 12:
        # Next year's days are allocated in December (as of 1 January), so leave for January can be
        # requested; the January run brings them up to date (e.g. the knock-on of December's leave).
        ahead = services.annual_allocate_year(actor=actor, year=today.year + 1, as_of=date(today.year + 1, 1, 1))
        result = {"this_year": result, "next_year": ahead.as_dict()}
    return result


@shared_task(name="leave.daily", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def daily() -> dict:
    """Expire what passed its use-by date (the year's untaken annual leave after 31 December, days
    carried over, time off in lieu) and nudge people whose time off in lieu expires soon."""
    actor = task_actor("leave.daily")
    return {"expired": services.expire_lots(actor=actor), "nudged": services.toil_nudge(actor=actor)}


@shared_task(name="leave.rest_check", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def rest_check() -> dict:
    """Monthly: supervisors plan leave with people who have had too little rest (from the check date)."""
    run = services.rest_check(actor=task_actor("leave.rest_check"))
    return {"created": run.created, "already": run.already, "no_supervisor": run.no_supervisor, "failed": run.failed}
