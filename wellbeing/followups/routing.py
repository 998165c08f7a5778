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


class Router:
    """Resolves recipients for a batch of follow-ups with a fixed number of queries."""

    def __init__(self, followups: list[FollowUp], at: datetime) -> None:
        self.at = at
        owner_ids = {f.owner_id for f in followups} | {f.escalate_to_id for f in followups if f.escalate_to_id}
        # Managers: owner -> their person's manager's login.
        self.manager_of: dict[int, int] = {}
        for user_id, manager_user in Person.objects.filter(
            user_id__in=owner_ids, manager__user__isnull=False
        ).values_list("user_id", "manager__user_id"):
            self.manager_of[user_id] = manager_user
        # Supervisors of the owner's unit or any unit above it, for owners without a manager.
        self.unit_path_of = dict(Person.objects.filter(user_id__in=owner_ids).values_list("user_id", "unit__path"))
        self.supervisors = list(
            RoleAssignment.objects.current(on=at.date())
            .filter(role=Role.SUPERVISOR, user__is_active=True)
            .values_list("user_id", "unit__path")
            .order_by("unit__depth", "user_id")
        )
        self.lead_counsellors = list(
            RoleAssignment.objects.current(on=at.date())
            .filter(role=Role.LEAD_COUNSELLOR, user__is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        self.admins = list(
            RoleAssignment.objects.current(on=at.date())
            .filter(role=Role.ADMINISTRATOR, user__is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        candidates = set(owner_ids) | set(self.manager_of.values()) | {u for u, _ in self.supervisors}
        candidates |= set(self.lead_counsellors)
        self.away = self._away(list(candidates))
        delegates = {a.delegate_id for a in self.away.values() if a.delegate_id}
        if delegates - candidates:
            self.away.update(self._away(list(delegates - candidates)))
        self.active = set(
            get_user_model().objects.filter(pk__in=candidates | delegates, is_active=True).values_list("pk", flat=True)
        )

    def _away(self, user_ids: list[int]) -> dict[int, Away]:
        away: dict[int, Away] = {}
        for provider in _providers:
            for user_id, record in provider(user_ids, self.at).items():
                away.setdefault(user_id, record)
        return away

    def available(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.active and user_id not in self.away

    def escalation_target(self, f: FollowUp) -> int | None:
        if f.escalation == FollowUp.Escalation.USER and f.escalate_to_id:
            return f.escalate_to_id
        if f.escalation == FollowUp.Escalation.LEAD_COUNSELLOR or f.is_clinical:
            choices = [u for u in self.lead_counsellors if u != f.owner_id]
            return next((u for u in choices if self.available(u)), choices[0] if choices else None)
        manager = self.manager_of.get(f.owner_id)
        if manager and manager != f.owner_id:
            return manager
        path = self.unit_path_of.get(f.owner_id, "")
        above = [u for u, unit_path in reversed(self.supervisors) if path.startswith(unit_path) and u != f.owner_id]
        if above:
            return above[0]
        return next((u for u in self.admins if u != f.owner_id), None)

    def recipient(self, f: FollowUp, stage: str) -> tuple[int, int | None]:
        """(recipient, routed_from): the person to tell, and whom they stand in for (if anyone)."""
        intended = f.owner_id
        if stage == Stage.ESCALATED:
            intended = self.escalation_target(f) or f.owner_id
        if self.available(intended):
            return intended, None
        away = self.away.get(intended)
        if away is not None and away.delegate_id and self.available(away.delegate_id):
            return away.delegate_id, intended
        fallback = self.escalation_target(f)
        if fallback and fallback != intended and self.available(fallback):
            return fallback, intended
        return intended, None  # nobody better: the intended recipient still hears about it
