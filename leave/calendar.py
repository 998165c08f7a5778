"""Working days in China: weekends and public holidays off, make-up workdays (调休上班) on.

Where a year's days come from (domain.md "Public holidays and make-up workdays"):

1. an administrator's ``HolidayYear`` (entered when the State Council announces a year, or a
   correction): it replaces the library's data for that year; unticking "announced" marks it a draft;
2. else the ``chinesecalendar`` library, for the years it has (2004 to 2026 in 1.11.0);
3. else nothing is known: weekends only, and every count that touches the year says **provisional**.

``holidays`` (the other well-known library) estimates future years without their make-up workdays, so
it is not used: an estimate that looks certain is worse than a count marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import chinese_calendar
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from leave.models import CalendarDay, HolidayYear

#: The years the system accepts at all (a count outside is bad input, not a provisional count).
FIRST_YEAR = 2004
LAST_YEAR = 2100
HALF = Decimal("0.5")


@dataclass(frozen=True)
class YearDays:
    """One year's exceptions to the weekend rule and where they come from."""

    year: int
    source: str  # "admin", "library" or "none"
    announced: bool
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)

    @property
    def provisional(self) -> bool:
        return not self.announced


#: The library names holidays in English; the calendar keeps the names the announcements use.
LIBRARY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _library_year(year: int) -> YearDays | None:
    # chinese_calendar raises NotImplementedError outside the years it has data for.
    try:
        chinese_calendar.is_holiday(date(year, 1, 1))
    except NotImplementedError:
        return None
    holidays = {d: LIBRARY_NAMES.get(n, n) for d, n in chinese_calendar.holidays.items() if d.year == year}
    workdays = {d: LIBRARY_NAMES.get(n, n) for d, n in chinese_calendar.workdays.items() if d.year == year}
    return YearDays(year, "library", True, holidays, workdays)


def library_years() -> range:
    """The years the library has data for."""
    years = sorted({d.year for d in chinese_calendar.workdays} | {d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def library_days(year: int) -> YearDays | None:
    """The library's days for ``year`` (to prefill an administrator's year), or None."""
    return _library_year(year)


class Calendar:
    """Reads each year once (the administrator's rows or the library) and answers for any day.
    Make one per request or task; it does not notice edits made after it read a year."""

    def __init__(self) -> None:
        self._years: dict[int, YearDays] = {}

    def year(self, year: int) -> YearDays:
        check_year(year)
        if year not in self._years:
            self._years[year] = self._load(year)
        return self._years[year]

    def _load(self, year: int) -> YearDays:
        row = HolidayYear.objects.filter(year=year).first()
        if row is not None:
            holidays, workdays = {}, {}
            for day in CalendarDay.objects.filter(holiday_year=row):
                (holidays if day.kind == CalendarDay.Kind.HOLIDAY else workdays)[day.date] = day.name
            return YearDays(year, "admin", row.announced, holidays, workdays)
        library = _library_year(year)
        if library is not None:
            return library
        return YearDays(year, "none", False)

    def is_workday(self, day: date) -> bool:
        y = self.year(day.year)
        if day in y.workdays:
            return True
        if day in y.holidays:
            return False
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str:
        return self.year(day.year).holidays.get(day, "")

    def provisional(self, start: date, end: date) -> bool:
        return any(self.year(y).provisional for y in range(start.year, end.year + 1))

    def count(self, start: date, end: date, *, working_days: bool = True, start_pm: bool = False, end_am: bool = False):
        """Days from ``start`` to ``end`` inclusive: working days (weekends and holidays excluded,
        make-up workdays included; 职工带薪年休假条例 §4: holidays inside leave are not counted) or
        calendar days (探亲假, 产假 and the like run through weekends and holidays). A half day at either
        end counts 0.5 if that day counts at all. Returns ``(days, provisional)``."""
        if end < start:
            raise ValidationError({"end_date": [_("The last day is before the first day.")]})
        check_year(start.year)
        check_year(end.year)
        total = Decimal(0)
        day = start
        while day <= end:
            if not working_days or self.is_workday(day):
                part = Decimal(1)
                if day == start and start_pm:
                    part -= HALF
                if day == end and end_am:
                    part -= HALF
                total += max(part, Decimal(0))
            day += timedelta(days=1)
        return total, self.provisional(start, end)

    def add_working_days(self, start: date, n: int) -> date:
        """The date ``n`` working days after ``start``."""
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            {"year": [_("Give a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}]}
        )


def working_days(start: date, end: date, **kwargs):
    """``Calendar().count(...)`` for a single question."""
    return Calendar().count(start, end, **kwargs)


def year_summary(year: int) -> dict:
    """A year's holidays and make-up workdays for the API and the calendar page."""
    y = Calendar().year(year)
    days = [{"date": d, "kind": "holiday", "name": n} for d, n in y.holidays.items()]
    days += [{"date": d, "kind": "workday", "name": n} for d, n in y.workdays.items()]
    days.sort(key=lambda row: row["date"])
    return {"year": year, "source": y.source, "provisional": y.provisional, "days": days}
