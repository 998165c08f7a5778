"""Leave pages (phone first): my leave and its ledger, requesting leave (with what it will cost), one
request and its decision, the supervisor's approvals, the team calendar, work on rest days, a person's
leave for those who may see it (with HR's adjustments), and the year's public holidays.

Reads go through leave.selectors (scoped by leave.rules), writes through leave.services. An invalid
form comes back with its errors next to its fields (400), a refused action is 403, and a request or a
person the reader may not see is 404, exactly like one that does not exist."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leave import selectors, services
from leave.calendar import FIRST_YEAR, LAST_YEAR, Calendar, year_summary
from leave.forms import (
    AdjustForm,
    CancelForm,
    CarryOverForm,
    DecideForm,
    LedgerForm,
    OvertimeDecideForm,
    OvertimeForm,
    RequestForm,
    TeamForm,
    YearForm,
    first_error,
)
from leave.models import LeaveRequest, LeaveType, OvertimeRecord
from wellbeing import policy
from wellbeing.models import Person, Role
from wellbeing.validation import add_errors

Status = LeaveRequest.Status
ZERO = Decimal(0)
#: Rows shown in a read-only list before "and N more".
READ_ONLY_LIMIT = 50


# --- Shared helpers ---------------------------------------------------------------------------------


def _me(request) -> Person:
    """The reader's own staff record (403 for a login without one, or for someone who has left)."""
    if not policy.can(request.user, "leave.own"):
        raise PermissionDenied
    return policy.access_for(request.user).person


def _render(request, template: str, context: dict, *, status: int = 200):
    """A leave page, with what its sub-navigation offers the reader."""
    context.setdefault("can_own", policy.can(request.user, "leave.own"))
    context.setdefault("can_team", policy.can(request.user, "leave.team"))
    return render(request, template, context, status=status)


def _my_person(request) -> Person | None:
    return policy.access_for(request.user).person


def _one(qs, pk):
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def _years(year: int) -> dict:
    return {
        "year": year,
        "prev_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
        "this_year": timezone.localdate().year,
    }


def _balances(person: Person, year: int) -> dict:
    annual, in_lieu = selectors.balances_for(person, year)
    return {"annual": annual, "in_lieu": in_lieu}


def _year_requests(principal, person: Person, year: int):
    return (
        selectors.requests_visible_to(principal)
        .filter(person=person)
        .filter(Q(start_date__year=year) | Q(end_date__year=year) | Q(status=Status.DRAFT))
        .select_related("leave_type", "approver__person")
        .order_by("-start_date", "-id")
    )


def _year_overtime(principal, person: Person, year: int):
    return (
        selectors.overtime_visible_to(principal)
        .filter(person=person, work_date__year=year)
        .select_related("confirmed_by__person")
        .order_by("-work_date", "-id")
    )


def _with_days_in_lieu(records):
    rows = list(records)
    for record in rows:
        record.days_in_lieu = services.days_for(record.hours)
    return rows


# --- My leave ---------------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    """My balances this year, my requests, my work on rest days."""
    me = _me(request)
    form = YearForm(request.GET)
    year = form.year_or_today()
    return _render(
        request,
        "leave/mine.html",
        {
            "form": form,
            "error": first_error(form),
            "me": me,
            **_years(year),
            **_balances(me, year),
            "requests": _year_requests(request.user, me, year),
            "overtime": _with_days_in_lieu(_year_overtime(request.user, me, year)),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def ledger(request):
    """One balance explained line by line (mine, or a person's for those who may see their leave)."""
    form = LedgerForm(request.GET)
    form.is_valid()  # what is valid is used; an invalid part is said at the top (400)
    person_id = form.cleaned_data.get("person")
    person = selectors.person_get_for_user(user=request.user, pk=person_id) if person_id else _me(request)
    year = form.cleaned_data.get("year") or timezone.localdate().year
    code = form.cleaned_data.get("type") or "annual"
    leave_type = services.in_lieu_type() if code == "in_lieu" else services.annual_type()
    lines = selectors.ledger_for(person, leave_type, year)
    me = _my_person(request)
    return _render(
        request,
        "leave/ledger.html",
        {
            "form": form,
            "error": first_error(form),
            "person": person,
            "is_me": me is not None and me.pk == person.pk,
            "leave_type": leave_type,
            "code": code,
            "lines": lines,
            "balance": lines[-1].running if lines else ZERO,
            "person_param": person.pk if person_id else "",
            "year_extra": urlencode({"type": code, **({"person": person.pk} if person_id else {})}) + "&",
            **_years(year),
        },
        status=400 if form.errors else 200,
    )


# --- Requesting leave -------------------------------------------------------------------------------


def _request_initial(request) -> dict:
    initial = {"leave_type": "annual"}
    code = request.GET.get("type", "")[:32].replace("\x00", "")
    if code and selectors.leave_types().filter(code=code).exists():
        initial["leave_type"] = code
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    """The request form; "Check" shows what it will cost without sending (the page works without
    JavaScript; with it, the cost is shown as the fields change)."""
    me = _me(request)
    shown = None
    if request.method == "POST":
        form = RequestForm(request.POST)
        checking = request.POST.get("action") == "check"
        if form.is_valid():
            try:
                if checking:
                    shown = services.preview(person=me, data=form.to_input())
                else:
                    leave = services.request_submit(actor=request.user, person=me, data=form.to_input())
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                if not checking:
                    messages.success(request, _sent_message(leave))
                    return redirect("leave:request", leave.pk)
        status = 400 if form.errors else 200
    else:
        form = RequestForm(initial=_request_initial(request))
        status = 200
    return _render(
        request,
        "leave/request_form.html",
        {"form": form, **_preview_context(form, shown), **_balances(me, timezone.localdate().year)},
        status=status,
    )


def _sent_message(leave: LeaveRequest) -> str:
    approver = leave.approver
    name = getattr(getattr(approver, "person", None), "full_name", "") or (approver.get_username() if approver else "")
    return _("Request %(ref)s sent to %(name)s for approval.") % {"ref": leave.reference, "name": name}


def _preview_context(form: RequestForm, shown, *, fresh: bool = False, oob: bool = False) -> dict:
    """What the preview box shows; with htmx (``oob``) it also replaces each field's error line."""
    field_errors = [(name, [] if fresh else form.errors.get(name, [])) for name in RequestForm.FIELDS]
    field_errors.append(("all", [] if fresh else form.non_field_errors()))
    return {
        "shown": shown,
        "shown_type": form.cleaned_data.get("leave_type") if hasattr(form, "cleaned_data") else None,
        "fresh": fresh,
        "oob": oob,
        "field_errors": field_errors,
    }


@login_required
@require_GET
def request_preview(request):
    """What the request being typed will cost (a fragment for htmx; always 200 so that it is shown).
    Before a first day is chosen it only says what to do."""
    me = _me(request)
    form = RequestForm(request.GET)
    shown = None
    if form.is_valid():
        try:
            shown = services.preview(person=me, data=form.to_input())
        except ValidationError as exc:
            add_errors(form, exc)
    fresh = not request.GET.get("start_date")
    return render(
        request,
        "leave/_preview.html",
        {"form": form, **_preview_context(form, shown, fresh=fresh, oob=request.headers.get("HX-Request") == "true")},
    )


# --- One request ------------------------------------------------------------------------------------


def _request_for(request, pk) -> LeaveRequest:
    return selectors.request_get_for_user(user=request.user, request_id=pk)


def _draft_initial(leave: LeaveRequest) -> dict:
    return {
        "leave_type": leave.leave_type.code,
        "start_date": leave.start_date,
        "end_date": leave.end_date,
        "start_pm": leave.start_pm,
        "end_am": leave.end_am,
        "note": leave.note,
    }


def render_request(request, leave: LeaveRequest, *, bound: dict | None = None, status: int = 200):
    """One request; ``bound`` replaces a form by key (an invalid action's form with its errors)."""
    user = request.user
    me = _my_person(request)
    is_me = me is not None and me.pk == leave.person_id
    can = {
        "send": leave.status == Status.DRAFT and policy.can(user, "leave.request_for", leave.person),
        # A request waiting for a decision is withdrawn by its person (the supervisor decides on it);
        # approved leave may also be cancelled by the supervisor or HR.
        "cancel": (leave.status == Status.APPROVED or (is_me and leave.is_open))
        and policy.can(user, "leave.cancel", leave),
        "decide": leave.status == Status.PENDING and policy.can(user, "leave.approve", leave),
        "read_note": policy.can(user, "leave.read_note", leave),
    }
    forms = {}
    if can["send"]:
        forms["send"] = RequestForm(initial=_draft_initial(leave))
    if can["decide"]:
        forms["decide"] = DecideForm(prefix="decide")
    if can["cancel"]:
        forms["cancel"] = CancelForm(prefix="cancel")
    forms.update(bound or {})
    balance = None
    if leave.leave_type.needs_balance:
        annual, in_lieu = selectors.balances_for(leave.person, leave.start_date.year)
        balance = in_lieu if leave.leave_type.category == LeaveType.Category.IN_LIEU else annual
    lines = list(leave.ledger.select_related("lot").order_by("effective_on", "id"))
    return _render(
        request,
        "leave/request_detail.html",
        {
            "leave": leave,
            "is_me": is_me,
            "can": can,
            "forms": forms,
            "open": set(bound or {}),
            "balance": balance,
            "lines": lines,
        },
        status=status,
    )


@login_required
@require_GET
def request_detail(request, pk: int):
    return render_request(request, _request_for(request, pk))


@login_required
@require_POST
def request_send(request, pk: int):
    """Send a draft (as it is, or with the dates changed): it then waits for the approver."""
    leave = _request_for(request, pk)
    if not policy.can(request.user, "leave.request_for", leave.person):
        raise PermissionDenied
    form = RequestForm(request.POST)
    if form.is_valid():
        try:
            leave = services.request_submit(actor=request.user, person=leave.person, data=form.to_input(), draft=leave)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _sent_message(leave))
            return redirect("leave:request", leave.pk)
    return render_request(request, leave, bound={"send": form}, status=400)


def _back_to_approvals(request) -> bool:
    return request.POST.get("from") == "approvals"


@login_required
@require_POST
def request_decide(request, pk: int):
    """Approve or reject (from the request's page or the approvals list)."""
    leave = _request_for(request, pk)
    if not policy.can(request.user, "leave.approve", leave):
        raise PermissionDenied
    from_list = _back_to_approvals(request)
    form = DecideForm(request.POST, prefix=f"r{leave.pk}" if from_list else "decide")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.request_decide(
                actor=request.user, request=leave, approve=approve, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            text = _("%(ref)s approved: %(name)s is on leave then.") if approve else _("%(ref)s rejected.")
            messages.success(request, text % {"ref": leave.reference, "name": leave.person.full_name})
            return redirect("leave:approvals" if from_list else "leave:request", *([] if from_list else [leave.pk]))
    if from_list:
        return render_approvals(request, bound={f"r{leave.pk}": form}, status=400)
    return render_request(request, leave, bound={"decide": form}, status=400)


@login_required
@require_POST
def request_cancel(request, pk: int):
    """Withdraw a draft or a request still waiting; cancel approved leave (with a reason)."""
    leave = _request_for(request, pk)
    if not policy.can(request.user, "leave.cancel", leave):
        raise PermissionDenied
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        was_approved = leave.status == Status.APPROVED
        try:
            services.request_cancel(actor=request.user, request=leave, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            text = _("%(ref)s cancelled: the days are back.") if was_approved else _("%(ref)s withdrawn.")
            messages.success(request, text % {"ref": leave.reference})
            return redirect("leave:request", leave.pk)
    return render_request(request, leave, bound={"cancel": form}, status=400)


# --- Approvals --------------------------------------------------------------------------------------


def render_approvals(request, *, bound: dict | None = None, status: int = 200):
    user = request.user
    if not policy.can(user, "leave.team"):
        raise PermissionDenied
    access = policy.access_for(user)
    me = access.person
    bound = bound or {}
    pending = (
        selectors.requests_visible_to(user)
        .filter(status=Status.PENDING)
        .select_related("person__unit", "leave_type", "approver__person")
        .order_by("start_date", "id")
    )
    records = (
        selectors.overtime_visible_to(user)
        .filter(status=OvertimeRecord.Status.PENDING)
        .filter(policy.reports_q(user, prefix="person__"))
        .select_related("person__unit")
        .order_by("work_date", "id")
    )
    if me is not None:
        pending = pending.exclude(person=me)
        records = records.exclude(person=me)
    to_decide = [
        r for r in pending.filter(policy.reports_q(user, prefix="person__")) if policy.can(user, "leave.approve", r)
    ]
    for r in to_decide:
        r.form = bound.get(f"r{r.pk}") or DecideForm(prefix=f"r{r.pk}")
    read_only, more = [], 0
    if access.has(Role.HR_OFFICER):
        others = [
            r
            for r in pending.exclude(policy.reports_q(user, prefix="person__"))
            if policy.can(user, "leave.adjust", r.person)
        ]
        read_only, more = others[:READ_ONLY_LIMIT], max(len(others) - READ_ONLY_LIMIT, 0)
    confirm = [r for r in records if policy.can(user, "leave.confirm_overtime", r)]
    for record in confirm:
        record.days_in_lieu = services.days_for(record.hours)
        record.form = bound.get(f"o{record.pk}") or OvertimeDecideForm(prefix=f"o{record.pk}")
    # A decision that failed on something no longer listed (decided meanwhile): its errors at the top.
    shown = {f"r{r.pk}" for r in to_decide} | {f"o{o.pk}" for o in confirm}
    problems = [
        str(e) for key, form in bound.items() if key not in shown for errs in form.errors.values() for e in errs
    ]
    return _render(
        request,
        "leave/approvals.html",
        {
            "to_decide": to_decide,
            "read_only": read_only,
            "more": more,
            "confirm": confirm,
            "is_hr": access.has(Role.HR_OFFICER),
            "problems": problems,
        },
        status=status,
    )


@login_required
@require_GET
def approvals(request):
    """Requests and rest-day work waiting for my decision; for HR officers, what waits in their units."""
    return render_approvals(request)


# --- The team calendar ------------------------------------------------------------------------------


@dataclass
class Day:
    on: date
    workday: bool
    weekend: bool
    holiday: bool = False
    makeup: bool = False
    name: str = ""
    today: bool = False
    entries: list = field(default_factory=list)

    @property
    def marked(self) -> bool:
        return bool(self.entries or self.holiday or self.makeup)

    @property
    def off(self) -> bool:
        return not self.workday


@dataclass(frozen=True)
class Entry:
    leave: LeaveRequest
    half: str = ""  # "am" (until noon), "pm" (from the afternoon) or ""


def _month_days(first: date, calendar: Calendar) -> list[Day]:
    today = timezone.localdate()
    year = calendar.year(first.year)
    days = []
    for n in range(month_calendar.monthrange(first.year, first.month)[1]):
        on = first + timedelta(days=n)
        weekend = on.weekday() >= 5
        workday = calendar.is_workday(on)
        holiday = on in year.holidays
        makeup = weekend and workday
        days.append(
            Day(
                on=on,
                workday=workday,
                weekend=weekend,
                holiday=holiday,
                makeup=makeup,
                name=year.holidays.get(on, "") if holiday else year.workdays.get(on, "") if makeup else "",
                today=on == today,
            )
        )
    return days


def _shift_month(first: date, months: int) -> date | None:
    index = first.year * 12 + first.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, 1) if FIRST_YEAR <= year <= LAST_YEAR else None


@login_required
@require_GET
def team_calendar(request):
    """A month of approved and waiting leave of the people whose leave I may see (a grid on a wide
    screen, a list by day on a phone). A fixed number of queries whatever the team's size."""
    if not policy.can(request.user, "leave.team"):
        raise PermissionDenied
    form = TeamForm(request.GET)
    valid = form.is_valid()
    if valid:
        first, mine_too = form.cleaned_data["month"], form.cleaned_data["mine"]
    else:
        today = timezone.localdate()
        first, mine_too = date(today.year, today.month, 1), False
    calendar = Calendar()
    days = _month_days(first, calendar)
    last = days[-1].on
    rows = (
        selectors.requests_visible_to(request.user)
        .filter(status__in=LeaveRequest.HOLDING, start_date__lte=last, end_date__gte=first)
        .select_related("person__unit", "leave_type")
        .order_by("person__full_name", "start_date", "id")
    )
    me = _my_person(request)
    if me is not None and not mine_too:
        rows = rows.exclude(person=me)
    by_date = {d.on: d for d in days}
    people = set()
    for leave in rows:
        people.add(leave.person_id)
        on = max(leave.start_date, first)
        while on <= min(leave.end_date, last):
            day = by_date[on]
            if day.workday or not leave.leave_type.in_working_days:
                half = "pm" if on == leave.start_date and leave.start_pm else ""
                half = "am" if on == leave.end_date and leave.end_am else half
                day.entries.append(Entry(leave, half))
            on += timedelta(days=1)
    weeks = [[None] * days[0].on.weekday() + days[: 7 - days[0].on.weekday()]]
    rest = days[7 - days[0].on.weekday() :]
    while rest:
        weeks.append(rest[:7])
        rest = rest[7:]
    weeks[-1] += [None] * (7 - len(weeks[-1]))
    prev_month, next_month = _shift_month(first, -1), _shift_month(first, 1)
    extra = {"mine": "1"} if mine_too else {}
    return _render(
        request,
        "leave/team.html",
        {
            "form": form,
            "error": first_error(form),
            "first": first,
            "weeks": weeks,
            "marked_days": [d for d in days if d.marked],
            "people_count": len(people),
            "provisional": calendar.year(first.year).provisional,
            "mine_too": mine_too,
            "prev_month": prev_month,
            "next_month": next_month,
            "prev_url": f"?{urlencode({'month': prev_month.strftime('%Y-%m'), **extra})}" if prev_month else "",
            "next_url": f"?{urlencode({'month': next_month.strftime('%Y-%m'), **extra})}" if next_month else "",
            "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        },
        status=400 if form.errors else 200,
    )


# --- Work on rest days ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def overtime(request):
    """Record my work on a weekend, a public holiday or at night; my records and their status."""
    me = _me(request)
    if request.method == "POST":
        form = OvertimeForm(request.POST)
        if form.is_valid():
            try:
                record = services.overtime_record(actor=request.user, person=me, data=form.to_input())
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Work on %(date)s recorded: your supervisor confirms it.")
                    % {"date": record.work_date.isoformat()},
                )
                return redirect("leave:overtime")
        status = 400
    else:
        form = OvertimeForm(initial={"kind": OvertimeRecord.Kind.WEEKEND})
        status = 200
    records = (
        selectors.overtime_visible_to(request.user)
        .filter(person=me)
        .select_related("confirmed_by__person")
        .order_by("-work_date", "-id")[:100]
    )
    return _render(
        request,
        "leave/overtime.html",
        {
            "form": form,
            "records": _with_days_in_lieu(records),
            "hours_per_day": settings.LEAVE_TOIL_HOURS_PER_DAY,
            "valid_days": settings.LEAVE_TOIL_VALID_DAYS,
        },
        status=status,
    )


@login_required
@require_POST
def overtime_decide(request, pk: int):
    """The supervisor confirms rest-day work (time off in lieu accrues) or does not (with a reason)."""
    record = _one(selectors.overtime_visible_to(request.user).select_related("person__unit"), pk)
    if not policy.can(request.user, "leave.confirm_overtime", record):
        raise PermissionDenied
    form = OvertimeDecideForm(request.POST, prefix=f"o{record.pk}")
    if form.is_valid():
        confirm = form.cleaned_data["decision"] == "confirm"
        try:
            services.overtime_decide(
                actor=request.user, record=record, confirm=confirm, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            text = (
                _("Work of %(name)s on %(date)s confirmed.")
                if confirm
                else _("Work of %(name)s on %(date)s not confirmed.")
            )
            messages.success(request, text % {"name": record.person.full_name, "date": record.work_date.isoformat()})
            return redirect("leave:approvals")
    return render_approvals(request, bound={f"o{record.pk}": form}, status=400)


# --- A person's leave -------------------------------------------------------------------------------


def _person_for(request, person_id) -> Person:
    person = selectors.person_get_for_user(user=request.user, pk=person_id)
    if not policy.can(request.user, "leave.view", person):
        raise Http404
    return person


def render_person(request, person: Person, year: int, *, form=None, bound: dict | None = None, status: int = 200):
    user = request.user
    can_adjust = policy.can(user, "leave.adjust", person)
    forms = {}
    if can_adjust:
        forms["adjust"] = AdjustForm(prefix="adjust", initial={"leave_type": "annual", "year": year})
        forms["carry"] = CarryOverForm(prefix="carry", initial={"year": year})
    forms.update(bound or {})
    me = _my_person(request)
    return _render(
        request,
        "leave/person.html",
        {
            "person": person,
            "form": form,
            "error": first_error(form) if form is not None else "",
            "is_me": me is not None and me.pk == person.pk,
            **_years(year),
            **_balances(person, year),
            "requests": _year_requests(user, person, year),
            "overtime": _with_days_in_lieu(_year_overtime(user, person, year)),
            "can_adjust": can_adjust,
            "forms": forms,
            "open": set(bound or {}),
        },
        status=status,
    )


@login_required
@require_GET
def person_leave(request, person_id: int):
    """A person's balances and requests, for those who may see their leave (404 for anyone else)."""
    person = _person_for(request, person_id)
    form = YearForm(request.GET)
    return render_person(request, person, form.year_or_today(), form=form, status=400 if form.errors else 200)


def _hr_action(request, person_id, form_class, prefix: str, run, message: str):
    person = _person_for(request, person_id)
    if not policy.can(request.user, "leave.adjust", person):
        raise PermissionDenied
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            run(person, form)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, message)
            year = form.cleaned_data["year"]
            return redirect(f"{reverse('leave:person', args=[person.pk])}?{urlencode({'year': year})}")
    year = form.cleaned_data.get("year") or timezone.localdate().year
    return render_person(request, person, year, bound={prefix: form}, status=400)


@login_required
@require_POST
def adjust(request, person_id: int):
    """HR: add or take away days, with a reason (a new ledger line; nothing is edited)."""
    return _hr_action(
        request,
        person_id,
        AdjustForm,
        "adjust",
        lambda person, form: services.ledger_adjust(
            actor=request.user,
            person=person,
            leave_type=form.leave_type_obj(),
            year=form.cleaned_data["year"],
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        ),
        _("Balance adjusted."),
    )


@login_required
@require_POST
def carry_over(request, person_id: int):
    """HR: carry untaken annual leave into the next year (once, at most one year)."""
    return _hr_action(
        request,
        person_id,
        CarryOverForm,
        "carry",
        lambda person, form: services.annual_carry_over(
            actor=request.user,
            person=person,
            year=form.cleaned_data["year"],
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        ),
        _("Leave carried over to next year."),
    )


# --- The holiday calendar ---------------------------------------------------------------------------


@dataclass
class Period:
    kind: str
    name: str
    days: list[date]

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]


def _periods(rows: list[dict]) -> list[Period]:
    """Consecutive days of one kind and name as one period (春节 15-23 February)."""
    periods: list[Period] = []
    for row in rows:
        last = periods[-1] if periods else None
        if (
            last is not None
            and last.kind == row["kind"]
            and last.name == row["name"]
            and row["date"] - last.last == timedelta(days=1)
        ):
            last.days.append(row["date"])
        else:
            periods.append(Period(row["kind"], row["name"], [row["date"]]))
    return periods


@login_required
@require_GET
def holiday_calendar(request):
    """The year's public holidays and make-up workdays; "provisional" when not announced yet."""
    if not policy.can(request.user, "leave.calendar"):
        raise PermissionDenied
    form = YearForm(request.GET)
    year = form.year_or_today()
    summary = year_summary(year)
    periods = _periods(summary["days"])
    by_kind = {k: list(g) for k, g in groupby(sorted(periods, key=lambda p: p.kind), key=lambda p: p.kind)}
    return _render(
        request,
        "leave/calendar.html",
        {
            "form": form,
            "error": first_error(form),
            "summary": summary,
            "holidays": by_kind.get("holiday", []),
            "workdays": by_kind.get("workday", []),
            **_years(year),
        },
        status=400 if form.errors else 200,
    )
