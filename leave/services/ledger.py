"""The ledger's arithmetic: lots, what is left of them, and drawing on them earliest use-by first.

A balance is the sum of a person's lines for a type (annual leave: per leave year; time off in lieu:
all years). Every write here appends; nothing is updated (``LeaveLedgerEntry.save`` refuses)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from leave.models import LeaveLedgerEntry, LeaveType, LeaveYearTotal
from wellbeing.actors import user_of

Kind = LeaveLedgerEntry.Kind
ZERO = Decimal(0)


def scope_q(leave_type: LeaveType, year: int | None) -> Q:
    """The lines one balance sums: annual leave per year, time off in lieu across years."""
    q = Q(leave_type=leave_type)
    if year is not None and leave_type.category != LeaveType.Category.IN_LIEU:
        q &= Q(year=year)
    return q


def balance(person, leave_type: LeaveType, year: int | None) -> Decimal:
    total = LeaveLedgerEntry.objects.filter(scope_q(leave_type, year), person=person).aggregate(s=Sum("days"))["s"]
    return total or ZERO


def open_lots(
    person, leave_type: LeaveType, year: int | None, *, on: date | None = None
) -> list[tuple[LeaveLedgerEntry, Decimal]]:
    """The lots with days left, earliest use-by first (then oldest), with what is left of each. A lot
    past its use-by date on ``on`` is left out (it expires, it cannot be drawn on)."""
    lots = list(
        LeaveLedgerEntry.objects.filter(
            scope_q(leave_type, year), person=person, kind__in=LeaveLedgerEntry.LOT_KINDS, lot__isnull=True, days__gt=0
        )
    )
    if not lots:
        return []
    drawn = dict(
        LeaveLedgerEntry.objects.filter(lot__in=lots).values_list("lot").annotate(s=Sum("days")).values_list("lot", "s")
    )
    rows = []
    for lot in lots:
        left = lot.days + (drawn.get(lot.pk) or ZERO)
        if left <= 0:
            continue
        if on is not None and lot.expires_on is not None and lot.expires_on < on:
            continue
        rows.append((lot, left))
    rows.sort(key=lambda row: (row[0].expires_on or date.max, row[0].effective_on, row[0].pk))
    return rows


def lot_left(lot: LeaveLedgerEntry) -> Decimal:
    drawn = LeaveLedgerEntry.objects.filter(lot=lot).aggregate(s=Sum("days"))["s"] or ZERO
    return lot.days + drawn


def append(
    *, actor, person, leave_type: LeaveType, year: int, kind: str, days: Decimal, effective_on: date, **fields
) -> LeaveLedgerEntry:
    user = user_of(actor)
    return LeaveLedgerEntry.objects.create(
        person=person,
        leave_type=leave_type,
        year=year,
        kind=kind,
        days=days,
        effective_on=effective_on,
        created_by=user,
        created_label="" if user is not None else actor.get_username()[:150],
        **fields,
    )


def draw(
    *,
    actor,
    person,
    leave_type: LeaveType,
    year: int | None,
    days: Decimal,
    kind: str,
    effective_on: date,
    entry_year: int,
    valid_on: date | None = None,
    **fields,
) -> list[LeaveLedgerEntry]:
    """Use ``days`` from the open lots, earliest use-by first: one line per lot drawn on; a lot must
    still be good on ``valid_on`` (the leave's last day). Refuses (nothing written) when the lots do
    not hold enough."""
    lines = []
    need = days
    for lot, left in open_lots(person, leave_type, year, on=valid_on or effective_on):
        if need <= 0:
            break
        part = min(left, need)
        lines.append((lot, part))
        need -= part
    if need > 0:
        raise ValidationError(
            {"days": [_("Not enough days left: %(short)s more than the balance.") % {"short": fmt_days(need)}]}
        )
    return [
        append(
            actor=actor,
            person=person,
            leave_type=leave_type,
            year=entry_year,
            kind=kind,
            days=-part,
            effective_on=effective_on,
            lot=lot,
            **fields,
        )
        for lot, part in lines
    ]


# --- The yearly totals (``LeaveYearTotal``): derived from the lines, for the HR report ---------------

GRANTED_KINDS, TAKEN_KINDS, TOTAL_COLUMNS = (
    LeaveYearTotal.GRANTED_KINDS,
    LeaveYearTotal.TAKEN_KINDS,
    LeaveYearTotal.COLUMNS,
)


def _summed(lines):
    """The lines summed per person, type and year, as the totals hold them."""

    def total(**filter_q):
        return Coalesce(
            Sum("days", filter=Q(**filter_q) if filter_q else None),
            Value(ZERO),
            output_field=DecimalField(max_digits=9, decimal_places=1),
        )

    return (
        lines.order_by()
        .values("person_id", "leave_type_id", "year")
        .annotate(
            granted=total(kind__in=GRANTED_KINDS),
            taken=-total(kind__in=TAKEN_KINDS),
            accrued=total(kind=Kind.ACCRUED),
            balance=total(),
            lines=Count("pk"),
        )
    )


def rebuild_totals(person_ids=None) -> int:
    """Recomputes the yearly totals from the ledger (of ``person_ids``, or everyone's): after lines
    were bulk-loaded without ``append`` (the demo, a benchmark), or to repair. Returns the rows
    written. One ``DELETE`` and one ``INSERT ... SELECT``, in a transaction."""
    totals = LeaveYearTotal.objects.all()
    lines = LeaveLedgerEntry.objects.all()
    if person_ids is not None:
        person_ids = list(person_ids)
        totals, lines = totals.filter(person_id__in=person_ids), lines.filter(person_id__in=person_ids)
    sql, params = _summed(lines).query.sql_with_params()
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in ("person_id", "leave_type_id", "year", *TOTAL_COLUMNS))
    with transaction.atomic():
        totals.delete()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {qn(LeaveYearTotal._meta.db_table)} ({columns}) {sql}", params)
            return cursor.rowcount


def total_mismatches(person_ids=None, limit: int = 20) -> list[tuple]:
    """Where the totals differ from the ledger: ``(person_id, leave_type_id, year, held, summed)``
    for at most ``limit`` keys (``held`` or ``summed`` None when the row is missing on one side).
    Empty when they agree, which every service write keeps true."""
    totals = LeaveYearTotal.objects.all()
    lines = LeaveLedgerEntry.objects.all()
    if person_ids is not None:
        totals, lines = totals.filter(person_id__in=person_ids), lines.filter(person_id__in=person_ids)
    held = {
        (r[0], r[1], r[2]): tuple(r[3:])
        for r in totals.values_list("person_id", "leave_type_id", "year", *TOTAL_COLUMNS).iterator(chunk_size=5000)
    }
    wrong = []
    for row in _summed(lines).iterator(chunk_size=5000):
        key = (row["person_id"], row["leave_type_id"], row["year"])
        summed = tuple(Decimal(row[c]) if c != "lines" else row[c] for c in TOTAL_COLUMNS)
        got = held.pop(key, None)
        if got is None or tuple(Decimal(v) if not isinstance(v, int) else v for v in got) != summed:
            wrong.append((*key, got, summed))
    wrong.extend((*key, got, None) for key, got in held.items())
    return wrong[:limit]


def fmt_days(days: Decimal) -> str:
    return f"{days.normalize():f}"
