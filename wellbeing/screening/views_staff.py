"""A member of staff's screening pages (心理测评), phone first: their consent, the questionnaires
offered and their reminders to take one, taking one, and their own results with what happens next.

Everything here is the signed-in person's own: someone else's result or reminder is not found (404).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from wellbeing import policy
from wellbeing.models import CrisisContact, FollowUp, Instrument, Person, Referral, Screening, ScreeningTier
from wellbeing.screening import services
from wellbeing.screening.forms_staff import ConsentForm, TakeForm
from wellbeing.screening.home_staff import reminder_url, screening_reminders


def _me(request) -> Person:
    """The signed-in person, who may take screenings (else 403)."""
    if not policy.can(request.user, "screening.take"):
        raise PermissionDenied
    return policy.access_for(request.user).person


def _my_screenings(request, person: Person):
    return (
        policy.screenings_visible_to(request.user)
        .filter(person=person)
        .select_related("instrument", "band")
        .order_by("-created_at", "-pk")
    )


def _safe_next(request, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def _retention() -> str:
    days = settings.SCREENING_RETENTION_DAYS
    if days >= 365 and days % 365 == 0:
        years = days // 365
        return ngettext("%(count)s year", "%(count)s years", years) % {"count": years}
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}


@login_required
@require_http_methods(["GET"])
def home(request):
    person = _me(request)
    instruments = Instrument.objects.filter(is_active=True).annotate(item_count=Count("items")).order_by("position")
    reminders = [(f, reminder_url(f, person)) for f in screening_reminders(request.user)]
    return render(
        request,
        "wellbeing/screening/home.html",
        {
            "consent": services.consent_current(person),
            "instruments": instruments,
            "reminders": reminders,
            "results": _my_screenings(request, person)[:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent(request):
    person = _me(request)
    current = services.consent_current(person)
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            services.consent_give(actor=request.user)
            messages.success(request, _("Thank you. Your consent is recorded; you can withdraw it at any time."))
            return redirect(_safe_next(request, form.cleaned_data["next"]) or reverse("screening:home"))
    else:
        form = ConsentForm(initial={"next": _safe_next(request, request.GET.get("next")) or ""})
    return render(
        request,
        "wellbeing/screening/consent.html",
        {
            "form": form,
            "consent": current,
            "notice_version": services.NOTICE_VERSION,
            "retention": _retention(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def withdraw(request):
    _me(request)
    if services.consent_withdraw(actor=request.user) is None:
        messages.info(request, _("You had not given consent to screening."))
    else:
        messages.success(
            request,
            _(
                "Your consent is withdrawn: you will not be asked to take questionnaires, and your results "
                "are left out of statistics from now on."
            ),
        )
    return redirect("screening:home")


@login_required
@require_http_methods(["GET", "POST"])
def take(request, code: str):
    person = _me(request)
    instrument = get_object_or_404(
        Instrument.objects.filter(is_active=True).prefetch_related("items", "options"), code=code
    )
    if request.method == "GET" and services.consent_current(person) is None:
        return redirect(f"{reverse('screening:consent')}?{urlencode({'next': request.path})}")
    form = TakeForm(instrument, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            submitted = services.screening_submit(
                actor=request.user, instrument=instrument, answers=form.answers(), submission_key=form.token
            )
        except ValidationError as exc:
            errors = exc.message_dict
            if "consent" in errors:  # withdrawn meanwhile (another tab): say it in the page's words
                errors["consent"] = [_("Your consent to screening is needed first: read the notice and agree.")]
            form.add_errors(errors)
        else:
            return redirect("screening:result", pk=submitted.screening.pk)
    return render(
        request,
        "wellbeing/screening/take.html",
        {
            "instrument": instrument,
            "form": form,
            "needs_consent": services.consent_current(person) is None,
            "consent_url": f"{reverse('screening:consent')}?{urlencode({'next': request.path})}",
        },
        status=400 if request.method == "POST" else 200,
    )


def _outreach(screening: Screening) -> str:
    """Whether a counsellor will contact the person about a yellow result: "asked" (they asked, from
    this result), "open" (an open referral about them already: they see its existence and status,
    access.md), or "" (not yet: the offer is shown)."""
    referrals = Referral.objects.filter(person_id=screening.person_id)
    if referrals.filter(source_type=ContentType.objects.get_for_model(Screening), source_id=str(screening.pk)).exists():
        return "asked"
    if referrals.filter(status__in=Referral.OPEN_STATUSES).exists():
        return "open"
    return ""


@login_required
@require_http_methods(["GET"])
def result(request, pk: int):
    person = _me(request)
    screening = get_object_or_404(_my_screenings(request, person), pk=pk)
    tier = screening.effective_tier
    low, high = screening.instrument.score_range()
    weeks = max(1, round(settings.SCREENING_RESCREEN_DAYS / 7))
    return render(
        request,
        "wellbeing/screening/result.html",
        {
            "screening": screening,
            "tier": tier.value,
            "red": tier == ScreeningTier.RED,
            "contacts": CrisisContact.objects.all() if tier == ScreeningTier.RED else [],
            "outreach": _outreach(screening) if tier == ScreeningTier.YELLOW else "",
            "score_low": low,
            "score_high": high,
            "rescreen_weeks": weeks,
        },
    )


@login_required
@require_POST
def ask(request, pk: int):
    person = _me(request)
    screening = get_object_or_404(_my_screenings(request, person), pk=pk)
    try:
        services.referral_ask(actor=request.user, screening=screening)
    except ValidationError as exc:  # nobody in the counselling team can receive it today
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("screening:result", pk=screening.pk)
    if _outreach(screening) == "asked":
        messages.success(request, _("A counsellor has been asked to contact you. They will be in touch within a week."))
    else:
        messages.info(request, _("A counsellor is already due to contact you."))
    return redirect("screening:result", pk=screening.pk)


@login_required
@require_POST
def decline(request, pk: int):
    _me(request)
    followup = get_object_or_404(
        FollowUp.objects.filter(owner=request.user, kind=FollowUp.Kind.SCREENING_INVITATION), pk=pk
    )
    services.screening_invitation_decline(actor=request.user, followup=followup)
    messages.info(request, _("Declined: we will not remind you about it again."))
    return redirect("screening:home")
