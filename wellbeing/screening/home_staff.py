"""Home page sections for screening (staff): a member of staff's open reminders to take a
questionnaire (a check-up invitation, a re-screening), one tap to take each. Nothing when there are
none. Also the reads the staff screening pages share with it."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.home import LIMIT, HomeItem, HomeSection
from wellbeing.models import CampaignInvitation, FollowUp, Instrument, Screening


def screening_reminders(user):
    """The user's open reminders to take a questionnaire, soonest first (personal: only theirs)."""
    return (
        FollowUp.objects.filter(
            owner=user, kind=FollowUp.Kind.SCREENING_INVITATION, status__in=FollowUp.ACTIVE_STATUSES
        )
        .select_related("campaign_invitation__campaign")
        .order_by("due_at", "pk")
    )


def reminder_url(followup: FollowUp, person) -> str:
    """Where a reminder opens: the questionnaire it names (a re-screening), or the first of its
    check-up's questionnaires not yet taken; else the screening page."""
    code = (followup.title_params or {}).get("instrument")
    if code and Instrument.objects.filter(code=code, is_active=True).exists():
        return reverse("screening:take", args=[code])
    try:
        invitation = followup.campaign_invitation
    except CampaignInvitation.DoesNotExist:
        invitation = None
    if invitation is not None and person is not None:
        taken = Screening.objects.filter(person=person, campaign=invitation.campaign).values("instrument_id")
        first = (
            invitation.campaign.instruments.filter(is_active=True).exclude(pk__in=taken).order_by("position").first()
        )
        if first is not None:
            return reverse("screening:take", args=[first.code])
    return reverse("screening:home")


def reminders(request) -> list[HomeSection]:
    user = request.user
    if not policy.can(user, "screening.take"):
        return []
    person = policy.access_for(user).person
    rows = list(screening_reminders(user)[: LIMIT + 1])
    if not rows:
        return []
    shown = rows[:LIMIT]
    items = tuple(
        HomeItem(
            text=f.display_title,
            detail=_("by %(date)s") % {"date": timezone.localdate(f.due_at)},
            url=reverse("screening:home"),
            action=(_("Take it"), reminder_url(f, person)),
            key=f"screening-reminder-{f.pk}",
        )
        for f in shown
    )
    total = screening_reminders(user).count() if len(rows) > LIMIT else len(rows)
    return [
        HomeSection(
            "screening-reminders",
            _("Questionnaires to take"),
            20,
            items=items,
            more=total - len(items),
            links=((_("Psychological check-up"), reverse("screening:home")),),
        )
    ]


SECTIONS: list[Callable] = [reminders]
