"""Reading the change feed (``GET /api/v1/changes/``): ordered, resumable, and never skipping a line
that a slower transaction commits late.

Lines are read in ``(txid, id)`` order from a cursor, the position of the last line read. On
PostgreSQL, ``txid`` is the writing transaction's id and the feed serves only lines whose transaction
is older than every transaction still running (``pg_snapshot_xmin(pg_current_snapshot())``): those
are committed (or rolled back) for good, and any line written later has a larger ``txid``. A
transaction that started first but commits last therefore holds the feed back until it commits, and
its lines are then read before the later ones - none is skipped. The price is that a long-running
transaction delays the feed (never loses it). On SQLite there is one writer at a time, so ids are
committed in order and ``txid`` is 0.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from wellbeing.models import ChangeEntry

MAX_LIMIT = 1000
PREFIX = "c1:"


def encode_cursor(txid: int, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{PREFIX}{txid}:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return (-1, 0)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not raw.startswith(PREFIX):
            raise ValueError
        txid, pk = raw[len(PREFIX) :].split(":")
        txid, pk = int(txid), int(pk)
        if txid < 0 or pk < 0 or txid > 2**62 or pk > 2**62:
            raise ValueError
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": [_("Not a cursor this feed gave out. Start again without one.")]}) from None
    return txid, pk


def horizon() -> int | None:
    """Lines with a txid below this are final (PostgreSQL); None: no bound needed (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return cursor.fetchone()[0]


@dataclass
class Page:
    lines: list[ChangeEntry]
    next_cursor: str
    has_more: bool


def changes_page(*, streams: list[str], cursor: str | None, limit: int) -> Page:
    txid, pk = decode_cursor(cursor)
    limit = max(1, min(limit, MAX_LIMIT))
    bound = horizon()
    rows = ChangeEntry.objects.filter(stream__in=streams).filter(Q(txid__gt=txid) | Q(txid=txid, id__gt=pk))
    if bound is not None:
        rows = rows.filter(txid__lt=bound)
    lines = list(rows.order_by("txid", "id")[: limit + 1])
    has_more = len(lines) > limit
    lines = lines[:limit]
    # Nothing new: the position stays where it was.
    next_cursor = encode_cursor(lines[-1].txid, lines[-1].id) if lines else cursor or ""
    return Page(lines=lines, next_cursor=next_cursor, has_more=has_more)
