"""Referrals to the counselling team: refer someone directly, the lead counsellor's intake list,
and the referrer's view of what became of theirs (received / acknowledged only)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellbeing import policy, selectors, services
from wellbeing.models import Referral


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
        .filter(person=person)
        .exclude(status=Referral.Status.TAKEN_IN)
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
    intake = None
    if policy.can(request.user, "referral.intake"):
        intake = list(
            policy.referrals_visible_to(request.user)
            .filter(status=Referral.Status.RECEIVED)
            .select_related("person__unit", "referred_by__person")
            .order_by("created_at")
        )
    mine = list(Referral.objects.filter(referred_by=request.user).select_related("person").order_by("-created_at")[:50])
    return render(request, "wellbeing/referrals.html", {"intake": intake, "mine": mine})


@login_required
@require_POST
def referral_acknowledge(request, pk: int):
    if not policy.can(request.user, "referral.intake"):
        raise PermissionDenied
    try:
        referral = policy.referrals_visible_to(request.user).get(pk=pk)
    except Referral.DoesNotExist:
        raise Http404 from None
    services.referral_acknowledge(actor=request.user, referral=referral)
    messages.success(request, _("Acknowledged. The referrer can see that it was received."))
    return redirect("referrals")
