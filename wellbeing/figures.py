"""The organisation's figures (design/access.md, "counts, k >= 5"): a registry of *dimensions*, each
putting every active person in exactly one category (talked to this year or not, the oldest overdue
follow-up about them, their open case's risk, ...).

Each app registers its dimensions from its AppConfig.ready() (``register_dimension``), so the core
never imports another app; the programme app's dashboard, its work-ledger export and its API count
people per unit and category over all registered dimensions at once and suppress the small groups in
one pass (``wellbeing.screening.stats.protect``), so no figure of one area can be subtracted from a
figure of another.

A dimension's ``classify(period, person_ids)`` returns {person id: category key} for the people it
knows something about; everyone else is in its ``default`` category. It runs a fixed number of
queries whatever the number of people or units (the dashboard's query count is pinned in a test).
Because every dimension partitions the same people, "staff = the sum of a dimension's categories"
holds exactly in every unit, and the suppression protects it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.functional import Promise


@dataclass(frozen=True)
class Period:
    """A calendar year (the plan's year): ``start`` inclusive, ``end`` exclusive. ``now`` is the
    moment the figures describe: the end of the year for a past year, else the present."""

    year: int
    now: datetime

    @classmethod
    def for_year(cls, year: int, *, now: datetime | None = None) -> Period:
        now = now or timezone.now()
        end = timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min))
        return cls(year=year, now=min(now, end))

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year + 1, 1, 1)

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end, time.min))

    @property
    def is_current(self) -> bool:
        return self.now < self.end_at


@dataclass(frozen=True)
class Category:
    key: str
    label: Promise | str
    colour: str = "#6c757d"


@dataclass(frozen=True)
class Sum:
    """A derived column: the sum of some categories (e.g. "completed" = the four tiers)."""

    key: str
    label: Promise | str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Indicator:
    """A share the system measures itself, for a plan task's indicator: people in ``numerator``
    over people in ``denominator`` (category or sum keys of the same dimension; empty: all staff)."""

    key: str
    label: Promise | str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    #: The share is of those *not* in the numerator (participation: the invited less those pending),
    #: so a small category (the few at high risk) need not be shown for the share to be.
    complement: bool = False


@dataclass(frozen=True)
class Dimension:
    key: str  # "talks.coverage"
    title: Promise | str
    categories: tuple[Category, ...]
    default: str
    classify: Callable[[Period, Collection[int]], Mapping[int, str]]
    sums: tuple[Sum, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    #: Describes the present only (open cases, overdue follow-ups): shown for the current year only.
    current_only: bool = False
    #: The categories a chart stacks (empty: all but the default).
    chart: tuple[str, ...] = ()
    #: One sentence under its table: what counts where.
    explanation: Promise | str = ""
    order: int = 100
    extra: Mapping[str, object] = field(default_factory=dict)

    def column(self, key: str) -> str:
        return f"{self.key}:{key}"

    @property
    def columns(self) -> list[str]:
        return [self.column(c.key) for c in self.categories] + [self.column(s.key) for s in self.sums]

    def equations(self) -> list[tuple[str, tuple[str, ...]]]:
        """Column equations: staff = the sum of the categories; each sum = its parts."""
        return [(STAFF, tuple(self.column(c.key) for c in self.categories))] + [
            (self.column(s.key), tuple(self.column(p) for p in s.parts)) for s in self.sums
        ]


#: The column of active staff (every dimension's categories add up to it).
STAFF = "staff"

_dimensions: dict[str, Dimension] = {}


def register_dimension(dimension: Dimension) -> Dimension:
    """Called from an app's AppConfig.ready()."""
    if dimension.key in _dimensions:
        raise ValueError(f"A dimension {dimension.key!r} is registered already.")
    keys = {c.key for c in dimension.categories}
    if dimension.default not in keys:
        raise ValueError(f"{dimension.key}: the default category must be one of its categories.")
    for s in dimension.sums:
        if not set(s.parts) <= keys or s.key in keys:
            raise ValueError(f"{dimension.key}: a sum adds up categories and has a key of its own.")
    _dimensions[dimension.key] = dimension
    return dimension


def dimensions() -> list[Dimension]:
    return sorted(_dimensions.values(), key=lambda d: (d.order, d.key))


def dimension(key: str) -> Dimension | None:
    return _dimensions.get(key)


def indicators() -> list[tuple[Dimension, Indicator]]:
    return [(d, i) for d in dimensions() for i in d.indicators]


def indicator(key: str) -> tuple[Dimension, Indicator] | None:
    for d, i in indicators():
        if i.key == key:
            return d, i
    return None


def classify_all(period: Period, person_ids: Sequence[int]) -> dict[str, Mapping[int, str]]:
    """Every dimension's categories for these people (the ones a dimension does not name are in its
    default category)."""
    ids = frozenset(person_ids)
    out: dict[str, Mapping[int, str]] = {}
    for d in dimensions():
        keys = {c.key for c in d.categories}
        found = d.classify(period, ids)
        unknown = {v for v in found.values() if v not in keys}
        if unknown:
            raise ValueError(f"{d.key}: unknown categories {sorted(unknown)}")
        out[d.key] = {pk: v for pk, v in found.items() if pk in ids}
    return out
