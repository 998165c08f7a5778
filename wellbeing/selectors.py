"""Reads with rules in the core. Every queryset here is scoped to the requesting principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from wellbeing import policy
from wellbeing.models import OrgUnit, Person


@dataclass(frozen=True)
class PersonFilters:
    unit: OrgUnit | None = None  # this unit and everything under it
    status: str | None = None
    updated_since: datetime | None = None
    search: str | None = None


def person_list_for_user(*, user, filters: PersonFilters | None = None) -> QuerySet[Person]:
    """The people ``user`` may see, filtered; one query with the unit and manager joined."""
    qs = policy.people_visible_to(user).select_related("unit", "manager")
    f = filters or PersonFilters()
    if f.unit is not None:
        qs = qs.filter(unit__path__startswith=f.unit.path)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.updated_since is not None:
        qs = qs.filter(updated_at__gte=f.updated_since)
    if f.search:
        qs = qs.filter(Q(full_name__icontains=f.search) | Q(external_id__iexact=f.search))
    return qs


def person_get_for_user(*, user, external_id: str) -> Person:
    """One person, or Http404 when they do not exist *or* the user may not see them."""
    if "\x00" in external_id or len(external_id) > Person._meta.get_field("external_id").max_length:
        raise Http404  # cannot exist (and PostgreSQL refuses NUL bytes in text)
    return policy.get_person_or_404(user, external_id=external_id)


def org_unit_list_for_user(*, user, under: OrgUnit | None = None) -> QuerySet[OrgUnit]:
    qs = policy.org_units_visible_to(user)
    if under is not None:
        qs = qs.filter(path__startswith=under.path)
    return qs.order_by("path")


def org_unit_get_for_user(*, user, unit_id: int) -> OrgUnit:
    try:
        return policy.org_units_visible_to(user).get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def suppress_small(count: int) -> int | None:
    """k-anonymity for statistics (access.md, "k >= 5"): a count under the minimum is withheld."""
    return count if count >= settings.STATS_MIN_GROUP_SIZE else None


def headcount_by_top_unit(*, user) -> list[dict]:
    """Active staff per town/office (the second level of the tree), for the leading group's home.

    Counts under the k threshold are suppressed (returned as None).
    """
    if not policy.can(user, "stats.view"):
        raise Http404
    units = list(OrgUnit.objects.filter(depth__lte=2).order_by("path"))
    rows = []
    for root in (u for u in units if u.depth == 1):
        children = [u for u in units if u.depth == 2 and u.path.startswith(root.path)]
        counts = dict(
            Person.objects.active()
            .filter(unit__path__startswith=root.path)
            .values_list("unit__path")
            .annotate(n=Count("id"))
            .values_list("unit__path", "n")
        )
        for child in children:
            total = sum(n for path, n in counts.items() if path.startswith(child.path))
            rows.append({"unit": child, "count": suppress_small(total)})
    return rows
