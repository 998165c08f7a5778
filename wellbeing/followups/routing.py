"""Who receives a reminder: the owner (or their delegate while they are away), or, for escalations,
the owner's manager or the lead counsellor.

Other apps add sources of unavailability (approved leave) with ``register_availability_provider``
from their AppConfig.ready(); the core knows only its own ``Unavailability`` records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from wellbeing.models import FollowUp, Person, Role, RoleAssignment, Stage, Unavailability


@dataclass(frozen=True)
class Away:
    """A user is away; reminders go to ``delegate`` if given (and available)."""

    delegate_id: int | None


AvailabilityProvider = Callable[[list[int], datetime], dict[int, Away]]
_providers: list[AvailabilityProvider] = []


def register_availability_provider(func: AvailabilityProvider) -> AvailabilityProvider:
    _providers.append(func)
    return func


@register_availability_provider
def _unavailability_records(user_ids: list[int], at: datetime) -> dict[int, Away]:
    rows = Unavailability.objects.filter(user_id__in=user_ids, starts_at__lte=at, ends_at__gt=at).order_by("-starts_at")
    away: dict[int, Away] = {}
    for row in rows:
        away.setdefault(row.user_id, Away(row.delegate_id))
    return away


class RoleDirectory:
    """Who holds the escalation roles today: loaded once per scan run (three small queries)."""

    def __init__(self, at: datetime) -> None:
        current = RoleAssignment.objects.current(on=timezone.localdate(at)).filter(user__is_active=True)
        self.supervisors = list(
            current.filter(role=Role.SUPERVISOR).order_by("unit__depth", "user_id").values_list("user_id", "unit__path")
        )
        self.lead_counsellors = list(
            current.filter(role=Role.LEAD_COUNSELLOR).order_by("user_id").values_list("user_id", flat=True)
        )
        self.counselling = set(
            current.filter(role__in=[Role.COUNSELLOR, Role.LEAD_COUNSELLOR]).values_list("user_id", flat=True)
        )


class Router:
    """Resolves recipients for a batch of follow-ups with a fixed number of queries: availability of
    the owners up front, managers and units only when something escalates."""

    def __init__(self, followups: list[FollowUp], at: datetime, directory: RoleDirectory | None = None) -> None:
        self.at = at
        self.directory = directory or RoleDirectory(at)
        self.owner_ids = {f.owner_id for f in followups} | {f.escalate_to_id for f in followups if f.escalate_to_id}
        self._active: set[int] = set()
        self._known: set[int] = set()
        self.away: dict[int, Away] = {}
        self._load_availability(self.owner_ids)
        self._manager_of: dict[int, int] | None = None
        self._unit_path_of: dict[int, str] = {}

    def _load_availability(self, user_ids: set[int]) -> None:
        new = list(user_ids - self._known)
        if not new:
            return
        self._known.update(new)
        self._active.update(get_user_model().objects.filter(pk__in=new, is_active=True).values_list("pk", flat=True))
        for provider in _providers:
            for user_id, record in provider(new, self.at).items():
                self.away.setdefault(user_id, record)

    def _load_people(self) -> None:
        if self._manager_of is not None:
            return
        rows = Person.objects.filter(user_id__in=self.owner_ids).values_list(
            "user_id", "manager__user_id", "unit__path"
        )
        self._manager_of = {user_id: manager for user_id, manager, _path in rows if manager}
        self._unit_path_of = {user_id: path for user_id, _manager, path in rows}

    def available(self, user_id: int | None) -> bool:
        if user_id is None:
            return False
        self._load_availability({user_id})
        return user_id in self._active and user_id not in self.away

    def escalation_target(self, f: FollowUp) -> int | None:
        if f.escalation == FollowUp.Escalation.USER and f.escalate_to_id:
            return f.escalate_to_id
        if f.escalation == FollowUp.Escalation.LEAD_COUNSELLOR or f.is_clinical:
            choices = [u for u in self.directory.lead_counsellors if u != f.owner_id]
            return next((u for u in choices if self.available(u)), choices[0] if choices else None)
        self._load_people()
        manager = self._manager_of.get(f.owner_id)
        if manager and manager != f.owner_id:
            return manager
        path = self._unit_path_of.get(f.owner_id, "")
        above = [
            u for u, unit_path in reversed(self.directory.supervisors) if path.startswith(unit_path) and u != f.owner_id
        ]
        # Nobody above the owner: no escalation (administrators see no follow-ups, access.md).
        return above[0] if above else None

    def recipient(self, f: FollowUp, stage: str) -> tuple[int, int | None]:
        """(recipient, routed_from): the person to tell, and whom they stand in for (if anyone)."""
        intended = f.owner_id
        if stage == Stage.ESCALATED:
            intended = self.escalation_target(f) or f.owner_id
        if self.available(intended):
            return intended, None
        away = self.away.get(intended)
        delegate = away.delegate_id if away is not None else None
        # Counselling work goes only to the counselling team, whatever delegate was named.
        if delegate and f.is_clinical and delegate not in self.directory.counselling:
            delegate = None
        if delegate and self.available(delegate):
            return delegate, intended
        fallback = self.escalation_target(f)
        if fallback and fallback != intended and self.available(fallback):
            return fallback, intended
        return intended, None  # nobody better: the intended recipient still hears about it
