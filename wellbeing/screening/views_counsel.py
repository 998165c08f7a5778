"""The counselling team's screening pages: a person's results over time (a chart per questionnaire,
with its table), one result with its answers and the tier review, and the on-call rota."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wellbeing import policy
from wellbeing.models import ScreeningTier
from wellbeing.screening import selectors, services
from wellbeing.screening.forms_counsel import OnCallShiftForm, ReviewForm
from wellbeing.selectors import person_get_for_user
from wellbeing.services import oncall

#: Colours of the tiers on the chart (the same as the tier badges of tanxin.css; green is Bootstrap's).
TIER_COLOURS = {"green": "#198754", "yellow": "#ffc107", "orange": "#fd7e14", "red": "#b02a37"}
#: A point's symbol per tier, so the tier does not depend on colour alone.
TIER_SYMBOLS = {"green": "circle", "yellow": "rect", "orange": "triangle", "red": "diamond"}
#: Badge classes per tier (templates).
TIER_BADGES = {"green": "text-bg-success", "yellow": "tier-yellow", "orange": "tier-orange", "red": "tier-red"}


def _add_errors(form, exc: ValidationError) -> None:
    for field, errs in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errs)


# --- A person's results over time -----------------------------------------------------------------


def chart_data(trajectories) -> dict:
    """What static/js/screening_chart.js draws: per questionnaire its score range, its bands (the
    stated ranges and the edges drawn midway between them) and the results, oldest first."""
    charts = []
    for t in trajectories:
        charts.append(
            {
                "code": t.instrument.code,
                "title": t.instrument.name,
                "min": t.low,
                "max": t.high,
                "bands": [
                    {
                        "code": e.band.code,
                        "label": e.band.label,
                        "min": e.band.min_score,
                        "max": e.band.max_score,
                        "from": e.drawn_from,
                        "to": e.drawn_to,
                        "tier": e.tier.value,
                        "colour": TIER_COLOURS[e.tier.value],
                    }
                    for e in t.bands
                ],
                "points": [
                    {
                        "time": int(s.created_at.timestamp() * 1000),
                        "date": timezone.localtime(s.created_at).strftime("%Y-%m-%d"),
                        "score": s.score,
                        "band": s.band.label,
                        "tier": s.effective_tier.value,
                        "tierLabel": str(s.effective_tier.label),
                        "reviewed": bool(s.reviewed_tier),
                        "colour": TIER_COLOURS[s.effective_tier.value],
                        "symbol": TIER_SYMBOLS[s.effective_tier.value],
                        "url": reverse("screening:detail", args=[s.pk]),
                    }
                    for s in t.screenings
                ],
            }
        )
    return {
        "locale": "EN" if (get_language() or "").startswith("en") else "ZH",
        "labels": {
            "score": _("Score"),
            "date": _("Date"),
            "band": _("Band"),
            "tier": _("Tier"),
            "reviewed": _("reviewed"),
        },
        "charts": charts,
    }


@login_required
@require_GET
def person(request, external_id: str):
    """A person's scores over time, one chart per questionnaire with the band boundaries drawn and a
    table of the same figures (for screen readers and printing). Only the counselling team
    (``screening.trajectory``); anyone else gets 404."""
    person = person_get_for_user(user=request.user, external_id=external_id)  # policy.get_person_or_404
    trajectories = selectors.trajectory_for_user(user=request.user, person=person)
    for t in trajectories:
        for s in t.screenings:
            s.tier_badge = TIER_BADGES[s.tier]
            s.reviewed_badge = TIER_BADGES.get(s.reviewed_tier, "")
    return render(
        request,
        "wellbeing/screening/person.html",
        {
            "person": person,
            "trajectories": trajectories,
            "chart_data": chart_data(trajectories),
            "can_see_profile": policy.can(request.user, "person.view", person),
        },
    )


# --- One result -----------------------------------------------------------------------------------


def _detail(request, screening, *, form: ReviewForm | None = None, status: int = 200):
    answers = selectors.screening_answers_for_user(user=request.user, screening=screening)
    can_review = policy.can(request.user, "screening.review", screening)
    if can_review and form is None:
        form = ReviewForm()
    referral = screening.referral
    return render(
        request,
        "wellbeing/screening/detail.html",
        {
            "s": screening,
            "answers": answers,
            "low_high": screening.instrument.score_range(),
            "tier_badge": TIER_BADGES[screening.tier],
            "reviewed_badge": TIER_BADGES.get(screening.reviewed_tier, ""),
            "reviewed_by": selectors.user_name(screening.reviewed_by),
            "referral": referral
            if referral is not None and policy.can(request.user, "referral.view", referral)
            else None,
            "form": form if can_review else None,
            "can_see_trajectory": policy.can(request.user, "screening.trajectory", screening.person),
        },
        status=status,
    )


@login_required
@require_GET
def detail(request, pk: int):
    """One result: the questionnaire, score, band and tier, the review, and each answer given
    (decrypted and audited). The counselling team only; the person reads their own on their result
    page, and anyone else gets 404."""
    screening = selectors.screening_get_for_user(user=request.user, screening_id=pk)
    return _detail(request, screening)


@login_required
@require_POST
def review(request, pk: int):
    """Confirm or override the computed tier, with a reason."""
    screening = selectors.screening_get_for_user(user=request.user, screening_id=pk)
    if not policy.can(request.user, "screening.review", screening):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.screening_review(
                actor=request.user,
                screening=screening,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            tier = ScreeningTier(form.cleaned_data["tier"]).label
            messages.success(request, _("Review saved: the tier is %(tier)s.") % {"tier": tier})
            return redirect("screening:detail", screening.pk)
    return _detail(request, screening, form=form, status=400)


# --- The on-call rota -----------------------------------------------------------------------------


def _rota(request, *, form: OnCallShiftForm | None = None, errors: list[str] | None = None, status: int = 200):
    rota = selectors.oncall_rota_for_user(user=request.user)
    can_manage = policy.can(request.user, "oncall.manage")
    if can_manage and form is None:
        form = OnCallShiftForm(counsellors=oncall.counsellors_in_force(), initial={"starts_on": rota.today})
    for shift in (*rota.upcoming, *rota.recent):
        shift.counsellor_name = selectors.user_name(shift.counsellor)
        shift.is_today = shift.starts_on <= rota.today <= shift.ends_on
        shift.is_mine = shift.counsellor_id == request.user.pk
    on_call = rota.on_call
    return render(
        request,
        "wellbeing/screening/oncall.html",
        {
            "rota": rota,
            "on_call_name": selectors.user_name(on_call.counsellor),
            "on_call_is_me": on_call.is_on_call(request.user),
            "fallback_name": selectors.user_name(on_call.fallback),
            "form": form if can_manage else None,
            "errors": errors or [],
            "can_manage": can_manage,
        },
        status=status,
    )


@login_required
@require_GET
def oncall_rota(request):
    """Who is on call today (red items go to them; with nobody, to the lead counsellor), the shifts
    ahead and the last two weeks. The lead counsellor arranges it here."""
    if not policy.can(request.user, "oncall.view"):
        raise PermissionDenied
    return _rota(request)


@login_required
@require_POST
def oncall_add(request):
    if not policy.can(request.user, "oncall.manage"):
        raise PermissionDenied
    form = OnCallShiftForm(request.POST, counsellors=oncall.counsellors_in_force())
    if form.is_valid():
        d = form.cleaned_data
        try:
            shift = oncall.oncall_shift_create(
                actor=request.user, counsellor=d["counsellor"], starts_on=d["starts_on"], ends_on=d["ends_on"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is on call from %(start)s to %(end)s.")
                % {
                    "name": selectors.user_name(shift.counsellor),
                    "start": shift.starts_on.isoformat(),
                    "end": shift.ends_on.isoformat(),
                },
            )
            return redirect("screening:oncall")
    return _rota(request, form=form, status=400)


@login_required
@require_POST
def oncall_remove(request, pk: int):
    shift = selectors.oncall_shift_get_for_user(user=request.user, shift_id=pk)
    try:
        oncall.oncall_shift_delete(actor=request.user, shift=shift)
    except ValidationError as exc:
        return _rota(request, errors=[e for errs in exc.message_dict.values() for e in errs], status=400)
    messages.success(request, _("The shift was taken off the rota."))
    return redirect("screening:oncall")
