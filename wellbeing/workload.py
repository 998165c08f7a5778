"""Workload signals (issue 13, item 7): people with long weekend-work streaks, untaken leave, an
overdue talk or no talk in a long time surface to their supervisor as a suggested talk - a "talk due"
follow-up, so logging the talk closes it like any other - saying why in words that reveal nothing
clinical.

Apps register *detectors* from their AppConfig.ready() (``register_signal``): each returns
{person id: detail} for the active people it flags on a day, in a fixed number of queries. The daily
scan (``scan``, run by the programme app's beat task) asks every detector, then suggests one talk per
flagged person, unless a talk with them is planned already (an open "talk due" by anyone) or a talk
was suggested for them within ``WORKLOAD_SUGGESTION_COOLDOWN_DAYS``. ``suggest_talk`` is also what a
care record calls. Each person is handled in a transaction of their own: one failure never stops
the others, and a second run (or a second beat) suggests nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wellbeing import messages, policy
from wellbeing.actors import SystemActor
from wellbeing.models import FollowUp, Person
from wellbeing.services import followup_create

logger = logging.getLogger(__name__)

TALK_SUGGESTED = "talk.suggested"
ACTOR = SystemActor("task:programme.workload_signals")


@dataclass(frozen=True)
class Signal:
    key: str  # "leave.weekend_streak"
    label: Promise | str  # what the supervisor reads: never anything clinical
    detect: Callable[[date], Collection[int]]
    order: int = 100


_signals: dict[str, Signal] = {}


def register_signal(signal: Signal) -> Signal:
    """Called from an app's AppConfig.ready()."""
    if signal.key in _signals:
        raise ValueError(f"A workload signal {signal.key!r} is registered already.")
    _signals[signal.key] = signal
    return signal


def signals() -> list[Signal]:
    return sorted(_signals.values(), key=lambda s: (s.order, s.key))


def reason_labels(codes) -> str:
    """The reasons of a suggestion in the active language, in a list ("; " between them)."""
    if not isinstance(codes, list | tuple):
        return messages.MISSING
    labels = [str(_signals[c].label) if c in _signals else str(REASON_LABELS.get(c, c)) for c in codes]
    return gettext("; ").join(labels) if labels else messages.MISSING


#: Reasons that are not a registered detector (a care record asks directly).
REASON_LABELS: dict[str, Promise | str] = {}


@dataclass
class ScanRun:
    flagged: int = 0
    suggested: int = 0
    planned: int = 0  # a talk is planned already, or one was suggested recently
    no_supervisor: int = 0
    failed: int = 0
    by_signal: dict[str, int] = field(default_factory=dict)


def _due_at(today: date) -> datetime:
    days = settings.WORKLOAD_SUGGESTION_DUE_DAYS
    return timezone.make_aware(datetime.combine(today + timedelta(days=days), time(18, 0)))


def talk_planned(person: Person, *, now: datetime | None = None) -> bool:
    """A talk with ``person`` is planned (an open "talk due", whoever holds it, not overdue by more
    than ``WORKLOAD_TALK_OVERDUE_DAYS``) or was suggested within the cooldown. A talk overdue for
    longer is escalating in the reminder pipeline already; the suggestion then goes to the nearest
    supervisor who does not hold it."""
    now = now or timezone.now()
    cooldown = now - timedelta(days=settings.WORKLOAD_SUGGESTION_COOLDOWN_DAYS)
    stale = now - timedelta(days=settings.WORKLOAD_TALK_OVERDUE_DAYS)
    followups = FollowUp.objects.filter(person=person)
    return (
        followups.filter(kind=FollowUp.Kind.TALK_DUE, status__in=FollowUp.ACTIVE_STATUSES, due_at__gte=stale).exists()
        or followups.filter(title_key=TALK_SUGGESTED, created_at__gte=cooldown).exists()
    )


def suggest_talk(person: Person, reasons: list[str], *, actor=ACTOR, today: date | None = None) -> FollowUp | None:
    """Suggest a talk with ``person`` to their nearest supervisor (a "talk due" follow-up), unless
    one is planned already. Returns the follow-up, or None when none was made. In its own
    transaction; the person's row is locked so two callers cannot both suggest."""
    today = today or timezone.localdate()
    with transaction.atomic():
        person = (
            Person.objects.select_for_update(of=("self",)).select_related("unit", "manager__user").get(pk=person.pk)
        )
        if person.status == Person.Status.LEFT or talk_planned(person):
            return None
        holding = set(
            FollowUp.objects.filter(
                person=person, kind=FollowUp.Kind.TALK_DUE, status__in=FollowUp.ACTIVE_STATUSES
            ).values_list("owner_id", flat=True)
        )
        supervisors = [u for u in policy.supervisors_of(person, on=today) if u.pk not in holding and u.is_active]
        if not supervisors:
            return None
        try:
            with transaction.atomic():
                return followup_create(
                    actor=actor,
                    owner=supervisors[0],
                    title_key=TALK_SUGGESTED,
                    title_params={"name": person.full_name, "reasons": sorted(set(reasons))},
                    due_at=_due_at(today),
                    kind=FollowUp.Kind.TALK_DUE,
                    subject=person,
                    person=person,
                )
        except IntegrityError:  # the cadence scheduled a talk a moment ago: it is planned
            return None


def flagged(today: date) -> dict[int, list[str]]:
    """{person id: the signals that flag them} over every registered detector."""
    found: dict[int, list[str]] = {}
    for s in signals():
        for pk in s.detect(today):
            found.setdefault(pk, []).append(s.key)
    return found


def scan(*, today: date | None = None) -> ScanRun:
    """The daily scan (module docstring). Idempotent; isolated per person."""
    today = today or timezone.localdate()
    run = ScanRun()
    found = flagged(today)
    run.flagged = len(found)
    for reasons in found.values():
        for r in reasons:
            run.by_signal[r] = run.by_signal.get(r, 0) + 1
    people = Person.objects.active().in_bulk(list(found))
    for pk in sorted(found):
        person = people.get(pk)
        if person is None:
            continue
        try:
            if talk_planned(person):
                run.planned += 1
                continue
            if suggest_talk(person, found[pk], today=today) is not None:
                run.suggested += 1
            elif not policy.supervisors_of(person, on=today):
                run.no_supervisor += 1
            else:
                run.planned += 1
        except Exception:  # one person's failure never stops the others (conventions.md, 15)
            logger.exception("workload scan failed for person %s", pk)
            run.failed += 1
    return run


def register() -> None:
    """Called from the core's AppConfig.ready(): the suggested talk's title in the message catalogue."""
    messages.CATALOGUE[TALK_SUGGESTED] = messages.Message(
        title=_("Suggested talk with %(name)s: %(reasons)s"),
        formatters={"reasons": reason_labels},
    )
