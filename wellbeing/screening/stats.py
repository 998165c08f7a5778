"""A check-up's figures by unit, with every group under 5 people suppressed, directly or by
subtraction (design/access.md "counts, k >= 5"; issue 9). Pages, exports and any API show a
check-up's aggregates only through ``campaign_stats``.

The table: one row per unit of the tree under the check-up's units, shown as a tree. A unit's row
counts everyone in it and below it; a unit with sub-units also has a "(directly in <unit>)" row for
the people in the unit itself. With more than one top unit, an "All" row comes first. Columns:

- invited: people invited, less those who withdrew their consent to screening;
- completed: people who took every questionnaire of the check-up, whose consent stands and whose
  results are kept;
- green, yellow, orange, red: those same people, each counted once, by the highest effective tier
  (a counsellor's review wins) of their latest result for each questionnaire of the check-up.

So ``node = sum of its parts`` (sub-units + the direct row) in every column, and ``completed = green +
yellow + orange + red`` in every row. ``suppress`` (pure: no database) hides cells so that nothing
under ``k`` people can be read or worked out from what is shown:

1. A count from 1 to k-1 is hidden. Every count shown is 0 or at least k.
2. A hidden unit hides all its descendants (in that column), so it cannot be rebuilt from below.
3. For each equation (a unit and its parts in one column; a row's completed and its tiers) whose
   total is shown, the hidden parts must add up to 0 or at least k (else "total minus the parts
   shown" reveals a small group). If they do not, the smallest shown non-zero part is hidden too;
   if there is none, the total.
4. No equation may have exactly one hidden cell: that cell would be "total minus the rest" (or the
   sum of the parts), and a value worked out that way, even a large one, can be used in another
   equation to work out a small one. Another cell is hidden: the smallest shown non-zero part, else
   a shown part, else the total.

5. No hidden cell may follow from the shown ones by solving several equations together (linear
   algebra over all of them: ``determined_cells``); while one does, another cell of its equations is
   hidden.

These rules are applied again and again until nothing changes (a fixed point; each round hides at
least one more cell, so it ends). Because of rules 4 and 5, nobody can work out a hidden cell from
the cells shown, one unknown at a time or by combining equations; because of rules 1 and 3, no group under k is
shown or is the difference of cells shown. Every hidden cell shows the same mark (never "<5" for
some and "—" for others, which would let one narrow the values down).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.models import (
    CampaignInvitation,
    OrgUnit,
    Screening,
    ScreeningCampaign,
    ScreeningConsent,
    ScreeningTier,
)

#: The smallest group a figure may describe (access.md "k >= 5"). The setting
#: ``STATS_MIN_GROUP_SIZE`` may raise it, never lower it.
STATS_MIN_GROUP = 5

TIERS: tuple[str, ...] = tuple(t.value for t in ScreeningTier)  # green, yellow, orange, red
COLUMNS: tuple[str, ...] = ("invited", "completed", *TIERS)
#: Row equations: total column = sum of the part columns.
ROW_EQUATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (("completed", TIERS),)

TOTAL_KEY = "__all__"


@dataclass
class UnitNode:
    """One unit of the tree: the counts of the people directly in it (per column) and its sub-units."""

    key: str
    label: str
    direct: Mapping[str, int]
    children: list[UnitNode] = field(default_factory=list)


@dataclass(frozen=True)
class StatsRow:
    """One displayed row. ``values[column]`` is the count, or None when it is hidden."""

    key: str
    label: str
    depth: int
    kind: str  # "total" (All), "unit", "direct" (the people directly in a unit with sub-units)
    parts: tuple[str, ...]  # the keys of the rows this row adds up (empty for a leaf)
    values: Mapping[str, int | None]

    def cells(self, columns: Sequence[str] = COLUMNS) -> list[int | None]:
        return [self.values[c] for c in columns]


@dataclass
class _Row:
    key: str
    label: str
    depth: int
    kind: str
    values: dict[str, int]
    parts: list[int] = field(default_factory=list)


def _flatten(
    roots: Sequence[UnitNode], columns: Sequence[str], total_label: str, direct_label: Callable[[str], str]
) -> list[_Row]:
    """Rows in display order (a unit, its direct row, then its sub-units), each unit's values the
    sum of its parts."""
    rows: list[_Row] = []

    def add(node: UnitNode, depth: int) -> int:
        index = len(rows)
        row = _Row(node.key, node.label, depth, "unit", dict.fromkeys(columns, 0))
        rows.append(row)
        direct = {c: int(node.direct.get(c, 0)) for c in columns}
        if node.children:
            d = len(rows)
            rows.append(_Row(f"{node.key}/direct", direct_label(node.label), depth + 1, "direct", direct))
            row.parts.append(d)
            for child in node.children:
                row.parts.append(add(child, depth + 1))
            for c in columns:
                row.values[c] = sum(rows[p].values[c] for p in row.parts)
        else:
            row.values = direct
        return index

    if len(roots) > 1:
        total = _Row(TOTAL_KEY, total_label, 0, "total", dict.fromkeys(columns, 0))
        rows.append(total)
        total.parts = [add(root, 1) for root in roots]
        for c in columns:
            total.values[c] = sum(rows[p].values[c] for p in total.parts)
    else:
        for root in roots:
            add(root, 0)
    return rows


Cell = tuple[int, str]


def flatten(
    roots: Sequence[UnitNode], columns: Sequence[str], total_label: str, direct_label: Callable[[str], str]
) -> list[_Row]:
    """The tree's rows in display order (``key``, ``label``, ``depth``, ``kind``, ``values``,
    ``parts``), each unit's values the sum of its parts: for a caller that runs ``protect`` itself."""
    return _flatten(roots, columns, total_label, direct_label)


def protect(
    rows_values: Sequence[Mapping[str, int]],
    parts: Sequence[Sequence[int]],
    *,
    columns: Sequence[str] = COLUMNS,
    row_equations: Iterable[tuple[str, Sequence[str]]] = ROW_EQUATIONS,
    k: int = STATS_MIN_GROUP,
    initial: Iterable[Cell] = (),
    public: Iterable[str] = (),
    hide_descendants: bool = True,
) -> set[Cell]:
    """The cells (row index, column) to hide, by the rules of the module's docstring.

        ``rows_values[i]`` are row i's true counts; ``parts[i]`` the indexes of the rows that add up to
        row i (empty for a leaf); ``initial`` cells are hidden from the start (a cell another table
        sharing it hides). ``public`` columns are known to the reader anyway (a unit's headcount): never
    hidden, always counted as known when working out what the shown cells reveal. Pure and
    deterministic."""
    n = len(rows_values)
    value = {(r, c): int(rows_values[r][c]) for r in range(n) for c in columns}
    descendants: list[list[int]] = [[] for _i in range(n)]
    for index in reversed(range(n)):
        for p in parts[index]:
            descendants[index].extend([p, *descendants[p]])
    depth = [0] * n
    for index in range(n):
        for p in parts[index]:
            depth[p] = depth[index] + 1
    equations: list[tuple[Cell, list[Cell]]] = []
    for r in range(n):
        if parts[r]:
            equations.extend(((r, c), [(p, c) for p in parts[r]]) for c in columns)
    for total, tiers in row_equations:
        equations.extend(((r, total), [(r, t) for t in tiers]) for r in range(n))

    public = frozenset(public)
    hidden: set[Cell] = {cell for cell, v in value.items() if 0 < v < k and cell[1] not in public} | set(initial)

    def repair(total: Cell, cells: list[Cell]) -> Cell | None:
        """The cell to hide next for this equation, or None when it is safe."""
        hidden_parts = [p for p in cells if p in hidden]
        total_hidden = total in hidden
        count = len(hidden_parts) + total_hidden
        if count == 0:
            return None
        shown = [p for p in cells if p not in hidden and p[1] not in public]
        nonzero = [p for p in shown if value[p] > 0]
        smallest = min(nonzero, key=lambda p: value[p]) if nonzero else None
        total_public = total[1] in public
        if total_hidden:
            if count > 1:
                return None
            # Only the total is hidden: it is the sum of the parts shown.
            return smallest or (shown[0] if shown else None)
        small_sum = 0 < sum(value[p] for p in hidden_parts) < k
        if small_sum and smallest is not None:
            return smallest
        if small_sum and not total_public:
            return total
        # (A public total with every non-zero part hidden: the hidden parts add up to the total,
        # which the reader knows anyway.)
        if count == 1:
            return smallest or (shown[0] if shown else (None if total_public else total))
        return None

    def fixed_point() -> None:
        changed = True
        while changed:
            changed = False
            for r, c in sorted(hidden) if hide_descendants else ():
                if c in public:
                    continue
                for d in descendants[r]:
                    if (d, c) not in hidden:
                        hidden.add((d, c))
                        changed = True
            for total, cells in equations:
                cell = repair(total, cells)
                if cell is not None:
                    hidden.add(cell)
                    changed = True

    fixed_point()
    # Rule 5: no hidden cell may be worked out by combining several equations at once (solving them
    # together, not one unknown at a time). While one can, hide the smallest shown cell of an
    # equation it is in (else of an equation linked to those), and apply the rules again. A cell
    # that follows from public cells alone (headcounts the reader knows) tells nothing new.
    from_public: set[Cell] = set()
    while True:
        exposed = [cell for cell in determined_cells(equations, hidden) if cell not in from_public]
        if not exposed:
            return hidden
        target = min(exposed)
        reached, frontier, candidates = {target}, [target], []
        while frontier and not candidates:
            linked = [
                cell
                for total, cells in equations
                if any(c == total or c in cells for c in frontier)
                for cell in (total, *cells)
            ]
            candidates = [c for c in linked if c not in hidden and c[1] not in public]
            frontier = [c for c in linked if c in hidden and c not in reached]
            reached.update(frontier)
        if not candidates:
            from_public.add(target)
            continue
        # The cell that costs least: a non-zero one, in the deepest row (a section before its town,
        # never the organisation's total when a row below it will do), the smallest.
        hidden.add(min(candidates, key=lambda cell: (value[cell] == 0, -depth[cell[0]], value[cell], cell)))
        fixed_point()


_PRIME = (1 << 61) - 1


def determined_cells(equations: Sequence[tuple[Cell, Sequence[Cell]]], hidden: set[Cell]) -> list[Cell]:
    """The hidden cells whose value follows from the shown ones by linear algebra: each equation
    ``total - sum(parts) = 0`` restricted to its hidden cells (the shown ones are known), reduced to
    row echelon form (modulo a large prime; the coefficients are small integers); a cell is determined
    when a reduced row holds it alone."""
    rows: list[dict[Cell, int]] = []
    for total, cells in equations:
        row: dict[Cell, int] = {}
        for cell, coefficient in ((total, 1), *((p, -1) for p in cells)):
            if cell in hidden:
                row[cell] = (row.get(cell, 0) + coefficient) % _PRIME
        row = {cell: v for cell, v in row.items() if v}
        if row:
            rows.append(row)
    pivots: dict[Cell, dict[Cell, int]] = {}
    for row in rows:
        row = dict(row)
        for pivot, prow in pivots.items():  # reduce by the pivots found so far
            factor = row.get(pivot)
            if factor:
                for cell, v in prow.items():
                    row[cell] = (row.get(cell, 0) - factor * v) % _PRIME
                row = {cell: v for cell, v in row.items() if v}
        if not row:
            continue
        pivot = min(row)
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {cell: v * inverse % _PRIME for cell, v in row.items()}
        for other in pivots.values():  # keep every pivot row reduced by the new one
            factor = other.get(pivot)
            if factor:
                for cell, v in row.items():
                    other[cell] = (other.get(cell, 0) - factor * v) % _PRIME
                for cell in [c for c, v in other.items() if not v]:
                    del other[cell]
        pivots[pivot] = row
    return sorted(pivot for pivot, prow in pivots.items() if len(prow) == 1)


def suppress(
    roots: Sequence[UnitNode],
    *,
    columns: Sequence[str] = COLUMNS,
    row_equations: Iterable[tuple[str, Sequence[str]]] = ROW_EQUATIONS,
    k: int = STATS_MIN_GROUP,
    total_label: str = "All",
    direct_label: Callable[[str], str] = lambda name: f"(directly in {name})",
) -> list[StatsRow]:
    """The displayed rows of the tree under ``roots`` with the cells to hide set to None (the rules are
    in the module's docstring). Pure: no database, no translation."""
    if k < 1:
        raise ValueError("k must be at least 1")
    rows = _flatten(roots, columns, total_label, direct_label)
    hidden = protect(
        [r.values for r in rows], [r.parts for r in rows], columns=columns, row_equations=row_equations, k=k
    )
    return [
        StatsRow(
            key=r.key,
            label=r.label,
            depth=r.depth,
            kind=r.kind,
            parts=tuple(rows[p].key for p in r.parts),
            values={c: None if (i, c) in hidden else r.values[c] for c in columns},
        )
        for i, r in enumerate(rows)
    ]


# --- The database side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignStats:
    campaign: ScreeningCampaign
    rows: list[StatsRow]
    columns: tuple[str, ...]
    k: int

    @property
    def total(self) -> StatsRow | None:
        """The top row: "All", or the one top unit."""
        return self.rows[0] if self.rows else None

    def headers(self) -> list[tuple[str, str]]:
        labels = {"invited": _("Invited"), "completed": _("Complete")}
        labels.update({t.value: str(t.label) for t in ScreeningTier})
        return [(c, labels[c]) for c in self.columns]


def min_group() -> int:
    return max(STATS_MIN_GROUP, int(getattr(settings, "STATS_MIN_GROUP_SIZE", STATS_MIN_GROUP)))


def top_units(units: Iterable[OrgUnit]) -> list[OrgUnit]:
    """``units`` without those below another of them, in tree order."""
    units = sorted(set(units), key=lambda u: u.path)
    return [u for u in units if not any(o.path != u.path and u.path.startswith(o.path) for o in units)]


def campaign_counts(campaign: ScreeningCampaign) -> tuple[list[OrgUnit], dict[int, dict[str, int]]]:
    """The units of the check-up's tree and, per unit, the true counts of the people directly in it
    (see the module's docstring for who counts where). Never shown as such: through ``suppress``."""
    roots = top_units(campaign.units.all())
    units = list(
        OrgUnit.objects.filter(policy.subtree_q(roots, prefix="")).order_by("path").only("id", "path", "name", "depth")
    )
    by_id = {u.pk: u for u in units}
    invitations = list(
        CampaignInvitation.objects.filter(campaign=campaign).values_list("person_id", "person__unit_id", "completed_at")
    )
    people = [p for p, _unit, _done in invitations]
    consents = list(ScreeningConsent.objects.filter(person_id__in=people).values_list("person_id", "withdrawn_at"))
    current = {person_id for person_id, withdrawn_at in consents if withdrawn_at is None}
    withdrawn = {person_id for person_id, withdrawn_at in consents if withdrawn_at is not None} - current
    # The latest result per person and questionnaire of this check-up, of people whose consent stands.
    latest: dict[tuple[int, int], str] = {}
    for person_id, instrument_id, tier, reviewed, _created, _pk in (
        Screening.objects.consented()
        .filter(campaign=campaign, instrument_id__in=[i.pk for i in campaign.instruments.all()])
        .order_by("person_id", "instrument_id", "-created_at", "-id")
        .values_list("person_id", "instrument_id", "tier", "reviewed_tier", "created_at", "id")
    ):
        latest.setdefault((person_id, instrument_id), reviewed or tier)
    tiers: dict[int, list[str]] = {}
    for (person_id, _instrument), tier in latest.items():
        tiers.setdefault(person_id, []).append(tier)
    counts: dict[int, dict[str, int]] = {u.pk: dict.fromkeys(COLUMNS, 0) for u in units}
    for person_id, unit_id, completed_at in invitations:
        # People are counted in their unit now; someone who moved out of the check-up's units is not.
        if person_id in withdrawn or unit_id not in by_id:
            continue
        row = counts[unit_id]
        row["invited"] += 1
        if completed_at is not None and person_id in tiers:
            row["completed"] += 1
            row[ScreeningTier.highest(tiers[person_id]).value] += 1
    return units, counts


def build_tree(units: list[OrgUnit], counts: Mapping[int, Mapping[str, int]]) -> list[UnitNode]:
    """Units (in path order, a closed subtree set) as UnitNodes."""
    nodes: dict[str, UnitNode] = {}
    roots: list[UnitNode] = []
    for unit in units:
        node = UnitNode(key=str(unit.pk), label=unit.name, direct=counts.get(unit.pk, {}))
        parent = nodes.get(unit.path[: -OrgUnit.steplen])
        (parent.children if parent is not None else roots).append(node)
        nodes[unit.path] = node
    return roots


def campaign_stats(*, user, campaign: ScreeningCampaign) -> CampaignStats:
    """The check-up's figures by unit, suppressed (k >= 5): the leading group and the lead counsellor."""
    if not policy.can(user, "campaign.stats", campaign):
        raise PermissionDenied
    units, counts = campaign_counts(campaign)
    k = min_group()
    rows = suppress(
        build_tree(units, counts),
        k=k,
        total_label=_("All units of the check-up"),
        direct_label=lambda name: _("(directly in %(unit)s)") % {"unit": name},
    )
    return CampaignStats(campaign=campaign, rows=rows, columns=COLUMNS, k=k)
