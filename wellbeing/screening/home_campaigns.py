"""Home page sections for screening (campaigns): the open check-ups, with their completion rate for
the leading group and the lead counsellor (counts only, through the same suppression as the
check-up's figures: shown only when at least 5 people are invited), and for supervisors how many of
their reports have not completed yet (a count, linking to the check-up's page)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.home import LIMIT, HomeItem, HomeSection
from wellbeing.models import Role
from wellbeing.screening import campaigns, stats


def _closes(campaign) -> str:
    return _("closes %(date)s") % {"date": campaign.closes_on.strftime("%Y-%m-%d")}


def completion_rates(request) -> list[HomeSection]:
    """The leading group and the lead counsellor: each open check-up's completion rate."""
    user = request.user
    if not policy.can(user, "campaign.stats"):
        return []
    open_now = campaigns.open_campaigns(user=user)
    if not open_now:
        return []
    items = []
    for campaign in open_now[:LIMIT]:
        total = stats.campaign_stats(user=user, campaign=campaign).total
        invited = total.values["invited"] if total else 0
        done = total.values["completed"] if total else 0
        if invited == 0:
            detail = _("nobody invited yet")
        elif invited is None or done is None or invited < stats.STATS_MIN_GROUP:
            detail = _("completion not shown: fewer than 5 people, or it would reveal a small group")
        else:
            detail = _("%(done)s of %(invited)s completed (%(percent)s%%)") % {
                "done": done,
                "invited": invited,
                "percent": round(100 * done / invited),
            }
        items.append(
            HomeItem(
                text=campaign.name,
                detail=f"{detail} · {_closes(campaign)}",
                url=reverse("screening:campaign", args=[campaign.pk]),
                key=f"campaign-{campaign.pk}",
            )
        )
    return [
        HomeSection(
            "campaigns-open",
            _("Psychological check-ups open now"),
            65,
            items=tuple(items),
            more=len(open_now) - len(items),
            links=((_("All check-ups"), reverse("screening:campaigns")),),
        )
    ]


def reports_pending(request) -> list[HomeSection]:
    """Supervisors: for each open check-up that invites their reports, how many have not completed
    yet (a count; who is on the check-up's page; never a result, never who declined)."""
    user = request.user
    if not policy.access_for(user).has(Role.SUPERVISOR) or not policy.can(user, "campaign.completion"):
        return []
    open_now = campaigns.open_campaigns(user=user)
    counts = campaigns.reports_completion_counts(user=user, campaigns=open_now)
    items = []
    for campaign in open_now:
        if campaign.pk not in counts:
            continue
        _total, pending = counts[campaign.pk]
        if pending:
            detail = _("%(count)s of your reports have not completed yet") % {"count": pending}
        else:
            detail = _("All your reports have completed.")
        items.append(
            HomeItem(
                text=campaign.name,
                detail=f"{detail} · {_closes(campaign)}",
                url=reverse("screening:campaign", args=[campaign.pk]),
                key=f"campaign-reports-{campaign.pk}",
            )
        )
    if not items:
        return []
    return [
        HomeSection(
            "campaigns-reports",
            _("Psychological check-ups: your reports"),
            55,
            items=tuple(items[:LIMIT]),
            more=len(items) - min(len(items), LIMIT),
            note=_("Taking part is voluntary: you see only who has completed, never a result."),
        )
    ]


SECTIONS: list = [completion_rates, reports_pending]
