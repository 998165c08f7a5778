"""Who acted. Every service takes an ``actor``: a person's login (a Django user), an HR system's
``ApiPrincipal``, or a ``SystemActor`` naming the task or command doing scheduled or automatic work.
There is no anonymous "system": the audit trail always says who or what did it.

A system actor is the code itself acting on a rule (a receiver ending obligations when a person
leaves, the cadence task scheduling talks); services do not ask the access policy about it. A user
whose permission the caller has already checked is passed with ``authorized=True``, so skipping a
check is always written in the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class SystemActor:
    """Scheduled or automatic work: ``task:wellbeing.scan_followups``, ``command:seed_demo``, ..."""

    name: str

    is_authenticated: ClassVar[bool] = False
    is_active: ClassVar[bool] = False
    is_anonymous: ClassVar[bool] = False
    pk: ClassVar[None] = None

    def __post_init__(self) -> None:
        if not self.name or ":" not in self.name:
            raise ValueError("A system actor is named 'kind:name', e.g. 'task:wellbeing.scan_followups'.")

    def get_username(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


def task_actor(task_name: str) -> SystemActor:
    return SystemActor(f"task:{task_name}")


def command_actor(command_name: str) -> SystemActor:
    return SystemActor(f"command:{command_name}")


def receiver_actor(signal_name: str, app_label: str) -> SystemActor:
    """An app reacting to a lifecycle signal (e.g. ``receiver:talks.person_left``)."""
    return SystemActor(f"receiver:{app_label}.{signal_name}")


#: Someone not signed in (a failed log-in attempt).
ANONYMOUS = SystemActor("web:anonymous")


def is_system(actor) -> bool:
    return isinstance(actor, SystemActor)


def user_of(actor):
    """The login behind an actor, or None for system actors and API clients."""
    return actor if getattr(actor, "pk", None) is not None and getattr(actor, "is_authenticated", False) else None
