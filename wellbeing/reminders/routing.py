"""Who receives a reminder: the owner (or their delegate while they are away), or, for escalations,
the next rung of the item's escalation ladder.

The ladder never contains the item's own owner, nor anyone who has left or whose login is
disabled: routing skips them and goes to the next rung. For an agreed action or a talk due it is the
owner's manager, then the supervisors of the owner's unit and the units above it (nearest first),
then the organisation's second line (``ESCALATION_SECOND_LINE``). For counselling work it is the
other lead counsellors, then the clinical second line (``ESCALATION_SECOND_LINE_CLINICAL``: a
deputy lead counsellor or an emergency contact in the counselling team). An escalation that finds
nobody is recorded on the follow-up (``escalation_unrouted``) and shown to operators
(``manage.py followup_status``, the admin's pipeline view, ``/health/``).

Other apps add sources of unavailability (approved leave) with ``register_availability_provider``
from their AppConfig.ready(); the core knows only its own ``Unavailability`` records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from wellbeing import policy
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
def unavailability_records(user_ids: list[int], at: datetime) -> dict[int, Away]:
    rows = Unavailability.objects.filter(user_id__in=user_ids, starts_at__lte=at, ends_at__gt=at).order_by("-starts_at")
    away: dict[int, Away] = {}
    for row in rows:
        away.setdefault(row.user_id, Away(row.delegate_id))
    return away


def able_users(user_ids) -> set[int]:
    """Of ``user_ids``, the logins that can still act: active, and not of a person who has left."""
    return set(
        get_user_model()
        .objects.filter(pk__in=list(user_ids), is_active=True)
        .exclude(person__status=Person.Status.LEFT)
        .values_list("pk", flat=True)
    )


def second_line(setting: str) -> list[int]:
    """The configured second line (user names, in order), as the ids of logins that can act."""
    names = [n.strip() for n in getattr(settings, setting, []) if n.strip()]
    if not names:
        return []
    ids = dict(get_user_model().objects.filter(username__in=names).values_list("username", "pk"))
    able = able_users(ids.values())
    return [ids[n] for n in names if n in ids and ids[n] in able]


class RoleDirectory:
    """Who holds the escalation roles today and who is the second line: loaded once per scan run."""

    def __init__(self, at: datetime) -> None:
        day = timezone.localdate(at)
        self.supervisors = list(
            policy.assignments_in_force(Role.SUPERVISOR, on=day)
            .order_by("unit__depth", "user_id")
            .values_list("user_id", "unit__path")
        )
        self.lead_counsellors = list(
            policy.assignments_in_force(Role.LEAD_COUNSELLOR, on=day)
            .order_by("user_id")
            .values_list("user_id", flat=True)
            .distinct()
        )
        self.counselling = set(self.lead_counsellors) | set(
            policy.assignments_in_force(Role.COUNSELLOR, on=day).values_list("user_id", flat=True)
        )
        # Administrators and the leading group see no follow-ups (access.md): never a stand-in by
        # those roles alone.
        oversight = set(
            RoleAssignment.objects.current(on=day)
            .filter(role__in=[Role.ADMINISTRATOR, Role.LEADING_GROUP])
            .values_list("user_id", flat=True)
        )
        self.oversight_only = oversight - {u for u, _path in self.supervisors} - self.counselling
        self.second_line = second_line("ESCALATION_SECOND_LINE")
        # Counselling work goes only to the counselling team, whoever is configured.
        self.second_line_clinical = [u for u in second_line("ESCALATION_SECOND_LINE_CLINICAL") if u in self.counselling]


class Router:
    """Resolves recipients for a batch of follow-ups with a fixed number of queries: availability of
    the owners up front, managers and units only when something escalates."""

    def __init__(self, followups: list[FollowUp], at: datetime, directory: RoleDirectory | None = None) -> None:
        self.at = at
        self.directory = directory or RoleDirectory(at)
        self.owner_ids = {f.owner_id for f in followups} | {f.escalate_to_id for f in followups if f.escalate_to_id}
        self._able: set[int] = set()
        self._known: set[int] = set()
        self.away: dict[int, Away] = {}
        self._load_availability(self.owner_ids)
        self._manager_of: dict[int, int] | None = None
        self._unit_path_of: dict[int, str] = {}

    def _load_availability(self, user_ids) -> None:
        new = list(set(user_ids) - self._known)
        if not new:
            return
        self._known.update(new)
        self._able.update(able_users(new))
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

    def able(self, user_id: int | None) -> bool:
        """Can act at all: an active login of someone who has not left."""
        if user_id is None:
            return False
        self._load_availability({user_id})
        return user_id in self._able

    def available(self, user_id: int | None) -> bool:
        """Can act now: able, and not away."""
        return self.able(user_id) and user_id not in self.away

    def ladder(self, f: FollowUp) -> list[int]:
        """The escalation ladder of ``f``, nearest rung first: never its owner, nobody who left."""
        d = self.directory
        rungs: list[int] = []
        if f.escalation == FollowUp.Escalation.NONE:
            return rungs
        if f.escalation == FollowUp.Escalation.USER and f.escalate_to_id:
            rungs.append(f.escalate_to_id)
        if f.is_clinical or f.escalation == FollowUp.Escalation.LEAD_COUNSELLOR:
            rungs += d.lead_counsellors + d.second_line_clinical
        else:
            self._load_people()
            manager = self._manager_of.get(f.owner_id)
            if manager:
                rungs.append(manager)
            path = self._unit_path_of.get(f.owner_id, "")
            rungs += [u for u, unit_path in reversed(d.supervisors) if path and path.startswith(unit_path)]
            rungs += d.second_line
        if f.is_clinical:
            rungs = [u for u in rungs if u in d.counselling]
        self._load_availability(rungs)
        return [u for u in dict.fromkeys(rungs) if u != f.owner_id and u in self._able]

    def _stand_in(self, f: FollowUp, user_id: int) -> int | None:
        """The delegate of an away user, if the delegate may and can take it."""
        away = self.away.get(user_id)
        delegate = away.delegate_id if away is not None else None
        if not delegate or delegate == f.owner_id:
            return None
        # Counselling work goes only to the counselling team, whatever delegate was named; and nobody
        # stands in by an administrator's or the leading group's role alone.
        if f.is_clinical and delegate not in self.directory.counselling:
            return None
        if delegate in self.directory.oversight_only:
            return None
        return delegate if self.available(delegate) else None

    def _from_ladder(self, f: FollowUp, ladder: list[int]) -> tuple[int, int | None] | None:
        for user_id in ladder:
            if self.available(user_id):
                return user_id, None
            delegate = self._stand_in(f, user_id)
            if delegate:
                return delegate, user_id
        # Everyone on the ladder is away with nobody standing in: the nearest still hears of it.
        return (ladder[0], None) if ladder else None

    def recipient(self, f: FollowUp, stage: str) -> tuple[int, int | None] | None:
        """(recipient, routed_from): whom to tell, and whom they stand in for (if anyone); None when
        nobody can be told (an escalation with nobody above the owner and no second line)."""
        if stage == Stage.ESCALATED:
            return self._from_ladder(f, self.ladder(f))
        if self.available(f.owner_id):
            return f.owner_id, None
        delegate = self._stand_in(f, f.owner_id)
        if delegate:
            return delegate, f.owner_id
        routed = self._from_ladder(f, self.ladder(f))
        if routed is not None and self.available(routed[0]):
            return routed[0], f.owner_id
        if self.able(f.owner_id):
            return f.owner_id, None  # away with nobody better: they still hear about it
        return (routed[0], f.owner_id) if routed is not None else None
