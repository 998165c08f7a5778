"""The HR sync: bulk upsert of org units and people keyed by the HR system's ids (docs/hr-integration.md).

The rule of a call: every record is checked first; the valid ones are applied and the invalid ones
reported (index, external ID, field messages), all in **one transaction per call** - a call is applied
whole (its valid records) or, if the database fails, not at all. A record that names an invalid
record of the same batch (as its parent, unit or manager) is invalid too. Records that change nothing
write nothing: no ``updated_at``, no audit row, no change-feed line.

People whose change is part of their working life - leaving, moving unit, a new manager, coming back
- go one by one through ``person_update``, the service the admin uses, so their login is disabled and
the apps' receivers move or end their obligations. Every other new or changed person is written in
bulk, with one audit row and one change-feed line each.

A ``full`` sync also marks people missing from it as left (never deleted) and takes units missing
from it out of use. A full sync larger than one call names a ``run``: each call of the run carries
part of the records, and the call with ``"full": true`` closes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from treebeard.exceptions import PathOverflow

from wellbeing import bulk, etags
from wellbeing.audit import audit_record, audit_records
from wellbeing.models import AuditEvent, ChangeEntry, IdempotencyKey, OrgUnit, Person, SyncRunPart
from wellbeing.models.org import WORK_USER_ID_VALIDATOR, name_to_pinyin
from wellbeing.services import changes
from wellbeing.services.people import org_unit_create, org_unit_update, person_create, person_update

Stream = ChangeEntry.Stream

#: Fields the feed and the people API show that a record may carry back unchanged (they are ignored).
READ_ONLY = frozenset({"updated_at", "created_at", "unit_code", "unit_name"})
#: The columns of a new person written by the bulk path, and their values when a record leaves one out.
PERSON_COLUMNS = (
    "external_id",
    "full_name",
    "name_pinyin",
    "gender",
    "date_of_birth",
    "work_start_date",
    "hire_date",
    "unit_id",
    "position",
    "status",
    "left_on",
    "email",
    "phone",
    "manager_id",
    "user_id",
    "wecom_user_id",
    "dingtalk_user_id",
    "created_at",
    "updated_at",
)
NEW_PERSON = {
    "gender": Person.Gender.UNSPECIFIED.value,
    "date_of_birth": None,
    "work_start_date": None,
    "hire_date": None,
    "position": "",
    "status": Person.Status.ACTIVE.value,
    "left_on": None,
    "email": "",
    "phone": "",
    "manager_id": None,
    "user_id": None,
    "wecom_user_id": "",
    "dingtalk_user_id": "",
}
PERSON_TEXT = {"full_name": 100, "position": 120, "phone": 32}
PERSON_DATES = ("date_of_birth", "work_start_date", "hire_date", "left_on")
#: A person record's fields besides its key: what the feed shows, so a feed line can be sent back.
PERSON_FIELDS = tuple(name for name in changes.PERSON_FEED_FIELDS if name != "external_id")
#: Changes that are part of a person's working life: through person_update, one by one.
LIFECYCLE = frozenset({"status", "unit", "manager"})
ISO_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
EMAIL = EmailValidator()
KEY_MAX = 64


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    marked_left: int = 0
    deactivated: int = 0

    def as_dict(self) -> dict[str, Any]:
        errors = sorted(self.errors, key=lambda e: e["index"])
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "errors": errors}

    def error(self, index: int, key: Any, errors: dict[str, list[str]]) -> None:
        # The key as sent (even a bad one, to find the record by), unless it is not text the answer can carry.
        echo = key if isinstance(key, str) and _encodable(key) else None
        self.errors.append({"index": index, "external_id": echo, "errors": errors})


class RecordErrors(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors


# --- Checking single values ----------------------------------------------------------------------------


def _text(value, name: str, limit: int, errors: dict, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        errors[name] = [_("Give a string.")]
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = [_("This field may not be blank.")]
    elif len(value) > limit:
        errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    elif "\x00" in value:
        errors[name] = [_("Null characters are not allowed.")]
    elif not _encodable(value):
        errors[name] = [_("Surrogate characters are not allowed.")]
    return value


def _encodable(value: str) -> bool:
    """Text the database can store: no lone UTF-16 surrogates (JSON lets "\\ud800" through)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def valid_key(value) -> bool:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= KEY_MAX
        and "\x00" not in value
        and value == value.strip()
        and _encodable(value)
    )


def _key(value, name: str, errors: dict) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors[name] = [_("Give the record's key (a non-empty string).")]
        return None
    if not valid_key(value):
        errors[name] = [_("A key is at most 64 characters, without surrounding spaces, null or surrogate characters.")]
        return None
    return value


def _date(value, name: str, errors: dict) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not ISO_DATE.match(value):
        errors[name] = [_("Give a date as YYYY-MM-DD, or null.")]
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        errors[name] = [_("Not a valid date.")]
        return None
    if not 1900 <= parsed.year <= 2100:
        errors[name] = [_("Give a date between 1900 and 2100.")]
        return None
    return parsed


_CHOICE_VALUES: dict[type, frozenset] = {}


def _choice(value, name: str, choices, errors: dict) -> str:
    allowed = _CHOICE_VALUES.get(choices)
    if allowed is None:
        allowed = _CHOICE_VALUES[choices] = frozenset(choices.values)
    if not isinstance(value, str) or value not in allowed:
        errors[name] = [_("Give one of: %(choices)s.") % {"choices": ", ".join(choices.values)}]
    return value


def _unknown(record: dict, allowed: set[str], errors: dict) -> None:
    for name in record:
        if name not in allowed and name not in READ_ONLY:
            errors[str(name)[:64].encode("utf-8", "backslashreplace").decode("utf-8")] = [_("Unknown field.")]


def _check_body(records, full, run) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(records, list):
        errors["records"] = [_("Give a list of records.")]
    elif len(records) > settings.SYNC_MAX_RECORDS:
        errors["records"] = [
            _("At most %(n)d records per call; split the batch (a full sync can span calls with a run).")
            % {"n": settings.SYNC_MAX_RECORDS}
        ]
    if not isinstance(full, bool):
        errors["full"] = [_("Give true or false.")]
    if run is not None and not valid_key(run):
        errors["run"] = [_("Give the run's id: 1 to 64 characters, or null.")]
    if errors:
        raise ValidationError(errors)


# --- People --------------------------------------------------------------------------------------------


class UnitKeys(dict):
    """Unit code -> id, knowing the ids too: a person's ``unit`` is a unit's code, or its id as the
    people API shows it (so a record read with GET can be sent back)."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.ids = set(self.values())


@dataclass
class PersonRecord:
    index: int
    external_id: str
    values: dict[str, Any]  # model field name (unit -> unit_id code resolved later) -> value
    manager_key: str | None = None
    manager_given: bool = False
    unit_code: str | None = None


def _person_record(index: int, raw, units: dict[str, int]) -> PersonRecord:
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        raise RecordErrors({"record": [_("Give an object.")]})
    _unknown(raw, {"external_id", *PERSON_FIELDS}, errors)
    key = _key(raw.get("external_id"), "external_id", errors)
    values: dict[str, Any] = {}
    values["full_name"] = _text(raw.get("full_name"), "full_name", 100, errors, required=True)
    for name in ("position", "phone"):
        if name in raw:
            values[name] = _text(raw[name], name, PERSON_TEXT[name], errors)
    if "email" in raw:
        email = _text(raw["email"], "email", 254, errors)
        if email and "email" not in errors:
            try:
                EMAIL(email)
            except ValidationError:
                errors["email"] = [_("Enter a valid e-mail address.")]
        values["email"] = email
    for name in ("wecom_user_id", "dingtalk_user_id"):
        if name in raw:
            value = _text(raw[name], name, 64, errors)
            if value and name not in errors:
                try:
                    WORK_USER_ID_VALIDATOR(value)
                except ValidationError as exc:
                    errors[name] = list(exc.messages)
            values[name] = value
    if "gender" in raw:
        values["gender"] = _choice(raw["gender"], "gender", Person.Gender, errors)
    if "status" in raw:
        values["status"] = _choice(raw["status"], "status", Person.Status, errors)
    for name in PERSON_DATES:
        if name in raw:
            values[name] = _date(raw[name], name, errors)
    if values.get("left_on", 0) is None:
        # No leaving date: the status decides (today for someone leaving now, none for someone back);
        # someone who left already keeps the date they left on.
        del values["left_on"]
    unit_code = raw.get("unit")
    if isinstance(unit_code, int) and not isinstance(unit_code, bool) and unit_code in units.ids:
        values["unit_id"] = unit_code  # the unit's id, as GET /api/v1/people/ shows it
    elif not isinstance(unit_code, str) or unit_code not in units:
        errors["unit"] = [_("Give the code of an existing org unit (as GET /api/v1/org-units/ shows it).")]
    else:
        values["unit_id"] = units[unit_code]
    record = PersonRecord(index=index, external_id=key or "", values=values, unit_code=unit_code)
    if "manager" in raw:
        record.manager_given = True
        manager = raw["manager"]
        if manager is not None and manager != "":
            record.manager_key = _key(manager, "manager", errors)
            if record.manager_key is not None and record.manager_key == key:
                errors["manager"] = [_("A person cannot be their own manager.")]
    birth, start = values.get("date_of_birth"), values.get("work_start_date")
    if birth and start and start <= birth:
        errors["work_start_date"] = [_("The work start date must come after the date of birth.")]
    if errors:
        raise RecordErrors(errors)
    return record


def _run_keys(client, stream: str, run: str | None, keys: list[str], full: bool) -> set[str] | None:
    """Record this call's keys under its run; on the closing call, the keys of the whole run. A run
    whose first call is older than SYNC_RUN_HOURS is refused (its parts may be gone): start again."""
    if run is None:
        return set(keys) if full else None
    parts = SyncRunPart.objects.filter(client=client, stream=stream, run=run)
    first = parts.order_by("created_at").values_list("created_at", flat=True).first()
    if first is not None and first < timezone.now() - timedelta(hours=settings.SYNC_RUN_HOURS):
        raise ValidationError(
            {
                "run": [
                    _(
                        "This run started over %(h)d hours ago and has expired: "
                        "start the full sync again with a new run."
                    )
                    % {"h": settings.SYNC_RUN_HOURS}
                ]
            }
        )
    SyncRunPart.objects.create(client=client, stream=stream, run=run, keys=keys)
    if not full:
        return None
    seen: set[str] = set()
    for part_keys in parts.values_list("keys", flat=True):
        seen.update(part_keys)
    parts.delete()
    return seen


class Busy(Exception):
    """Other calls kept getting in the way (three tries): answered 503 with Retry-After, and the
    Idempotency-Key is released, so the client sends the same call again."""


#: SQLSTATEs worth applying a call again for: a unique key another call took a moment earlier, a
#: deadlock, a serialization failure.
RETRY_STATES = frozenset({"23505", "40P01", "40001"})


def _retryable(exc: Exception) -> bool:
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in RETRY_STATES:
        return True
    return connection.vendor == "sqlite" and "UNIQUE constraint" in str(exc)


def atomic_retrying(apply):
    """Apply a call in one transaction, again (up to three times) when another call got in the way.
    Any other refusal of the database is this call's error (400), never a half-applied batch."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return apply()
        except (IntegrityError, OperationalError) as exc:
            if _retryable(exc) and attempt < 2:
                continue
            if _retryable(exc):
                raise Busy from exc
            if isinstance(exc, OperationalError):
                raise
            raise ValidationError(
                {"records": [_("The database refused this batch; nothing was applied. Send it again.")]}
            ) from exc
    raise AssertionError("unreachable")


def sync_people(*, actor, records, full: bool = False, run: str | None = None, client=None) -> SyncResult:
    """Create or update people by external ID (see the module's rule). ``client`` (the API client)
    keeps the run of a multi-call full sync."""
    _check_body(records, full, run)
    return atomic_retrying(lambda: _sync_people(actor, records, full, run, client))


def _sync_people(actor, records: list, full: bool, run: str | None, client) -> SyncResult:
    result = SyncResult()
    # Present in this call: every record whose key could be read, valid or not - a full sync must not
    # mark someone left because HR sent their record with a bad e-mail address.
    present = [r["external_id"] for r in records if isinstance(r, dict) and valid_key(r.get("external_id"))]
    units = UnitKeys(OrgUnit.objects.values_list("code", "id"))
    unit_codes = {pk: code for code, pk in units.items()}
    parsed: dict[str, PersonRecord] = {}
    for index, raw in enumerate(records):
        try:
            record = _person_record(index, raw, units)
        except RecordErrors as exc:
            key = raw.get("external_id") if isinstance(raw, dict) else None
            result.error(index, key, exc.errors)
            continue
        if record.external_id in parsed:
            result.error(index, record.external_id, {"external_id": [_("This external ID is in the batch twice.")]})
            continue
        parsed[record.external_id] = record

    keys = list(parsed)
    # The people of this call as plain rows (a model object is built only for those that change).
    existing = {row["external_id"]: row for row in Person.objects.filter(external_id__in=keys).order_by().values()}
    manager_keys = {r.manager_key for r in parsed.values() if r.manager_key}
    known_managers = dict(
        Person.objects.filter(external_id__in=manager_keys - set(parsed)).order_by().values_list("external_id", "id")
    )
    known_managers.update({k: row["id"] for k, row in existing.items()})
    # Work ids must stay unique: against the database and within the batch.
    _check_work_ids(parsed, existing, result)

    # A record whose manager is neither known nor valid in this batch is invalid; that can cascade.
    changed = True
    while changed:
        changed = False
        for key, record in list(parsed.items()):
            manager = record.manager_key
            if manager and manager not in parsed and manager not in known_managers:
                del parsed[key]
                result.error(
                    record.index,
                    key,
                    {"manager": [_("No person has this external ID (nor a valid record of this batch).")]},
                )
                changed = True

    now = timezone.now()
    today = timezone.localdate()
    creates: list[tuple[PersonRecord, SimpleNamespace]] = []
    bulk_updates: list[tuple[PersonRecord, SimpleNamespace, dict[str, list]]] = []
    slow_updates: list[tuple[PersonRecord, int]] = []
    for key, record in parsed.items():
        row = existing.get(key)
        values = record.values
        if row is None:
            new = SimpleNamespace(**NEW_PERSON, external_id=key, created_at=now, updated_at=now)
            for name, value in values.items():
                setattr(new, name, value)
            if new.status == Person.Status.LEFT and new.left_on is None:
                new.left_on = today
            if record.manager_key and record.manager_key in known_managers:
                new.manager_id = known_managers[record.manager_key]
            new.name_pinyin = name_to_pinyin(new.full_name)
            creates.append((record, new))
            continue
        diffs = {}
        for name, value in values.items():
            old = row[name]
            if old != value:
                diffs[name] = [old, value]
        if record.manager_given:
            wanted = record.manager_key
            current = row["manager_id"]
            if wanted is None and current is not None:
                diffs["manager"] = [current, None]
            elif wanted is not None and wanted in known_managers and known_managers[wanted] != current:
                diffs["manager"] = [current, known_managers[wanted]]
            elif wanted is not None and wanted not in known_managers:
                diffs["manager"] = [current, wanted]  # a manager created by this batch
        if not diffs:
            result.unchanged += 1
            continue
        birth = values.get("date_of_birth", row["date_of_birth"])
        start = values.get("work_start_date", row["work_start_date"])
        if birth and start and start <= birth:
            result.error(
                record.index, key, {"work_start_date": [_("The work start date must come after the date of birth.")]}
            )
            continue
        if {"status", "unit_id", "manager"} & set(diffs):
            slow_updates.append((record, row["id"]))
        else:
            # The stored row as attributes (the bulk writes read only those): no model instance each.
            bulk_updates.append((record, SimpleNamespace(**row, pk=row["id"]), diffs))

    # Lock the people whose working life changes, in id order: two calls naming the same people in
    # another order wait for each other instead of deadlocking. (The bulk changes are one statement
    # each; should two calls' statements deadlock, the call is applied again: atomic_retrying.)
    changing = sorted(pk for _r, pk in slow_updates)
    if changing and connection.vendor == "postgresql":
        list(Person.objects.select_for_update().filter(pk__in=changing).order_by("pk").values_list("pk", flat=True))

    # 1. New people (their managers, when also new, are set once everyone exists).
    bulk.copy_insert(Person, PERSON_COLUMNS, ([getattr(p, c) for c in PERSON_COLUMNS] for _r, p in creates))
    if creates:
        created_ids = dict(
            Person.objects.filter(external_id__in=[p.external_id for _r, p in creates])
            .order_by()
            .values_list("external_id", "id")
        )
        for _r, person in creates:
            person.pk = person.id = created_ids[person.external_id]
        known_managers.update(created_ids)
    late_managers = []
    for record, person in creates:
        if record.manager_key and person.manager_id is None:
            person.manager_id = known_managers[record.manager_key]
            late_managers.append(person)
    bulk.unnest_update(Person, ["manager_id"], [Person(id=p.id, manager_id=p.manager_id) for p in late_managers])
    result.created = len(creates)

    # 2. Changes that are no part of anyone's working life: in bulk.
    fields: set[str] = {"updated_at"}
    to_save = []
    for _record, person, diffs in bulk_updates:
        for name, (_old, new) in diffs.items():
            setattr(person, name, new)
            fields.add(name)
            if name == "full_name":
                person.name_pinyin = name_to_pinyin(new)
                fields.add("name_pinyin")
        person.updated_at = now
        to_save.append(person)
    bulk.unnest_update(Person, sorted(fields), to_save)
    # 3. Leaving, moving, a new manager, coming back: through the lifecycle service, one by one.
    slow_done = 0
    for record, person_id in slow_updates:
        values = {k: v for k, v in record.values.items() if k != "unit_id"}
        if "unit_id" in record.values:
            values["unit"] = OrgUnit.objects.get(pk=record.values["unit_id"])
        if record.manager_given:
            values["manager"] = (
                Person.objects.get(pk=known_managers[record.manager_key]) if record.manager_key else None
            )
        try:
            with transaction.atomic():  # a savepoint: one record's refusal leaves the others applied
                person_update(actor=actor, person=Person.objects.get(pk=person_id), **values)
        except ValidationError as exc:
            result.error(record.index, record.external_id, _messages(exc))
            continue
        slow_done += 1
    result.updated = len(bulk_updates) + slow_done

    # Audit and change feed for the bulk writes (person_update does its own).
    manager_ext = {pk: key for key, pk in known_managers.items()}
    missing = {p.manager_id for p in [*(p for _r, p in creates), *to_save] if p.manager_id} - set(manager_ext)
    manager_ext.update(Person.objects.filter(pk__in=missing).order_by().values_list("id", "external_id"))
    audit_records(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        model=Person,
        rows=[
            (p.id, _label(p), p.id, {"external_id": [None, p.external_id], "full_name": [None, p.full_name]})
            for _r, p in creates
        ],
    )
    audit_records(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        model=Person,
        rows=[(p.id, _label(p), p.id, _audit_diff(diffs)) for _r, p, diffs in bulk_updates],
    )
    changes.record_many(
        changes.person_line(p, unit_code=unit_codes[p.unit_id], manager_external_id=manager_ext.get(p.manager_id))
        for p in [*(p for _r, p in creates), *to_save]
    )

    seen = _run_keys(client, Stream.PEOPLE, run, present, full) if (full or run) else None
    if full and seen is not None:
        result.marked_left = _mark_missing_left(actor, seen)
    return result


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("record" if k == "__all__" else k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"record": [str(m) for m in exc.messages]}


def _audit_diff(diffs: dict[str, list]) -> dict[str, list]:
    out = {}
    for name, (old, new) in diffs.items():
        label = "unit" if name == "unit_id" else name
        out[label] = [
            old.isoformat() if isinstance(old, date) else old,
            new.isoformat() if isinstance(new, date) else new,
        ]
    return out


def _label(person) -> str:
    return f"{person.full_name} ({person.external_id})"[:200]  # as str(Person)


def _check_work_ids(parsed: dict[str, PersonRecord], existing: dict[str, dict], result: SyncResult) -> None:
    """A work id a record gives or changes must be nobody else's (in the database or the batch)."""
    for name in ("wecom_user_id", "dingtalk_user_id"):
        wanted: dict[str, list[str]] = {}
        kept: dict[str, str] = {}
        for key, record in parsed.items():
            value = record.values.get(name)
            if not value:
                continue
            row = existing.get(key)
            if row is not None and row[name] == value:
                kept[value] = key  # already theirs: nothing to check, but others in the batch may not take it
                continue
            wanted.setdefault(value, []).append(key)
        if not wanted:
            continue
        holders = dict(
            Person.objects.filter(**{f"{name}__in": list(wanted)}).order_by().values_list(name, "external_id")
        )
        for value, keys in wanted.items():
            holder = holders.get(value, kept.get(value))
            clash = len(keys) > 1 or (holder is not None and holder != keys[0])
            if not clash:
                continue
            # The holder keeps it; handing an id to someone else takes two calls (free it, then give it).
            for key in keys:
                if holder == key:
                    continue
                record = parsed.pop(key, None)
                if record is not None:
                    result.error(record.index, key, {name: [_("Another person already has this user ID.")]})


def _mark_missing_left(actor, seen: set[str]) -> int:
    """Mark the active people a full sync did not name as left - unless that would be more than
    SYNC_FULL_MAX_LEFT_SHARE of everyone (a cut-off file must not end everybody's login): then the
    whole call is refused and nothing is applied."""
    missing = Person.objects.active().exclude(external_id__in=seen)
    total = Person.objects.active().count()
    count_missing = missing.count()
    if count_missing > 10 and count_missing > total * settings.SYNC_FULL_MAX_LEFT_SHARE:
        raise ValidationError(
            {
                "full": [
                    _(
                        "This full sync would mark %(n)d of %(total)d people as left, more than "
                        "SYNC_FULL_MAX_LEFT_SHARE allows. Nothing was applied: check the file is complete."
                    )
                    % {"n": count_missing, "total": total}
                ]
            }
        )
    count = 0
    for person in missing.order_by("pk").iterator():
        person_update(actor=actor, person=person, status=Person.Status.LEFT)
        count += 1
    return count


# --- Org units -----------------------------------------------------------------------------------------

#: How deep the org tree may go: treebeard's path (255 characters, 4 a level).
MAX_UNIT_DEPTH = 255 // OrgUnit.steplen

UNIT_FIELDS = ("code", "external_id", "name", "kind", "parent", "is_active")


@dataclass
class UnitRecord:
    index: int
    code: str
    name: str
    kind: str
    parent: str | None
    is_active: bool | None
    parent_given: bool = True


def _unit_record(index: int, raw) -> UnitRecord:
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        raise RecordErrors({"record": [_("Give an object.")]})
    _unknown(raw, set(UNIT_FIELDS), errors)
    given = raw.get("code", raw.get("external_id"))
    if "code" in raw and "external_id" in raw and raw["code"] != raw["external_id"]:
        errors["code"] = [_("code and external_id name the same key: give one, or the same value.")]
    code = _key(given, "code", errors)
    name = _text(raw.get("name"), "name", 120, errors, required=True)
    kind = _choice(raw.get("kind"), "kind", OrgUnit.Kind, errors)
    parent = raw.get("parent")
    if parent is not None:
        parent = _key(parent, "parent", errors)
        if parent is not None and parent == code:
            errors["parent"] = [_("A unit cannot be its own parent.")]
    is_active = raw.get("is_active")
    if is_active is not None and not isinstance(is_active, bool):
        errors["is_active"] = [_("Give true or false.")]
    if errors:
        raise RecordErrors(errors)
    return UnitRecord(
        index=index,
        code=code or "",
        name=name,
        kind=kind,
        parent=parent,
        is_active=is_active,
        parent_given="parent" in raw,
    )


def sync_org_units(*, actor, records, full: bool = False, run: str | None = None, client=None) -> SyncResult:
    """Create, update or move org units by code (see the module's rule). Units are never deleted: a
    full sync takes the missing ones out of use."""
    _check_body(records, full, run)
    return atomic_retrying(lambda: _sync_org_units(actor, records, full, run, client))


def _sync_org_units(actor, records: list, full: bool, run: str | None, client) -> SyncResult:
    result = SyncResult()
    present = [
        r.get("code", r.get("external_id"))
        for r in records
        if isinstance(r, dict) and valid_key(r.get("code", r.get("external_id")))
    ]
    parsed: dict[str, UnitRecord] = {}
    for index, raw in enumerate(records):
        try:
            record = _unit_record(index, raw)
        except RecordErrors as exc:
            key = raw.get("code", raw.get("external_id")) if isinstance(raw, dict) else None
            result.error(index, key, exc.errors)
            continue
        if record.code in parsed:
            result.error(index, record.code, {"code": [_("This code is in the batch twice.")]})
            continue
        parsed[record.code] = record
    units = {u.code: u for u in OrgUnit.objects.all()}
    by_path = {u.path: u for u in units.values()}
    for record in parsed.values():
        # A unit sent without "parent" stays where it is (as a person's left-out fields keep their value).
        if not record.parent_given and record.code in units:
            unit = units[record.code]
            parent = by_path.get(unit.path[: -OrgUnit.steplen]) if unit.depth > 1 else None
            record.parent = parent.code if parent else None

    # Parents: known, or a valid record of this batch; no cycles.
    def parent_code_of(code: str) -> str | None:
        if code in parsed:
            return parsed[code].parent
        unit = units.get(code)
        if unit is None or unit.depth == 1:
            return None
        parent = by_path.get(unit.path[: -OrgUnit.steplen])
        return parent.code if parent else None

    def final_depth(code: str) -> int | str:
        """Where the record puts the unit (1: the top), or "cycle" / "deep"; walks at most MAX_UNIT_DEPTH."""
        steps, cursor, seen = 1, parsed[code].parent, {code}
        while cursor is not None:
            if cursor in seen:
                return "cycle"
            if cursor not in parsed and cursor not in units:
                return "missing"  # an invalid record of this batch
            seen.add(cursor)
            steps += 1
            if steps > MAX_UNIT_DEPTH:
                return "deep"
            cursor = parent_code_of(cursor)  # the batch's parent, else the unit's current one
        return steps

    problems = {
        "missing": _("No unit has this code (nor a valid record of this batch)."),
        "cycle": _("This parent would put the unit below itself."),
        "deep": _("This parent would put the unit more than %(n)d levels deep.") % {"n": MAX_UNIT_DEPTH},
    }
    depths: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        depths.clear()
        for code, record in list(parsed.items()):
            if record.parent is not None and record.parent not in parsed and record.parent not in units:
                problem = "missing"
            else:
                depth = final_depth(code)
                problem = depth if isinstance(depth, str) else None
                if problem is None:
                    depths[code] = depth
            if problem:
                del parsed[code]
                result.error(record.index, code, {"parent": [problems[problem]]})
                changed = True

    def apply(code: str) -> None:
        record = parsed[code]
        parent = units.get(record.parent) if record.parent is not None else None
        unit = units.get(code)
        if unit is None:
            unit = org_unit_create(actor=actor, code=code, name=record.name, kind=record.kind, parent=parent)
            if record.is_active is False:
                unit = org_unit_update(actor=actor, unit=unit, is_active=False)
            units[code] = unit
            result.created += 1
            return
        fields = {"name": record.name, "kind": record.kind}
        if record.is_active is not None:
            fields["is_active"] = record.is_active
        differs = any(getattr(unit, k) != v for k, v in fields.items())
        moved = parent_code_of_unit(unit) != record.parent
        if not differs and not moved:
            result.unchanged += 1
            return
        if differs:
            unit = org_unit_update(actor=actor, unit=unit, **fields)
        if moved:
            unit = org_unit_move(actor=actor, unit=unit, parent=parent)
        units[code] = unit
        result.updated += 1

    def parent_code_of_unit(unit: OrgUnit) -> str | None:
        unit = OrgUnit.objects.get(pk=unit.pk)  # paths change as units move
        if unit.depth == 1:
            return None
        parent = OrgUnit.objects.filter(path=unit.path[: -OrgUnit.steplen]).values_list("code", flat=True).first()
        return parent

    # Parents first: in the order of the depth each record puts its unit at. Each in a savepoint, so a
    # unit the tree cannot take is that record's error.
    for code in sorted(parsed, key=lambda c: depths[c]):
        try:
            with transaction.atomic():
                apply(code)
        except ValidationError as exc:
            result.error(parsed[code].index, code, _messages(exc))
        except PathOverflow:
            result.error(parsed[code].index, code, {"parent": [problems["deep"]]})

    seen = _run_keys(client, Stream.ORG_UNITS, run, present, full) if (full or run) else None
    if full and seen is not None:
        for unit in OrgUnit.objects.filter(is_active=True).exclude(code__in=seen).order_by("path"):
            org_unit_update(actor=actor, unit=unit, is_active=False)
            result.deactivated += 1
    return result


def org_unit_move(*, actor, unit: OrgUnit, parent: OrgUnit | None) -> OrgUnit:
    """Put a unit (and everything below it) under another parent, or at the top."""
    unit = OrgUnit.objects.get(pk=unit.pk)
    old_parent = OrgUnit.objects.get_parent(unit)
    height = (
        OrgUnit.objects.filter(path__startswith=unit.path).aggregate(d=Max("depth"))["d"] or unit.depth
    ) - unit.depth
    if parent is not None:
        parent = OrgUnit.objects.get(pk=parent.pk)
        if parent.path.startswith(unit.path):
            raise ValidationError({"parent": [_("This parent would put the unit below itself.")]})
        if parent.depth + 1 + height > MAX_UNIT_DEPTH:
            raise ValidationError(
                {"parent": [_("This parent would put the unit more than %(n)d levels deep.") % {"n": MAX_UNIT_DEPTH}]}
            )
        OrgUnit.objects.move(unit, parent, pos="sorted-child")
    else:
        root = OrgUnit.objects.get_first_root_node()
        OrgUnit.objects.move(unit, root, pos="sorted-sibling")
    unit = OrgUnit.objects.get(pk=unit.pk)
    OrgUnit.objects.filter(pk=unit.pk).update(updated_at=timezone.now())
    unit.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=unit,
        changes={"parent": [old_parent.code if old_parent else None, parent.code if parent else None]},
    )
    changes.record_many([changes.unit_line(unit, parent_code=parent.code if parent else None)])
    return unit


def purge_expired(now=None) -> int:
    """Drop idempotency keys past their time and runs of a full sync past theirs (an hourly task)."""
    now = now or timezone.now()
    keys, _ = IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    # A run is refused once its first call is SYNC_RUN_HOURS old; its parts go a day after that.
    cutoff = now - timedelta(hours=settings.SYNC_RUN_HOURS + 24)
    stale = SyncRunPart.objects.filter(created_at__lte=cutoff).values_list("client_id", "stream", "run").distinct()
    runs = 0
    for client_id, stream, run in list(stale):
        deleted, _ = SyncRunPart.objects.filter(client_id=client_id, stream=stream, run=run).delete()
        runs += deleted
    return keys + runs


# --- One record at a time: PUT / PATCH with If-Match ------------------------------------------------


def _record_errors(exc: RecordErrors) -> ValidationError:
    return ValidationError(exc.errors)


def person_put(*, actor, external_id: str, raw, if_match: str | None = None, partial: bool = False):
    """Create or change one person from an HR record (PUT: the bulk endpoint's record; PATCH: only the
    fields given). ``If-Match`` is checked on the locked row. Returns ``(person, created)``. Two PUTs
    creating the same new person at once: the second finds the first's row and applies as a change."""
    try:
        return _person_put(actor, external_id, raw, if_match, partial)
    except _CreatedMeanwhile:
        return _person_put(actor, external_id, raw, if_match, partial)


class _CreatedMeanwhile(Exception):
    pass


def _person_put(actor, external_id: str, raw, if_match: str | None, partial: bool):
    if not valid_key(external_id):
        raise ValidationError({"external_id": [_("Not an external ID: at most 64 characters of text.")]})
    if not isinstance(raw, dict):
        raise ValidationError({"record": [_("Give an object.")]})
    if "external_id" in raw and raw["external_id"] != external_id:
        raise ValidationError({"external_id": [_("The external ID is the one in the path; it cannot change.")]})
    with transaction.atomic():
        person = Person.objects.select_for_update(of=("self",)).filter(external_id=external_id).first()
        etags.check(if_match, person)
        if partial:
            if person is None:
                raise Person.DoesNotExist
            current = _current_record(person)
            if "left_on" not in raw:
                current.pop("left_on")  # the status decides, as in the bulk sync (someone back: none)
            raw = {**current, **raw}
        units = UnitKeys(OrgUnit.objects.values_list("code", "id"))
        try:
            record = _person_record(0, {**raw, "external_id": external_id}, units)
        except RecordErrors as exc:
            raise _record_errors(exc) from None
        values = {k: v for k, v in record.values.items() if k != "unit_id"}
        values["unit"] = OrgUnit.objects.get(pk=record.values["unit_id"])
        if record.manager_given:
            manager = None
            if record.manager_key:
                manager = Person.objects.filter(external_id=record.manager_key).first()
                if manager is None:
                    raise ValidationError({"manager": [_("No person has this external ID.")]})
            values["manager"] = manager
        try:
            with transaction.atomic():
                if person is None:
                    if values.get("status") == Person.Status.LEFT and not values.get("left_on"):
                        values["left_on"] = timezone.localdate()
                    full_name = values.pop("full_name")
                    unit = values.pop("unit")
                    return person_create(
                        actor=actor, external_id=external_id, full_name=full_name, unit=unit, **values
                    ), True
                return person_update(actor=actor, person=person, **values), False
        except IntegrityError:
            taken = {
                name: [_("Another person already has this user ID.")]
                for name in ("wecom_user_id", "dingtalk_user_id")
                if values.get(name)
                and Person.objects.exclude(external_id=external_id).filter(**{name: values[name]}).exists()
            }
            if taken:
                raise ValidationError(taken) from None
            if person is None and Person.objects.filter(external_id=external_id).exists():
                raise _CreatedMeanwhile from None
            raise
        except ValidationError as exc:
            # The model's own uniqueness check saw another PUT's new person first: apply as a change.
            created_meanwhile = hasattr(exc, "error_dict") and "external_id" in exc.error_dict
            if person is None and created_meanwhile and Person.objects.filter(external_id=external_id).exists():
                raise _CreatedMeanwhile from None
            raise


def _current_record(person: Person) -> dict[str, Any]:
    unit_code = OrgUnit.objects.filter(pk=person.unit_id).values_list("code", flat=True).first()
    manager = (
        Person.objects.filter(pk=person.manager_id).values_list("external_id", flat=True).first()
        if person.manager_id
        else None
    )
    data = changes.person_data(person, unit_code=unit_code, manager_external_id=manager)
    data.pop("updated_at")
    return data


def org_unit_put(*, actor, unit: OrgUnit, raw, if_match: str | None = None, partial: bool = False) -> OrgUnit:
    """Change one unit (name, kind, in use, parent by code). ``If-Match`` is checked on the locked row."""
    if not isinstance(raw, dict):
        raise ValidationError({"record": [_("Give an object.")]})
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        etags.check(if_match, unit)
        parent = OrgUnit.objects.get_parent(unit)
        current = {"code": unit.code, "name": unit.name, "kind": unit.kind, "is_active": unit.is_active}
        current["parent"] = parent.code if parent else None
        merged = {**current, **raw} if partial else {"code": unit.code, "parent": current["parent"], **raw}
        try:
            record = _unit_record(0, merged)
        except RecordErrors as exc:
            raise _record_errors(exc) from None
        if record.code != unit.code:
            raise ValidationError({"code": [_("A unit's code is its key in the HR system; it cannot change here.")]})
        new_parent = None
        if record.parent is not None:
            new_parent = OrgUnit.objects.filter(code=record.parent).first()
            if new_parent is None:
                raise ValidationError({"parent": [_("No unit has this code.")]})
        fields = {"name": record.name, "kind": record.kind}
        if record.is_active is not None:
            fields["is_active"] = record.is_active
        unit = org_unit_update(actor=actor, unit=unit, **fields)
        if (parent.code if parent else None) != record.parent:
            unit = org_unit_move(actor=actor, unit=unit, parent=new_parent)
        return unit
