"""No figure of the leading group's dashboard rests on fewer than 5 people, directly or by
subtraction (issue 13, "Done when": a property test over random org trees and data).

The model under test (``programme.selectors.dashboard``): the staff column (headcounts) is protected on
its own over the tree; each area (a dimension's categories and sums) is protected on its own with the
headcounts taken as known to the reader. So for random trees (1 to 3 levels, 1 to 6 children a unit)
and random people, each in one category of every dimension:

(a) no cell shown, in any column, is 1 to k-1;
(b) no hidden category or sum cell follows from the cells shown plus the true headcounts - every
    equation (a unit = its parts in each column; staff = a dimension's categories; a sum = its parts)
    solved together, by our own exact Gauss-Jordan elimination over the rationals;
(c) every equation whose total is shown (or is a headcount) has hidden parts adding up to 0 or at
    least k - unless the total is a headcount and every non-zero part is hidden;
(d) the staff column alone: no hidden headcount follows from the headcounts shown.

And beyond the model, (e): nothing shown anywhere lets one work out a hidden figure of 1 to k-1
people - a hidden headcount included - with the hidden headcounts unknown (everything shown, every
equation, solved together).

The pure tests run the suppression (``_protect_all`` over ``flatten``'s rows) on many examples; one
test runs ``compute`` over real units and people with our own dimensions registered; the last shows
that the page, the workbook and the API carry exactly the same figures.
"""

from __future__ import annotations

import io
import itertools
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from html.parser import HTMLParser

import openpyxl
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from programme.selectors import dashboard as dashboard_selectors
from programme.selectors.dashboard import _protect_all, compute
from talks.services import TalkInput, talk_create
from tests.conftest import client_for
from tests.factories import ACTOR, make_person, make_unit
from wellbeing import figures, services
from wellbeing.figures import STAFF, Category, Dimension, Period, Sum
from wellbeing.models import OrgUnit
from wellbeing.screening.stats import STATS_MIN_GROUP, UnitNode, flatten

K = STATS_MIN_GROUP
Cell = tuple[int, str]
Equation = tuple[Cell, tuple[Cell, ...]]


def _never(period, people):  # the pure tests never classify
    return {}


#: Synthetic areas: two categories; a check-up-like one with two sums over shared parts; an
#: overdue-like one with one sum.
DIMENSIONS = [
    Dimension(
        key="t.talks",
        title="talks",
        categories=(Category("none", "none"), Category("talked", "talked")),
        default="none",
        classify=_never,
    ),
    Dimension(
        key="t.checkup",
        title="check-up",
        categories=(
            Category("not_invited", "not invited"),
            Category("pending", "pending"),
            Category("green", "green"),
            Category("yellow", "yellow"),
            Category("red", "red"),
        ),
        default="not_invited",
        sums=(
            Sum("invited", "invited", ("pending", "green", "yellow", "red")),
            Sum("done", "done", ("green", "yellow", "red")),
        ),
        classify=_never,
    ),
    Dimension(
        key="t.overdue",
        title="overdue",
        categories=(Category("none", "none"), Category("week", "week"), Category("month", "month")),
        default="none",
        sums=(Sum("any", "any", ("week", "month")),),
        classify=_never,
    ),
]
COLUMNS = [STAFF] + [c for d in DIMENSIONS for c in d.columns]
_keys = itertools.count(1)


# --- Generating organisations -----------------------------------------------------------------------

#: A person: one category of each dimension (the default more often than not, as in life).
person = st.tuples(*(st.one_of(st.just(d.default), st.sampled_from([c.key for c in d.categories])) for d in DIMENSIONS))
#: The people directly in a unit: mostly few (the hard cases), sometimes more.
people = st.one_of(
    st.lists(person, max_size=4), st.lists(person, max_size=12), st.lists(person, min_size=5, max_size=20)
)


def direct_counts(members: Sequence[tuple[str, ...]]) -> dict[str, int]:
    """The counts of one unit's own people, as ``compute`` counts them (independently written)."""
    counts = dict.fromkeys(COLUMNS, 0)
    for member in members:
        counts[STAFF] += 1
        for d, category in zip(DIMENSIONS, member, strict=True):
            counts[d.column(category)] += 1
            for s in d.sums:
                counts[d.column(s.key)] += category in s.parts
    return counts


@st.composite
def unit_tree(draw, depth: int, levels: int) -> UnitNode:
    key = f"u{next(_keys)}"
    fan_out = draw(st.integers(1 if depth == 1 and levels > 1 else 0, 6)) if depth < levels else 0
    children = [draw(unit_tree(depth + 1, levels)) for _i in range(fan_out)]
    return UnitNode(key=key, label=key, direct=direct_counts(draw(people)), children=children)


@st.composite
def organisations(draw) -> list[UnitNode]:
    levels = draw(st.integers(1, 3))
    return draw(st.lists(unit_tree(1, levels), min_size=1, max_size=2))


# --- An attacker with exact arithmetic ------------------------------------------------------------


def equations(parts: Sequence[Sequence[int]], dims: Iterable[Dimension], columns: Sequence[str]) -> list[Equation]:
    """Every equation the table satisfies: a unit = its parts (each column), staff = a dimension's
    categories and a sum = its parts (each row)."""
    n = len(parts)
    eqs: list[Equation] = []
    for r in range(n):
        if parts[r]:
            eqs.extend(((r, c), tuple((p, c) for p in parts[r])) for c in columns)
    for d in dims:
        categories = tuple(d.column(c.key) for c in d.categories)
        for r in range(n):
            eqs.append(((r, STAFF), tuple((r, c) for c in categories)))
            eqs.extend(((r, d.column(s.key)), tuple((r, d.column(p)) for p in s.parts)) for s in d.sums)
    return eqs


def solve(eqs: Iterable[Equation], known: Mapping[Cell, int]) -> dict[Cell, Fraction]:
    """The unknown cells (those not in ``known``) that the equations determine, with their values:
    Gauss-Jordan elimination over the rationals. A cell is determined when its unit vector lies in
    the row space, i.e. a reduced row holds it alone."""
    pivots: dict[Cell, tuple[dict[Cell, Fraction], Fraction]] = {}
    for total, cells in eqs:
        row: dict[Cell, Fraction] = {}
        constant = Fraction(0)
        for cell, coefficient in ((total, 1), *((p, -1) for p in cells)):
            if cell in known:
                constant -= coefficient * known[cell]
            else:
                row[cell] = row.get(cell, Fraction(0)) + coefficient
        row = {c: v for c, v in row.items() if v}
        for pivot, (prow, pconstant) in pivots.items():
            factor = row.get(pivot)
            if factor:
                for c, v in prow.items():
                    row[c] = row.get(c, Fraction(0)) - factor * v
                constant -= factor * pconstant
                row = {c: v for c, v in row.items() if v}
        if not row:
            assert constant == 0, "the equations contradict the figures shown"
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {c: v / scale for c, v in row.items()}
        constant /= scale
        for other, (orow, oconstant) in list(pivots.items()):
            factor = orow.get(pivot)
            if factor:
                for c, v in row.items():
                    orow[c] = orow.get(c, Fraction(0)) - factor * v
                pivots[other] = ({c: v for c, v in orow.items() if v}, oconstant - factor * constant)
        pivots[pivot] = (row, constant)
    return {pivot: constant for pivot, (row, constant) in pivots.items() if len(row) == 1}


# --- The properties ---------------------------------------------------------------------------------


def check_model(
    values: Sequence[Mapping[str, int]], parts: Sequence[Sequence[int]], hidden: set[Cell], dims: Sequence[Dimension]
) -> None:
    """(a) to (d) of the module's docstring, for a table's true ``values`` and its ``hidden`` cells."""
    n = len(values)
    columns = [STAFF] + [c for d in dims for c in d.columns]
    truth = {(r, c): values[r][c] for r in range(n) for c in columns}
    shown = {cell: v for cell, v in truth.items() if cell not in hidden}
    # The table adds up (a sanity check of the generator, not of the code under test).
    for total, cells in equations(parts, dims, columns):
        assert truth[total] == sum(truth[p] for p in cells)

    # (a) Nothing shown is a group of 1 to k-1.
    small = {cell: v for cell, v in shown.items() if 0 < v < K}
    assert not small, f"shown under k: {small}"

    headcounts = {(r, STAFF): values[r][STAFF] for r in range(n)}
    for d in dims:
        eqs = equations(parts, [d], d.columns)
        # (b) With every headcount known, no hidden cell of the area follows from what is shown.
        known = {cell: v for cell, v in shown.items() if cell[1] in d.columns} | headcounts
        solved = solve(eqs, known)
        assert not solved, f"{d.key}: hidden cells worked out: {solved}"
        # (c) An equation with a shown (or known) total hides 0 or at least k people in its parts.
        for total, cells in eqs:
            if total in hidden and total[1] != STAFF:  # a headcount is known even where it is hidden
                continue
            hidden_parts = [p for p in cells if p in hidden]
            hidden_sum = sum(truth[p] for p in hidden_parts)
            if 0 < hidden_sum < K:
                every_nonzero_hidden = all(p in hidden for p in cells if truth[p])
                assert total[1] == STAFF and every_nonzero_hidden, (
                    f"{d.key}: {total} minus its shown parts is {hidden_sum} people"
                )

    # (d) The staff column alone: no hidden headcount follows from the headcounts shown.
    staff_eqs = equations(parts, [], [STAFF])
    known = {cell: v for cell, v in shown.items() if cell[1] == STAFF}
    assert not solve(staff_eqs, known), "a hidden headcount follows from the headcounts shown"
    for total, cells in staff_eqs:
        if total not in hidden:
            hidden_sum = sum(truth[p] for p in cells if p in hidden)
            assert hidden_sum == 0 or hidden_sum >= K, f"{total} minus its shown parts is {hidden_sum} people"


def check_everything_shown(
    values: Sequence[Mapping[str, int]], parts: Sequence[Sequence[int]], hidden: set[Cell], dims: Sequence[Dimension]
) -> None:
    """(e): a reader who knows only what is shown (hidden headcounts unknown) and solves every
    equation of every area together works out no hidden figure of 1 to k-1 people."""
    columns = [STAFF] + [c for d in dims for c in d.columns]
    truth = {(r, c): values[r][c] for r in range(len(values)) for c in columns}
    shown = {cell: v for cell, v in truth.items() if cell not in hidden}
    solved = solve(equations(parts, dims, columns), shown)
    assert all(v == truth[cell] for cell, v in solved.items())
    small = {cell: int(v) for cell, v in solved.items() if 0 < v < K}
    assert not small, f"hidden figures under k worked out from what is shown: {small}"


def suppressed(roots: list[UnitNode]):
    flat = flatten(roots, COLUMNS, "All", lambda name: f"(directly in {name})")
    return flat, _protect_all(flat, DIMENSIONS, K)


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(organisations())
def test_no_figure_of_an_area_rests_on_fewer_than_k_people(roots):
    flat, hidden = suppressed(roots)
    check_model([r.values for r in flat], [r.parts for r in flat], hidden, DIMENSIONS)


@settings(PROPERTY, phases=[Phase.explicit, Phase.generate])  # a counterexample is small enough unshrunk
@given(organisations())
def test_nothing_shown_anywhere_gives_away_a_hidden_group_under_k(roots):
    flat, hidden = suppressed(roots)
    check_everything_shown([r.values for r in flat], [r.parts for r in flat], hidden, DIMENSIONS)


def _unit(members: list[tuple[str, ...]], key: str, children=()) -> UnitNode:
    return UnitNode(key=key, label=key, direct=direct_counts(members), children=list(children))


def test_a_hidden_headcount_under_k_is_not_the_difference_of_figures_shown():
    """A town of 20: section U has 3 people (all overdue), X 7 (none overdue), W 10 (5 overdue).
    U's headcount (3) is hidden and so is X's (7, else 20 - 10 - 7 = 3). But the overdue area shows
    X's categories (7 + 0 + 0 = 7 people), and with the town's 20 and W's 10 that gives U's 3."""
    plain = ("none", "not_invited", "none")
    overdue = ("none", "not_invited", "week")
    roots = [
        _unit(
            [],
            "town",
            [
                _unit([overdue] * 3, "U"),
                _unit([plain] * 7, "X"),
                _unit([plain] * 5 + [overdue] * 5, "W"),
            ],
        )
    ]
    flat, hidden = suppressed(roots)
    row = {r.key: i for i, r in enumerate(flat)}
    assert (row["U"], STAFF) in hidden
    check_model([r.values for r in flat], [r.parts for r in flat], hidden, DIMENSIONS)
    check_everything_shown([r.values for r in flat], [r.parts for r in flat], hidden, DIMENSIONS)


# --- Through compute(): real units and people, our own dimensions -----------------------------------


@pytest.fixture
def synthetic_dimensions(monkeypatch):
    """Our dimensions in place of the registered ones; ``assign`` says who is in which category."""
    assigned: dict[str, dict[int, str]] = {d.key: {} for d in DIMENSIONS}

    def classifier(key: str):
        def classify(period, people):
            return {pk: v for pk, v in assigned[key].items() if pk in people}

        return classify

    dims = {
        d.key: Dimension(
            key=d.key,
            title=d.title,
            categories=d.categories,
            default=d.default,
            sums=d.sums,
            classify=classifier(d.key),
            order=i,
        )
        for i, d in enumerate(DIMENSIONS)
    }
    monkeypatch.setattr(figures, "_dimensions", dims)
    return assigned


def test_compute_over_real_units_and_people_keeps_every_property(db, synthetic_dimensions):
    """A county with three towns (one with sections, one section with a sub-section below the
    dashboard's depth, counted in its section) and people in random categories; ``compute`` gives the
    true counts where it shows one, and the properties hold on its table."""
    rng = random.Random(13)
    county = make_unit("县", kind=OrgUnit.Kind.COUNTY)
    towns = [make_unit(f"镇{i}", parent=county) for i in range(3)]
    sections = [make_unit(f"股{i}", parent=towns[0], kind=OrgUnit.Kind.SECTION) for i in range(3)]
    deep = make_unit("小组", parent=sections[0], kind=OrgUnit.Kind.SECTION)
    assert deep.depth > dashboard_selectors.DASHBOARD_DEPTH
    sizes = {county: 2, towns[0]: 1, towns[1]: 9, towns[2]: 3, sections[0]: 6, sections[1]: 12, sections[2]: 4, deep: 3}
    members: dict[int, list[tuple[str, ...]]] = {}
    for unit, size in sizes.items():
        counted_in = sections[0] if unit == deep else unit
        for _i in range(size):
            p = make_person(unit)
            categories = tuple(rng.choice([d.default, *(c.key for c in d.categories)]) for d in DIMENSIONS)
            for d, category in zip(DIMENSIONS, categories, strict=True):
                if category != d.default or rng.random() < 0.5:  # the default needs no entry
                    synthetic_dimensions[d.key][p.pk] = category
            members.setdefault(counted_in.pk, []).append(categories)

    units, rows, k = compute(Period.for_year(timezone.localdate().year))
    assert k == K
    assert deep.pk not in {u.pk for u in units}
    # The true table, built from our own tree and people.
    roots = [
        _unit(
            members.get(county.pk, []),
            str(county.pk),
            [
                _unit(
                    members.get(towns[0].pk, []),
                    str(towns[0].pk),
                    [_unit(members.get(s.pk, []), str(s.pk)) for s in sections],
                ),
                *(_unit(members.get(t.pk, []), str(t.pk)) for t in towns[1:]),
            ],
        )
    ]
    flat = flatten(roots, COLUMNS, "All", lambda name: f"(directly in {name})")
    assert [r.key for r in rows] == [r.key for r in flat]
    hidden = {(i, c) for i, r in enumerate(rows) for c, v in r.values.items() if v is None}
    for i, r in enumerate(rows):
        for c, v in r.values.items():
            assert v is None or v == flat[i].values[c], (r.key, c)
    assert hidden and len(hidden) < len(rows) * len(COLUMNS), "some figures shown, some hidden"
    values, parts = [r.values for r in flat], [r.parts for r in flat]
    check_model(values, parts, hidden, DIMENSIONS)
    check_everything_shown(values, parts, hidden, DIMENSIONS)


# --- The page, the workbook and the API carry the same figures --------------------------------------


class _Tables(HTMLParser):
    """The dashboard page's tables: {area key: [[row label, cell, cell, ...], ...]} (body rows)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (attrs.get("data-testid") or "").startswith("table-"):
            self._table = attrs["data-testid"].removeprefix("table-")
            self.tables[self._table] = []
        elif self._table and tag == "tbody":
            self._in_body = True
        elif self._table and self._in_body and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _figure(text) -> int | None:
    if text in ("—", None):
        return None
    return int(text)


def page_figures(html: str) -> dict[str, list[tuple[str, list[int | None]]]]:
    parser = _Tables()
    parser.feed(html)
    return {key: [(row[0], [_figure(v) for v in row[1:]]) for row in rows] for key, rows in parser.tables.items()}


def area_sheets(book, dims: Sequence[Dimension]) -> dict[str, object]:
    """Each area's sheet (found by its second row, "<area title>: <explanation>"); other sheets (the
    plan's progress) are left aside."""
    sheets = {}
    for d in dims:
        found = [ws for ws in book.worksheets if str(ws["A2"].value or "").startswith(f"{d.title}: ")]
        assert len(found) == 1, f"{d.key}: {len(found)} sheets"
        sheets[d.key] = found[0]
    return sheets


def workbook_figures(content: bytes, dims: Sequence[Dimension]) -> dict[str, list[tuple[str, list[int | None]]]]:
    """Each area's rows below the header row (row 4)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    out = {}
    for key, sheet in area_sheets(book, dims).items():
        rows = list(sheet.iter_rows(min_row=5, values_only=True))
        out[key] = [(str(r[0]).strip(), [_figure(v) for v in r[1:]]) for r in rows if r[0] is not None]
    return out


def api_figures(data: dict) -> dict[str, list[tuple[str, list[int | None]]]]:
    return {
        area["key"]: [(row["label"], [row["values"][c["key"]] for c in area["columns"]]) for row in area["rows"]]
        for area in data["areas"]
        if area["available"]
    }


@pytest.fixture
def populated(org):
    """The organisation with enough people that some figures show: 12 more in A1, 8 in B1; talks
    with seven of A1's people and two of B1's; overdue follow-ups about five of A1's people."""
    a1 = [make_person(org.section_a1, full_name=f"城关{i}") for i in range(12)]
    b1 = [make_person(org.section_b1, full_name=f"青石{i}") for i in range(8)]
    held = timezone.now() - timedelta(days=2)
    for leader, group in (("supervisor", a1[:7]), ("outsider_supervisor", b1[:2])):
        for p in group:
            talk_create(
                actor=org.users[leader],
                data=TalkInput(participants=[p], held_at=held, main_content="工作近况", shared_summary="保持联系"),
            )
    for p in a1[7:12]:
        services.followup_create(
            actor=ACTOR,
            owner=org.users["supervisor"],
            title="回访",
            due_at=datetime.now(UTC) - timedelta(days=3),
            person=p,
        )
    return org


def test_the_page_the_workbook_and_the_api_show_the_same_figures(populated):
    org = populated
    client = client_for(org, "leading_group")
    page = client.get("/programme/dashboard/")
    assert page.status_code == 200
    on_page = page_figures(page.content.decode())
    keys = [d.key for d in figures.dimensions()]
    assert list(on_page) == keys  # every area, in order (this year: all available)

    workbook = client.get("/programme/dashboard/ledger.xlsx")
    assert workbook.status_code == 200
    in_workbook = workbook_figures(workbook.content, figures.dimensions())

    api = client_for(org, "leading_group", api=True).get("/api/v1/programme/figures/")
    assert api.status_code == 200, api.content
    in_api = api_figures(api.json())

    assert in_workbook == on_page
    assert in_api == on_page
    cells = [v for rows in on_page.values() for _label, values in rows for v in values]
    assert None in cells, "some figures hidden"
    assert any(v is not None and v >= K for v in cells), "some figures shown"
    assert all(v is None or v == 0 or v >= K for v in cells)
    # Hidden cells say nothing: one mark for all, in the page and the workbook alike.
    assert re.search(r"<td[^>]*>\s*<span[^>]*>—</span>", page.content.decode())
