"""Lifecycle signals: the core announces changes in people's and roles' lives; each app reacts in
receivers of its own (``<app>/receivers.py``, connected in its AppConfig.ready()). The core never
contains another app's rule.

Every path that makes such a change (admin, API, management commands, HR sync) goes through one
service in ``wellbeing.services``, which calls ``announce`` inside its transaction. The event is
written to the ``LifecycleEvent`` outbox there and the signal is sent after commit, so receivers
never see a change that was rolled back. Each receiver runs in its own transaction
(``send_robust``): one that fails leaves the event unhandled, and ``redeliver_due`` (a periodic task)
announces it again with back-off. Receivers must therefore be idempotent.

Signals (``sender`` is ``LifecycleEvent``; every receiver also gets ``event`` and ``actor``, the
system actor to write with, e.g. ``receiver:talks.person_left``):

===================  ==================================================================
``person_left``      ``person``: marked left (their login is disabled and their roles ended
                     by the core before this is sent).
``person_moved``     ``person``, ``old_unit``, ``new_unit``.
``manager_changed``  ``person``, ``old_manager``, ``new_manager`` (Person or None).
``role_assigned``    ``assignment`` (a RoleAssignment now in force, or starting later; a clinical
                     role assigned by a person is announced when a second person confirms it).
``role_ended``       ``assignment`` (its ``valid_until`` is set).
===================  ==================================================================
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from wellbeing.actors import SystemActor
from wellbeing.models import LifecycleEvent, OrgUnit, Person

logger = logging.getLogger(__name__)

person_left = Signal()
person_moved = Signal()
manager_changed = Signal()
role_assigned = Signal()
role_ended = Signal()

SIGNALS: dict[str, Signal] = {
    LifecycleEvent.Kind.PERSON_LEFT: person_left,
    LifecycleEvent.Kind.PERSON_MOVED: person_moved,
    LifecycleEvent.Kind.MANAGER_CHANGED: manager_changed,
    LifecycleEvent.Kind.ROLE_ASSIGNED: role_assigned,
    LifecycleEvent.Kind.ROLE_ENDED: role_ended,
}


def announce(kind: str, *, actor, person: Person | None = None, assignment=None, **payload) -> LifecycleEvent:
    """Record a lifecycle event in the caller's transaction and send its signal after commit."""
    label = actor.name if isinstance(actor, SystemActor) else str(getattr(actor, "get_username", lambda: actor)())
    event = LifecycleEvent.objects.create(
        kind=kind,
        person=person,
        assignment=assignment,
        payload=payload,
        actor_label=label[:150],
        next_attempt_at=timezone.now() + timedelta(seconds=settings.LIFECYCLE_RETRY_SECONDS),
    )
    transaction.on_commit(lambda: dispatch(event.pk))
    return event


def _arguments(event: LifecycleEvent) -> dict:
    """The signal's keyword arguments, loaded fresh from the database."""
    if event.kind in (LifecycleEvent.Kind.ROLE_ASSIGNED, LifecycleEvent.Kind.ROLE_ENDED):
        return {"assignment": event.assignment}
    person = Person.objects.select_related("unit", "manager", "user").get(pk=event.person_id)
    kwargs = {"person": person}
    if event.kind == LifecycleEvent.Kind.PERSON_MOVED:
        units = OrgUnit.objects.in_bulk([event.payload.get("old_unit"), event.payload.get("new_unit")])
        kwargs |= {
            "old_unit": units.get(event.payload.get("old_unit")),
            "new_unit": units.get(event.payload.get("new_unit")),
        }
    elif event.kind == LifecycleEvent.Kind.MANAGER_CHANGED:
        managers = Person.objects.in_bulk(
            [i for i in (event.payload.get("old_manager"), event.payload.get("new_manager")) if i]
        )
        kwargs |= {
            "old_manager": managers.get(event.payload.get("old_manager")),
            "new_manager": managers.get(event.payload.get("new_manager")),
        }
    return kwargs


def dispatch(event_id: int) -> bool:
    """Send one event's signal to every receiver, each isolated. True when all of them succeeded."""
    event = LifecycleEvent.objects.select_related("assignment__user", "assignment__unit").filter(pk=event_id).first()
    if event is None or event.handled_at is not None:
        return True
    LifecycleEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    signal = SIGNALS[event.kind]
    failures = []
    for receiver, response in signal.send_robust(sender=LifecycleEvent, event=event, **_arguments(event)):
        if isinstance(response, Exception):
            name = f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', receiver)}"
            failures.append(f"{name}: {type(response).__name__}: {response}")
            logger.error("lifecycle event %s (%s): receiver %s failed", event.pk, event.kind, name, exc_info=response)
    now = timezone.now()
    if failures:
        delay = min(settings.LIFECYCLE_RETRY_SECONDS * 2 ** min(event.attempts, 10), 6 * 3600)
        LifecycleEvent.objects.filter(pk=event.pk).update(
            last_error="; ".join(failures)[:500], next_attempt_at=now + timedelta(seconds=delay)
        )
        return False
    LifecycleEvent.objects.filter(pk=event.pk).update(handled_at=now, last_error="", next_attempt_at=None)
    return True


def redeliver_due(now=None, limit: int = 500) -> int:
    """Announce again the events whose receivers failed (or whose process died before sending)."""
    now = now or timezone.now()
    due = LifecycleEvent.objects.filter(Q(handled_at__isnull=True), next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    count = 0
    for event_id in due.values_list("pk", flat=True)[:limit]:
        dispatch(event_id)
        count += 1
    return count


def unhandled_count() -> int:
    """Events whose receivers have failed at least once and are not yet handled (for operators)."""
    return LifecycleEvent.objects.filter(handled_at__isnull=True, attempts__gt=0).count()
