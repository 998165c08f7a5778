"""Leave recorded by an HR system (issue 12, item 5: ``POST /api/v1/sync/leave/``, docs/hr-integration.md).

An HR system pushes leave **already taken** (or approved) in its own records, keyed by its own ID for
each record. Each record becomes an approved ``LeaveRequest`` of origin "hr" carrying that ID and the
API client that pushed it (the IDs are each client's own: two HR systems never overwrite each other's
records), with no approver and no follow-up - nobody in Tanxin decides on it. Its days are counted by
the leave calendar exactly as a request's (working or calendar days by the type, half days, public
holidays and make-up workdays), and a type with a balance draws them from the ledger as an approval
does, each line naming the request.

What a payroll officer can rely on:

- **A short balance refuses the record.** Tanxin's balances must stay the ones HR pays on, and the
  ledger never goes below zero: a record that would take more than the ledger holds (or days that
  expire before the leave ends) is reported on ``days`` with the ledger's message and nothing is
  written for it. Allocate or adjust first (an HR officer, in Tanxin), then push the record again.
  Only the ledger counts: requests still waiting in Tanxin hold no days against leave already taken
  (they are checked again when they are approved).
- **A clash is never merged.** Leave approved or waiting for approval in Tanxin for the same person on
  overlapping dates (two may share a day only by taking different halves of it) is reported on
  ``start_date`` naming the request (``L-000123``, its dates and status); nothing is written for the
  record. Cancel one of them, then push again.
- **The same record again** (same person, type, dates and half days) writes nothing: unchanged.
  **A changed record** cancels the request recorded for it through ``request_cancel`` (its days come
  back, the change feed shows a tombstone) and records the new one (counted updated); if the new one
  cannot be recorded (a clash, the balance) the old one stays as it was. ``"status": "cancelled"``
  withdraws a record (counted updated; its other fields are not needed and not read); withdrawing a
  record Tanxin does not hold (never recorded, or withdrawn already) is unchanged.
- **Order within a call:** withdrawals first, then changed records, then new ones, so a call that
  moves leave off some dates and records other leave on them applies whole. Two records of one person
  that swap their dates in one call clash; withdraw one of them in a call first.
- Records are checked like requests, except for what only a request needs: any type may be recorded
  (also one that "cannot be requested" any more) and its per-request maximum does not apply (HR
  records what was taken); dates within about a year of today, as for a request; annual leave one
  year per record; no leave after a person's leaving date.

As the core's sync (wellbeing/services/sync.py): valid records are applied and invalid ones reported
(index, external ID, field messages) in **one transaction per call**; every write is audited with the
API client as the actor. Every person of the call (and of the requests it replaces) is locked first,
in one query and in id order - the lock ``common.lock_person`` takes for one - so two calls, or a call
and a supervisor approving, never interleave on one person's balance.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leave.calendar import Calendar
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType
from leave.services import ledger
from leave.services.allocation import annual_reconcile
from leave.services.requests import MAX_AHEAD_DAYS, MAX_PAST_DAYS, request_cancel
from wellbeing.audit import audit_record, diff
from wellbeing.models import ApiClient, AuditEvent, Person
from wellbeing.services import changes
from wellbeing.services.sync import RecordErrors, SyncResult, atomic_retrying, valid_key

Status = LeaveRequest.Status
Kind = LeaveLedgerEntry.Kind
TAKEN = "taken"
CANCELLED = "cancelled"
RECORD_STATUSES = (TAKEN, CANCELLED)
FIELDS = frozenset({"external_id", "person", "leave_type", "start_date", "end_date", "start_pm", "end_am", "status"})
KEY_MAX = 64
ISO_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
#: ``cancel_reason`` codes of requests HR withdrew or changed.
REASON_CANCELLED = "hr_cancelled"
REASON_CHANGED = "hr_changed"
#: While a call is applied, the leave stream's change-feed lines (leave/receivers.py) are collected here
#: and written in one statement at its end, in its transaction; a record refused drops its lines.
FEED_LINES: ContextVar[list | None] = ContextVar("leave_hr_sync_feed_lines", default=None)


@dataclass
class LeaveRecord:
    index: int
    external_id: str
    cancelled: bool
    person_key: str = ""
    type_code: str = ""
    start_date: date | None = None
    end_date: date | None = None
    start_pm: bool = False
    end_am: bool = False
    # Resolved while the call is applied.
    person: Person | None = None
    leave_type: LeaveType | None = None
    days: Decimal = Decimal(0)
    provisional: bool = False

    def same_as(self, request: LeaveRequest) -> bool:
        return (
            self.person is not None
            and self.leave_type is not None
            and request.person_id == self.person.pk
            and request.leave_type_id == self.leave_type.pk
            and (request.start_date, request.end_date, request.start_pm, request.end_am)
            == (self.start_date, self.end_date, self.start_pm, self.end_am)
        )


# --- Checking a call and its records ----------------------------------------------------------------


def check_body(records, full, run) -> None:
    """The envelope: a list of at most ``SYNC_MAX_RECORDS`` records; no full sync and no run (leave
    is pushed as it happens, never as a whole)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(records, list):
        errors["records"] = [_("Give a list of records.")]
    elif len(records) > settings.SYNC_MAX_RECORDS:
        errors["records"] = [_("At most %(n)d records per call; split the batch.") % {"n": settings.SYNC_MAX_RECORDS}]
    if full is not False and full is not None:
        errors["full"] = [
            _(
                'Leave is never synced in full: send the records that are new or changed, and "status": '
                '"cancelled" for one to withdraw.'
            )
        ]
    if run is not None:
        errors["run"] = [_("Leave takes no run: each call stands on its own.")]
    if errors:
        raise ValidationError(errors)


def _key(value, name: str, errors: dict) -> str:
    if not isinstance(value, str) or not value.strip():
        errors[name] = [_("Give the record's key (a non-empty string).")]
        return ""
    if not valid_key(value):
        errors[name] = [_("A key is at most 64 characters, without surrounding spaces, null or surrogate characters.")]
        return ""
    return value


def _date(value, name: str, errors: dict) -> date | None:
    if value is None or value == "":
        errors[name] = [_("This field is required.")]
        return None
    if not isinstance(value, str) or not ISO_DATE.match(value):
        errors[name] = [_("Give a date as YYYY-MM-DD.")]
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = [_("Not a valid date.")]
        return None


def _flag(value, name: str, errors: dict) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        errors[name] = [_("Give true or false.")]
        return False
    return value


def parse_record(index: int, raw) -> LeaveRecord:
    """One record's shape (raises ``RecordErrors``); what it names is looked up when it is applied."""
    if not isinstance(raw, dict):
        raise RecordErrors({"record": [_("Give an object.")]})
    errors: dict[str, list[str]] = {}
    for name in raw:
        if name not in FIELDS:
            errors[str(name)[:64].encode("utf-8", "backslashreplace").decode("utf-8")] = [_("Unknown field.")]
    key = _key(raw.get("external_id"), "external_id", errors)
    status = raw.get("status", TAKEN)
    if status not in RECORD_STATUSES:
        errors["status"] = [_("Give one of: %(choices)s.") % {"choices": ", ".join(RECORD_STATUSES)}]
    if status == CANCELLED:
        # Withdrawn by its key: the rest of the record is not read.
        if errors:
            raise RecordErrors(errors)
        return LeaveRecord(index=index, external_id=key, cancelled=True)
    person = raw.get("person")
    if not valid_key(person):
        errors["person"] = [_("Give the person's external ID (as GET /api/v1/people/ shows it).")]
        person = ""
    type_code = raw.get("leave_type")
    if not valid_key(type_code):
        errors["leave_type"] = [_("Give the leave type's code (GET /api/v1/leave/types/ lists them).")]
        type_code = ""
    start = _date(raw.get("start_date"), "start_date", errors)
    end = _date(raw.get("end_date"), "end_date", errors)
    start_pm = _flag(raw.get("start_pm"), "start_pm", errors)
    end_am = _flag(raw.get("end_am"), "end_am", errors)
    if start and end and end < start:
        errors["end_date"] = [_("The last day is before the first day.")]
    elif start and end and start == end and start_pm and end_am:
        errors["end_am"] = [_("A one-day record cannot start in the afternoon and end at noon.")]
    if errors:
        raise RecordErrors(errors)
    return LeaveRecord(
        index=index,
        external_id=key,
        cancelled=False,
        person_key=person,
        type_code=type_code,
        start_date=start,
        end_date=end,
        start_pm=start_pm,
        end_am=end_am,
    )


def _check_leave(record: LeaveRecord, calendar: Calendar, today: date) -> None:
    """What a request's validation checks of its dates (leave.services.requests.validate), for leave
    already taken; sets the record's days. Raises ``RecordErrors``."""
    person, leave_type = record.person, record.leave_type
    start, end = record.start_date, record.end_date
    errors: dict[str, list[str]] = {}
    earliest, latest = today - timedelta(days=MAX_PAST_DAYS), today + timedelta(days=MAX_AHEAD_DAYS)
    for name, day in (("start_date", start), ("end_date", end)):
        if not earliest <= day <= latest:
            errors[name] = [
                _("Give a date within about a year of today (%(from)s to %(to)s).") % {"from": earliest, "to": latest}
            ]
    if errors:
        raise RecordErrors(errors)
    if person.left_on is not None and end > person.left_on:
        raise RecordErrors(
            {
                "end_date": [
                    _("This person left on %(day)s: no leave can be recorded after it.") % {"day": person.left_on}
                ]
            }
        )
    if leave_type.in_working_days:
        for flag, day, name in ((record.start_pm, start, "start_pm"), (record.end_am, end, "end_am")):
            if flag and not calendar.is_workday(day):
                errors[name] = [_("%(day)s is not a working day: a half day cannot fall on it.") % {"day": day}]
    if leave_type.category == LeaveType.Category.ANNUAL and start.year != end.year:
        errors["end_date"] = [_("Annual leave is counted per year: send one record for each year.")]
    if errors:
        raise RecordErrors(errors)
    days, provisional = calendar.count(
        start, end, working_days=leave_type.in_working_days, start_pm=record.start_pm, end_am=record.end_am
    )
    if days <= 0:
        raise RecordErrors({"end_date": [_("These dates hold no working days: there is nothing to record.")]})
    record.days, record.provisional = days, provisional


def _clash(record: LeaveRecord, holding: list[LeaveRequest], replacing: LeaveRequest | None) -> None:
    for other in holding:
        if replacing is not None and other.pk == replacing.pk:
            continue
        if other.clashes_with(record.start_date, record.end_date, record.start_pm, record.end_am):
            raise RecordErrors(
                {
                    "start_date": [
                        _(
                            "These dates clash with %(ref)s (%(start)s – %(end)s, %(status)s) in Tanxin: nothing "
                            "was recorded. Cancel one of them, then send the record again."
                        )
                        % {
                            "ref": other.reference,
                            "start": other.start_date,
                            "end": other.end_date,
                            "status": other.get_status_display(),
                        }
                    ]
                }
            )


# --- Applying a call ----------------------------------------------------------------------------------


def sync_leave(*, actor, client: ApiClient, records, full: bool = False, run: str | None = None) -> SyncResult:
    """Record, change or withdraw leave an HR system pushed (see the module's rules). ``client`` is
    the pushing API client: the records' IDs are its own."""
    check_body(records, full, run)
    # A record ID another call recorded a moment earlier (for another person, so not under this
    # call's locks), a deadlock: tried again (then a change or unchanged); after three tries, a 503.
    return atomic_retrying(lambda: _sync_leave(actor, client, records))


def _sync_leave(actor, client: ApiClient, raw_records: list) -> SyncResult:
    lines: list = []
    token = FEED_LINES.set(lines)
    try:
        result = _apply(actor, client, raw_records, lines)
    finally:
        FEED_LINES.reset(token)
    changes.record_many(lines)
    return result


def _apply(actor, client: ApiClient, raw_records: list, lines: list) -> SyncResult:
    result = SyncResult()
    records: dict[str, LeaveRecord] = {}
    for index, raw in enumerate(raw_records):
        try:
            record = parse_record(index, raw)
        except RecordErrors as exc:
            result.error(index, raw.get("external_id") if isinstance(raw, dict) else None, exc.errors)
            continue
        if record.external_id in records:
            result.error(index, record.external_id, {"external_id": [_("This external ID is in the batch twice.")]})
            continue
        records[record.external_id] = record

    live = LeaveRequest.objects.filter(hr_client=client, hr_external_id__in=list(records), status=Status.APPROVED)
    # Lock everyone the call touches at once, in id order: the people named and those whose
    # recorded leave it may replace or withdraw.
    person_keys = {r.person_key for r in records.values() if not r.cancelled}
    people = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(Q(external_id__in=person_keys) | Q(pk__in=live.values("person_id")))
        .order_by("pk")
    }
    by_key = {p.external_id: p for p in people.values()}
    existing = {r.hr_external_id: r for r in live.select_related("leave_type")}
    for request in existing.values():
        request.person = people.get(request.person_id) or request.person
    types = {t.code: t for t in LeaveType.objects.all()}

    withdrawals, changed, new = [], [], []
    for record in records.values():
        old = existing.get(record.external_id)
        if record.cancelled:
            if old is None:
                result.unchanged += 1
            else:
                withdrawals.append(old)
            continue
        errors = {}
        record.person = by_key.get(record.person_key)
        record.leave_type = types.get(record.type_code)
        if record.person is None:
            errors["person"] = [_("No person has this external ID.")]
        if record.leave_type is None:
            errors["leave_type"] = [_("No leave type has this code (GET /api/v1/leave/types/ lists them).")]
        if errors:
            result.error(record.index, record.external_id, errors)
        elif old is not None and record.same_as(old):
            result.unchanged += 1
        else:
            (changed if old is not None else new).append((record, old))

    # What holds dates now, per person (approved or waiting), to find clashes without a query each.
    taken = [r for r, _old in [*changed, *new]]
    holding: dict[int, list[LeaveRequest]] = {}
    if taken:
        first = min(r.start_date for r in taken)
        last = max(r.end_date for r in taken)
        for request in LeaveRequest.objects.filter(
            person_id__in=[r.person.pk for r in taken],
            status__in=LeaveRequest.HOLDING,
            start_date__lte=last,
            end_date__gte=first,
        ).only("pk", "person_id", "start_date", "end_date", "start_pm", "end_am", "status"):
            holding.setdefault(request.person_id, []).append(request)

    for old in withdrawals:
        request_cancel(actor=actor, request=old, reason=REASON_CANCELLED)
        _forget(holding, old)
        result.updated += 1

    calendar = Calendar()
    today = timezone.localdate()
    reconcile: set[tuple[Person, int]] = set()
    for record, old in [*changed, *new]:
        mark = len(lines)
        try:
            _check_leave(record, calendar, today)
            _clash(record, holding.get(record.person.pk, []), old)
            with transaction.atomic():
                if old is not None:
                    request_cancel(actor=actor, request=old, reason=REASON_CHANGED)
                request = _record(actor, client, record, replacing=old)
        except (RecordErrors, ValidationError) as exc:
            # Nothing of the record is kept (its savepoint rolled back): nor its feed lines.
            del lines[mark:]
            errors = exc.errors if isinstance(exc, RecordErrors) else _messages(exc)  # the ledger: the balance
            result.error(record.index, record.external_id, errors)
            continue
        if old is not None:
            _forget(holding, old)
            result.updated += 1
        else:
            result.created += 1
        holding.setdefault(record.person.pk, []).append(request)
        if record.leave_type.affects_annual:
            for year in range(record.start_date.year, record.end_date.year + 2):
                if year <= today.year:
                    reconcile.add((record.person, year))

    # Sick or personal leave changes the annual-leave eligibility of the years it touches (and the
    # knock-on to the next one), as when a request is approved.
    for person, year in sorted(reconcile, key=lambda pair: (pair[0].pk, pair[1])):
        annual_reconcile(actor=actor, person=person, year=year)
    result.errors.sort(key=lambda error: error["index"])
    return result


def _forget(holding: dict[int, list[LeaveRequest]], request: LeaveRequest) -> None:
    rows = holding.get(request.person_id)
    if rows:
        holding[request.person_id] = [r for r in rows if r.pk != request.pk]


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    return {"days": [str(m) for m in exc.messages]}


def _record(actor, client: ApiClient, record: LeaveRecord, *, replacing: LeaveRequest | None) -> LeaveRequest:
    """An approved request for the record, and its days drawn from the ledger (types with a balance)
    as an approval takes them; nothing is kept if the ledger refuses (the caller's savepoint)."""
    now = timezone.now()
    leave_type = record.leave_type
    request = LeaveRequest.objects.create(
        person=record.person,
        leave_type=leave_type,
        start_date=record.start_date,
        end_date=record.end_date,
        start_pm=record.start_pm,
        end_am=record.end_am,
        days=record.days,
        provisional=record.provisional,
        status=Status.APPROVED,
        origin=LeaveRequest.Origin.HR,
        hr_external_id=record.external_id,
        hr_client=client,
        submitted_at=now,
        decided_at=now,
    )
    if leave_type.needs_balance:
        in_lieu = leave_type.category == LeaveType.Category.IN_LIEU
        ledger.draw(
            actor=actor,
            person=record.person,
            leave_type=leave_type,
            year=None if in_lieu else record.start_date.year,
            days=record.days,
            kind=Kind.USED if in_lieu else Kind.TAKEN,
            effective_on=record.start_date,
            valid_on=record.end_date,
            entry_year=record.start_date.year,
            request=request,
        )
    new: dict[str, Any] = {
        "type": leave_type.code,
        "start": record.start_date,
        "end": record.end_date,
        "start_pm": record.start_pm,
        "end_am": record.end_am,
        "days": str(record.days),
        "status": Status.APPROVED,
        "origin": LeaveRequest.Origin.HR,
        "hr_external_id": record.external_id,
        "replaces": replacing.reference if replacing is not None else None,
    }
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=request,
        subject_person=record.person,
        changes=diff({"start_pm": False, "end_am": False}, new),
    )
    return request
