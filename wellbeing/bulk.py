"""Writing many rows at once, for the HR sync's batches of 5,000.

On PostgreSQL new rows go in with ``COPY`` and changed rows with one ``UPDATE ... FROM unnest(...)``:
both are one statement per batch with the values sent as data, where Django's ``bulk_create`` /
``bulk_update`` build a query with a placeholder (and, for updates, a ``CASE WHEN``) per value -
ten to twenty times slower at this size (docs/performance.md, "HR sync"). Elsewhere (SQLite) they
fall back to Django's own bulk methods.

Neither sends model signals nor runs ``save()``: callers write the audit rows and change-feed lines
themselves, in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _column(model: type[models.Model], name: str) -> models.Field:
    return model._meta.get_field(name)  # a field's name or attname (``unit`` or ``unit_id``)


def _as_json(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if value is not None else None


def copy_insert(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in the order of ``names``, attnames such as ``unit_id``) into the
    model's table. Defaults and ``auto_now`` are not applied: give every column that needs a value."""
    rows = list(rows)
    if not rows:
        return 0
    fields = [_column(model, name) for name in names]
    if not _is_postgres():
        model._default_manager.bulk_create(
            [model(**{f.attname: v for f, v in zip(fields, row, strict=True)}) for row in rows], batch_size=2000
        )
        return len(rows)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    jsons = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    # wrap_database_errors: psycopg's errors become Django's (a unique violation an IntegrityError).
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            if jsons:
                row = list(row)
                for i in jsons:
                    row[i] = _as_json(row[i])
            copy.write_row(row)
    return len(rows)


def unnest_update(model: type[models.Model], names: Sequence[str], objs: Sequence[Any]) -> int:
    """Write the columns ``names`` of ``objs`` (by primary key; model instances or any objects with
    ``pk`` and the columns' attributes) in one statement."""
    if not objs:
        return 0
    fields = [_column(model, name) for name in names]
    if not _is_postgres():
        # ``objs`` may be any objects with the attributes (the HR sync passes the stored rows).
        rows = [model(pk=obj.pk, **{f.attname: getattr(obj, f.attname) for f in fields}) for obj in objs]
        model._default_manager.bulk_update(rows, [f.name for f in fields], batch_size=1000)
        return len(objs)
    pk = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = [connection.ops.quote_name(f.column) for f in fields]
    arrays = [f"%s::{pk.rel_db_type(connection)}[]"]
    arrays += [f"%s::{f.db_type(connection)}[]" for f in fields]
    assignments = ", ".join(f"{col} = v.{col}" for col in quoted)
    sql = (
        f"UPDATE {table} AS t SET {assignments} "
        f"FROM unnest({', '.join(arrays)}) AS v({connection.ops.quote_name(pk.column)}, {', '.join(quoted)}) "
        f"WHERE t.{connection.ops.quote_name(pk.column)} = v.{connection.ops.quote_name(pk.column)}"
    )
    params = [[obj.pk for obj in objs]]
    params += [[f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs] for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
