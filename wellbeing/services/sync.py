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
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing.audit import audit_records
from wellbeing.models import AuditEvent, ChangeEntry, OrgUnit, Person, SyncRunPart
from wellbeing.models.org import WORK_USER_ID_VALIDATOR, name_to_pinyin
from wellbeing.services import changes
from wellbeing.services.people import org_unit_create, org_unit_update, person_update

Stream = ChangeEntry.Stream

#: Fields the feed and the people API show that a record may carry back unchanged (they are ignored).
READ_ONLY = frozenset({"updated_at", "created_at", "unit_code", "unit_name"})
PERSON_TEXT = {"full_name": 100, "position": 120, "phone": 32}
PERSON_DATES = ("date_of_birth", "work_start_date", "hire_date", "left_on")
PERSON_FIELDS = (
    "full_name",
    "gender",
    "date_of_birth",
    "work_start_date",
    "hire_date",
    "unit",
    "manager",
    "position",
    "status",
    "left_on",
    "email",
    "phone",
    "wecom_user_id",
    "dingtalk_user_id",
)
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
        answer = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "errors": self.errors}
        return answer

    def error(self, index: int, key: Any, errors: dict[str, list[str]]) -> None:
        self.errors.append({"index": index, "external_id": key if isinstance(key, str) else None, "errors": errors})


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
    return value


def _key(value, name: str, errors: dict) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors[name] = [_("Give the record's key (a non-empty string).")]
        return None
    if len(value) > KEY_MAX or "\x00" in value or value != value.strip():
        errors[name] = [_("A key is at most 64 characters, without surrounding spaces or null characters.")]
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


def _choice(value, name: str, choices, errors: dict) -> str:
    if value not in choices.values:
        errors[name] = [_("Give one of: %(choices)s.") % {"choices": ", ".join(choices.values)}]
    return value


def _unknown(record: dict, allowed: set[str], errors: dict) -> None:
    for name in record:
        if name not in allowed and name not in READ_ONLY:
            errors[str(name)[:64]] = [_("Unknown field.")]


def _check_body(records, full, run) -> None:
    from django.conf import settings

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
    if run is not None and (not isinstance(run, str) or not 1 <= len(run) <= 64 or "\x00" in run):
        errors["run"] = [_("Give the run's id: 1 to 64 characters, or null.")]
    if errors:
        raise ValidationError(errors)


# --- People --------------------------------------------------------------------------------------------


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
    unit_code = raw.get("unit")
    if not isinstance(unit_code, str) or unit_code not in units:
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
    """Record this call's keys under its run; on the closing call, the keys of the whole run."""
    if run is None:
        return set(keys) if full else None
    SyncRunPart.objects.create(client=client, stream=stream, run=run, keys=keys)
    if not full:
        return None
    seen: set[str] = set()
    parts = SyncRunPart.objects.filter(client=client, stream=stream, run=run)
    for part_keys in parts.values_list("keys", flat=True):
        seen.update(part_keys)
    parts.delete()
    return seen


def _atomic_retrying(apply):
    """Apply a call in one transaction; a unique key another call took a moment earlier is a retry."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return apply()
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def sync_people(*, actor, records, full: bool = False, run: str | None = None, client=None) -> SyncResult:
    """Create or update people by external ID (see the module's rule). ``client`` (the API client)
    keeps the run of a multi-call full sync."""
    _check_body(records, full, run)
    return _atomic_retrying(lambda: _sync_people(actor, records, full, run, client))


def _sync_people(actor, records: list, full: bool, run: str | None, client) -> SyncResult:
    result = SyncResult()
    units = dict(OrgUnit.objects.values_list("code", "id"))
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
    existing = {p.external_id: p for p in Person.objects.filter(external_id__in=keys)}
    manager_keys = {r.manager_key for r in parsed.values() if r.manager_key}
    known_managers = dict(
        Person.objects.filter(external_id__in=manager_keys - set(parsed)).values_list("external_id", "id")
    )
    known_managers.update({k: p.pk for k, p in existing.items()})
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
    creates: list[tuple[PersonRecord, Person]] = []
    bulk_updates: list[tuple[PersonRecord, Person, dict[str, list]]] = []
    slow_updates: list[tuple[PersonRecord, Person]] = []
    for key, record in parsed.items():
        person = existing.get(key)
        values = record.values
        if person is None:
            new = Person(external_id=key, **{k: v for k, v in values.items() if k != "manager"})
            if new.status == Person.Status.LEFT and new.left_on is None:
                new.left_on = today
            if record.manager_key and record.manager_key in known_managers:
                new.manager_id = known_managers[record.manager_key]
            new.name_pinyin = name_to_pinyin(new.full_name)
            new.created_at = new.updated_at = now
            creates.append((record, new))
            continue
        diffs = {}
        for name, value in values.items():
            old = getattr(person, name)
            if old != value:
                diffs[name] = [old, value]
        if record.manager_given:
            wanted = record.manager_key
            current = person.manager_id
            if wanted is None and current is not None:
                diffs["manager"] = [current, None]
            elif wanted is not None and wanted in known_managers and known_managers[wanted] != current:
                diffs["manager"] = [current, known_managers[wanted]]
            elif wanted is not None and wanted not in known_managers:
                diffs["manager"] = [current, wanted]  # a manager created by this batch
        if not diffs:
            result.unchanged += 1
            continue
        if {"status", "unit_id", "manager"} & set(diffs):
            slow_updates.append((record, person))
        else:
            bulk_updates.append((record, person, diffs))

    # 1. New people (their managers, when also new, are set once everyone exists).
    Person.objects.bulk_create([p for _, p in creates], batch_size=2000)
    created_ids = {p.external_id: p.pk for _, p in creates}
    known_managers.update(created_ids)
    late_managers = []
    for record, person in creates:
        if record.manager_key and person.manager_id is None:
            person.manager_id = known_managers[record.manager_key]
            late_managers.append(person)
    if late_managers:
        Person.objects.bulk_update(late_managers, ["manager"], batch_size=2000)
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
    if to_save:
        Person.objects.bulk_update(to_save, sorted(fields), batch_size=1000)
    # 3. Leaving, moving, a new manager, coming back: through the lifecycle service, one by one.
    for record, person in slow_updates:
        values = {k: v for k, v in record.values.items() if k != "unit_id"}
        if "unit_id" in record.values:
            values["unit"] = OrgUnit.objects.get(pk=record.values["unit_id"])
        if record.manager_given:
            values["manager"] = (
                Person.objects.get(pk=known_managers[record.manager_key]) if record.manager_key else None
            )
        person_update(actor=actor, person=person, **values)
    result.updated = len(bulk_updates) + len(slow_updates)

    # Audit and change feed for the bulk writes (person_update does its own).
    manager_ext = {pk: key for key, pk in known_managers.items()}
    audit_records(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        rows=[(p, {"external_id": [None, p.external_id], "full_name": [None, p.full_name]}) for _, p in creates],
    )
    audit_records(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        rows=[(p, _audit_diff(diffs)) for _, p, diffs in bulk_updates],
    )
    changes.record_many(
        changes.person_line(p, unit_code=unit_codes[p.unit_id], manager_external_id=manager_ext.get(p.manager_id))
        for p in [*(p for _, p in creates), *to_save]
    )

    seen = _run_keys(client, Stream.PEOPLE, run, keys, full) if (full or run) else None
    if full and seen is not None:
        result.marked_left = _mark_missing_left(actor, seen)
    return result


def _audit_diff(diffs: dict[str, list]) -> dict[str, list]:
    out = {}
    for name, (old, new) in diffs.items():
        label = "unit" if name == "unit_id" else name
        out[label] = [
            old.isoformat() if isinstance(old, date) else old,
            new.isoformat() if isinstance(new, date) else new,
        ]
    return out


def _check_work_ids(parsed: dict[str, PersonRecord], existing: dict[str, Person], result: SyncResult) -> None:
    for name in ("wecom_user_id", "dingtalk_user_id"):
        wanted: dict[str, list[str]] = {}
        for key, record in parsed.items():
            value = record.values.get(name)
            if value:
                wanted.setdefault(value, []).append(key)
        if not wanted:
            continue
        holders = dict(Person.objects.filter(**{f"{name}__in": list(wanted)}).values_list(name, "external_id"))
        for value, keys in wanted.items():
            holder = holders.get(value)
            clash = len(keys) > 1 or (holder is not None and holder != keys[0])
            if not clash:
                continue
            # The holder keeps it when it is not giving it up in this batch.
            for key in keys:
                if holder == key:
                    continue
                record = parsed.pop(key, None)
                if record is not None:
                    result.error(record.index, key, {name: [_("Another person already has this user ID.")]})


def _mark_missing_left(actor, seen: set[str]) -> int:
    count = 0
    for person in Person.objects.active().exclude(external_id__in=seen).order_by("pk").iterator():
        person_update(actor=actor, person=person, status=Person.Status.LEFT)
        count += 1
    return count


# --- Org units -----------------------------------------------------------------------------------------

UNIT_FIELDS = ("code", "external_id", "name", "kind", "parent", "is_active")


@dataclass
class UnitRecord:
    index: int
    code: str
    name: str
    kind: str
    parent: str | None
    is_active: bool | None


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
    return UnitRecord(index=index, code=code or "", name=name, kind=kind, parent=parent, is_active=is_active)


def sync_org_units(*, actor, records, full: bool = False, run: str | None = None, client=None) -> SyncResult:
    """Create, update or move org units by code (see the module's rule). Units are never deleted: a
    full sync takes the missing ones out of use."""
    _check_body(records, full, run)
    return _atomic_retrying(lambda: _sync_org_units(actor, records, full, run, client))


def _sync_org_units(actor, records: list, full: bool, run: str | None, client) -> SyncResult:
    result = SyncResult()
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

    # Parents: known, or a valid record of this batch; no cycles.
    def parent_code_of(code: str) -> str | None:
        if code in parsed:
            return parsed[code].parent
        unit = units.get(code)
        if unit is None or unit.depth == 1:
            return None
        parent = by_path.get(unit.path[: -OrgUnit.steplen])
        return parent.code if parent else None

    changed = True
    while changed:
        changed = False
        for code, record in list(parsed.items()):
            problem = None
            if record.parent is not None and record.parent not in parsed and record.parent not in units:
                problem = _("No unit has this code (nor a valid record of this batch).")
            else:
                seen, cursor = {code}, record.parent
                while cursor is not None:
                    if cursor in seen:
                        problem = _("This parent would put the unit below itself.")
                        break
                    seen.add(cursor)
                    cursor = parent_code_of(cursor)
            if problem:
                del parsed[code]
                result.error(record.index, code, {"parent": [problem]})
                changed = True

    # Apply parents first.
    done: set[str] = set()

    def apply(code: str) -> None:
        if code in done:
            return
        done.add(code)
        record = parsed[code]
        if record.parent is not None and record.parent in parsed:
            apply(record.parent)
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

    for code in list(parsed):
        apply(code)

    seen = _run_keys(client, Stream.ORG_UNITS, run, list(parsed), full) if (full or run) else None
    if full and seen is not None:
        for unit in OrgUnit.objects.filter(is_active=True).exclude(code__in=seen).order_by("path"):
            org_unit_update(actor=actor, unit=unit, is_active=False)
            result.deactivated += 1
    return result


def org_unit_move(*, actor, unit: OrgUnit, parent: OrgUnit | None) -> OrgUnit:
    """Put a unit (and everything below it) under another parent, or at the top."""
    unit = OrgUnit.objects.get(pk=unit.pk)
    old_parent = unit.get_parent()
    if parent is not None:
        parent = OrgUnit.objects.get(pk=parent.pk)
        if parent.path.startswith(unit.path):
            raise ValidationError({"parent": [_("This parent would put the unit below itself.")]})
        unit.move(parent, pos="sorted-child")
    else:
        root = OrgUnit.get_first_root_node()
        unit.move(root, pos="sorted-sibling")
    unit = OrgUnit.objects.get(pk=unit.pk)
    OrgUnit.objects.filter(pk=unit.pk).update(updated_at=timezone.now())
    unit.refresh_from_db()
    from wellbeing.audit import audit_record

    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=unit,
        changes={"parent": [old_parent.code if old_parent else None, parent.code if parent else None]},
    )
    changes.record_many([changes.unit_line(unit, parent_code=parent.code if parent else None)])
    return unit


def purge_expired(now=None) -> int:
    """Drop idempotency keys past their time and runs of a full sync never closed (a daily task)."""
    from wellbeing.models import IdempotencyKey

    now = now or timezone.now()
    keys, _ = IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    runs, _ = SyncRunPart.objects.filter(created_at__lte=now - timedelta(days=1)).delete()
    return keys + runs


# --- One record at a time: PUT / PATCH with If-Match ------------------------------------------------


def _record_errors(exc: RecordErrors) -> ValidationError:
    return ValidationError(exc.errors)


def person_put(*, actor, external_id: str, raw, if_match: str | None = None, partial: bool = False):
    """Create or change one person from an HR record (PUT: the bulk endpoint's record; PATCH: only the
    fields given). ``If-Match`` is checked on the locked row. Returns ``(person, created)``."""
    from wellbeing import etags
    from wellbeing.services.people import person_create

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
            raw = {**current, **raw}
        units = dict(OrgUnit.objects.values_list("code", "id"))
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
            if not taken:
                raise
            raise ValidationError(taken) from None


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
    from wellbeing import etags

    if not isinstance(raw, dict):
        raise ValidationError({"record": [_("Give an object.")]})
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        etags.check(if_match, unit)
        parent = unit.get_parent()
        current = {"code": unit.code, "name": unit.name, "kind": unit.kind, "is_active": unit.is_active}
        current["parent"] = parent.code if parent else None
        merged = {**current, **raw} if partial else {"code": unit.code, **raw}
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
