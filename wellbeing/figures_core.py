"""The core's dimensions of the organisation's figures (``wellbeing.figures``): the year's check-up
(participation and tiers) and overdue follow-ups (by how long). Registered in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from wellbeing.figures import Category, Dimension, Indicator, Period, Sum, register_dimension
from wellbeing.models import CampaignInvitation, FollowUp, Screening, ScreeningConsent, ScreeningTier

TIER_COLOURS = {"green": "#2f9e44", "yellow": "#f2c94c", "orange": "#f08c00", "red": "#c92a2a"}


def classify_checkup(period: Period, people: Collection[int]) -> Mapping[int, str]:
    """Each person's standing in the year's check-ups (their latest invitation of the year): invited
    and not done, or done with the highest tier of their latest results of that check-up (a
    counsellor's review wins). People who withdrew their consent to screening are "not taking part",
    like people not invited. Three queries."""
    invitations = (
        CampaignInvitation.objects.filter(
            campaign__opens_on__gte=period.start, campaign__opens_on__lt=period.end, person_id__in=people
        )
        .order_by("person_id", "-campaign__opens_on", "-campaign_id")
        .values_list("person_id", "campaign_id", "completed_at")
    )
    latest: dict[int, tuple[int, bool]] = {}
    for person_id, campaign_id, completed_at in invitations:
        latest.setdefault(person_id, (campaign_id, completed_at is not None))
    withdrawn = set(
        ScreeningConsent.objects.filter(person_id__in=list(latest), withdrawn_at__isnull=False).values_list(
            "person_id", flat=True
        )
    ) - set(
        ScreeningConsent.objects.filter(person_id__in=list(latest), withdrawn_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    done = {pk: campaign for pk, (campaign, completed) in latest.items() if completed and pk not in withdrawn}
    results: dict[tuple[int, int], str] = {}
    for person_id, campaign_id, instrument_id, tier, reviewed in (
        Screening.objects.filter(person_id__in=list(done), campaign_id__in=set(done.values()))
        .order_by("person_id", "instrument_id", "-created_at", "-id")
        .values_list("person_id", "campaign_id", "instrument_id", "tier", "reviewed_tier")
    ):
        if done.get(person_id) == campaign_id:
            results.setdefault((person_id, instrument_id), reviewed or tier)
    tiers: dict[int, list[str]] = {}
    for (person_id, _instrument), tier in results.items():
        tiers.setdefault(person_id, []).append(tier)
    out: dict[int, str] = {}
    for person_id in latest:
        if person_id in withdrawn:
            continue
        if person_id in done and person_id in tiers:
            out[person_id] = ScreeningTier.highest(tiers[person_id]).value
        else:
            out[person_id] = "pending"
    return out


OVERDUE_BUCKETS = ((7, "overdue_1_7"), (30, "overdue_8_30"), (None, "overdue_31"))


def classify_overdue(period: Period, people: Collection[int]) -> Mapping[int, str]:
    """The people with an overdue follow-up about them, by the age of the oldest one (any kind: the
    figure says how long people wait, never what for). One query."""
    rows = (
        FollowUp.objects.filter(person_id__in=people, status__in=FollowUp.ACTIVE_STATUSES, due_at__lt=period.now)
        .values("person_id")
        .annotate(oldest=Min("due_at"))
        .values_list("person_id", "oldest")
    )
    out: dict[int, str] = {}
    for person_id, oldest in rows:
        days = (period.now - oldest).days
        out[person_id] = next(key for limit, key in OVERDUE_BUCKETS if limit is None or days < limit)
    return out


def register() -> None:
    tiers = tuple(Category(t.value, t.label, TIER_COLOURS[t.value]) for t in ScreeningTier)
    register_dimension(
        Dimension(
            key="checkup",
            title=_("Psychological check-up"),
            categories=(
                Category("not_invited", _("not invited or not taking part"), "#dee2e6"),
                Category("pending", _("invited, not completed"), "#adb5bd"),
                *tiers,
            ),
            default="not_invited",
            # No "completed" sum: it is the invited less those pending, and as a column of its own it
            # would tie every tier (the few orange and red) to the rest and hide them all.
            sums=(Sum("invited", _("invited"), ("pending", *(t.key for t in tiers))),),
            indicators=(
                Indicator(
                    "checkup.participation", _("check-up participation"), ("pending",), ("invited",), complement=True
                ),
            ),
            classify=classify_checkup,
            chart=("pending", *(t.key for t in tiers)),
            explanation=_(
                "Each person's latest check-up of the year, by the highest tier of their results (a "
                "counsellor's review wins); people who withdrew their consent count as not taking part."
            ),
            order=30,
        )
    )
    register_dimension(
        Dimension(
            key="overdue",
            title=_("Overdue follow-ups"),
            categories=(
                Category("none", _("nothing overdue"), "#dee2e6"),
                Category("overdue_1_7", _("overdue up to a week"), "#f2c94c"),
                Category("overdue_8_30", _("overdue 8 to 30 days"), "#f08c00"),
                Category("overdue_31", _("overdue over 30 days"), "#c92a2a"),
            ),
            default="none",
            sums=(Sum("overdue", _("with something overdue"), ("overdue_1_7", "overdue_8_30", "overdue_31")),),
            classify=classify_overdue,
            current_only=True,
            explanation=_(
                "People with a follow-up about them past its due date, by the age of the oldest one; "
                "the kind of follow-up is never shown."
            ),
            order=20,
        )
    )
