"""The HR officer's leave report (issue 11, item 7: "HR sees a report by unit (untaken days, weekend
work) with a chart"): per unit of the officer's units, annual leave entitled, taken and untaken in a
year, how many people have taken less than ``LEAVE_REST_MIN_SHARE`` of it, and the work on rest days
and nights that earned time off in lieu; and, for one unit, the same per person.

Only HR officers, for their units (rule ``leave.report``; scope ``policy.subtree_q`` over the units
they hold the role for): an administrator or a supervisor gets nothing here. People are grouped by
the unit they belong to (a town's own staff and each of its sections are separate rows), in the
tree's order; people who have left are not counted. Every figure is summed by the database (GROUP BY),
so the report runs the same five queries whatever the headcount (``bench/leave_report.py``); the
days entitled, taken and accrued come from the yearly totals the ledger keeps (``LeaveYearTotal``),
one row per person and year instead of every line.

Nothing clinical, and nothing about care leave: approved leave that began as a counsellor's
recommendation is ordinary annual leave here, counted like any other and never marked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from leave.models import LeaveLedgerEntry, LeaveType, LeaveYearTotal, OvertimeRecord
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
    return _sum_q(expression, Q(**filter_q) if filter_q else None)


def _sum_q(expression, q: Q | None) -> Coalesce:
    return Coalesce(Sum(expression, filter=q), Value(ZERO), output_field=DAYS_FIELD)


def _active(prefix: str = "person__") -> Q:
    return ~Q(**{f"{prefix}status": Person.Status.LEFT})


def _types() -> dict[str, int]:
    """The ids of the annual-leave and time-off-in-lieu types (filtering the ledger by id, not through
    a join, lets PostgreSQL estimate the rows and use the ``(leave_type, year)`` index)."""
    return dict(LeaveType.objects.filter(category__in=[ANNUAL, IN_LIEU]).values_list("category", "pk"))


def _totals(year: int, people: Q, group: str, types: dict[str, int]):
    """Annual leave entitled, taken and left in the year, how many people took less than the share,
    and the time off in lieu accrued in the year, from the yearly totals the ledger keeps
    (``LeaveYearTotal``: one row per person, type and year, where the ledger has a dozen lines)."""
    annual = Q(leave_type_id=types.get(ANNUAL))
    below = annual & Q(granted__gt=0, taken__lt=F("granted") * Value(min_share()))
    return (
        LeaveYearTotal.objects.filter(people, _active(), leave_type_id__in=list(types.values()), year=year)
        .values(group)
        # ``below`` first: the names below hide the columns they sum.
        .annotate(below=Count("pk", filter=below))
        .annotate(
            entitled=_sum_q("granted", annual),
            taken=_sum_q("taken", annual),
            balance=_sum_q("balance", annual),
            toil_accrued=_sum_q("accrued", Q(leave_type_id=types.get(IN_LIEU))),
        )
        .order_by()
    )


def _in_lieu(people: Q, group: str, types: dict[str, int]):
    """The days of time off in lieu people can still use today: lots not past their use-by date, less
    what was drawn on them (as ``ledger.open_lots``). Only lots carry a use-by date (a line drawing on
    a lot never has one: ``ledger.draw``), and every lot of time off in lieu has one
    (``overtime_decide``, ``ledger_adjust``): the partial index on ``expires_on``, not every line."""
    drawn = (
        LeaveLedgerEntry.objects.filter(lot=OuterRef("pk")).order_by().values("lot").annotate(s=Sum("days")).values("s")
    )
    return (
        LeaveLedgerEntry.objects.filter(
            people, _active(), leave_type_id=types.get(IN_LIEU), expires_on__gte=timezone.localdate()
        )
        .values(group)
        .annotate(
            toil_unused=Coalesce(
                Sum(F("days") + Coalesce(Subquery(drawn, output_field=DAYS_FIELD), Value(ZERO))),
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


def _decimal(value) -> Decimal:
    """A sum as the database returns it (SQLite: a float or an int) as days or hours."""
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.1"))


def _figures(totals: dict, toil: dict, work: dict) -> dict:
    return {
        "entitled": _decimal(totals.get("entitled")),
        "taken": _decimal(totals.get("taken")),
        "balance": _decimal(totals.get("balance")),
        "toil_accrued": _decimal(totals.get("toil_accrued")),
        "toil_unused": _decimal(toil.get("toil_unused")),
        "weekend_hours": _decimal(work.get("weekend_hours")),
        "holiday_hours": _decimal(work.get("holiday_hours")),
        "night_hours": _decimal(work.get("night_hours")),
    }


def untaken_by_unit(principal, year: int) -> Report:
    """The report by unit for ``year`` over the principal's HR units (empty for anyone else). Five
    queries whatever the headcount: the units with their people, the two leave types, annual leave and
    time off in lieu accrued per unit (from the yearly totals), time off in lieu still usable (from the
    open lots), and confirmed work on rest days per unit."""
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
    annual = {row["person__unit"]: row for row in _totals(year, people, "person__unit", types)}
    toil = {row["person__unit"]: row for row in _in_lieu(people, "person__unit", types)}
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
    annual = {row["person"]: row for row in _totals(year, scope, "person", types)}
    toil = {row["person"]: row for row in _in_lieu(scope, "person", types)}
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
