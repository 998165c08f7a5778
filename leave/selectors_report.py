"""The HR officer's leave report (issue 11, item 7: "HR sees a report by unit (untaken days, weekend
work) with a chart"): per unit of the officer's units, annual leave entitled, taken and untaken in a
year, how many people have taken less than ``LEAVE_REST_MIN_SHARE`` of it, and the work on rest days
and nights that earned time off in lieu; and, for one unit, the same per person.

Only HR officers, for their units (rule ``leave.report``; scope ``policy.subtree_q`` over the units
they hold the role for): an administrator or a supervisor gets nothing here. People are grouped by
the unit they belong to (a town's own staff and each of its sections are separate rows), in the
tree's order; people who have left are not counted. Every figure is summed by the database (GROUP BY),
so the report runs the same five queries whatever the headcount (``bench/leave_report.py``).

Nothing clinical, and nothing about care leave: approved leave that began as a counsellor's
recommendation is ordinary annual leave here, counted like any other and never marked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from leave.models import LeaveLedgerEntry, LeaveType, OvertimeRecord
from wellbeing import policy
from wellbeing.models import OrgUnit, Person, Role

ZERO = Decimal(0)
Kind = LeaveLedgerEntry.Kind
ANNUAL = LeaveType.Category.ANNUAL
IN_LIEU = LeaveType.Category.IN_LIEU
#: Ledger kinds that make up the year's entitlement, and those that count as leave taken.
ENTITLED_KINDS = (Kind.ALLOCATION, Kind.CARRIED_IN)
TAKEN_KINDS = (Kind.TAKEN, Kind.CANCELLED)
DAYS_FIELD = DecimalField(max_digits=12, decimal_places=1)
#: The summed figures of a row.
FIGURES = (
    "entitled",
    "taken",
    "balance",
    "weekend_hours",
    "holiday_hours",
    "night_hours",
    "toil_accrued",
    "toil_unused",
)


def min_share() -> Decimal:
    return Decimal(str(settings.LEAVE_REST_MIN_SHARE))


def share_of(taken: Decimal, entitled: Decimal) -> Decimal | None:
    """Taken as a percentage of entitled (whole per cent), or None when nothing was entitled."""
    if entitled <= 0:
        return None
    return (taken * 100 / entitled).quantize(Decimal(1), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    """What the report shows for a unit or a person (days, except the hours worked)."""

    entitled: Decimal = ZERO
    taken: Decimal = ZERO
    balance: Decimal = ZERO
    weekend_hours: Decimal = ZERO
    holiday_hours: Decimal = ZERO
    night_hours: Decimal = ZERO
    toil_accrued: Decimal = ZERO
    toil_unused: Decimal = ZERO

    @property
    def untaken(self) -> Decimal:
        return self.entitled - self.taken

    @property
    def share(self) -> Decimal | None:
        return share_of(self.taken, self.entitled)

    @property
    def rest_day_hours(self) -> Decimal:
        return self.weekend_hours + self.holiday_hours + self.night_hours


@dataclass(frozen=True)
class UnitRow(Figures):
    unit_id: int = 0
    name: str = ""
    #: The unit's ancestors within the officer's units, outermost first ("城关镇" for a section of it).
    parents: tuple[str, ...] = ()
    depth: int = 0
    people: int = 0
    below_share: int = 0

    @property
    def label(self) -> str:
        return " / ".join((*self.parents, self.name))


@dataclass(frozen=True)
class PersonRow(Figures):
    person_id: int = 0
    name: str = ""
    external_id: str = ""

    @property
    def below_share(self) -> bool:
        return self.entitled > 0 and self.taken < self.entitled * min_share()


@dataclass(frozen=True)
class Report:
    year: int
    units: list[UnitRow]
    min_share: Decimal

    @property
    def total(self) -> UnitRow:
        """The officer's units together."""
        return UnitRow(
            **{name: sum((getattr(r, name) for r in self.units), ZERO) for name in FIGURES},
            people=sum(r.people for r in self.units),
            below_share=sum(r.below_share for r in self.units),
        )

    def unit(self, unit_id: int) -> UnitRow | None:
        return next((r for r in self.units if r.unit_id == unit_id), None)


def hr_units(principal) -> list[OrgUnit]:
    """The units the principal reads the report for: those they are HR officer of (none for anyone
    else, administrators included)."""
    if not policy.can(principal, "leave.report"):
        return []
    return policy.access_for(principal).units_for(Role.HR_OFFICER)


def _sum(expression, **filter_q) -> Coalesce:
    return Coalesce(Sum(expression, filter=Q(**filter_q) if filter_q else None), Value(ZERO), output_field=DAYS_FIELD)


def _active(prefix: str = "person__") -> Q:
    return ~Q(**{f"{prefix}status": Person.Status.LEFT})


def _types() -> dict[str, int]:
    """The ids of the annual-leave and time-off-in-lieu types (filtering the ledger by id, not through
    a join, lets PostgreSQL estimate the rows and use the ``(leave_type, year)`` index)."""
    return dict(LeaveType.objects.filter(category__in=[ANNUAL, IN_LIEU]).values_list("category", "pk"))


def _half_days(**filter_q) -> Coalesce:
    """A sum of days counted in half days, as an integer: every line is whole or half days (the
    services refuse anything else), and an integer sum is much cheaper for the database than a
    decimal one when it groups ten thousand people."""
    half_days = Cast(F("days") * 2, IntegerField())
    return Coalesce(Sum(half_days, filter=Q(**filter_q) if filter_q else None), Value(0), output_field=IntegerField())


def _annual(year: int, people: Q, types: dict[str, int]):
    """The year's annual-leave lines of the people, summed per person (in half days): what they were
    entitled to, took and have left, whether they took less than the share, and their unit."""
    return (
        LeaveLedgerEntry.objects.filter(people, _active(), leave_type_id=types.get(ANNUAL), year=year)
        .values("person")
        .annotate(
            unit=Min("person__unit"),  # grouped by the person alone: one unit each
            entitled=_half_days(kind__in=ENTITLED_KINDS),
            taken=ExpressionWrapper(-_half_days(kind__in=TAKEN_KINDS), output_field=IntegerField()),
            balance=_half_days(),
        )
        .annotate(
            below=Case(
                When(Q(entitled__gt=0) & Q(taken__lt=F("entitled") * Value(min_share())), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by()
    )


def _in_lieu(year: int, people: Q, group: str, types: dict[str, int]):
    """Time off in lieu, from its lots: the days accrued in the year, and the days people can still use
    today (lots not past their use-by date, less what was drawn on them, as ``ledger.open_lots``).

    Only lots carry a use-by date (a line drawing on a lot never has one: ``ledger.draw``), and every
    lot of time off in lieu has one (``overtime_decide``, ``ledger_adjust``); a lot accrued in the
    year is good until a day in the year or later. So both figures come from the lines with a use-by
    date from 1 January (or today, if earlier) on: the partial index on ``expires_on``, not every
    line of every year."""
    today = timezone.localdate()
    drawn = (
        LeaveLedgerEntry.objects.filter(lot=OuterRef("pk")).order_by().values("lot").annotate(s=Sum("days")).values("s")
    )
    open_lot = Q(expires_on__gte=today)
    return (
        LeaveLedgerEntry.objects.filter(
            people,
            _active(),
            leave_type_id=types.get(IN_LIEU),
            expires_on__gte=min(date(year, 1, 1), today),
        )
        # Only the lines either figure needs (this also keeps the planner's estimate, and so the cost
        # of the draws summed for each open lot, small: no JIT compilation for a report).
        .filter(Q(year=year, kind=Kind.ACCRUED) | open_lot)
        .values(group)
        .annotate(
            toil_accrued=_sum("days", year=year, kind=Kind.ACCRUED),
            toil_unused=Coalesce(
                Sum(
                    Case(
                        When(
                            open_lot, then=F("days") + Coalesce(Subquery(drawn, output_field=DAYS_FIELD), Value(ZERO))
                        ),
                        default=Value(ZERO),
                        output_field=DAYS_FIELD,
                    )
                ),
                Value(ZERO),
                output_field=DAYS_FIELD,
            ),
        )
        .order_by()
    )


def _overtime(year: int, people: Q, group: str):
    """Confirmed work on weekends, public holidays and nights in the year: hours of each."""
    return (
        OvertimeRecord.objects.filter(
            people,
            _active(),
            status=OvertimeRecord.Status.CONFIRMED,
            work_date__gte=date(year, 1, 1),
            work_date__lte=date(year, 12, 31),
        )
        .values(group)
        .annotate(
            weekend_hours=_sum("hours", kind=OvertimeRecord.Kind.WEEKEND),
            holiday_hours=_sum("hours", kind=OvertimeRecord.Kind.HOLIDAY),
            night_hours=_sum("hours", kind=OvertimeRecord.Kind.NIGHT),
        )
        .order_by()
    )


def _per_unit(per_person) -> dict[int, dict]:
    """Sums per unit of a per-person grouped queryset: GROUP BY over GROUP BY, in the database (the
    ORM does not group a grouped query again, so the outer query is written here around its SQL)."""
    columns = ["entitled", "taken", "balance", "below"]
    sql, params = per_person.query.sql_with_params()
    sums = ", ".join(f'SUM(t."{c}")' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT t."unit", {sums} FROM ({sql}) t GROUP BY t."unit"', params)
        rows = cursor.fetchall()
    return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}


def _decimal(value) -> Decimal:
    """A sum as the database returns it (SQLite: a float or an int) as days or hours."""
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.1"))


def _from_half_days(value) -> Decimal:
    return Decimal(int(value or 0)) / 2


def _figures(ledger: dict, toil: dict, work: dict) -> dict:
    return {
        "entitled": _from_half_days(ledger.get("entitled")),
        "taken": _from_half_days(ledger.get("taken")),
        "balance": _from_half_days(ledger.get("balance")),
        "toil_accrued": _decimal(toil.get("toil_accrued")),
        "toil_unused": _decimal(toil.get("toil_unused")),
        "weekend_hours": _decimal(work.get("weekend_hours")),
        "holiday_hours": _decimal(work.get("holiday_hours")),
        "night_hours": _decimal(work.get("night_hours")),
    }


def untaken_by_unit(principal, year: int) -> Report:
    """The report by unit for ``year`` over the principal's HR units (empty for anyone else). Five
    queries whatever the headcount: the units with their people, the two leave types, the annual
    leave per unit (summed per person, then per unit), time off in lieu per unit, and confirmed work
    on rest days per unit."""
    units = hr_units(principal)
    if not units:
        return Report(year, [], min_share())
    tree = list(
        OrgUnit.objects.filter(policy.subtree_q(units, prefix=""))
        .annotate(n=Count("people", filter=Q(people__isnull=False) & _active("people__")))
        .order_by("path")
        .values("pk", "name", "path", "depth", "n")
    )
    people, types = Q(person__unit_id__in=[u["pk"] for u in tree]), _types()
    annual = _per_unit(_annual(year, people, types))
    toil = {row["person__unit"]: row for row in _in_lieu(year, people, "person__unit", types)}
    work = {row["person__unit"]: row for row in _overtime(year, people, "person__unit")}
    names = {u["path"]: u["name"] for u in tree}
    steplen = OrgUnit.steplen
    top = min(u.depth for u in units)
    rows = []
    for u in tree:
        pk = u["pk"]
        if not u["n"] and pk not in annual and pk not in toil and pk not in work:
            continue
        parents = tuple(names[u["path"][:n]] for n in range(steplen, len(u["path"]), steplen) if u["path"][:n] in names)
        ledger = annual.get(pk, {})
        rows.append(
            UnitRow(
                unit_id=pk,
                name=u["name"],
                parents=parents,
                depth=max(u["depth"] - top, 0),
                people=u["n"],
                below_share=int(ledger.get("below") or 0),
                **_figures(ledger, toil.get(pk, {}), work.get(pk, {})),
            )
        )
    return Report(year, rows, min_share())


def people_in_unit(principal, year: int, unit_id: int) -> list[PersonRow]:
    """The people of one unit (its own members, as in the report's row for it) with their figures,
    most days untaken first; empty when the unit is not one of the principal's HR units. Five
    queries whatever the headcount."""
    units = hr_units(principal)
    if not units:
        return []
    people = list(
        Person.objects.active()
        .filter(policy.subtree_q(units), unit_id=unit_id)
        .order_by("name_pinyin", "pk")
        .values_list("pk", "full_name", "external_id")
    )
    if not people:
        return []
    scope = policy.subtree_q(units, prefix="person__unit__") & Q(person__unit_id=unit_id)
    types = _types()
    annual = {row["person"]: row for row in _annual(year, scope, types)}
    toil = {row["person"]: row for row in _in_lieu(year, scope, "person", types)}
    work = {row["person"]: row for row in _overtime(year, scope, "person")}
    rows = [
        PersonRow(
            person_id=pk,
            name=name,
            external_id=external_id,
            **_figures(annual.get(pk, {}), toil.get(pk, {}), work.get(pk, {})),
        )
        for pk, name, external_id in people
    ]
    rows.sort(key=lambda r: -r.untaken)  # stable: equal figures keep the name order
    return rows
