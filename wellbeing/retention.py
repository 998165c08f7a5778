"""Retention per record kind (PIPL §19 and §47: kept no longer than necessary, then deleted or
anonymised; PIPL §55-56 and 网络安全法 §21: records and logs kept at least as long as the law asks).

A registry of *record kinds*. Each app registers its own from its AppConfig.ready()
(``register_kind``), so the core never imports another app. A kind names the rows past retention at a
cutoff (``due``) and what happens to them (``apply``): deleted, or anonymised - identifying and
sensitive text cleared, what the leading group's figures count (dates, units, categories, scores)
kept. ``docs/data-lifecycle.md`` lists every kind with its default period and the reason for it.

Periods are days, per kind, in ``settings.RETENTION`` (``RETENTION_<KIND>_DAYS`` in the environment);
a kind missing there keeps its default. A system check refuses a period below the kind's legal floor.

``run`` applies every kind in small batches, each batch in its own transaction, so a run that dies
half-way leaves only whole batches done and the next run carries on (rows already deleted or marked
anonymised are no longer due). One kind failing is logged (its key and the error's type, never row
content) and recorded, and the other kinds still run. Each kind's run is recorded in the audit trail
with its counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import checks
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from wellbeing.audit import audit_record
from wellbeing.models import AuditEvent

logger = logging.getLogger(__name__)

DELETE = "delete"
ANONYMISE = "anonymise"
ACTIONS = (DELETE, ANONYMISE)

#: Rows handled per transaction (small: a batch holds its locks briefly, a failure loses little).
BATCH_SIZE = 500

#: The legal floors the system check enforces (docs/data-lifecycle.md).
AUDIT_MINIMUM_DAYS = 1095  # PIPL §55-56: records of processing kept at least 3 years
LOG_MINIMUM_DAYS = 183  # 网络安全法 §21: network logs kept at least 6 months


@dataclass(frozen=True)
class RecordKind:
    key: str  # "audit", "talks.text"
    label: Promise | str
    #: The documented default period, in days (``settings.RETENTION`` may change it).
    default_days: int
    #: What the period counts from, in words (docs and the dry run).
    anchor: Promise | str
    action: str  # DELETE or ANONYMISE
    #: The rows past retention at ``cutoff`` (``now`` less the period) not yet deleted or anonymised.
    #: Must not use ``distinct()`` (batches are claimed with ``select_for_update``).
    due: Callable[[datetime], QuerySet]
    #: Delete or anonymise the rows with these primary keys; returns how many it changed.
    apply: Callable[[list, datetime], int]
    #: A period below this is refused by the system check (0: no legal floor).
    minimum_days: int = 0
    #: Why the floor, for the check's message.
    minimum_basis: str = ""
    order: int = 100

    @property
    def setting(self) -> str:
        """The environment variable that sets the period: RETENTION_TALKS_TEXT_DAYS for "talks.text"."""
        return f"RETENTION_{self.key.upper().replace('.', '_')}_DAYS"

    def days(self) -> int:
        """The configured period, never below the legal floor: the system check refuses a shorter one,
        but the worker does not run checks, so a misconfigured period still keeps what the law asks."""
        return max(int(getattr(settings, "RETENTION", {}).get(self.key, self.default_days)), self.minimum_days)

    def cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days())


def cutoff_date(cutoff: datetime) -> date:
    """For kinds anchored on a date: a date before this one is past retention (so a row anchored on
    day D with a period of N days goes on day D + N + 1, never before)."""
    return timezone.localdate(cutoff)


_kinds: dict[str, RecordKind] = {}


def register_kind(kind: RecordKind) -> RecordKind:
    """Called from an app's AppConfig.ready()."""
    if kind.key in _kinds:
        raise ValueError(f"A record kind {kind.key!r} is registered already.")
    if kind.action not in ACTIONS:
        raise ValueError(f"{kind.key}: the action is one of {ACTIONS}.")
    _kinds[kind.key] = kind
    return kind


#: People whose records are kept whatever their age, however long ago they left: each app registers a
#: callable returning a queryset of Person ids (the cases app: people with a case still open).
_holds: list[Callable[[], QuerySet]] = []


def register_hold(people_ids: Callable[[], QuerySet]) -> Callable[[], QuerySet]:
    """Called from an app's AppConfig.ready()."""
    _holds.append(people_ids)
    return people_ids


def people_on_hold_excluded(people: QuerySet) -> QuerySet:
    """``people`` less those an app holds (a person-anchored kind's ``due`` passes its people here)."""
    for hold in _holds:
        people = people.exclude(pk__in=hold())
    return people


def kinds() -> list[RecordKind]:
    return sorted(_kinds.values(), key=lambda k: (k.order, k.key))


def kind(key: str) -> RecordKind | None:
    return _kinds.get(key)


@dataclass
class KindResult:
    kind: RecordKind
    days: int
    cutoff: datetime
    count: int = 0
    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error)


def due_count(record_kind: RecordKind, now: datetime) -> int:
    return record_kind.due(record_kind.cutoff(now)).count()


def preview(*, now: datetime | None = None) -> list[KindResult]:
    """What a run would delete or anonymise now, per kind (nothing is changed)."""
    now = now or timezone.now()
    results = []
    for k in kinds():
        result = KindResult(kind=k, days=k.days(), cutoff=k.cutoff(now))
        try:
            result.count = due_count(k, now)
        except Exception as exc:  # one kind's failure does not hide the others
            result.error = type(exc).__name__
            logger.error("retention preview: kind %s failed (%s)", k.key, result.error)
        results.append(result)
    return results


def _apply_kind(result: KindResult, batch_size: int) -> None:
    """Every due row of one kind, a batch per transaction, counted into ``result`` as each commits
    (so a failure half-way still reports what went)."""
    record_kind = result.kind
    while True:
        with transaction.atomic():
            pks = list(
                record_kind.due(result.cutoff)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not pks:
                return
            changed = record_kind.apply(pks, result.cutoff)
        result.count += changed
        if changed == 0 or len(pks) < batch_size:
            return


def run(
    *, actor, now: datetime | None = None, batch_size: int = BATCH_SIZE, only: Sequence[str] = ()
) -> list[KindResult]:
    """Delete or anonymise what is past retention, kind by kind (``only``: these kinds). Each kind's
    outcome is one audit entry (its counts, never content), written under ``actor``."""
    now = now or timezone.now()
    results = []
    for k in kinds():
        if only and k.key not in only:
            continue
        result = KindResult(kind=k, days=k.days(), cutoff=k.cutoff(now))
        try:
            _apply_kind(result, batch_size)
        except Exception as exc:  # isolated per kind: the next kind still runs
            result.error = type(exc).__name__
            logger.error("retention: kind %s failed (%s)", k.key, result.error)
        _record(actor, result)
        results.append(result)
    return results


def _record(actor, result: KindResult) -> None:
    changes = {
        "kind": result.kind.key,
        "action": result.kind.action,
        "days": result.days,
        "cutoff": result.cutoff.isoformat(),
        "count": result.count,
    }
    if result.failed:
        changes["error"] = result.error
    try:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            target_label=f"retention: {result.kind.key}"[:200],
            changes=changes,
        )
    except Exception as exc:  # the work is done; a failed audit write is logged, not raised
        logger.error("retention: could not audit kind %s (%s)", result.kind.key, type(exc).__name__)


# --- The system check ---------------------------------------------------------------------------------


def check_retention(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """RETENTION names only registered kinds, with whole days, none below its legal floor."""
    errors: list[checks.CheckMessage] = []
    configured = getattr(settings, "RETENTION", {})
    if not isinstance(configured, dict):
        return [checks.Error("RETENTION must be a dict of record kind -> days.", id="wellbeing.E101")]
    for key in sorted(set(configured) - set(_kinds)):
        errors.append(
            checks.Error(
                f"RETENTION names an unknown record kind {key!r}.",
                hint="The kinds are listed in docs/data-lifecycle.md.",
                id="wellbeing.E102",
            )
        )
    for k in kinds():
        value = configured.get(k.key, k.default_days)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(checks.Error(f"{k.setting} must be a whole number of days (0 or more).", id="wellbeing.E103"))
            continue
        if value < k.minimum_days:
            errors.append(
                checks.Error(
                    f"{k.setting}={value} is below the legal minimum of {k.minimum_days} days ({k.minimum_basis}).",
                    hint=f"Set {k.setting} to {k.minimum_days} or more (docs/data-lifecycle.md).",
                    id="wellbeing.E104",
                )
            )
    return errors


def register_check() -> None:
    checks.register(check_retention, "tanxin")
