"""When each reminder stage of a follow-up falls due (pure functions plus the policy lookup)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from wellbeing.models import FollowUp, ReminderPolicy, Stage, Tier
from wellbeing.models.followups import STAGE_BITS


@dataclass(frozen=True)
class Timing:
    grace: timedelta
    escalation_delay: timedelta
    repeat_interval: timedelta
    acknowledge_within: timedelta | None = None


def default_timing(tier: str) -> Timing:
    raw = settings.FOLLOWUP_TIMINGS[tier]
    ack = raw.get("acknowledge_within")
    return Timing(
        grace=timedelta(minutes=raw["grace"]),
        escalation_delay=timedelta(minutes=raw["escalation_delay"]),
        repeat_interval=timedelta(minutes=raw["repeat_interval"]),
        acknowledge_within=timedelta(minutes=ack) if ack is not None else None,
    )


class TimingTable:
    """The organisation's timings, loaded once (one query) and looked up per (kind, tier):
    an exact row, then kind-only, then tier-only, then the catch-all row, then the setting."""

    def __init__(self) -> None:
        self._rows = {(p.kind, p.tier): p for p in ReminderPolicy.objects.all()}

    def for_followup(self, followup: FollowUp) -> Timing:
        return self.lookup(followup.kind, followup.tier, followup.grace)

    def lookup(self, kind: str, tier: str, grace: timedelta | None = None) -> Timing:
        for key in ((kind, tier), (kind, ""), ("", tier), ("", "")):
            row = self._rows.get(key)
            if row is not None:
                timing = Timing(row.grace, row.escalation_delay, row.repeat_interval, row.acknowledge_within)
                break
        else:
            timing = default_timing(tier)
        if tier == Tier.RED and timing.acknowledge_within is None:
            timing = Timing(timing.grace, timing.escalation_delay, timing.repeat_interval, timedelta(hours=1))
        if grace is not None:
            timing = Timing(grace, timing.escalation_delay, timing.repeat_interval, timing.acknowledge_within)
        return timing


#: Kinds whose every new item is announced to its owner at creation, whatever its tier: a referral to
#: the counselling team is never left unheard until its due time. Red items are alerted at once
#: (``Stage.ALERT``); the others get a ``Stage.NEW`` reminder from the next scan (outside quiet hours).
ANNOUNCED_KINDS = frozenset({FollowUp.Kind.REFERRAL_INTAKE})


@dataclass(frozen=True)
class StageDue:
    stage: str
    repeat: int
    at: datetime


def single_stages(f: FollowUp, timing: Timing) -> list[StageDue]:
    """The one-shot stages of the current cycle, in time order."""
    anchor = f.anchor_at
    overdue_at = anchor + timing.grace
    escalate_at = overdue_at + timing.escalation_delay
    stages = []
    if f.kind in ANNOUNCED_KINDS and f.tier != Tier.RED and f.cycle == 1:
        # A new referral of any other tier: announced by the next scan, not only at its due time.
        stages.append(StageDue(Stage.NEW, 0, f.created_at))
    if f.tier == Tier.RED and f.cycle == 1:
        # Red: the owner is alerted the moment it is created, and it escalates when not acknowledged.
        stages.append(StageDue(Stage.ALERT, 0, f.created_at))
        if f.acknowledged_at is None and timing.acknowledge_within is not None:
            escalate_at = min(escalate_at, f.created_at + timing.acknowledge_within)
    stages += [StageDue(Stage.DUE, 0, anchor), StageDue(Stage.OVERDUE, 0, overdue_at)]
    if f.escalation != FollowUp.Escalation.NONE:  # a personal reminder (take a questionnaire) never escalates
        stages.append(StageDue(Stage.ESCALATED, 0, escalate_at))
    return sorted(stages, key=lambda s: (s.at, list(STAGE_BITS).index(s.stage)))


@dataclass(frozen=True)
class Plan:
    """What the scan must record now for one follow-up, and when it next needs looking at."""

    due_now: list[StageDue]
    next_action_at: datetime | None
    stages_sent: int
    repeats_sent: int


def plan(f: FollowUp, timing: Timing, now: datetime) -> Plan:
    if not f.is_active:
        return Plan([], None, f.stages_sent, f.repeats_sent)
    if f.status == FollowUp.Status.SNOOZED and f.snoozed_until and f.snoozed_until > now:
        return Plan([], f.snoozed_until, f.stages_sent, f.repeats_sent)

    sent = f.stages_sent
    due_now: list[StageDue] = []
    upcoming: list[datetime] = []
    for s in single_stages(f, timing):
        if sent & STAGE_BITS[s.stage]:
            continue
        if s.at <= now:
            due_now.append(s)
            sent |= STAGE_BITS[s.stage]
        else:
            upcoming.append(s.at)

    repeats = f.repeats_sent
    overdue_at = f.anchor_at + timing.grace
    if sent & STAGE_BITS[Stage.OVERDUE]:
        # Repeats are numbered by the interval they fall in, so every scan (and every beat) agrees on
        # the number: after a long outage only the latest one is sent, never a burst.
        slot = math.floor((now - overdue_at) / timing.repeat_interval)
        if slot >= 1 and slot > repeats:
            due_now.append(StageDue(Stage.REPEAT, slot, overdue_at + slot * timing.repeat_interval))
            repeats = slot
        upcoming.append(overdue_at + (max(slot, repeats) + 1) * timing.repeat_interval)
    return Plan(due_now, min(upcoming) if upcoming else None, sent, repeats)


def initial_next_action(f: FollowUp, timing: Timing) -> datetime | None:
    """When a fresh (or rescheduled) follow-up first needs the scan."""
    stages = [s.at for s in single_stages(f, timing) if not f.stages_sent & STAGE_BITS[s.stage]]
    if f.status == FollowUp.Status.SNOOZED and f.snoozed_until:
        return f.snoozed_until
    return min(stages) if stages else None


# --- Quiet hours --------------------------------------------------------------------------------------


def _parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    if not spec.strip():
        return None
    start, end = (time.fromisoformat(p.strip()) for p in spec.split("-", 1))
    return start, end


def in_quiet_hours(now: datetime) -> bool:
    """Whether ``now`` falls in the organisation's quiet hours (default 22:00-07:00 local time)."""
    window = _parse_quiet_hours(settings.FOLLOWUP_QUIET_HOURS)
    if window is None:
        return False
    start, end = window
    local = timezone.localtime(now).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end
