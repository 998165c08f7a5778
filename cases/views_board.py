"""The counsellor's list pages (issue 10, "Pages"): the caseload board, the intake queue and triage,
the lead counsellor's team view (with quick assignment), self-referral, emergency access and the
transfers waiting for the reader.

Thin views: reads through ``cases.selectors`` and the core's selectors, writes through the services,
every "may they" through ``wellbeing.policy``. Role pages refuse other roles with 403 (as the
screening rota does); a record the reader may not see is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import selectors, services
from cases.forms_board import AssignForm, BoardFilterForm, BreakGlassForm, SelfReferralForm, TriageForm
from cases.models import Case, Risk
from wellbeing import policy
from wellbeing import selectors as core_selectors
from wellbeing import services as core_services
from wellbeing.models import CrisisContact, Person, Referral
from wellbeing.validation import add_errors

#: Rows per page of the board (a counsellor's caseload fits on one; the lead's "all open" pages).
BOARD_PAGE_SIZE = 50
#: Badge classes per risk (tanxin.css tier classes: imminent red, high orange, moderate amber).
RISK_BADGES = {
    Risk.IMMINENT: "tier-red",
    Risk.HIGH: "tier-orange",
    Risk.MODERATE: "tier-yellow",
    Risk.LOW: "tier-routine",
}
#: The marker down the left edge of a row (the tier colours of tanxin.css; red and amber stand out).
RISK_MARKERS = {Risk.IMMINENT: "#b02a37", Risk.HIGH: "#fd7e14", Risk.MODERATE: "#ffc107", Risk.LOW: "#adb5bd"}


def _require(request, rule: str, obj=None) -> None:
    if not policy.can(request.user, rule, obj):
        raise PermissionDenied


def _int_or_404(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number < 2**31:
        raise Http404
    return number


def _decorate(cases, now) -> list[selectors.CaseRow]:
    """What each row shows besides the case itself: the next contact due, overdue or not, the badge.
    The badges and the due line are built once per row here (the page shows each row twice: a card on
    a phone, a table row on a desktop), not by a template included twice per row."""
    rows = list(cases)
    url = reverse("cases:detail", args=[0])[: -len("0/")]  # one reversal for the page: ".../cases/<pk>/"
    for c in rows:
        c.is_overdue = c.next_due is not None and c.next_due < now
        c.risk_badge = RISK_BADGES.get(c.risk, "tier-routine")
        c.risk_marker = RISK_MARKERS.get(c.risk, "#adb5bd")
        c.badges_html = _badges_html(c)
        c.due_html = _due_html(c, now)
        c.url = f"{url}{c.pk}/"
        c.status_label = c.get_status_display()
    return rows


def _badges_html(c) -> str:
    html = format_html('<span class="badge {}" data-testid="risk">{}</span>', c.risk_badge, c.get_risk_display())
    if c.is_overdue:
        html += format_html(' <span class="badge text-bg-danger" data-testid="overdue">{}</span>', _("overdue"))
    if c.closure_pending:
        html += format_html(' <span class="badge text-bg-info">{}</span>', _("closure asked for"))
    return html


def _due_html(c, now) -> str:
    if c.next_due is not None:
        when = timezone.localtime(c.next_due).strftime("%Y-%m-%d %H:%M")
        if c.is_overdue:
            text = _("contact overdue by %(ago)s") % {"ago": timesince(c.next_due, now)}
            style = "text-danger fw-semibold"
        else:
            text = _("next contact in %(left)s") % {"left": timeuntil(c.next_due, now)}
            style = "text-body-secondary"
        return format_html(
            '<span class="{}" data-testid="next-due">{} <span class="text-nowrap">({})</span></span>', style, text, when
        )
    if c.status == Case.Status.CLOSED and c.closed_at:
        date = timezone.localtime(c.closed_at).strftime("%Y-%m-%d")
        return format_html('<span class="text-body-secondary">{}</span>', _("closed %(date)s") % {"date": date})
    return format_html('<span class="text-body-secondary">{}</span>', _("no contact scheduled"))


# --- The caseload board ---------------------------------------------------------------------------


@login_required
@require_GET
def board(request):
    """My cases, overdue contacts first, then by risk, then the next contact due soonest. The lead
    counsellor also switches to the unassigned queue, all open cases, one counsellor's, or the closed
    ones, and searches by name or staff ID."""
    _require(request, "case.board")
    user = request.user
    is_lead = policy.can(user, "case.team")
    form = BoardFilterForm(request.GET or None)
    status = 200
    filters = {"view": "mine", "counsellor": None, "risk": "", "q": ""}
    if form.is_bound:
        if form.is_valid():
            filters.update({k: v for k, v in form.cleaned_data.items() if v not in (None, "")})
        else:
            status = 400
    view = filters["view"] if is_lead else "mine"
    counsellor_id = filters["counsellor"] if is_lead and view != "unassigned" else None
    if counsellor_id and view in ("mine", "open"):
        view = "counsellor"
    if view == "counsellor" and not counsellor_id:
        view = "open"
    query = {"user": user, "risk": filters["risk"] or None, "q": filters["q"]}
    if view == "mine":
        query["mine"] = True
    elif view == "unassigned":
        query["unassigned"] = True
    elif view == "closed":
        query["status"] = "closed"
    if counsellor_id:
        query["counsellor_id"] = counsellor_id
    qs = selectors.case_list_for_user(**query)
    page = Paginator(selectors.BoardRows(qs), BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = _decorate(page.object_list, now)
    counsellors = [(u.pk, name, n, limit) for u, name, n, limit in selectors.counsellor_choices()] if is_lead else []
    tabs = []
    if is_lead:
        tabs = [
            ("mine", _("My cases")),
            ("unassigned", _("Unassigned")),
            ("open", _("All open")),
            ("closed", _("Closed")),
        ]
    return render(
        request,
        "cases/board.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "view": view,
            "tabs": tabs,
            "is_lead": is_lead,
            "counsellors": counsellors,
            "chosen_counsellor": counsellor_id,
            "risk": filters["risk"],
            "q": filters["q"],
            "risks": Risk.choices,
            "now": now,
            "show_counsellor": view != "mine",
            "unassigned": _("unassigned"),
            "can_break_glass": policy.can(user, "case.break_glass"),
        },
        status=status,
    )


# --- Intake and triage ------------------------------------------------------------------------------


def _intake_rows(user) -> list[Referral]:
    if policy.can(user, "referral.intake"):
        return core_selectors.intake_queue(user=user)
    return list(
        policy.referrals_visible_to(user)
        .filter(status__in=Referral.OPEN_STATUSES, assigned_to=user, urgency=Referral.Urgency.IMMINENT)
        .select_related("person__unit", "referred_by__person", "followup")
        .defer("note", "followup__title", "followup__outcome", "followup__snooze_reason")
        .order_by(*core_selectors.INTAKE_ORDER)
    )


@login_required
@require_GET
def intake(request):
    """Referrals waiting for triage, most urgent first, then the longest waiting: the lead counsellor's
    queue; for a counsellor, the imminent-risk referrals that came to them on call."""
    _require(request, "case.board")
    rows = _intake_rows(request.user)
    for r in rows:
        r.can_triage = policy.can(request.user, "case.triage", r)
    return render(
        request,
        "cases/intake.html",
        {"rows": rows, "now": timezone.now(), "is_lead": policy.can(request.user, "referral.intake")},
    )


def _referral_for_triage(request, referral_pk) -> Referral:
    pk = _int_or_404(referral_pk)
    referral = (
        policy.referrals_visible_to(request.user)
        .select_related("person__unit", "person__user", "referred_by__person", "followup")
        .filter(pk=pk)
        .first()
    )
    if referral is None or not policy.can(request.user, "case.triage", referral):
        raise Http404
    return referral


def _triage_form(request, referral: Referral, open_case: Case | None, data=None) -> TriageForm:
    user = request.user
    rows = selectors.counsellor_choices(exclude_person=referral.person)
    if not policy.can(user, "case.team"):
        # Assigning is the lead counsellor's: the on-call counsellor takes the case or leaves it queued.
        rows = [row for row in rows if row[0].pk == user.pk]
    return TriageForm(
        data,
        can_open=open_case is None,
        can_link=open_case is not None,
        can_close=True,  # whoever may triage it (services.referral_decline)
        counsellors=rows,
        initial={"risk": Risk.from_urgency(referral.urgency).value},
    )


def _case_url_for(user, case: Case) -> str:
    if policy.can(user, "case.view", case):
        return reverse("cases:detail", args=[case.pk])
    return reverse("cases:intake")


@login_required
@require_http_methods(["GET", "POST"])
def triage(request, referral_pk):
    """One referral: who, how urgent, why, from where and when, the referrer's note (the read is
    audited), and one decision: open a case, add it to the person's open case, or close it."""
    referral = _referral_for_triage(request, referral_pk)
    user = request.user
    open_case = services.open_case_of(referral.person) if referral.is_open else None
    form = _triage_form(request, referral, open_case, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if not referral.is_open:
            form.add_error(None, _("This referral is already %(status)s.") % {"status": referral.get_status_display()})
        elif form.is_valid():
            response = _triage_apply(request, referral, open_case, form)
            if response is not None:
                return response
    linked_case = getattr(getattr(referral, "case_link", None), "case", None) if not referral.is_open else None
    return render(
        request,
        "cases/triage.html",
        {
            "r": referral,
            "form": form if referral.is_open else None,
            "note": core_selectors.referral_note_for_user(user=user, referral=referral),
            "open_case": open_case,
            "open_case_visible": open_case is not None and policy.can(user, "case.view", open_case),
            "linked_case": linked_case if linked_case and policy.can(user, "case.view", linked_case) else None,
            "now": timezone.now(),
            "risk_badges": RISK_BADGES,
        },
        status=status,
    )


def _triage_apply(request, referral: Referral, open_case: Case | None, form: TriageForm):
    user, data = request.user, form.cleaned_data
    try:
        with transaction.atomic():
            if data["action"] == TriageForm.OPEN:
                case = services.case_open(
                    actor=user,
                    referral=referral,
                    risk=data["risk"],
                    counsellor=form.chosen_counsellor(),
                    override_reason=data.get("override_reason", ""),
                )
                messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
                return redirect(_case_url_for(user, case))
            if data["action"] == TriageForm.LINK:
                case = services.case_link_referral(actor=user, referral=referral, case=open_case)
                if not policy.can(user, "case.view", case):  # the on-call counsellor: not their case
                    messages.success(request, _("The referral was added to the person's case."))
                    return redirect("cases:intake")
                messages.success(request, _("The referral was added to case %(ref)s.") % {"ref": case.reference})
                return redirect(_case_url_for(user, case))
            services.referral_decline(actor=user, referral=referral, reason=data["close_reason"])
            messages.success(request, _("The referral was closed."))
            return redirect("cases:intake")
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "reason" in exc.error_dict:
            exc.error_dict["close_reason"] = exc.error_dict.pop("reason")
        add_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You cannot do this."))
    return None


# --- The team view and quick assignment -------------------------------------------------------------


def _team(request, *, errors: dict | None = None, problem: str = "", status: int = 200):
    user = request.user
    now = timezone.now()
    unassigned = selectors.BoardRows(selectors.case_list_for_user(user=user, unassigned=True))[:100]
    choices = selectors.counsellor_choices()
    errors = errors or {}
    for c in _decorate(unassigned, now):
        rows = [row for row in choices if row[0].pk != c.person_user_id]
        bound = errors.get(c.pk)
        c.assign_form = bound if bound is not None else AssignForm(counsellors=rows, prefix=f"c{c.pk}")
    return render(
        request,
        "cases/team.html",
        {
            "team": selectors.team_view(user=user),
            "unassigned": unassigned,
            "closures": selectors.closures_to_approve(user=user),
            "intake_count": len(core_selectors.intake_queue(user=user)),
            "problem": problem,
            "now": now,
        },
        status=status,
    )


@login_required
@require_GET
def team(request):
    """The lead counsellor's team: caseload per counsellor against the limit, overdue contacts and
    imminent risk; the unassigned cases with a quick assignment; closures to approve; the intake."""
    _require(request, "case.team")
    return _team(request)


@login_required
@require_POST
def assign(request, pk):
    """Assign one case from the team page (the lead counsellor; past the limit with a reason)."""
    case = selectors.case_get_for_user(user=request.user, case_id=_int_or_404(pk))
    _require(request, "case.assign", case)
    rows = selectors.counsellor_choices(exclude_person=case.person)
    form = AssignForm(request.POST, counsellors=rows, prefix=f"c{case.pk}")
    if form.is_valid():
        counsellor = form.chosen_counsellor()
        try:
            services.case_assign(
                actor=request.user,
                case=case,
                counsellor=counsellor,
                override_reason=form.cleaned_data.get("override_reason", ""),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            name = counsellor.get_full_name() or counsellor.get_username()
            messages.success(request, _("Case %(ref)s assigned to %(name)s.") % {"ref": case.reference, "name": name})
            return redirect("cases:team")
    problems = " ".join(str(e) for errs in form.errors.values() for e in errs)
    return _team(
        request,
        errors={case.pk: form},
        problem=_("Case %(ref)s was not assigned: %(problems)s") % {"ref": case.reference, "problems": problems},
        status=400,
    )


# --- Self-referral ------------------------------------------------------------------------------------


def _own_person(request) -> Person:
    if not policy.can(request.user, "case.self_refer"):
        raise Http404
    person = policy.access_for(request.user).person
    if person is None:
        raise Http404
    return person


@login_required
@require_http_methods(["GET", "POST"])
def self_referral(request):
    """Ask the counselling team for help, saying plainly who will see it."""
    person = _own_person(request)
    form = SelfReferralForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                core_services.referral_create(
                    actor=request.user,
                    person=person,
                    urgency=d["urgency"],
                    reason=d["reason"],
                    note=d["note"],
                    source=Referral.Source.SELF,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Your request was sent to the counselling team."))
                return redirect("cases:self-referral")
    mine = list(
        Referral.objects.filter(person=person, referred_by=request.user, source=Referral.Source.SELF)
        .defer("note")
        .order_by("-created_at", "-id")[:5]
    )
    open_mine = [r for r in mine if r.is_open]
    imminent = any(r.urgency == Referral.Urgency.IMMINENT for r in open_mine) or (
        form.is_bound and form.data.get("urgency") == Referral.Urgency.IMMINENT
    )
    return render(
        request,
        "cases/self_referral.html",
        {
            "form": form,
            "open_mine": open_mine,
            "contacts": list(CrisisContact.objects.all()),
            "show_crisis": imminent,
        },
        status=status,
    )


# --- Emergency access (break-glass) -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request):
    """A counsellor or an administrator outside a case opens it in an emergency: the person's staff ID
    and the reason. Nothing is said about a staff ID beyond "no case found"."""
    _require(request, "case.break_glass")
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            response = _break_glass_apply(request, form)
            if response is not None:
                return response
    return render(
        request,
        "cases/break_glass.html",
        {"form": form, "hours": settings.BREAK_GLASS_HOURS},
        status=status,
    )


def _break_glass_apply(request, form: BreakGlassForm):
    user = request.user
    not_found = _("No case found for this staff ID.")
    person = Person.objects.filter(external_id=form.cleaned_data["external_id"]).first()
    case = selectors.latest_case_for_person(person=person) if person is not None else None
    if case is None:
        form.add_error("external_id", not_found)
        return None
    if policy.can(user, "case.view", case):
        return redirect("cases:detail", case.pk)
    if not policy.can(user, "case.break_glass", case):
        form.add_error("external_id", not_found)
        return None
    try:
        grant = services.break_glass(actor=user, case=case, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        add_errors(form, exc)
        return None
    except PermissionDenied:
        form.add_error("external_id", not_found)
        return None
    until = timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M")
    messages.warning(
        request,
        _("Emergency access to case %(ref)s until %(until)s. It is recorded and the lead counsellor has been told.")
        % {"ref": case.reference, "until": until},
    )
    return redirect("cases:detail", case.pk)


# --- Transfers waiting for me -------------------------------------------------------------------------


@login_required
@require_GET
def transfers(request):
    """Cases being handed to me: accept or decline them on the case page."""
    _require(request, "case.board")
    rows = selectors.transfers_waiting_for(user=request.user)
    for t in rows:
        t.risk_badge = RISK_BADGES.get(t.case.risk, "tier-routine")
    return render(request, "cases/transfers.html", {"rows": rows})
