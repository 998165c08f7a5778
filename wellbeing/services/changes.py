"""Writing the change feed: one line per record changed, in the writer's transaction.

Services and receivers call ``record`` (or ``record_many`` for a batch) with the record's stream,
type, key and the data an HR system may see - never sensitive free text. On PostgreSQL each line
carries the writing transaction's id, which is what lets the feed serve lines committed out of
order (wellbeing/selectors_changes.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from wellbeing import bulk
from wellbeing.models import ChangeEntry

Stream = ChangeEntry.Stream
Op = ChangeEntry.Op


def current_txid() -> int:
    """The id of the transaction being written in (PostgreSQL; one is assigned if needed), else 0."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def record_many(lines: Iterable[tuple[str, str, str, str, dict[str, Any]]]) -> int:
    """Append ``(stream, type, key, op, data)`` lines. Call inside the transaction that made the change."""
    lines = list(lines)
    if not lines:
        return 0
    # The transaction id and the lines in one transaction, even when the caller runs in autocommit
    # (a shell's save()): a line must carry the id of the transaction that commits it.
    with transaction.atomic():
        return _insert(lines)


def _insert(lines) -> int:
    txid = current_txid()
    now = timezone.now()
    return bulk.copy_insert(
        ChangeEntry,
        ("txid", "stream", "type", "key", "op", "data", "created_at"),
        ((txid, s, t, k, o, d, now) for s, t, k, o, d in lines),
    )


def record(*, stream: str, type: str, key: str, data: dict[str, Any], op: str = Op.UPSERT) -> None:
    record_many([(stream, type, key, op, data)])


# --- What the feed shows of people and units (the same shape the sync endpoints take) ---------------
# (wellbeing/migrations/0020_change_feed_backfill.py writes the same shape for the rows that existed.)


def _iso(value):
    """Dates as YYYY-MM-DD; date-times in the organisation's zone, as the rest of the API shows them."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _local_iso(value, timezone.get_current_timezone_name())
    return value.isoformat()


@lru_cache(maxsize=256)
def _local_iso(value: datetime, zone: str) -> str:
    # A batch's rows share one updated_at: converted once, not 5,000 times (per zone in force).
    return timezone.localtime(value).isoformat()


#: The fields of a person the feed shows (``person_data``; ``unit`` and ``manager`` by their keys).
PERSON_FEED_FIELDS = (
    "external_id",
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


def person_data(person, *, unit_code: str, manager_external_id: str | None) -> dict[str, Any]:
    return {
        "external_id": person.external_id,
        "full_name": person.full_name,
        "gender": person.gender,
        "date_of_birth": _iso(person.date_of_birth),
        "work_start_date": _iso(person.work_start_date),
        "hire_date": _iso(person.hire_date),
        "unit": unit_code,
        "manager": manager_external_id,
        "position": person.position,
        "status": person.status,
        "left_on": _iso(person.left_on),
        "email": person.email,
        "phone": person.phone,
        "wecom_user_id": person.wecom_user_id,
        "dingtalk_user_id": person.dingtalk_user_id,
        "updated_at": _iso(person.updated_at),
    }


def person_line(person, *, unit_code: str, manager_external_id: str | None):
    op = Op.TOMBSTONE if person.status == "left" else Op.UPSERT
    data = person_data(person, unit_code=unit_code, manager_external_id=manager_external_id)
    return (Stream.PEOPLE, "person", person.external_id, op, data)


def unit_data(unit, *, parent_code: str | None) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": parent_code,
        "is_active": unit.is_active,
        "updated_at": _iso(unit.updated_at),
    }


def unit_line(unit, *, parent_code: str | None):
    op = Op.UPSERT if unit.is_active else Op.TOMBSTONE
    return (Stream.ORG_UNITS, "org_unit", unit.code, op, unit_data(unit, parent_code=parent_code))
