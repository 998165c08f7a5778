"""Referrals to the counselling team: refer someone directly; the lead counsellor's intake list and
one referral's page (the referrer's note, its history, acknowledge / take in / close); the referrer's
view of theirs (status only: received, acknowledged, taken in, closed)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellbeing import policy, selectors, services
from wellbeing.models import Referral, Screening

#: Where a referral is triaged when an app takes referrals in (the cases app: open a case for it or
#: link it to the person's open case). Callables (user, referral) -> URL or None, registered from an
#: AppConfig.ready(); without one, the lead counsellor takes a referral in here.
TRIAGE_PAGES: list = []


def triage_url(user, referral: Referral) -> str | None:
    for page in TRIAGE_PAGES:
        url = page(user, referral)
        if url:
            return url
    return None


class ReferralForm(forms.Form):
    # Nothing is preselected: the referrer chooses how urgent it is and why, every time.
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"),
        choices=[("", "—"), *Referral.Urgency.choices],
        error_messages={"required": gettext_lazy("Choose how urgent it is.")},
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=[("", "—"), *Referral.Reason.choices],
        error_messages={"required": gettext_lazy("Choose a reason for the referral.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note for the counselling team"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CloseForm(forms.Form):
    # Nothing preselected: closing is a decision, and the reason is required.
    reason = forms.ChoiceField(
        label=gettext_lazy("Why close it"),
        choices=[("", "—"), *Referral.CloseReason.choices],
        error_messages={
            "required": gettext_lazy("Choose why the referral is closed."),
            "invalid_choice": gettext_lazy("Choose why the referral is closed."),
        },
        help_text=gettext_lazy("The referrer sees only that it was closed, never why."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def referral_new(request, external_id: str):
    person = selectors.person_get_for_user(user=request.user, external_id=external_id)
    if not policy.can(request.user, "referral.create", person):
        raise PermissionDenied
    form = ReferralForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_create(
                actor=request.user,
                person=person,
                source=Referral.Source.SELF
                if policy.access_for(request.user).person == person
                else Referral.Source.SUPERVISOR,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("The counselling team has received the referral."))
            return redirect("referrals")
    # An open referral about the same person is shown before a second is made (the referrer's own;
    # the lead counsellor sees all), so the counselling team is not sent the same person twice.
    open_referrals = list(
        policy.referrals_visible_to(request.user)
        .filter(person=person, status__in=Referral.OPEN_STATUSES)
        .order_by("-created_at")[:5]
    )
    return render(
        request,
        "wellbeing/referral_form.html",
        {"form": form, "person": person, "open_referrals": open_referrals},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def referral_list(request):
    """The lead counsellor's intake (most urgent first, then oldest) and what was recently taken in or
    closed; for everyone, the referrals they made and where each stands."""
    intake = done = None
    if policy.can(request.user, "referral.intake"):
        intake = selectors.intake_queue(user=request.user)
        done = selectors.referrals_done(user=request.user)
    mine = selectors.referrals_made_by(user=request.user)
    return render(
        request,
        "wellbeing/referrals.html",
        {"intake": intake, "done": done, "mine": mine, "now": timezone.now()},
    )


def _screening_of(user, referral: Referral):
    """The screening result a referral came from, for whoever may open it (the counselling team)."""
    screening = Screening.objects.filter(referral=referral).select_related("person").first()
    return screening if screening is not None and policy.can(user, "screening.review", screening) else None


def _detail(
    request,
    referral: Referral,
    *,
    close_form: CloseForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
):
    fields = policy.visible_fields(request.user, referral)
    can_intake = policy.can(request.user, "referral.intake", referral)
    return render(
        request,
        "wellbeing/referral_detail.html",
        {
            "r": referral,
            "fields": fields,
            "note": selectors.referral_note_for_user(user=request.user, referral=referral),
            "history": selectors.referral_history(user=request.user, referral=referral),
            "can_intake": can_intake and referral.is_open,
            "triage_url": triage_url(request.user, referral) if referral.is_open else None,
            "screening": _screening_of(request.user, referral),
            "can_acknowledge": policy.can(request.user, "referral.acknowledge", referral)
            and referral.status == Referral.Status.RECEIVED,
            "close_form": close_form or CloseForm(),
            "errors": errors or [],
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_GET
def referral_detail(request, pk: int):
    """The lead counsellor: everything, the note's reading audited, and the actions. The referrer: where
    it stands (status only). Anyone else: 404."""
    return _detail(request, selectors.referral_get_for_user(user=request.user, referral_id=pk))


def _for_intake(request, pk: int) -> Referral:
    if not policy.can(request.user, "referral.intake"):
        raise PermissionDenied
    return selectors.referral_get_for_user(user=request.user, referral_id=pk)


def _refused(request, referral: Referral, exc: ValidationError):
    """A transition the referral's status does not allow (already closed ...): said on its page."""
    referral.refresh_from_db()
    return _detail(request, referral, errors=[e for errs in exc.message_dict.values() for e in errs], status=400)


@login_required
@require_POST
def referral_acknowledge(request, pk: int):
    referral = selectors.referral_get_for_user(user=request.user, referral_id=pk)
    if not policy.can(request.user, "referral.acknowledge", referral):
        raise PermissionDenied
    try:
        services.referral_acknowledge(actor=request.user, referral=referral)
    except ValidationError as exc:
        return _refused(request, referral, exc)
    messages.success(request, _("Acknowledged. The referrer can see that it was received."))
    return redirect("referral-detail", pk=referral.pk)


@login_required
@require_POST
def referral_take_in(request, pk: int):
    referral = _for_intake(request, pk)
    if referral.is_open and TRIAGE_PAGES:
        # Taking in means opening a case for it or linking it to one: that happens on the triage page.
        url = triage_url(request.user, referral)
        return redirect(url) if url else redirect("referral-detail", pk=referral.pk)
    try:
        services.referral_take_in(actor=request.user, referral=referral)
    except ValidationError as exc:
        return _refused(request, referral, exc)
    messages.success(request, _("Taken in. The referrer sees that the counselling team has taken the person in."))
    return redirect("referral-detail", pk=referral.pk)


@login_required
@require_POST
def referral_close(request, pk: int):
    referral = _for_intake(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _detail(request, referral, close_form=form, status=400)
    try:
        services.referral_close(actor=request.user, referral=referral, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _refused(request, referral, exc)
    messages.success(request, _("Closed. The referrer sees only that it was closed."))
    return redirect("referral-detail", pk=referral.pk)
