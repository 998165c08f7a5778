"""Reads of the work plan, its responsibility list, reviews and corrections (programme.rules): the
leading group sees the whole plan; everyone else the tasks and correction items they own. A record
one may not see is reported as missing (Http404), exactly like one that does not exist.

A task's *standing* on the plan page, and the actual value of an indicator the system measures (a
share of people, from the dashboard's suppressed figures for the task's unit and the plan's year) are
worked out here as well, for the plan page, the task page and one's own work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from programme.models import Correction, PlanReview, PlanTask, TaskEvidence, WorkPlan
from programme.selectors.dashboard import Dashboard, compute
from wellbeing import figures, policy
from wellbeing.figures import STAFF, Period
from wellbeing.models import OrgUnit, Person, Role

#: How long done work stays on one's own list.
RECENTLY_DONE_DAYS = 90

#: A task's standing on the plan page (``standing``), in the order of the page's summary.
ON_TRACK = "on_track"
LATE = "late"
DONE = "done"
CORRECTED = "corrected"
CORRECTION_OPEN = "correction_open"
CANCELLED = "cancelled"
STANDINGS = (ON_TRACK, LATE, DONE, CORRECTED, CORRECTION_OPEN, CANCELLED)


def _one(qs: QuerySet, pk):
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def _user_id(user):
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


# --- Plans and reviews: the leading group -------------------------------------------------------------


def plans_visible_to(user) -> QuerySet[WorkPlan]:
    if not policy.can(user, "programme.manage"):
        return WorkPlan.objects.none()
    return WorkPlan.objects.select_related("owner__person")


def plan_get_for_user(*, user, plan_id) -> WorkPlan:
    return _one(plans_visible_to(user), plan_id)


def plan_for_year(*, user, year: int) -> WorkPlan | None:
    return plans_visible_to(user).filter(year=year).first()


def reviews_visible_to(user) -> QuerySet[PlanReview]:
    if not policy.can(user, "programme.manage"):
        return PlanReview.objects.none()
    return PlanReview.objects.select_related("plan", "recorded_by__person")


def review_get_for_user(*, user, review_id) -> PlanReview:
    return _one(reviews_visible_to(user), review_id)


def review_findings(review: PlanReview) -> list:
    return list(review.findings.select_related("task").order_by("task__due_on", "task_id"))


def task_findings(task: PlanTask) -> list:
    """What the reviews found about a task (for the leading group), latest first."""
    return list(task.findings.select_related("review").order_by("-review__held_on", "-review_id"))


def review_corrections(review: PlanReview) -> list[Correction]:
    return with_late(review.corrections.select_related("owner__person", "task"))


def with_late(corrections, *, today: date | None = None) -> list[Correction]:
    """The correction items, each marked ``late`` when it is open and past its deadline."""
    today = today or timezone.localdate()
    items = list(corrections)
    for item in items:
        item.late = item.status == Correction.Status.OPEN and item.due_on < today
    return items


# --- Tasks and corrections: the leading group, and each owner -----------------------------------------


def tasks_visible_to(user) -> QuerySet[PlanTask]:
    qs = PlanTask.objects.select_related("plan", "owner__person", "unit")
    if policy.can(user, "programme.manage"):
        return qs
    uid = _user_id(user)
    return qs.filter(owner_id=uid) if uid is not None else qs.none()


def task_get_for_user(*, user, task_id) -> PlanTask:
    task = _one(tasks_visible_to(user), task_id)
    if not policy.can(user, "programme.task.view", task):  # the rule itself has the last word
        raise Http404
    return task


def task_evidence(task: PlanTask) -> list[TaskEvidence]:
    """The task's files, without their content (the list needs names and sizes only)."""
    return list(task.evidence.defer("content").select_related("uploaded_by__person"))


def evidence_get_for_user(*, user, task_id, evidence_id) -> TaskEvidence:
    task = task_get_for_user(user=user, task_id=task_id)
    return _one(TaskEvidence.objects.filter(task=task), evidence_id)


def corrections_visible_to(user) -> QuerySet[Correction]:
    qs = Correction.objects.select_related("review__plan", "owner__person", "task")
    if policy.can(user, "programme.manage"):
        return qs
    uid = _user_id(user)
    return qs.filter(owner_id=uid) if uid is not None else qs.none()


def correction_get_for_user(*, user, correction_id) -> Correction:
    item = _one(corrections_visible_to(user), correction_id)
    if not policy.can(user, "programme.correction.view", item):
        raise Http404
    return with_late([item])[0]


def task_corrections(*, user, task: PlanTask) -> list[Correction]:
    """The correction items ordered for a task that the reader may see."""
    return with_late(corrections_visible_to(user).filter(task=task).order_by("due_on", "id"))


def plan_corrections(plan: WorkPlan) -> list[Correction]:
    return with_late(
        Correction.objects.filter(review__plan=plan)
        .select_related("owner__person", "task", "review")
        .order_by("status", "due_on", "id")
    )


def plan_reviews(plan: WorkPlan) -> list[PlanReview]:
    return list(plan.reviews.select_related("recorded_by__person"))


def other_plans(*, user) -> list[WorkPlan]:
    return list(plans_visible_to(user).select_related(None).only("id", "year", "title"))


# --- Standing ---------------------------------------------------------------------------------------


def standing(task: PlanTask, *, today: date | None = None) -> str:
    """Where a task stands: cancelled; a correction ordered for it still open; late (open and past
    its deadline); corrected (every correction ordered for it done); done; else on track. The task's
    corrections are prefetched by the lists that ask about many."""
    today = today or timezone.localdate()
    if task.status == PlanTask.Status.CANCELLED:
        return CANCELLED
    corrections = [c for c in task.corrections.all() if c.status != Correction.Status.CANCELLED]
    if any(c.status == Correction.Status.OPEN for c in corrections):
        return CORRECTION_OPEN
    if task.is_open and task.due_on < today:
        return LATE
    if corrections:
        return CORRECTED
    if task.status == PlanTask.Status.DONE:
        return DONE
    return ON_TRACK


def standing_label(key: str) -> str:
    return {
        ON_TRACK: _("on track"),
        LATE: _("late"),
        DONE: _("done"),
        CORRECTED: _("corrected"),
        CORRECTION_OPEN: _("correction open"),
        CANCELLED: _("cancelled"),
    }[key]


# --- Measured indicators ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """The actual value of an indicator the system measures: a share in per cent, or why there is
    none (``state``: "ok", "suppressed" - a figure rests on fewer than ``k`` people, "empty" - nobody
    to count, "not_started" - the plan's year has not begun, "not_measured" - the unit is below the
    units the figures are counted for, "unknown" - the measure is no longer registered)."""

    state: str
    value: Decimal | None = None
    label: str = ""
    k: int = 5

    @property
    def ok(self) -> bool:
        return self.state == "ok"


@dataclass
class Figures:
    """The organisation's suppressed figures for one year, computed once per page."""

    year: int
    dashboard: Dashboard | None = None
    unit_ids: set[int] = field(default_factory=set)
    k: int = 5


def figures_for_year(year: int) -> Figures:
    """The whole organisation's suppressed table for ``year`` (callers have checked that the reader
    may see the task or plan the figures are for; every figure rests on at least k people)."""
    if year > timezone.localdate().year:
        return Figures(year=year)
    units, rows, k = compute(Period.for_year(year))
    board = Dashboard(period=Period.for_year(year), unit=None, k=k, tables=[], units=units, all_rows=rows)
    return Figures(year=year, dashboard=board, unit_ids={u.pk for u in units}, k=k)


def share(board: Dashboard, metric: str, unit_id: int | None, *, k: int = 5) -> Measure:
    """People in the indicator's numerator over people in its denominator (all staff when it has
    none), in per cent, for ``unit_id`` (None: the whole organisation)."""
    found = figures.indicator(metric)
    if found is None:
        return Measure("unknown", k=k)
    dimension, indicator = found
    label = str(indicator.label)
    top = [dimension.column(key) for key in indicator.numerator]
    bottom = [dimension.column(key) for key in indicator.denominator] or [STAFF]
    values = [board.value(unit_id, column) for column in top + bottom]
    if any(v is None for v in values):
        return Measure("suppressed", label=label, k=k)
    numerator, denominator = sum(values[: len(top)]), sum(values[len(top) :])
    if indicator.complement:
        numerator = denominator - numerator
    if not denominator:
        return Measure("empty", label=label, k=k)
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Measure("ok", value=value, label=label, k=k)


def measure(task: PlanTask, data: Figures) -> Measure | None:
    """The measured actual value of a task whose indicator the system measures (None: the owner
    enters it)."""
    if not task.metric:
        return None
    found = figures.indicator(task.metric)
    label = str(found[1].label) if found else task.metric
    if data.dashboard is None:
        return Measure("not_started", label=label, k=data.k)
    if task.unit_id is not None and task.unit_id not in data.unit_ids:
        return Measure("not_measured", label=label, k=data.k)
    return share(data.dashboard, task.metric, task.unit_id, k=data.k)


def measures_for(tasks: list[PlanTask], year: int) -> dict[int, Measure]:
    """Each measured task's actual value (the organisation's figures are computed once, and only
    when a task needs them)."""
    measured = [t for t in tasks if t.metric]
    if not measured:
        return {}
    data = figures_for_year(year)
    return {t.pk: measure(t, data) for t in measured}


# --- The pages' lists -------------------------------------------------------------------------------


@dataclass
class TaskRow:
    task: PlanTask
    standing: str
    standing_label: str
    measure: Measure | None


@dataclass
class PlanPage:
    plan: WorkPlan
    rows: list[TaskRow]
    counts: dict[str, int]
    corrections: list[Correction]
    reviews: list[PlanReview]
    today: date


def plan_page(*, user, plan: WorkPlan) -> PlanPage:
    """The responsibility list of a plan the reader may manage (``plan_get_for_user`` first), with
    each task's standing and measured value: a fixed number of queries whatever the number of tasks
    (plus the organisation's figures once, when a task is measured)."""
    if not policy.can(user, "programme.manage"):
        raise Http404
    today = timezone.localdate()
    tasks = list(
        plan.tasks.select_related("owner__person", "unit").prefetch_related(
            Prefetch("corrections", queryset=Correction.objects.only("id", "task_id", "status"))
        )
    )
    measures = measures_for(tasks, plan.year)
    rows = []
    counts = dict.fromkeys(STANDINGS, 0)
    for task in tasks:
        key = standing(task, today=today)
        counts[key] += 1
        rows.append(TaskRow(task, key, standing_label(key), measures.get(task.pk)))
    return PlanPage(
        plan=plan,
        rows=rows,
        counts=counts,
        corrections=plan_corrections(plan),
        reviews=plan_reviews(plan),
        today=today,
    )


def open_tasks(plan: WorkPlan) -> list[PlanTask]:
    """The tasks a review looks at: the plan's open ones."""
    return list(plan.tasks.filter(status__in=PlanTask.OPEN_STATUSES).select_related("owner__person", "unit"))


@dataclass
class MyWork:
    tasks: list[TaskRow]
    corrections: list[Correction]
    done_tasks: list[PlanTask]
    done_corrections: list[Correction]
    today: date


def my_work(*, user) -> MyWork:
    """The reader's own tasks (with their standing) and correction items: open ones, and the ones
    done lately."""
    if not policy.can(user, "programme.my_work"):
        raise Http404
    uid = _user_id(user)
    today = timezone.localdate()
    since = timezone.now() - timedelta(days=RECENTLY_DONE_DAYS)
    tasks = PlanTask.objects.filter(owner_id=uid).select_related("plan", "unit")
    corrections = Correction.objects.filter(owner_id=uid).select_related("review__plan", "task")
    open_ones = tasks.filter(status__in=PlanTask.OPEN_STATUSES).prefetch_related(
        Prefetch("corrections", queryset=Correction.objects.only("id", "task_id", "status"))
    )
    rows = []
    for task in open_ones.order_by("due_on", "id"):
        key = standing(task, today=today)
        rows.append(TaskRow(task, key, standing_label(key), None))
    return MyWork(
        tasks=rows,
        corrections=with_late(corrections.filter(status=Correction.Status.OPEN).order_by("due_on", "id"), today=today),
        done_tasks=list(
            tasks.filter(status=PlanTask.Status.DONE, completed_at__gte=since).order_by("-completed_at", "-id")
        ),
        done_corrections=list(
            corrections.filter(status=Correction.Status.DONE, completed_at__gte=since).order_by("-completed_at", "-id")
        ),
        today=today,
    )


# --- Choices of the forms ---------------------------------------------------------------------------


def task_owner_choices(current=None) -> QuerySet:
    """Whom a task or a correction may be given to: active logins of people still working here (and
    ``current``, the owner a task has now, so an edit that keeps them is not refused)."""
    q = Q(is_active=True, person__isnull=False) & ~Q(person__status=Person.Status.LEFT)
    if current is not None:
        q |= Q(pk=current.pk)
    return get_user_model().objects.filter(q).select_related("person__unit").order_by("person__full_name", "pk")


def plan_owner_choices() -> QuerySet:
    """Who may answer for a plan's reviews: the leading group's members today."""
    holders = policy.assignments_in_force(Role.LEADING_GROUP).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=holders)
        .select_related("person")
        .order_by("person__full_name", "pk")
    )


def unit_choices(current: OrgUnit | None = None) -> QuerySet[OrgUnit]:
    q = Q(is_active=True)
    if current is not None:
        q |= Q(pk=current.pk)
    return OrgUnit.objects.filter(q).order_by("path")


def metric_choices() -> list[tuple[str, str]]:
    return [(i.key, f"{d.title}: {i.label}") for d, i in figures.indicators()]
