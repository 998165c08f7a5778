"""The programme's dimensions of the organisation's figures (``wellbeing.figures``): who took part
in an activity this year, and who was given practical support in a difficult time."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django.utils.translation import gettext_lazy as _

from programme.models import Activity, CareRecord, Registration
from wellbeing.figures import Category, Dimension, Period, register_dimension


def classify_activities(period: Period, people: Collection[int]) -> Mapping[int, str]:
    """People who attended at least one activity held in the period (one query)."""
    attended = (
        Registration.objects.filter(
            person_id__in=people,
            attended=True,
            activity__status=Activity.Status.PUBLISHED,
            activity__starts_at__gte=period.start_at,
            activity__starts_at__lt=period.end_at,
        )
        .values_list("person_id", flat=True)
        .distinct()
    )
    return dict.fromkeys(attended, "attended")


def classify_care(period: Period, people: Collection[int]) -> Mapping[int, str]:
    """People with a care record dated in the period (one query)."""
    supported = (
        CareRecord.objects.filter(person_id__in=people, occurred_on__gte=period.start, occurred_on__lt=period.end)
        .values_list("person_id", flat=True)
        .distinct()
    )
    return dict.fromkeys(supported, "supported")


def register() -> None:
    register_dimension(
        Dimension(
            key="programme.activities",
            title=_("Activity attendance"),
            categories=(
                Category("none", _("no activity attended this year"), "#dee2e6"),
                Category("attended", _("attended an activity this year"), "#1c7ed6"),
            ),
            default="none",
            classify=classify_activities,
            explanation=_("People who attended at least one group activity, training, lecture or salon this year."),
            order=70,
        )
    )
    register_dimension(
        Dimension(
            key="programme.care",
            title=_("Care for people in difficulty"),
            categories=(
                Category("none", _("no care record this year"), "#dee2e6"),
                Category("supported", _("supported this year"), "#7048e8"),
            ),
            default="none",
            classify=classify_care,
            explanation=_("People given practical support this year (counts only; never who or why)."),
            order=80,
        )
    )
