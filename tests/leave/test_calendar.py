"""Working days in China: weekends and public holidays off, make-up workdays (调休上班) on.

The expected counts come from the State Council's announcements, worked out by hand here:

- 2025 (国办发明电〔2024〕12号): 春节 28 Jan (Tue) to 4 Feb (Tue) off, 26 Jan (Sun) and 8 Feb (Sat)
  worked; 国庆节/中秋节 1 Oct (Wed) to 8 Oct (Wed) off, 28 Sep (Sun) and 11 Oct (Sat) worked.
- 2026 (国办发明电〔2025〕7号): 元旦 1 to 3 Jan off, 4 Jan (Sun) worked; 春节 15 Feb (Sun) to 23 Feb (Mon)
  off, 14 Feb (Sat) and 28 Feb (Sat) worked; 国庆节 1 Oct (Thu) to 7 Oct (Wed) off, 20 Sep (Sun) and
  10 Oct (Sat) worked.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from leave.calendar import Calendar, check_year, library_years, working_days, year_summary
from leave.models import CalendarDay, HolidayYear

pytestmark = pytest.mark.django_db


MAKE_UP_WORKDAYS = [
    date(2025, 1, 26),
    date(2025, 2, 8),
    date(2025, 9, 28),
    date(2025, 10, 11),
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


@pytest.mark.parametrize("day", MAKE_UP_WORKDAYS)
def test_make_up_workdays_are_workdays_though_they_fall_on_a_weekend(day):
    assert day.weekday() >= 5
    assert Calendar().is_workday(day)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 1, 28), "春节"),
        (date(2025, 2, 4), "春节"),
        (date(2025, 10, 8), "国庆节"),
        (date(2026, 1, 2), "元旦"),
        (date(2026, 2, 23), "春节"),
        (date(2026, 10, 7), "国庆节"),
    ],
)
def test_holidays_on_weekdays_are_days_off_with_their_names(day, name):
    calendar = Calendar()
    assert day.weekday() < 5
    assert not calendar.is_workday(day)
    assert calendar.holiday_name(day) == name


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 2025 Spring Festival: Mon 20 .. Fri 24 Jan (5), Sun 26 (made up), Mon 27, Wed 5 .. Fri 7 Feb (3),
        # Sat 8 Feb (made up): 11.
        (date(2025, 1, 20), date(2025, 2, 9), 11),
        # 2025 National Day: Mon 29, Tue 30 Sep, Thu 9, Fri 10 Oct, Sat 11 Oct (made up): 5.
        (date(2025, 9, 29), date(2025, 10, 12), 5),
        # The week around 2026 New Year, across the two years: Mon 29 .. Wed 31 Dec, Sun 4 Jan: 4.
        (date(2025, 12, 29), date(2026, 1, 4), 4),
        # 2026 Spring Festival: Mon 9 .. Fri 13 Feb (5), Sat 14 (made up), Tue 24 .. Fri 27 (4): 10.
        (date(2026, 2, 9), date(2026, 2, 27), 10),
        # ... and Sat 28 Feb is made up too: 11.
        (date(2026, 2, 9), date(2026, 2, 28), 11),
        # 2026 National Day: Mon 28 .. Wed 30 Sep (3), Thu 8, Fri 9 Oct, Sat 10 Oct (made up): 6.
        (date(2026, 9, 28), date(2026, 10, 10), 6),
        # An ordinary fortnight of March 2026: 10.
        (date(2026, 3, 2), date(2026, 3, 15), 10),
        # Only holidays and weekends: nothing.
        (date(2026, 2, 15), date(2026, 2, 23), 0),
    ],
)
def test_working_days_across_the_spring_festival_and_national_day(start, end, expected):
    days, provisional = Calendar().count(start, end)
    assert days == expected
    assert provisional is False


@pytest.mark.parametrize(
    ("start", "end", "start_pm", "end_am", "expected"),
    [
        (date(2026, 3, 2), date(2026, 3, 2), True, False, Decimal("0.5")),
        (date(2026, 3, 2), date(2026, 3, 2), False, True, Decimal("0.5")),
        (date(2026, 3, 2), date(2026, 3, 6), True, True, Decimal(4)),
        # Friday afternoon to the made-up Saturday morning: two half days.
        (date(2026, 2, 13), date(2026, 2, 14), True, True, Decimal(1)),
        # A half day on a day that does not count takes nothing off: Friday afternoon .. Sunday.
        (date(2026, 3, 6), date(2026, 3, 8), True, True, Decimal("0.5")),
    ],
)
def test_half_days_count_half(start, end, start_pm, end_am, expected):
    days, _provisional = Calendar().count(start, end, start_pm=start_pm, end_am=end_am)
    assert days == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 9, 28), date(2026, 10, 10), 13),
        (date(2026, 2, 9), date(2026, 2, 27), 19),
        (date(2026, 1, 1), date(2026, 4, 8), 98),  # 98 days of maternity leave from 1 January
    ],
)
def test_calendar_day_types_count_weekends_and_holidays(start, end, expected):
    days, _provisional = Calendar().count(start, end, working_days=False)
    assert days == expected == (end - start).days + 1


def test_an_administrators_year_replaces_the_library():
    # A correction entered by an administrator: 2026-02-14 declared a holiday, 2026-03-07 a workday.
    year = HolidayYear.objects.create(year=2026, announced=True, note="测试更正")
    CalendarDay.objects.create(holiday_year=year, date=date(2026, 2, 16), kind="holiday", name="春节")
    CalendarDay.objects.create(holiday_year=year, date=date(2026, 3, 7), kind="workday", name="调休")
    calendar = Calendar()
    assert calendar.year(2026).source == "admin"
    # Only the administrator's days count now: 14 Feb is an ordinary Saturday, 17 Feb an ordinary Tuesday.
    assert not calendar.is_workday(date(2026, 2, 14))
    assert calendar.is_workday(date(2026, 2, 17))
    assert calendar.is_workday(date(2026, 3, 7))
    assert calendar.count(date(2026, 2, 9), date(2026, 2, 27)) == (Decimal(14), False)
    # Other years still come from the library.
    assert calendar.year(2025).source == "library"
    assert calendar.is_workday(date(2025, 1, 26))


def test_an_administrators_year_not_yet_announced_is_provisional():
    HolidayYear.objects.create(year=2026, announced=False)
    days, provisional = Calendar().count(date(2026, 3, 2), date(2026, 3, 6))
    assert (days, provisional) == (5, True)


def test_a_year_entered_by_the_administrator_beyond_the_library_is_not_provisional():
    year = HolidayYear.objects.create(year=2027, announced=True)
    CalendarDay.objects.create(holiday_year=year, date=date(2027, 1, 1), kind="holiday", name="元旦")
    days, provisional = Calendar().count(date(2026, 12, 28), date(2027, 1, 1))
    # Mon 28 .. Thu 31 Dec 2026, and 1 Jan 2027 a holiday: 4, not provisional.
    assert (days, provisional) == (4, False)


@pytest.mark.parametrize("year", [library_years()[-1] + 1, 2030, 2100])
def test_an_unannounced_year_counts_weekdays_and_says_provisional(year):
    start = date(year, 3, 1)
    end = start + timedelta(days=13)
    days, provisional = Calendar().count(start, end)
    assert provisional is True
    assert days == sum(1 for n in range(14) if (start + timedelta(days=n)).weekday() < 5)
    summary = year_summary(year)
    assert (summary["source"], summary["provisional"], summary["days"]) == ("none", True, [])


def test_a_count_that_only_touches_an_unannounced_year_is_provisional():
    first_unknown = library_years()[-1] + 1
    _days, provisional = Calendar().count(date(first_unknown - 1, 12, 28), date(first_unknown, 1, 2))
    assert provisional is True


@pytest.mark.parametrize("year", [1990, 2003, 2101, 9999])
def test_a_year_outside_2004_to_2100_is_refused(year):
    with pytest.raises(ValidationError) as exc:
        check_year(year)
    assert "year" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        working_days(date(year, 1, 1), date(year, 1, 31))
    assert "year" in exc.value.message_dict


def test_the_last_day_before_the_first_is_refused():
    with pytest.raises(ValidationError) as exc:
        Calendar().count(date(2026, 3, 6), date(2026, 3, 2))
    assert "end_date" in exc.value.message_dict


def test_the_year_summary_lists_holidays_and_make_up_workdays_in_order():
    summary = year_summary(2026)
    assert (summary["year"], summary["source"], summary["provisional"]) == (2026, "library", False)
    workdays = [row["date"] for row in summary["days"] if row["kind"] == "workday"]
    # The 2026 make-up workdays above and Saturday 9 May (Labour Day), in date order.
    assert workdays == sorted([*(day for day in MAKE_UP_WORKDAYS if day.year == 2026), date(2026, 5, 9)])
    dates = [row["date"] for row in summary["days"]]
    assert dates == sorted(dates)
    spring = [row for row in summary["days"] if row["kind"] == "holiday" and row["name"] == "春节"]
    assert [row["date"] for row in spring] == [date(2026, 2, 15) + timedelta(days=n) for n in range(9)]
