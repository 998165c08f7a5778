"""The leading group's dashboard: the organisation's figures by unit for a year, every figure over at
least k people, directly or by subtraction (design/access.md "counts, k >= 5").

All registered dimensions (``wellbeing.figures``) are counted in one table - one row per unit of the
tree down to ``DASHBOARD_DEPTH`` levels (people in deeper units count in their ancestor at that
depth), one column per category and sum plus the staff column - and suppressed in one pass
(``wellbeing.screening.stats.suppress``): a cell hidden in one area cannot be worked out from
another area, and every equation (a unit = its parts; staff = a dimension's categories; a sum = its
parts) is protected. Filtering by unit shows a slice of that same table, never a table of its own,
so comparing two filters reveals nothing either. The page, the work-ledger workbook and PDF, and the
API all read through ``dashboard_for``.

Queries: a fixed number whatever the number of units or people (pinned in a test): the units, the
active people, and each dimension's own fixed count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from programme.models import Correction, PlanTask, WorkPlan
from wellbeing import figures, policy
from wellbeing.figures import STAFF, Dimension, Period
from wellbeing.models import OrgUnit, Person
from wellbeing.screening.stats import Cell, build_tree, flatten, min_group, protect

#: Units deeper than this count in their ancestor at this depth (county > town/office > section).
DASHBOARD_DEPTH = 3


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    colour: str = "#6c757d"
    is_sum: bool = False


@dataclass(frozen=True)
class Row:
    key: str
    unit_id: int | None
    label: str
    depth: int
    kind: str  # "total", "unit", "direct"
    values: dict[str, int | None]


@dataclass
class Table:
    dimension: Dimension
    columns: list[Column]
    rows: list[Row]
    available: bool = True

    @property
    def key(self) -> str:
        return self.dimension.key

    @property
    def title(self) -> str:
        return str(self.dimension.title)

    @property
    def grid(self) -> list[tuple[Row, list[int | None]]]:
        """Each row with its figures in column order (for the table)."""
        return [(r, [r.values[c.key] for c in self.columns]) for r in self.rows]

    @property
    def chart_columns(self) -> list[Column]:
        keys = self.dimension.chart or tuple(
            c.key for c in self.dimension.categories if c.key != self.dimension.default
        )
        wanted = {self.dimension.column(k) for k in keys}
        return [c for c in self.columns if c.key in wanted]


@dataclass(frozen=True)
class PlanProgress:
    """The year's plan in numbers (tasks are not people: shown in full, like the plan page)."""

    plan_id: int | None
    tasks: int = 0
    done: int = 0
    late: int = 0
    on_track: int = 0
    cancelled: int = 0
    corrections_open: int = 0
    corrections_done: int = 0

    def rows(self) -> list[tuple[str, int]]:
        return [
            (_("Tasks"), self.tasks),
            (_("Done"), self.done),
            (_("On track"), self.on_track),
            (_("Late"), self.late),
            (_("Cancelled"), self.cancelled),
            (_("Correction items open"), self.corrections_open),
            (_("Correction items done"), self.corrections_done),
        ]


def plan_progress(year: int, *, today=None) -> PlanProgress:
    """Two queries: the tasks by status and deadline, the correction items by status."""
    today = today or timezone.localdate()
    plan = WorkPlan.objects.filter(year=year).only("pk").first()
    if plan is None:
        return PlanProgress(plan_id=None)
    open_q = Q(status__in=PlanTask.OPEN_STATUSES)
    tasks = PlanTask.objects.filter(plan=plan).aggregate(
        tasks=Count("pk"),
        done=Count("pk", filter=Q(status=PlanTask.Status.DONE)),
        cancelled=Count("pk", filter=Q(status=PlanTask.Status.CANCELLED)),
        late=Count("pk", filter=open_q & Q(due_on__lt=today)),
        on_track=Count("pk", filter=open_q & Q(due_on__gte=today)),
    )
    corrections = Correction.objects.filter(review__plan=plan).aggregate(
        open=Count("pk", filter=Q(status=Correction.Status.OPEN)),
        done=Count("pk", filter=Q(status=Correction.Status.DONE)),
    )
    return PlanProgress(
        plan_id=plan.pk, corrections_open=corrections["open"], corrections_done=corrections["done"], **tasks
    )


@dataclass
class Dashboard:
    period: Period
    unit: OrgUnit | None
    k: int
    tables: list[Table]
    plan: PlanProgress | None = None
    units: list[OrgUnit] = field(default_factory=list)  # the units one may filter by
    all_rows: list[Row] = field(default_factory=list)  # the whole organisation's rows (suppressed)

    def value(self, unit_id: int | None, column: str) -> int | None:
        """A figure of the whole table (suppressed): a unit's row, or the top row for None."""
        for row in self.all_rows:
            if (unit_id is None and row is self.all_rows[0]) or (row.kind != "direct" and row.unit_id == unit_id):
                return row.values.get(column)
        return None


def _rolled_up(units: list[OrgUnit]) -> tuple[list[OrgUnit], dict[int, int]]:
    """The units shown (depth <= DASHBOARD_DEPTH) and, for every unit, the shown unit it counts in."""
    shown = [u for u in units if u.depth <= DASHBOARD_DEPTH]
    by_path = {u.path: u for u in shown}
    into: dict[int, int] = {}
    for u in units:
        path = u.path[: DASHBOARD_DEPTH * OrgUnit.steplen] if u.depth > DASHBOARD_DEPTH else u.path
        into[u.pk] = by_path[path].pk
    return shown, into


def _protect_all(flat: list, dims: list[Dimension], k: int) -> set[Cell]:
    """The cells to hide.

    - The staff column (active headcounts) is protected on its own, over the tree: no headcount
      under k is shown or is the difference of headcounts shown.
    - Each area (its categories and sums) is then protected on its own, as if the reader knew every
      headcount (``public``): an organisation knows its establishment, and a protection that holds
      against a reader who knows every headcount holds against one who knows less. So the areas
      share no secret: nothing hidden in one area follows from what is shown in it or in any other.
      In a row whose headcount is hidden every figure of every area is hidden too, or the figures
      shown would add up to it. The sums (those invited, those with an open case) are protected
      with the categories: a sum is a group of people too, and "staff minus those with nothing
      overdue" must not single out a few people in two small sections.

    One pass over every area at once would hide nearly everything in an organisation of small
    sections (a handful of people at high risk in the county would hide the staff column, and with
    it every area); a hidden unit does not hide its sub-units here either (the equations already keep
    it from being rebuilt from them), so one small group hides as little as it can."""
    values = [r.values for r in flat]
    parts = [r.parts for r in flat]
    staff_hidden = protect(values, parts, columns=[STAFF], row_equations=(), k=k)
    hidden = set(staff_hidden)
    for d in dims:
        hidden |= protect(
            values,
            parts,
            columns=[STAFF, *d.columns],
            row_equations=d.equations(),
            k=k,
            initial={(i, c) for i, _staff in staff_hidden for c in d.columns},
            public=[STAFF],
            hide_descendants=False,
        )
    return hidden


def compute(period: Period) -> tuple[list[OrgUnit], list[Row], int]:
    """The whole organisation's suppressed table for ``period`` (no access check: callers check)."""
    units = list(OrgUnit.objects.order_by("path").only("id", "path", "depth", "name", "numchild"))
    shown, into = _rolled_up(units)
    people = list(Person.objects.active().values_list("pk", "unit_id"))
    dims = figures.dimensions()
    classes = figures.classify_all(period, [pk for pk, _unit in people])
    columns = [STAFF] + [c for d in dims for c in d.columns]
    counts: dict[int, dict[str, int]] = {u.pk: dict.fromkeys(columns, 0) for u in shown}
    for pk, unit_id in people:
        row = counts[into[unit_id]]
        row[STAFF] += 1
        for d in dims:
            category = classes[d.key].get(pk, d.default)
            row[d.column(category)] += 1
            for s in d.sums:
                if category in s.parts:
                    row[d.column(s.key)] += 1
    k = min_group()
    flat = flatten(
        build_tree(shown, counts),
        columns,
        _("All units"),
        lambda name: _("(directly in %(unit)s)") % {"unit": name},
    )
    hidden = _protect_all(flat, dims, k)
    rows = [
        Row(
            key=r.key,
            unit_id=int(r.key.split("/")[0]) if r.kind != "total" else None,
            label=r.label,
            depth=r.depth,
            kind=r.kind,
            values={c: None if (i, c) in hidden else r.values[c] for c in columns},
        )
        for i, r in enumerate(flat)
    ]
    return shown, rows, k


def _slice(rows: list[Row], units: list[OrgUnit], unit: OrgUnit | None) -> list[Row]:
    """The rows shown for a filter: the unit (or the top), its direct row and the units one level
    below it. Only rows of the one suppressed table, so filters cannot be played against each other."""
    if not rows:
        return []
    if unit is None:
        top_depth = rows[0].depth
        return [r for r in rows if r.depth <= top_depth + 1]
    by_id = {u.pk: u for u in units}
    start = next((i for i, r in enumerate(rows) if r.kind == "unit" and r.unit_id == unit.pk), None)
    if start is None:
        return []
    base = rows[start].depth
    out = [rows[start]]
    for r in rows[start + 1 :]:
        if r.depth <= base:
            break
        u = by_id.get(r.unit_id) if r.unit_id is not None else None
        if r.depth == base + 1 and (r.kind == "direct" or (u is not None and u.path.startswith(unit.path))):
            out.append(r)
    return out


def dashboard_for(*, user, year: int | None = None, unit_id: int | None = None) -> Dashboard:
    """The dashboard for the leading group (``programme.dashboard``), for a year and a unit."""
    if not policy.can(user, "programme.dashboard"):
        raise PermissionDenied
    today = timezone.localdate()
    year = year or today.year
    if not 2000 <= year <= today.year:
        raise Http404
    period = Period.for_year(year)
    units, rows, k = compute(period)
    unit = None
    if unit_id is not None:
        unit = next((u for u in units if u.pk == unit_id), None)
        if unit is None:
            raise Http404
    shown = _slice(rows, units, unit)
    tables = []
    for d in figures.dimensions():
        labels = {c.key: c for c in d.categories}
        columns = [Column(STAFF, _("Staff"), "#495057")]
        columns += [Column(d.column(c.key), str(c.label), c.colour) for c in d.categories]
        columns += [Column(d.column(s.key), str(s.label), is_sum=True) for s in d.sums]
        del labels
        available = period.is_current or not d.current_only
        tables.append(
            Table(
                dimension=d,
                columns=columns,
                rows=[
                    Row(r.key, r.unit_id, r.label, r.depth, r.kind, {c.key: r.values[c.key] for c in columns})
                    for r in shown
                ]
                if available
                else [],
                available=available,
            )
        )
    return Dashboard(period=period, unit=unit, k=k, tables=tables, plan=plan_progress(year), units=units, all_rows=rows)


def chart_data(dashboard: Dashboard) -> dict:
    """What the page's charts draw (static/js/programme_dashboard.js): per table, the rows' labels
    and each charted column's values (null where suppressed) - the same figures as the tables."""
    return {
        "labels": {"suppressed": _("fewer than %(k)s people: not shown") % {"k": dashboard.k}},
        "charts": [
            {
                "key": t.key,
                "title": t.title,
                "units": [r.label for r in _charted(t.rows, t.chart_columns)],
                "series": [
                    {
                        "name": c.label,
                        "colour": c.colour,
                        "values": [r.values[c.key] for r in _charted(t.rows, t.chart_columns)],
                    }
                    for c in t.chart_columns
                ],
            }
            for t in t_available(dashboard)
        ],
    }


def _charted(rows: list[Row], columns: list[Column]) -> list[Row]:
    """A chart compares the units below the one shown: without its own total (which would dwarf
    them), unless nothing below it can be shown (too few people in each): then the total alone."""
    below = rows[1:]
    if below and any(r.values[c.key] is not None for r in below for c in columns):
        return below
    return rows[:1]


def t_available(dashboard: Dashboard) -> list[Table]:
    return [t for t in dashboard.tables if t.available]
