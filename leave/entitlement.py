"""The annual-leave entitlement engine: pure functions of a person's service and a year's facts, so
each rule can be tested from a table (tests/leave/test_entitlement.py).

Sources (domain.md "Annual paid leave"):
- 职工带薪年休假条例 (2007), cited as 条例 §n;
- 企业职工带薪年休假实施办法 (2008), cited as 企业办法 §n;
- 机关事业单位工作人员带薪年休假实施办法 (2008), cited as 机关办法 §n.

The organisation chooses the rule set (``LEAVE_RULE_SET``): ``public`` (机关/事业单位, the default) or
``enterprise``. Every number the texts call configurable is a setting (README, "Leave").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings

PUBLIC = "public"
ENTERPRISE = "enterprise"
RULE_SETS = (PUBLIC, ENTERPRISE)

#: 条例 §3: 1 to <10 years of cumulative service: 5 days; 10 to <20: 10 days; 20 or more: 15 days.
BANDS = ((20, 15), (10, 10), (1, 5))
THRESHOLDS = (1, 10, 20)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Facts:
    """What the engine needs to know about one person in one year."""

    work_start: date | None
    hire_date: date | None = None
    left_on: date | None = None
    #: Paid personal leave (事假 without pay deduction) in the year, in days.
    personal_days: Decimal = Decimal(0)
    #: Sick leave in the year, in calendar days.
    sick_days: int = 0
    #: Annual leave already taken in the year (approved, not cancelled).
    annual_taken: Decimal = Decimal(0)
    #: The previous year ended with the knock-on rule (机关办法 §4, 企业办法 §8): none this year.
    knock_on_from_previous: bool = False


@dataclass(frozen=True)
class Entitlement:
    days: Decimal
    #: The statutory days of the person's service band (before pro-rating or the ineligibility rules).
    band_days: int
    #: Why, as a stable code (worded by ``leave.selectors.BASIS_LABELS``).
    basis: str
    #: This year's ineligibility came after annual leave was taken: none next year.
    knock_on_next: bool = False


def anniversary(start: date, years: int) -> date:
    """The day ``years`` years after ``start`` (29 February falls on 28 February in other years)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def service_years(work_start: date, on: date) -> int:
    """Completed years of cumulative service (工作年限, not years at this unit; 条例 §3) on ``on``."""
    years = on.year - work_start.year
    if anniversary(work_start, years) > on:
        years -= 1
    return max(years, 0)


def band_days(years: int) -> int:
    # 条例 §2: entitled after more than one year of continuous work; §3: the three bands.
    for threshold, days in BANDS:
        if years >= threshold:
            return days
    return 0


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def public_band_on(work_start: date, on: date) -> int:
    """机关办法: "工作年限满1年、满10年、满20年后，从下月起享受相应的年休假天数" - the higher entitlement
    starts the month after the person reaches 1, 10 or 20 years."""
    reached = 0
    for threshold in THRESHOLDS:
        if _first_of_next_month(anniversary(work_start, threshold)) <= on:
            reached = threshold
    return band_days(reached)


def sick_limit_days(years: int) -> int:
    """条例 §4 (3)-(5): sick leave of 2+ months (service under 10 years), 3+ months (10 to 20), 4+
    months (20 or more) means no annual leave that year. Months as ``LEAVE_SICK_MONTH_DAYS`` days."""
    under_ten, under_twenty, twenty_plus = settings.LEAVE_SICK_MONTHS
    months = under_ten if years < 10 else under_twenty if years < 20 else twenty_plus
    return months * settings.LEAVE_SICK_MONTH_DAYS


def ineligibility(year: int, facts: Facts) -> str | None:
    """Which rule takes the year's annual leave away, if any (条例 §4 (2)-(5))."""
    if facts.personal_days >= settings.LEAVE_PERSONAL_LIMIT_DAYS:
        return "personal"  # §4 (2): 事假 of 20 days or more without pay deduction
    if facts.work_start is not None:
        years = service_years(facts.work_start, date(year, 12, 31))
        if facts.sick_days >= sick_limit_days(years):
            return "sick"  # §4 (3)-(5)
    return None


def _prorate(days: int, period_days: int) -> Decimal:
    # 企业办法 §5, §12: (calendar days ÷ 365) × the year's days; a fraction of a day is dropped.
    value = (Decimal(period_days) / Decimal(365) * Decimal(days)).quantize(Decimal(1), rounding=ROUND_FLOOR)
    return min(value, Decimal(days))


def entitlement(year: int, facts: Facts, *, rule_set: str | None = None, as_of: date | None = None) -> Entitlement:
    """The year's annual leave. ``as_of`` (default: the year's last day) matters for the public rule
    set, whose higher band starts in the month after a threshold: the allocation grows when it does."""
    rule_set = rule_set or settings.LEAVE_RULE_SET
    first, last = date(year, 1, 1), date(year, 12, 31)
    as_of = min(max(as_of or last, first), last)
    if facts.work_start is None:
        return Entitlement(Decimal(0), 0, "no_work_start")
    band_at_end = band_days(service_years(facts.work_start, last))
    if facts.knock_on_from_previous:
        # 机关办法 §4, 企业办法 §8: leave taken, then ineligible in the same year: none the next year.
        return Entitlement(Decimal(0), band_at_end, "knock_on")
    if rule_set == PUBLIC:
        days = Decimal(public_band_on(facts.work_start, as_of))
        basis = "band" if days else "under_one_year"
    else:
        # 企业办法 §3: more than 12 months of continuous work; §5: a new joiner's days are pro-rated
        # from the hire date; §12: a leaver's by the days worked. A band reached during the year
        # counts from the day it is reached, pro-rated the same way.
        start = max(first, anniversary(facts.work_start, 1))  # 满12个月以上: from the day (以上 includes it)
        if facts.hire_date is not None and facts.hire_date > start:
            start = facts.hire_date
        end = last
        if facts.left_on is not None and facts.left_on < end:
            end = facts.left_on
        if start > end:
            return Entitlement(Decimal(0), band_at_end, "under_one_year" if start > last else "left")
        total = Decimal(0)
        segment_start = start
        for threshold in (10, 20, None):
            boundary = anniversary(facts.work_start, threshold) if threshold else None
            segment_end = end if boundary is None or boundary > end else boundary - _ONE_DAY
            if segment_end >= segment_start:
                days_in_band = band_days(service_years(facts.work_start, segment_start))
                total += Decimal((segment_end - segment_start).days + 1) / Decimal(365) * days_in_band
                segment_start = segment_end + _ONE_DAY
            if segment_start > end:
                break
        days = min(total.quantize(Decimal(1), rounding=ROUND_FLOOR), Decimal(band_at_end))
        full = start == first and end == last
        basis = "band" if full else "prorated_leaver" if end < last else "prorated_joiner"
    rule = ineligibility(year, facts)
    if rule is not None:
        if facts.annual_taken > 0:
            # Already taken: nothing more this year, and none next year (机关办法 §4, 企业办法 §8).
            return Entitlement(min(facts.annual_taken, days), band_at_end, f"ineligible_{rule}", knock_on_next=True)
        return Entitlement(Decimal(0), band_at_end, f"ineligible_{rule}")
    return Entitlement(days, band_at_end, basis)
