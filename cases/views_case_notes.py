"""A case's writing: notes (add, correct within CASE_NOTE_EDIT_HOURS, addenda), the next contact, and
the safety plan (edit: a new version; print: a clean page for the person)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import selectors, services
from cases.forms_case import AddendumForm, NextContactForm, NoteEditForm, NoteForm, SafetyPlanForm
from cases.models import Case, CaseNote, SafetyPlan
from cases.views_case import render_case
from wellbeing import policy
from wellbeing.audit import audit_sensitive_read
from wellbeing.validation import add_errors


def case_for(request, pk, rule: str | None = None) -> Case:
    """The case (404 when not visible), and 403 when the reader may not do ``rule`` on it."""
    case = selectors.case_get_for_user(user=request.user, case_id=pk)
    if rule is not None and not policy.can(request.user, rule, case):
        raise PermissionDenied
    return case


def done(request, case: Case, message: str, anchor: str = ""):
    messages.success(request, message)
    return redirect(reverse("cases:detail", args=[case.pk]) + anchor)


def act(request, case: Case, key: str, form, run, message: str, anchor: str = ""):
    """Validate ``form``, run the service, and go back to the case; or the case page with the form's
    errors (400)."""
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return done(request, case, message, anchor)
    return render_case(request, case, bound={key: form}, status=400)


def one(qs, pk):
    """One row of a case's own records by id, or 404 (unknown, another case's, or out of range)."""
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None


def _note(case: Case, note_pk) -> CaseNote:
    return one(case.notes.select_related("author__person", "case__person"), note_pk)


# --- Notes ------------------------------------------------------------------------------------------


@login_required
@require_POST
def note_add(request, pk: int):
    case = case_for(request, pk, "case.work")
    form = NoteForm(request.POST, prefix="note")

    def run(d):
        services.note_add(
            actor=request.user,
            case=case,
            data=services.NoteInput(
                form=d["form"],
                data=d["data"],
                assessment=d["assessment"],
                plan=d["plan"],
                body=d["body"],
                contact=d["contact"] or "",
                next_due=d["next_due"],
            ),
        )

    return act(request, case, "note", form, run, _("Note added."), "#timeline")


def _edit_page(request, case: Case, note: CaseNote, form, status: int = 200):
    can_edit = note.author_id == request.user.pk and note.is_editable()
    return render(
        request,
        "cases/note_edit.html",
        {
            "case": case,
            "note": note,
            "form": form if can_edit else None,
            "errors": form.non_field_errors() if form.is_bound else [],
            "can_edit": can_edit,
            "is_author": note.author_id == request.user.pk,
            "hours": settings.CASE_NOTE_EDIT_HOURS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request, pk: int, note_pk: int):
    """Its author corrects a note within CASE_NOTE_EDIT_HOURS (the earlier wording is kept); after
    that the page says only addenda are possible."""
    case = case_for(request, pk, "case.work")
    note = _note(case, note_pk)
    if note.addendum_to_id:
        raise Http404
    if request.method == "POST":
        form = NoteEditForm(request.POST, note=note)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.note_edit(
                    actor=request.user,
                    note=note,
                    data=services.NoteInput(
                        data=d.get("data", ""),
                        assessment=d.get("assessment", ""),
                        plan=d.get("plan", ""),
                        body=d.get("body", ""),
                    ),
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                return done(request, case, _("Note corrected."), f"#note-{note.pk}")
        return _edit_page(request, case, note, form, status=400)
    audit_sensitive_read(actor=request.user, target=note, fields=list(CaseNote.TEXT_FIELDS), subject_person=case.person)
    form = NoteEditForm(
        note=note, initial={"data": note.data, "assessment": note.assessment, "plan": note.plan, "body": note.body}
    )
    return _edit_page(request, case, note, form)


@login_required
@require_POST
def note_addendum(request, pk: int, note_pk: int):
    case = case_for(request, pk, "case.work")
    note = _note(case, note_pk)
    key = f"add{note.pk}"
    form = AddendumForm(request.POST, prefix=key)
    return act(
        request,
        case,
        key,
        form,
        lambda d: services.note_addendum(actor=request.user, note=note, body=d["body"]),
        _("Addendum added."),
        f"#note-{note.addendum_to_id or note.pk}",
    )


@login_required
@require_POST
def next_contact(request, pk: int):
    case = case_for(request, pk, "case.work")
    form = NextContactForm(request.POST, prefix="next")
    return act(
        request,
        case,
        "next",
        form,
        lambda d: services.next_contact_set(actor=request.user, case=case, due_at=d["due_at"]),
        _("Next contact scheduled."),
    )


# --- Safety plan ------------------------------------------------------------------------------------


def _version(request) -> int | None:
    raw = request.GET.get("version", "")
    if not raw:
        return None
    try:
        version = int(raw)
    except ValueError:
        raise Http404 from None
    if not 0 < version < 100000:
        raise Http404
    return version


@login_required
@require_http_methods(["GET", "POST"])
def safety_plan(request, pk: int):
    """The safety plan: its seven sections prefilled from the current version (saving adds a
    version), the earlier versions (?version=N shows one), and the print link."""
    case = case_for(request, pk)
    can_work = policy.can(request.user, "case.work", case) and case.is_open
    status = 200
    if request.method == "POST":
        if not can_work:
            raise PermissionDenied
        form = SafetyPlanForm(request.POST)
        if form.is_valid():
            try:
                plan = services.safety_plan_save(
                    actor=request.user, case=case, sections={k: form.cleaned_data[k] for k in SafetyPlan.SECTIONS}
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                return done(
                    request, case, _("Safety plan saved (version %(v)s).") % {"v": plan.version}, "#safety-plan"
                )
        status = 400
        plan = selectors.safety_plan_for_user(user=request.user, case=case)
        shown = None
    else:
        version = _version(request)
        plan = selectors.safety_plan_for_user(user=request.user, case=case)
        shown = selectors.safety_plan_for_user(user=request.user, case=case, version=version) if version else None
        if version and shown is None:
            raise Http404
        initial = {k: getattr(plan, k) for k in SafetyPlan.SECTIONS} if plan else {}
        form = SafetyPlanForm(initial=initial)
    return render(
        request,
        "cases/case_safety_plan.html",
        {
            "case": case,
            "plan": plan,
            "shown": shown,
            "shown_sections": _sections(shown),
            "form": form if can_work else None,
            "versions": selectors.safety_plan_versions(case=case),
            "current_sections": _sections(plan),
        },
        status=status,
    )


def _sections(plan) -> list[tuple[str, str]]:
    if plan is None:
        return []
    return [(plan._meta.get_field(n).verbose_name, getattr(plan, n)) for n in SafetyPlan.SECTIONS]


@login_required
@require_GET
def safety_plan_print(request, pk: int):
    """A clean printable page of the safety plan for the person: the sections only, no case notes."""
    case = case_for(request, pk)
    plan = selectors.safety_plan_for_user(user=request.user, case=case, version=_version(request))
    if plan is None:
        raise Http404
    return render(request, "cases/safety_plan_print.html", {"case": case, "plan": plan, "sections": _sections(plan)})
