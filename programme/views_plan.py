"""The plan pages (phone first): the year's plan and its responsibility list with each task's
standing, adding and changing tasks, one task with its progress and evidence, recording a review with
its findings and corrections, one correction item, and one's own work.

Reads go through programme.selectors.plan (scoped by programme.rules), writes through
programme.services. Whatever the policy does not let the reader see or do answers 404, exactly like a
record that does not exist (design/access.md); an invalid form comes back with its errors next to its
fields (400); a write that worked redirects with a message (POST-redirect-GET)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from programme import services
from programme.forms_plan import (
    CORRECTION_ROWS,
    CorrectionDoneForm,
    CorrectionRowForm,
    EvidenceForm,
    FindingForm,
    PlanForm,
    ProgressForm,
    ReviewForm,
    TaskForm,
)
from programme.models import Correction, PlanTask
from programme.selectors import plan as selectors
from wellbeing import policy
from wellbeing.validation import add_errors

#: Evidence served with its own content type (shown by the browser's viewer when opened); anything
#: else is served as bytes to save.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}
#: The plan page's summary counts (a task with a correction still open is counted apart).
SUMMARY = (selectors.ON_TRACK, selectors.LATE, selectors.DONE, selectors.CORRECTED)


# --- Shared helpers ---------------------------------------------------------------------------------


def _manage_or_404(request) -> None:
    """A plan's own pages: to anyone but the leading group they look like a plan that does not exist."""
    if not policy.can(request.user, "programme.manage"):
        raise Http404


def _manage_or_403(request) -> None:
    """The leading group's pages that name no record: anyone else is told they may not (403)."""
    if not policy.can(request.user, "programme.manage"):
        raise PermissionDenied


def _safe_file_name(name: str) -> str:
    """A file name for Content-Disposition: no path, no control characters, no quotes."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[\x00-\x1f\x7f"]', "_", name).strip(" .")
    return name[:200] or "evidence"


# --- The plan ---------------------------------------------------------------------------------------


@login_required
@require_GET
def plan_current(request):
    """The leading group: this year's plan (or an offer to make it); everyone else: their own work."""
    if not policy.can(request.user, "programme.manage"):
        return redirect("programme:my_work")
    year = timezone.localdate().year
    plan = selectors.plan_for_year(user=request.user, year=year)
    if plan is not None:
        return redirect("programme:plan", plan.pk)
    return render(
        request,
        "programme/plan/start.html",
        {"year": year, "plans": selectors.other_plans(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    _manage_or_403(request)
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                plan = services.plan_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The %(year)s work plan was created.") % {"year": plan.year})
                return redirect("programme:plan", plan.pk)
        status = 400
    else:
        year = timezone.localdate().year
        if selectors.plan_for_year(user=request.user, year=year) is not None:
            year += 1
        initial = {"year": year}
        if selectors.plan_owner_choices().filter(pk=request.user.pk).exists():
            initial["owner"] = request.user.pk
        form = PlanForm(initial=initial)
    return render(request, "programme/plan/plan_form.html", {"form": form}, status=status)


@login_required
@require_GET
def plan_detail(request, pk):
    """The responsibility list: every task with its owner, deadline, indicator and standing."""
    plan = selectors.plan_get_for_user(user=request.user, plan_id=pk)
    page = selectors.plan_page(user=request.user, plan=plan)
    return render(
        request,
        "programme/plan/plan_detail.html",
        {
            "plan": plan,
            "page": page,
            "summary": [(key, selectors.standing_label(key), page.counts[key]) for key in SUMMARY],
            "correction_open": page.counts[selectors.CORRECTION_OPEN],
            "plans": selectors.other_plans(user=request.user),
        },
    )


# --- Tasks ------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request, pk):
    plan = selectors.plan_get_for_user(user=request.user, plan_id=pk)
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST)
        if form.is_valid():
            try:
                task = services.task_create(actor=request.user, plan=plan, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Task added: %(title)s") % {"title": task.title})
                return redirect("programme:plan", plan.pk)
        status = 400
    else:
        form = TaskForm()
    return render(request, "programme/plan/task_form.html", {"form": form, "plan": plan, "task": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request, pk):
    task = selectors.task_get_for_user(user=request.user, task_id=pk)
    _manage_or_404(request)
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST, task=task)
        if form.is_valid():
            try:
                task = services.task_edit(actor=request.user, task=task, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The task was saved."))
                return redirect("programme:task", task.pk)
        status = 400
    else:
        form = TaskForm(initial=TaskForm.initial_for(task), task=task)
    return render(
        request, "programme/plan/task_form.html", {"form": form, "plan": task.plan, "task": task}, status=status
    )


def _may_progress(request, task: PlanTask) -> bool:
    """Whether the reader reports progress on the task. A cancelled task is reopened by the leading
    group only (task_progress does not say so yet: asked of its author)."""
    if not policy.can(request.user, "programme.task.update", task):
        return False
    return task.status != PlanTask.Status.CANCELLED or policy.can(request.user, "programme.manage")


def _task_page(request, task: PlanTask, *, progress=None, evidence=None, status: int = 200):
    manages = policy.can(request.user, "programme.manage")
    may_update = policy.can(request.user, "programme.task.update", task)
    may_progress = _may_progress(request, task)
    standing = selectors.standing(task)
    return render(
        request,
        "programme/plan/task_detail.html",
        {
            "task": task,
            "manages": manages,
            "may_update": may_update,
            "measure": selectors.measures_for([task], task.plan.year).get(task.pk),
            "standing_key": standing,
            "standing": selectors.standing_label(standing),
            "evidence": selectors.task_evidence(task),
            "corrections": selectors.task_corrections(user=request.user, task=task),
            "findings": selectors.task_findings(task) if manages else [],
            "progress_form": (progress or ProgressForm(task=task, may_cancel=manages)) if may_progress else None,
            "evidence_form": (evidence or EvidenceForm()) if may_update else None,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, pk):
    """One task: its details and measured value, progress (status, actual value), and evidence."""
    task = selectors.task_get_for_user(user=request.user, task_id=pk)
    if request.method == "GET":
        return _task_page(request, task)
    if not policy.can(request.user, "programme.task.update", task):
        raise Http404
    manages = policy.can(request.user, "programme.manage")
    action = request.POST.get("action")
    if action == "progress":
        if not _may_progress(request, task):
            raise Http404
        form = ProgressForm(request.POST, task=task, may_cancel=manages)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.task_progress(
                    actor=request.user,
                    task=task,
                    status=data["status"],
                    actual_value=data.get("actual_value"),
                    note=data["note"],
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Progress saved."))
                return redirect("programme:task", task.pk)
        return _task_page(request, task, progress=form, status=400)
    if action == "evidence":
        form = EvidenceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                evidence = services.evidence_add(
                    actor=request.user, task=task, upload=form.cleaned_data["file"], note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("File added: %(name)s") % {"name": evidence.file_name})
                return redirect("programme:task", task.pk)
        return _task_page(request, task, evidence=form, status=400)
    messages.error(request, _("Nothing was saved: use one of the forms on this page."))
    return _task_page(request, task, status=400)


@login_required
@require_GET
def evidence_download(request, pk, evidence_id):
    evidence = selectors.evidence_get_for_user(user=request.user, task_id=pk, evidence_id=evidence_id)
    content_type = (evidence.content_type or "").split(";")[0].strip().lower()
    if content_type not in INLINE_TYPES:
        content_type = "application/octet-stream"
    response = HttpResponse(bytes(evidence.content), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, _safe_file_name(evidence.file_name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Reviews and corrections ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request, pk):
    """A review: the date, a summary, a finding for each open task looked at, and the corrections it
    orders."""
    plan = selectors.plan_get_for_user(user=request.user, plan_id=pk)
    tasks = selectors.open_tasks(plan)
    data = request.POST if request.method == "POST" else None
    form = ReviewForm(data)
    findings = [FindingForm(data, task=task) for task in tasks]
    corrections = [CorrectionRowForm(data, plan=plan, index=i) for i in range(CORRECTION_ROWS)]
    status = 200
    if request.method == "POST":
        valid = [f.is_valid() for f in [form, *findings, *corrections]]
        if all(valid):
            try:
                review = services.review_record(
                    actor=request.user,
                    plan=plan,
                    held_on=form.cleaned_data["held_on"],
                    summary=form.cleaned_data["summary"],
                    findings=[
                        (f.task, f.cleaned_data["assessment"], f.cleaned_data["finding"])
                        for f in findings
                        if f.cleaned_data.get("assessment")
                    ],
                    corrections=[c.to_input() for c in corrections if c.cleaned_data],
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The review was recorded."))
                return redirect("programme:review", review.pk)
        status = 400
    return render(
        request,
        "programme/plan/review_form.html",
        {"plan": plan, "form": form, "findings": findings, "corrections": corrections},
        status=status,
    )


@login_required
@require_GET
def review_detail(request, pk):
    review = selectors.review_get_for_user(user=request.user, review_id=pk)
    return render(
        request,
        "programme/plan/review_detail.html",
        {
            "review": review,
            "plan": review.plan,
            "findings": selectors.review_findings(review),
            "corrections": selectors.review_corrections(review),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def correction_detail(request, pk):
    """One correction item; its owner (or the leading group) reports what was done."""
    item = selectors.correction_get_for_user(user=request.user, correction_id=pk)
    may_update = policy.can(request.user, "programme.correction.update", item)
    status = 200
    form = CorrectionDoneForm() if may_update and item.status == Correction.Status.OPEN else None
    if request.method == "POST":
        if not may_update:
            raise Http404
        form = CorrectionDoneForm(request.POST)
        if form.is_valid():
            try:
                services.correction_complete(actor=request.user, item=item, outcome=form.cleaned_data["outcome"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The correction item is done."))
                return redirect("programme:correction", item.pk)
        status = 400
    return render(
        request,
        "programme/plan/correction_detail.html",
        {
            "item": item,
            "form": form,
            "manages": policy.can(request.user, "programme.manage"),
            "task_visible": item.task is not None and policy.can(request.user, "programme.task.view", item.task),
        },
        status=status,
    )


# --- One's own work ---------------------------------------------------------------------------------


@login_required
@require_GET
def my_work(request):
    """The reader's open tasks and correction items (and the ones done lately)."""
    work = selectors.my_work(user=request.user)
    return render(
        request,
        "programme/plan/my_work.html",
        {"work": work, "manages": policy.can(request.user, "programme.manage")},
    )
