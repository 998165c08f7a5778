"""Check-up figures by unit never reveal a group under 5, directly or by subtraction (issue 9, "Done
when"): a property-based test over random org trees and response sets, and plain examples."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellbeing.screening.stats import COLUMNS, STATS_MIN_GROUP, TIERS, TOTAL_KEY, StatsRow, UnitNode, suppress

K = STATS_MIN_GROUP
_keys = itertools.count(1)

# Mostly small counts (the hard cases), sometimes large ones.
count = st.one_of(st.integers(0, 4), st.integers(0, 12), st.integers(0, 40))


@st.composite
def direct_counts(draw) -> dict[str, int]:
    tiers = {t: draw(count) for t in TIERS}
    completed = sum(tiers.values())
    return {"invited": completed + draw(count), "completed": completed, **tiers}


@st.composite
def unit_tree(draw, depth: int = 1) -> UnitNode:
    key = f"u{next(_keys)}"
    fan_out = draw(st.integers(0, 4)) if depth < 4 else 0
    children = [draw(unit_tree(depth + 1)) for _i in range(fan_out)]
    return UnitNode(key=key, label=key, direct=draw(direct_counts()), children=children)


forests = st.lists(unit_tree(), min_size=1, max_size=3)


def _truth(roots: list[UnitNode]) -> dict[str, dict[str, int]]:
    """Every row's true counts, computed independently of the code under test."""
    truth: dict[str, dict[str, int]] = {}

    def walk(node: UnitNode) -> dict[str, int]:
        total = dict(node.direct)
        if node.children:
            truth[f"{node.key}/direct"] = dict(node.direct)
        for child in node.children:
            sub = walk(child)
            for c in COLUMNS:
                total[c] += sub[c]
        truth[node.key] = total
        return total

    totals = [walk(r) for r in roots]
    if len(roots) > 1:
        truth[TOTAL_KEY] = {c: sum(t[c] for t in totals) for c in COLUMNS}
    return truth


def _equations(rows: list[StatsRow]) -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
    """node = sum of its parts (each column); completed = green + yellow + orange + red (each row)."""
    eqs = []
    for row in rows:
        if row.parts:
            eqs.extend(((row.key, c), [(p, c) for p in row.parts]) for c in COLUMNS)
        eqs.append(((row.key, "completed"), [(row.key, t) for t in TIERS]))
    return eqs


def _derive(known: dict[tuple[str, str], int], eqs) -> dict[tuple[str, str], int]:
    """What an attacker works out: solve every equation with exactly one unknown, until nothing new."""
    known = dict(known)
    progress = True
    while progress:
        progress = False
        for total, parts in eqs:
            cells = [total, *parts]
            unknown = [c for c in cells if c not in known]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            if cell == total:
                known[cell] = sum(known[p] for p in parts)
            else:
                known[cell] = known[total] - sum(known[p] for p in parts if p != cell)
            progress = True
    return known


def _solve_exactly(known: dict[tuple[str, str], int], eqs) -> dict[tuple[str, str], Fraction]:
    """A stronger attacker: every hidden cell that follows from all the equations solved together
    (exact Gauss-Jordan elimination over the rationals, independent of the code under test)."""
    rows: list[dict] = []
    for total, parts in eqs:
        row: dict = {}
        constant = Fraction(0)
        for cell, coefficient in ((total, 1), *((p, -1) for p in parts)):
            if cell in known:
                constant -= coefficient * known[cell]
            else:
                row[cell] = row.get(cell, 0) + coefficient
        row = {c: Fraction(v) for c, v in row.items() if v}
        if row:
            rows.append((row, constant))
    pivots: dict = {}
    for row, constant in rows:
        row = dict(row)
        for pivot, (prow, pconst) in pivots.items():
            factor = row.get(pivot)
            if factor:
                for c, v in prow.items():
                    row[c] = row.get(c, 0) - factor * v
                constant -= factor * pconst
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {c: v / scale for c, v in row.items()}
        constant /= scale
        for other_pivot, (orow, oconst) in list(pivots.items()):
            factor = orow.get(pivot)
            if factor:
                for c, v in row.items():
                    orow[c] = orow.get(c, 0) - factor * v
                pivots[other_pivot] = ({c: v for c, v in orow.items() if v}, oconst - factor * constant)
        pivots[pivot] = (row, constant)
    return {pivot: const for pivot, (prow, const) in pivots.items() if len(prow) == 1}


def check_safe(roots: list[UnitNode], rows: list[StatsRow]) -> None:
    truth = _truth(roots)
    by_key = {r.key: r for r in rows}
    assert set(by_key) == set(truth)
    shown = {(r.key, c): v for r in rows for c, v in r.values.items() if v is not None}

    # Shown values are the true ones, and each is 0 or at least k.
    for (key, c), v in shown.items():
        assert v == truth[key][c]
        assert v == 0 or v >= K, (key, c, v)

    def descendants(key: str) -> list[str]:
        out = []
        for p in by_key[key].parts:
            out += [p, *descendants(p)]
        return out

    for row in rows:
        for c in COLUMNS:
            # A hidden node hides all its descendants.
            if row.values[c] is None:
                assert all(by_key[d].values[c] is None for d in descendants(row.key)), (row.key, c)
            # A shown node: its hidden parts add up to 0 or at least k.
            elif row.parts:
                hidden = sum(truth[p][c] for p in row.parts if by_key[p].values[c] is None)
                assert hidden == 0 or hidden >= K, (row.key, c, hidden)
        # The same within the row: completed = the tiers.
        if row.values["completed"] is not None:
            hidden = sum(truth[row.key][t] for t in TIERS if row.values[t] is None)
            assert hidden == 0 or hidden >= K, (row.key, hidden)

    # The attacker: nothing worked out from what is shown is a group of 1 to k-1.
    derived = _derive(shown, _equations(rows))
    for (key, c), v in derived.items():
        assert v == truth[key][c]
        assert v == 0 or v >= K, ("derived", key, c, v)
    # Nor by solving all the equations together: no hidden cell is determined at all.
    solved = _solve_exactly(shown, _equations(rows))
    assert solved == {}, solved


def test_combining_equations_reveals_no_hidden_cell():
    """Found by review: with one-unknown-at-a-time rules alone, B's and C's rows and the green and red
    columns together gave A's red (2). Solving all equations together must give nothing."""

    def counts(invited, completed, green, yellow, orange, red):
        return dict(zip(COLUMNS, (invited, completed, green, yellow, orange, red), strict=True))

    roots = [
        UnitNode(
            "p",
            "P",
            counts(32, 32, 7, 4, 9, 12),
            [
                UnitNode("a", "A", counts(19, 16, 6, 4, 4, 2)),
                UnitNode("b", "B", counts(26, 20, 3, 6, 9, 2)),
                UnitNode("c", "C", counts(6, 6, 2, 0, 0, 4)),
            ],
        )
    ]
    check_safe(roots, suppress(roots))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(forests)
def test_no_group_under_five_is_shown_or_derivable(roots):
    check_safe(roots, suppress(roots))


def _counts(green=0, yellow=0, orange=0, red=0, not_completed=0) -> dict[str, int]:
    completed = green + yellow + orange + red
    return {
        "invited": completed + not_completed,
        "completed": completed,
        "green": green,
        "yellow": yellow,
        "orange": orange,
        "red": red,
    }


def test_a_unit_of_six_with_one_red_hides_the_red_and_another_tier():
    roots = [UnitNode("a", "A", _counts(green=5, red=1))]
    [row] = suppress(roots)
    assert row.values["invited"] == 6 and row.values["completed"] == 6
    assert row.values["red"] is None  # shown as "<5"/"—", never 1
    # green = 5 would give red = 6 - 5 = 1 by subtraction: hidden too.
    assert row.values["green"] is None
    assert row.values["yellow"] == 0 and row.values["orange"] == 0
    check_safe(roots, [row])


def test_a_unit_minus_its_visible_sub_units_does_not_reveal_a_small_group():
    """The issue's case: a town of 23 whose sections have 10, 10 and 3 people. Hiding the 3 alone
    would not do: 23 - 10 - 10 = 3. Another section is hidden so the hidden ones add up to 13."""
    town = UnitNode(
        "t",
        "Town",
        _counts(),
        children=[
            UnitNode("s1", "S1", _counts(green=10)),
            UnitNode("s2", "S2", _counts(green=10)),
            UnitNode("s3", "S3", _counts(green=3)),
        ],
    )
    rows = suppress([town])
    values = {r.key: r.values["completed"] for r in rows}
    assert values["t"] == 23
    assert values["s3"] is None
    assert [values["s1"], values["s2"]].count(None) == 1  # one more hidden: 13 >= 5
    assert values["t/direct"] == 0
    check_safe([town], rows)


def test_a_hidden_unit_hides_its_sub_units():
    town = UnitNode("t", "Town", _counts(), children=[UnitNode("s1", "S1", _counts(red=3))])
    county = UnitNode("c", "County", _counts(), children=[town, UnitNode("b", "B", _counts(red=9))])
    rows = {r.key: r for r in suppress([county])}
    assert rows["t"].values["red"] is None
    assert rows["s1"].values["red"] is None and rows["t/direct"].values["red"] is None


def test_large_groups_are_shown_in_full():
    roots = [
        UnitNode("a", "A", _counts(green=20, yellow=10, orange=5, red=6, not_completed=9)),
        UnitNode("b", "B", _counts(green=30, yellow=7, orange=0, red=5)),
    ]
    rows = suppress(roots, total_label="All")
    assert [r.key for r in rows] == [TOTAL_KEY, "a", "b"]
    assert rows[0].label == "All" and rows[0].values == _counts(green=50, yellow=17, orange=5, red=11, not_completed=9)
    assert all(v is not None for r in rows for v in r.values.values())


def test_the_direct_row_and_tree_order():
    town = UnitNode("t", "Town", _counts(green=5), children=[UnitNode("s", "S", _counts(green=5))])
    rows = suppress([town], direct_label=lambda name: f"(directly in {name})")
    assert [(r.key, r.depth, r.kind, r.label) for r in rows] == [
        ("t", 0, "unit", "Town"),
        ("t/direct", 1, "direct", "(directly in Town)"),
        ("s", 1, "unit", "S"),
    ]
    assert rows[0].parts == ("t/direct", "s")
    assert rows[0].values["green"] == 10


def test_everything_small_is_hidden_and_nothing_is_worked_out():
    roots = [UnitNode("a", "A", _counts(green=2, red=1, not_completed=1))]
    [row] = suppress(roots)
    assert all(row.values[c] is None for c in ("invited", "completed", "green", "red"))
    assert row.values["yellow"] == 0 and row.values["orange"] == 0
