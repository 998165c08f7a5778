"""A case's course: risk, status, flags, interventions, transfers, re-screening, closure and reopening.
Each action goes through its service and back to the case page; an invalid one re-renders the page
with the errors beside the fields (400); a refused one is 403, a case not visible 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import selectors, services
from cases.forms_case import (
    ClosureRefuseForm,
    ClosureRequestForm,
    DeclineForm,
    FlagClearForm,
    FlagForm,
    InterventionForm,
    InterventionUpdateForm,
    ReopenForm,
    RescreenForm,
    RiskForm,
    StatusForm,
    TransferForm,
)
from cases.models import Case, Transfer
from cases.views_case import render_case
from cases.views_case_notes import act, case_for, done, one


def _errors(exc: ValidationError) -> list[str]:
    return [e for errs in exc.message_dict.values() for e in errs]


def _plain(request, case: Case, run, message: str):
    """An action without a form: its errors at the top of the case page."""
    try:
        run()
    except ValidationError as exc:
        return render_case(request, case, errors=_errors(exc), status=400)
    return done(request, case, message)


@login_required
@require_POST
def risk(request, pk: int):
    case = case_for(request, pk, "case.work")
    return act(
        request,
        case,
        "risk",
        RiskForm(request.POST, prefix="risk"),
        lambda d: services.risk_change(actor=request.user, case=case, risk=d["risk"], reason=d["reason"]),
        _("Risk changed."),
    )


@login_required
@require_POST
def status(request, pk: int):
    case = case_for(request, pk, "case.work")
    return act(
        request,
        case,
        "status",
        StatusForm(request.POST, prefix="status"),
        lambda d: services.status_set(actor=request.user, case=case, status=d["status"], reason=d["reason"]),
        _("Status changed."),
    )


@login_required
@require_POST
def flag(request, pk: int):
    case = case_for(request, pk, "case.work")
    return act(
        request,
        case,
        "flag",
        FlagForm(request.POST, prefix="flag"),
        lambda d: services.flag_raise(actor=request.user, case=case, kind=d["kind"], reason=d["reason"]),
        _("Flag raised."),
    )


@login_required
@require_POST
def flag_clear(request, pk: int, flag_pk: int):
    case = case_for(request, pk, "case.work")
    flag = one(case.flags.all(), flag_pk)
    key = f"clear{flag.pk}"
    return act(
        request,
        case,
        key,
        FlagClearForm(request.POST, prefix=key),
        lambda d: services.flag_clear(actor=request.user, flag=flag, reason=d["reason"]),
        _("Flag cleared."),
    )


@login_required
@require_POST
def intervention_add(request, pk: int):
    case = case_for(request, pk, "case.work")

    def run(d):
        services.intervention_add(
            actor=request.user,
            case=case,
            data=services.InterventionInput(
                kind=d["kind"],
                occurred_on=d["occurred_on"],
                details=d["details"],
                service=d["service"],
                status=d["status"],
                supervisor_action=d["supervisor_action"],
                supervisor_due=d["supervisor_due"],
                leave_from=d["leave_from"],
                leave_until=d["leave_until"],
            ),
        )

    return act(
        request, case, "intervention", InterventionForm(request.POST, prefix="iv"), run, _("Intervention recorded.")
    )


@login_required
@require_POST
def intervention_update(request, pk: int, intervention_pk: int):
    case = case_for(request, pk, "case.work")
    intervention = one(case.interventions.all(), intervention_pk)
    key = f"ivu{intervention.pk}"
    form = InterventionUpdateForm(request.POST, prefix=key)
    return act(
        request,
        case,
        key,
        form,
        lambda d: services.intervention_update(
            actor=request.user, intervention=intervention, status=d["status"], outcome=d["outcome"]
        ),
        _("Intervention updated."),
    )


# --- Transfers --------------------------------------------------------------------------------------


@login_required
@require_POST
def transfer(request, pk: int):
    case = case_for(request, pk, "case.transfer")
    form = TransferForm(
        request.POST, prefix="transfer", choices=selectors.counsellor_choices(exclude_person=case.person)
    )
    return act(
        request,
        case,
        "transfer",
        form,
        lambda d: services.transfer_propose(
            actor=request.user,
            case=case,
            to=d["to"],
            handover_note=d["handover_note"],
            override_reason=d["override_reason"],
        ),
        _("Transfer proposed: the case moves when the receiving counsellor accepts."),
    )


def _pending(case: Case) -> Transfer:
    pending = selectors.pending_transfer(case=case)
    if pending is None:
        raise Http404
    return pending


@login_required
@require_POST
def transfer_accept(request, pk: int):
    case = case_for(request, pk)
    pending = _pending(case)
    return _plain(
        request,
        case,
        lambda: services.transfer_accept(actor=request.user, transfer=pending),
        _("Transfer accepted: the case is on your caseload."),
    )


@login_required
@require_POST
def transfer_decline(request, pk: int):
    case = case_for(request, pk)
    pending = _pending(case)
    form = DeclineForm(request.POST, prefix="decline")
    if form.is_valid():
        try:
            services.transfer_decline(actor=request.user, transfer=pending, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            return done(request, case, _("Transfer declined."), "")
    return render_case(request, case, bound={"decline": form}, status=400)


@login_required
@require_POST
def transfer_cancel(request, pk: int):
    case = case_for(request, pk, "case.transfer")
    pending = _pending(case)
    return _plain(
        request,
        case,
        lambda: services.transfer_cancel(actor=request.user, transfer=pending),
        _("Transfer withdrawn."),
    )


# --- Re-screening, closure, reopening -----------------------------------------------------------------


@login_required
@require_POST
def rescreen(request, pk: int):
    case = case_for(request, pk, "case.work")
    return act(
        request,
        case,
        "rescreen",
        RescreenForm(request.POST, prefix="rescreen"),
        lambda d: services.rescreen_ask(actor=request.user, case=case, instrument=d["instrument"]),
        _("Re-screening asked for: the person has it in their follow-ups; the result will appear here."),
    )


@login_required
@require_POST
def closure_request(request, pk: int):
    case = case_for(request, pk, "case.work")
    return act(
        request,
        case,
        "closure",
        ClosureRequestForm(request.POST, prefix="closure"),
        lambda d: services.closure_request(actor=request.user, case=case, outcome=d["outcome"], summary=d["summary"]),
        _("Closure asked for: the lead counsellor decides."),
    )


@login_required
@require_POST
def closure_approve(request, pk: int):
    case = case_for(request, pk, "case.approve_closure")
    return _plain(request, case, lambda: services.closure_approve(actor=request.user, case=case), _("Case closed."))


@login_required
@require_POST
def closure_refuse(request, pk: int):
    case = case_for(request, pk, "case.approve_closure")
    return act(
        request,
        case,
        "refuse",
        ClosureRefuseForm(request.POST, prefix="refuse"),
        lambda d: services.closure_refuse(actor=request.user, case=case, reason=d["reason"]),
        _("Closure refused: the case stays open."),
    )


@login_required
@require_POST
def reopen(request, pk: int):
    case = case_for(request, pk, "case.reopen")
    return act(
        request,
        case,
        "reopen",
        ReopenForm(request.POST, prefix="reopen"),
        lambda d: services.case_reopen(actor=request.user, case=case, reason=d["reason"], risk=d["risk"] or None),
        _("Case reopened."),
    )
