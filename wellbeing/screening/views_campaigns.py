"""Check-up pages (心理体检): the list, setting one up, and one check-up's page: its dates, units and
questionnaires; who has completed (supervisors: their reports only; the lead counsellor: everyone;
never a result); the figures by unit for the leading group and the lead counsellor (k >= 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wellbeing import policy
from wellbeing.models import Role
from wellbeing.screening import campaigns, stats
from wellbeing.screening.forms_campaigns import CampaignForm


def _state(campaign, today) -> str:
    if today < campaign.opens_on:
        return "upcoming"
    return "open" if today <= campaign.closes_on else "closed"


@login_required
@require_GET
def campaign_list(request):
    rows = campaigns.campaign_list_for_user(user=request.user)
    today = timezone.localdate()
    return render(
        request,
        "wellbeing/screening/campaigns.html",
        {
            "rows": [(c, _state(c, today)) for c in rows],
            "can_manage": policy.can(request.user, "campaign.manage"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    if not policy.can(request.user, "campaign.manage"):
        raise PermissionDenied
    form = CampaignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaigns.campaign_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            if campaign.is_open_on(timezone.localdate()):
                messages.success(request, _("The check-up is set up. Invitations are going out now."))
            else:
                messages.success(request, _("The check-up is set up. Invitations go out on its opening day."))
            return redirect("screening:campaign", pk=campaign.pk)
    return render(
        request,
        "wellbeing/screening/campaign_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = campaigns.campaign_get_for_user(user=request.user, campaign_id=pk)
    completion = figures = None
    lead = policy.access_for(request.user).has(Role.LEAD_COUNSELLOR)
    if policy.can(request.user, "campaign.completion", campaign):
        completion = campaigns.campaign_completion_for_user(user=request.user, campaign=campaign)
    if policy.can(request.user, "campaign.stats", campaign):
        figures = stats.campaign_stats(user=request.user, campaign=campaign)
    done = sum(1 for row in completion or () if row.completed)
    return render(
        request,
        "wellbeing/screening/campaign.html",
        {
            "campaign": campaign,
            "state": _state(campaign, timezone.localdate()),
            "units": sorted(campaign.units.all(), key=lambda u: u.path),
            "instruments": sorted(campaign.instruments.all(), key=lambda i: (i.position, i.code)),
            "completion": completion,
            "completion_done": done,
            "completion_percent": round(100 * done / len(completion)) if completion else 0,
            "completion_everyone": lead,
            "figures": figures,
        },
    )
