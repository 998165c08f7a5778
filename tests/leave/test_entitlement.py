"""The annual-leave entitlement engine, rule by rule, from tables (no database): domain.md "Annual paid
leave"; 职工带薪年休假条例 (条例), 企业职工带薪年休假实施办法 (企业办法), 机关事业单位工作人员带薪年休假实施办法
(机关办法).

The expected numbers are worked out by hand in the comments, from the texts, not from the code."""

from datetime import date
from decimal import Decimal

import pytest

from leave import entitlement as engine
from leave.entitlement import ENTERPRISE, PUBLIC, Facts


def days_of(year, facts, rule_set=PUBLIC, as_of=None):
    return engine.entitlement(year, facts, rule_set=rule_set, as_of=as_of)


# --- Years of service: 条例 §3 (1 to <10: 5 days; 10 to <20: 10; 20 or more: 15) -----------------------


@pytest.mark.parametrize(
    ("work_start", "on", "years"),
    [
        (date(2025, 3, 10), date(2026, 3, 9), 0),  # the day before one year
        (date(2025, 3, 10), date(2026, 3, 10), 1),  # exactly one year
        (date(2016, 6, 15), date(2026, 6, 14), 9),
        (date(2016, 6, 15), date(2026, 6, 15), 10),
        (date(2006, 12, 15), date(2026, 12, 14), 19),
        (date(2006, 12, 15), date(2026, 12, 15), 20),
        (date(2004, 2, 29), date(2005, 2, 27), 0),  # a 29 February start has its anniversary on the 28th
        (date(2004, 2, 29), date(2005, 2, 28), 1),
        (date(2026, 5, 1), date(2026, 1, 1), 0),  # not started yet: never negative
    ],
)
def test_it_counts_completed_years_of_service(work_start, on, years):
    assert engine.service_years(work_start, on) == years


@pytest.mark.parametrize(("years", "days"), [(0, 0), (1, 5), (9, 5), (10, 10), (19, 10), (20, 15), (42, 15)])
def test_the_statutory_band_for_each_length_of_service(years, days):
    assert engine.band_days(years) == days


# --- The public rule set: the higher band from the month after the threshold (机关办法 §5) ----------------


@pytest.mark.parametrize(
    ("work_start", "as_of", "days"),
    [
        # One year reached on 2026-03-10: nothing in March, 5 days from April.
        (date(2025, 3, 10), date(2026, 3, 9), 0),
        (date(2025, 3, 10), date(2026, 3, 10), 0),
        (date(2025, 3, 10), date(2026, 3, 31), 0),
        (date(2025, 3, 10), date(2026, 4, 1), 5),
        # Ten years reached on 2026-06-15: still 5 days on 30 June, 10 days from 1 July.
        (date(2016, 6, 15), date(2026, 6, 14), 5),
        (date(2016, 6, 15), date(2026, 6, 15), 5),
        (date(2016, 6, 15), date(2026, 6, 30), 5),
        (date(2016, 6, 15), date(2026, 7, 1), 10),
        # Reached on the 1st of a month (2026-07-01): the month after is August.
        (date(2016, 7, 1), date(2026, 7, 1), 5),
        (date(2016, 7, 1), date(2026, 7, 31), 5),
        (date(2016, 7, 1), date(2026, 8, 1), 10),
        # Twenty years reached on 2026-05-20: 15 days from June.
        (date(2006, 5, 20), date(2026, 5, 31), 10),
        (date(2006, 5, 20), date(2026, 6, 1), 15),
        # Twenty years reached in December: the higher band only starts in January, in the next year.
        (date(2006, 12, 15), date(2026, 12, 31), 10),
    ],
)
def test_public_rule_set_raises_the_band_in_the_month_after_the_threshold(work_start, as_of, days):
    result = days_of(as_of.year, Facts(work_start=work_start), PUBLIC, as_of)
    assert result.days == days
    assert result.basis == ("band" if days else "under_one_year")


def test_public_rule_set_reaching_twenty_years_in_december_gives_fifteen_days_the_next_year():
    assert days_of(2027, Facts(work_start=date(2006, 12, 15)), PUBLIC, date(2027, 1, 1)).days == 15


def test_the_day_the_allocation_is_worked_out_is_kept_within_the_year():
    facts = Facts(work_start=date(2016, 6, 15))
    # Before the year: as of 1 January (5 days); after it: as of 31 December (10 days).
    assert days_of(2026, facts, PUBLIC, date(2025, 6, 1)).days == 5
    assert days_of(2026, facts, PUBLIC, date(2027, 6, 1)).days == 10
    assert days_of(2026, facts, PUBLIC).days == 10  # default: the year's last day


def test_public_rule_set_does_not_pro_rate_joiners_or_leavers():
    # 机关办法 has no pro-rating: a full year's band for whoever is entitled.
    facts = Facts(work_start=date(2010, 1, 1), hire_date=date(2026, 7, 3), left_on=date(2026, 9, 30))
    assert days_of(2026, facts, PUBLIC).days == 10


# --- The enterprise rule set: pro-rating (企业办法 §3, §5, §12) -----------------------------------------


@pytest.mark.parametrize(
    ("facts", "days", "basis"),
    [
        # Whole year, 16 years of service: the full band.
        (Facts(work_start=date(2010, 1, 1), hire_date=date(2012, 3, 1)), 10, "band"),
        # New joiner: 1 Jul..31 Dec is 184 days: 184/365 x 10 = 5.04 -> 5.
        (Facts(work_start=date(2010, 1, 1), hire_date=date(2026, 7, 1)), 5, "prorated_joiner"),
        # 3 Jul..31 Dec is 182 days: 182/365 x 10 = 4.99 -> 4 (the fraction is dropped, never rounded up).
        (Facts(work_start=date(2010, 1, 1), hire_date=date(2026, 7, 3)), 4, "prorated_joiner"),
        # 5 days a year: 1 Oct..31 Dec is 92 days: 92/365 x 5 = 1.26 -> 1.
        (Facts(work_start=date(2020, 1, 1), hire_date=date(2026, 10, 1)), 1, "prorated_joiner"),
        # Leaver: 1 Jan..30 Jun is 181 days: 181/365 x 10 = 4.96 -> 4.
        (Facts(work_start=date(2010, 1, 1), left_on=date(2026, 6, 30)), 4, "prorated_leaver"),
        # 1 Jan..2 Jul is 183 days: 183/365 x 10 = 5.01 -> 5.
        (Facts(work_start=date(2010, 1, 1), left_on=date(2026, 7, 2)), 5, "prorated_leaver"),
        # Both: 1 Mar..31 Oct is 245 days: 245/365 x 10 = 6.71 -> 6.
        (
            Facts(work_start=date(2010, 1, 1), hire_date=date(2026, 3, 1), left_on=date(2026, 10, 31)),
            6,
            "prorated_leaver",
        ),
        # 20+ years, joined on 1 December: 31/365 x 15 = 1.27 -> 1.
        (Facts(work_start=date(1990, 9, 1), hire_date=date(2026, 12, 1)), 1, "prorated_joiner"),
        # More than 12 months of work reached during the year (企业办法 §3): from that day,
        # 10 Mar..31 Dec is 297 days: 297/365 x 5 = 4.07 -> 4.
        (Facts(work_start=date(2025, 3, 10)), 4, "prorated_joiner"),
        # Under one year all year: nothing.
        (Facts(work_start=date(2026, 2, 1)), 0, "under_one_year"),
        # Left before becoming entitled.
        (Facts(work_start=date(2025, 9, 1), left_on=date(2026, 5, 1)), 0, "left"),
    ],
)
def test_enterprise_rule_set_pro_rates_joiners_and_leavers(facts, days, basis):
    result = days_of(2026, facts, ENTERPRISE)
    assert (result.days, result.basis) == (days, basis)


def test_enterprise_rule_set_counts_a_higher_band_from_the_day_it_is_reached():
    # Ten years on 2026-06-15: 1 Jan..14 Jun (165 days) at 5 days and 15 Jun..31 Dec (200 days) at 10:
    # 165/365 x 5 + 200/365 x 10 = 2.26 + 5.48 = 7.74 -> 7; more than the old band, less than the new.
    result = days_of(2026, Facts(work_start=date(2016, 6, 15)), ENTERPRISE)
    assert result.days == 7
    assert result.band_days == 10


def test_the_organisation_chooses_the_rule_set(settings):
    joiner = Facts(work_start=date(2010, 1, 1), hire_date=date(2026, 7, 3))
    settings.LEAVE_RULE_SET = "public"
    assert engine.entitlement(2026, joiner).days == 10
    settings.LEAVE_RULE_SET = "enterprise"
    assert engine.entitlement(2026, joiner).days == 4


@pytest.mark.parametrize("rule_set", [PUBLIC, ENTERPRISE])
def test_no_work_start_date_means_no_allocation(rule_set):
    result = days_of(2026, Facts(work_start=None, hire_date=date(2020, 1, 1)), rule_set)
    assert (result.days, result.basis) == (0, "no_work_start")


@pytest.mark.parametrize("rule_set", [PUBLIC, ENTERPRISE])
def test_under_one_year_of_service_means_no_annual_leave(rule_set):
    result = days_of(2026, Facts(work_start=date(2026, 1, 5)), rule_set)
    assert (result.days, result.basis) == (0, "under_one_year")


# --- Ineligibility (条例 §4) and its knock-on to the next year --------------------------------------------

SHORT = date(2020, 1, 1)  # 6 years of service at the end of 2026: band 5, sick limit 2 months
MIDDLE = date(2012, 1, 1)  # 14 years: band 10, sick limit 3 months
LONG = date(2000, 1, 1)  # 26 years: band 15, sick limit 4 months


@pytest.mark.parametrize(
    ("facts", "days", "basis"),
    [
        # §4 (2): paid personal leave of 20 days or more.
        (Facts(work_start=MIDDLE, personal_days=Decimal("19.5")), 10, "band"),
        (Facts(work_start=MIDDLE, personal_days=Decimal(20)), 0, "ineligible_personal"),
        (Facts(work_start=MIDDLE, personal_days=Decimal(35)), 0, "ineligible_personal"),
        # §4 (3): under 10 years of service, sick leave of 2 months (60 days) or more.
        (Facts(work_start=SHORT, sick_days=59), 5, "band"),
        (Facts(work_start=SHORT, sick_days=60), 0, "ineligible_sick"),
        # §4 (4): 10 to 20 years, 3 months (90 days).
        (Facts(work_start=MIDDLE, sick_days=89), 10, "band"),
        (Facts(work_start=MIDDLE, sick_days=90), 0, "ineligible_sick"),
        # §4 (5): 20 years or more, 4 months (120 days).
        (Facts(work_start=LONG, sick_days=119), 15, "band"),
        (Facts(work_start=LONG, sick_days=120), 0, "ineligible_sick"),
        # Personal leave is checked first when both apply.
        (Facts(work_start=SHORT, personal_days=Decimal(20), sick_days=60), 0, "ineligible_personal"),
    ],
)
def test_each_ineligibility_rule_at_and_just_under_its_limit(facts, days, basis):
    result = days_of(2026, facts, PUBLIC)
    assert (result.days, result.basis, result.knock_on_next) == (days, basis, False)


@pytest.mark.parametrize(
    ("work_start", "limit"),
    [(date(2017, 1, 2), 60), (date(2016, 12, 31), 90), (date(2007, 1, 2), 90), (date(2006, 12, 31), 120)],
)
def test_the_sick_leave_limit_follows_the_service_band_at_the_end_of_the_year(work_start, limit):
    # 2017-01-02 has 9 years at 2026-12-31; 2016-12-31 has 10; 2007-01-02 has 19; 2006-12-31 has 20.
    assert engine.sick_limit_days(engine.service_years(work_start, date(2026, 12, 31))) == limit
    assert engine.ineligibility(2026, Facts(work_start=work_start, sick_days=limit - 1)) is None
    assert engine.ineligibility(2026, Facts(work_start=work_start, sick_days=limit)) == "sick"


@pytest.mark.parametrize("rule", ["personal", "sick"])
def test_ineligible_after_taking_leave_keeps_what_was_taken_and_knocks_on(rule):
    extra = {"personal_days": Decimal(20)} if rule == "personal" else {"sick_days": 90}
    result = days_of(2026, Facts(work_start=MIDDLE, annual_taken=Decimal(3), **extra), PUBLIC)
    assert (result.days, result.basis, result.knock_on_next) == (3, f"ineligible_{rule}", True)


@pytest.mark.parametrize("rule_set", [PUBLIC, ENTERPRISE])
def test_the_year_after_the_knock_on_has_no_annual_leave(rule_set):
    result = days_of(2027, Facts(work_start=MIDDLE, knock_on_from_previous=True), rule_set)
    assert (result.days, result.basis) == (0, "knock_on")
    assert result.band_days == 10


def test_the_limits_are_settings(settings):
    settings.LEAVE_PERSONAL_LIMIT_DAYS = 15
    settings.LEAVE_SICK_MONTHS = (1, 2, 3)
    settings.LEAVE_SICK_MONTH_DAYS = 31
    assert days_of(2026, Facts(work_start=MIDDLE, personal_days=Decimal(15)), PUBLIC).days == 0
    assert days_of(2026, Facts(work_start=MIDDLE, personal_days=Decimal("14.5")), PUBLIC).days == 10
    # 14 years: two "months" of 31 days.
    assert days_of(2026, Facts(work_start=MIDDLE, sick_days=61), PUBLIC).days == 10
    assert days_of(2026, Facts(work_start=MIDDLE, sick_days=62), PUBLIC).basis == "ineligible_sick"
