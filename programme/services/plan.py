"""The work plan, its responsibility list, the periodic reviews and their corrections. Every task
and correction item has a follow-up that reminds its owner and escalates like any other; the plan's
owner has one for the next review."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from programme.models import Correction, PlanReview, PlanTask, ReviewFinding, TaskEvidence, WorkPlan
from programme.selectors.dashboard import DASHBOARD_DEPTH
from programme.services.common import end_of_day, read_upload, require
from wellbeing import figures, policy
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, FollowUp
from wellbeing.services import followup_cancel, followup_complete, followup_create, followup_reschedule
from wellbeing.validation import full_clean

TASK_TITLE = "programme.task"
CORRECTION_TITLE = "programme.correction"
REVIEW_TITLE = "programme.review"

TASK_FIELDS = ("title", "category", "owner", "unit", "due_on", "indicator", "metric", "target_value")


def next_review_on(plan: WorkPlan, after: date) -> date | None:
    """The next review date after ``after``: the last day of the next period of
    ``PROGRAMME_REVIEW_MONTHS`` months (quarterly: 31 March, 30 June, ...), within the plan's year."""
    months = max(1, min(12, settings.PROGRAMME_REVIEW_MONTHS))
    for end_month in range(months, 13, months):
        last = date(plan.year, end_month, calendar.monthrange(plan.year, end_month)[1])
        if last > after:
            return last
    return None


def _schedule_review(*, actor, plan: WorkPlan, after: date) -> None:
    day = next_review_on(plan, after)
    if day is None or not plan.owner.is_active:
        return
    followup_create(
        actor=actor,
        owner=plan.owner,
        title_key=REVIEW_TITLE,
        title_params={"year": plan.year},
        due_at=end_of_day(day),
        kind=FollowUp.Kind.PLAN_REVIEW,
        subject=plan,
    )


def _check_metric(metric: str, unit) -> None:
    if metric and figures.indicator(metric) is None:
        raise ValidationError({"metric": [_("Choose one of the measures the system takes.")]})
    if metric and unit is not None and unit.depth > DASHBOARD_DEPTH:
        raise ValidationError(
            {"metric": [_("The system measures units down to the third level: choose the unit above this one.")]}
        )


@transaction.atomic
def plan_create(*, actor, year: int, title: str, owner, notes: str = "") -> WorkPlan:
    require(actor, "programme.manage")
    if not owner.is_active or not policy.can(owner, "programme.manage"):
        raise ValidationError({"owner": [_("Choose a member of the leading group: they record the reviews.")]})
    plan = WorkPlan(year=year, title=title, owner=owner, notes=notes)
    full_clean(plan)
    plan.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, target=plan, changes={"year": year})
    _schedule_review(actor=actor, plan=plan, after=max(timezone.localdate(), date(year, 1, 1)) - timedelta(days=1))
    return plan


def _task_followup(*, actor, task: PlanTask) -> FollowUp:
    return followup_create(
        actor=actor,
        owner=task.owner,
        title_key=TASK_TITLE,
        title_params={"title": task.title},
        due_at=end_of_day(task.due_on),
        kind=FollowUp.Kind.PLAN_TASK,
        subject=task,
    )


@transaction.atomic
def task_create(*, actor, plan: WorkPlan, **fields) -> PlanTask:
    require(actor, "programme.manage")
    _check_metric(fields.get("metric", ""), fields.get("unit"))
    task = PlanTask(plan=plan, **{k: v for k, v in fields.items() if k in TASK_FIELDS})
    if not task.owner.is_active:
        raise ValidationError({"owner": [_("The owner's account is not active.")]})
    full_clean(task)
    task.save()
    task.followup = _task_followup(actor=actor, task=task)
    task.save(update_fields=["followup"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=task,
        changes=diff({}, {"owner": task.owner, "due_on": task.due_on, "status": task.status}),
    )
    return task


@transaction.atomic
def task_edit(*, actor, task: PlanTask, **fields) -> PlanTask:
    """The leading group changes a task: its owner, deadline, indicator... The follow-up follows."""
    require(actor, "programme.manage")
    task = PlanTask.objects.select_for_update().get(pk=task.pk)
    _check_metric(fields.get("metric", task.metric), fields.get("unit", task.unit))
    before = {k: getattr(task, k) for k in TASK_FIELDS}
    for k, v in fields.items():
        if k in TASK_FIELDS:
            setattr(task, k, v)
    if task.owner_id != before["owner"].pk and not task.owner.is_active:
        raise ValidationError({"owner": [_("The owner's account is not active.")]})
    full_clean(task)
    task.save()
    f = task.followup
    if task.is_open and f is not None and f.is_active:
        if f.owner_id != task.owner_id or before["title"] != task.title:
            followup_cancel(actor=actor, followup=f, reason=_("The task was changed."), authorized=True)
            task.followup = _task_followup(actor=actor, task=task)
            task.save(update_fields=["followup"])
        elif before["due_on"] != task.due_on:
            followup_reschedule(actor=actor, followup=f, due_at=end_of_day(task.due_on), authorized=True)
    after = {k: getattr(task, k) for k in TASK_FIELDS}
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, target=task, changes=diff(before, after))
    return task


@transaction.atomic
def task_progress(
    *, actor, task: PlanTask, status: str, actual_value: Decimal | None = None, note: str = ""
) -> PlanTask:
    """The owner (or the leading group) reports progress: in progress, done, or (leading group)
    cancelled. Done closes the follow-up."""
    require(actor, "programme.task.update", task)
    task = PlanTask.objects.select_for_update().get(pk=task.pk)
    if status not in PlanTask.Status.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    if PlanTask.Status.CANCELLED in (status, task.status) and status != task.status:
        # Cancelling a task, or taking a cancelled one up again, is the leading group's decision.
        require(actor, "programme.manage")
    before = {"status": task.status, "actual_value": task.actual_value}
    task.status = status
    if not task.metric:
        task.actual_value = actual_value
    if note.strip():
        task.progress_note = note.strip()
    task.completed_at = timezone.now() if status == PlanTask.Status.DONE else None
    full_clean(task)
    task.save()
    f = task.followup
    if f is not None and f.is_active and not task.is_open:
        if status == PlanTask.Status.DONE:
            followup_complete(actor=actor, followup=f, outcome=note, authorized=True, by_record=True)
        else:
            followup_cancel(actor=actor, followup=f, reason=_("The task was cancelled."), authorized=True)
    elif task.is_open and (f is None or not f.is_active) and before["status"] not in PlanTask.OPEN_STATUSES:
        task.followup = _task_followup(actor=actor, task=task)  # reopened
        task.save(update_fields=["followup"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=task,
        changes=diff(before, {"status": task.status, "actual_value": task.actual_value}),
    )
    return task


@transaction.atomic
def evidence_add(*, actor, task: PlanTask, upload, note: str = "") -> TaskEvidence:
    require(actor, "programme.task.update", task)
    name, content_type, content = read_upload(upload)
    evidence = TaskEvidence(
        task=task,
        note=note,
        file_name=name,
        content_type=content_type,
        size=len(content),
        content=content,
        uploaded_by=actor,
    )
    full_clean(evidence, exclude=["content"])
    evidence.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, target=evidence, changes={"task": task.pk})
    return evidence


@transaction.atomic
def review_record(
    *,
    actor,
    plan: WorkPlan,
    held_on: date,
    summary: str,
    findings: list[tuple[PlanTask, str, str]],
    corrections: list[dict],
) -> PlanReview:
    """Record a review: a finding per task looked at, and the correction items it orders (each with
    an owner and a deadline, each a follow-up). The plan owner's "review due" is done and the next
    one scheduled."""
    require(actor, "programme.manage")
    review = PlanReview(plan=plan, held_on=held_on, summary=summary, recorded_by=actor)
    full_clean(review)
    review.save()
    seen: set[int] = set()
    for task, assessment, text in findings:
        if task.plan_id != plan.pk or task.pk in seen:
            raise ValidationError({"findings": [_("Each task of this plan once.")]})
        seen.add(task.pk)
        finding = ReviewFinding(review=review, task=task, assessment=assessment, finding=text)
        full_clean(finding, exclude=["review"])
        finding.save()
    for index, item in enumerate(corrections):
        try:
            correction_create(actor=actor, review=review, **item)
        except ValidationError as error:
            # Each error names its row, so the form can show it beside the right field.
            raise ValidationError(
                {f"corrections.{index}.{field}": messages for field, messages in error.message_dict.items()}
            ) from error
    for f in FollowUp.objects.filter(
        kind=FollowUp.Kind.PLAN_REVIEW,
        status__in=FollowUp.ACTIVE_STATUSES,
        subject_type__model="workplan",
        subject_id=str(plan.pk),
    ):
        followup_complete(actor=actor, followup=f, outcome=_("Review recorded."), authorized=True, by_record=True)
    _schedule_review(actor=actor, plan=plan, after=max(held_on, timezone.localdate()))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=review,
        changes={"findings": len(findings), "corrections": len(corrections)},
    )
    return review


def correction_create(*, actor, review: PlanReview, title: str, owner, due_on: date, task=None) -> Correction:
    require(actor, "programme.manage")
    if task is not None and task.plan_id != review.plan_id:
        raise ValidationError({"task": [_("Choose a task of this plan.")]})
    if not owner.is_active:
        raise ValidationError({"owner": [_("The owner's account is not active.")]})
    item = Correction(review=review, task=task, title=title, owner=owner, due_on=due_on)
    full_clean(item)
    item.save()
    item.followup = followup_create(
        actor=actor,
        owner=owner,
        title_key=CORRECTION_TITLE,
        title_params={"title": title},
        due_at=end_of_day(due_on),
        kind=FollowUp.Kind.CORRECTION,
        subject=item,
    )
    item.save(update_fields=["followup"])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, target=item, changes=diff({}, {"owner": owner}))
    return item


@transaction.atomic
def correction_complete(*, actor, item: Correction, outcome: str) -> Correction:
    require(actor, "programme.correction.update", item)
    item = Correction.objects.select_for_update().get(pk=item.pk)
    if item.status != Correction.Status.OPEN:
        raise ValidationError({"status": [_("This correction item is closed already.")]})
    if not outcome.strip():
        raise ValidationError({"outcome": [_("Say what was done.")]})
    item.status = Correction.Status.DONE
    item.outcome = outcome
    item.completed_at = timezone.now()
    full_clean(item)
    item.save()
    if item.followup is not None and item.followup.is_active:
        followup_complete(actor=actor, followup=item.followup, outcome="", authorized=True, by_record=True)
    audit_record(actor=actor, action=AuditEvent.Action.STATUS, target=item, changes={"status": ["open", "done"]})
    return item
