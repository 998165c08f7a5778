"""The cases app's part of the organisation's figures (``wellbeing.figures``): open cases by risk,
counts only (access.md, "case: existence, risk, status - leading group: counts, k >= 5"). Registered
in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django.utils.translation import gettext_lazy as _

from cases.models import Case, Risk
from wellbeing.figures import Category, Dimension, Period, Sum, register_dimension

RISK_COLOURS = {"imminent": "#c92a2a", "high": "#f08c00", "moderate": "#f2c94c", "low": "#74c0fc"}


def classify_open(period: Period, people: Collection[int]) -> Mapping[int, str]:
    """The risk of each person's open case (the highest, should they have more than one). A present
    state: the same for any period (the dimension is shown for the current year only). One query."""
    out: dict[int, Risk] = {}
    for person_id, risk in Case.objects.filter(person_id__in=people, status__in=Case.OPEN_STATUSES).values_list(
        "person_id", "risk"
    ):
        level = Risk(risk)
        if person_id not in out or level.rank > out[person_id].rank:
            out[person_id] = level
    return {pk: level.value for pk, level in out.items()}


def register() -> None:
    # Least urgent first, like the check-up's tiers (green to red).
    risks = sorted(Risk, key=lambda r: r.rank)
    register_dimension(
        Dimension(
            key="cases.open",
            title=_("Open cases"),
            categories=(
                Category("none", _("no open case"), "#dee2e6"),
                *(Category(r.value, r.label, RISK_COLOURS[r.value]) for r in risks),
            ),
            default="none",
            sums=(Sum("open", _("with an open case"), tuple(r.value for r in risks)),),
            classify=classify_open,
            current_only=True,
            explanation=_("People with an open case, by the case's current risk level; counts only."),
            order=40,
        )
    )
