"""The leave app's figures and workload signals (issue 13), on a frozen clock: how much of the year's
annual leave people took, how many rest days they worked, who worked weekend after weekend, who has
not taken their leave by the rest check date; nobody who left is ever flagged; a fixed number of
queries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leave import figures, services
from leave.models import LeaveType, OvertimeRecord
from tests.factories import ACTOR, make_person
from wellbeing import services as core
from wellbeing.actors import command_actor
from wellbeing.figures import Period
from wellbeing.models import Person

pytestmark = pytest.mark.django_db

SYSTEM = command_actor("test")
TZ = ZoneInfo("Asia/Shanghai")
WEEKEND = OvertimeRecord.Kind.WEEKEND
HOLIDAY = OvertimeRecord.Kind.HOLIDAY


def travel(text: str):
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=TZ), tick=False)


def supervisor_of(org, person: Person):
    return org.users["supervisor" if person.unit_id == org.section_a1.pk else "outsider_supervisor"]


def take(org, person: Person, start: date, end: date):
    supervisor = supervisor_of(org, person)
    request = services.request_submit(
        actor=supervisor,
        person=person,
        data=services.RequestInput(LeaveType.objects.get(code="annual"), start, end),
    )
    return services.request_decide(actor=supervisor, request=request, approve=True)


def work(org, person: Person, day: date, kind: str = WEEKEND, *, confirm: bool = True) -> OvertimeRecord:
    supervisor = supervisor_of(org, person)
    record = services.overtime_record(
        actor=supervisor, person=person, data=services.OvertimeInput(day, kind, Decimal(8), "防汛值守")
    )
    if confirm:
        services.overtime_decide(actor=supervisor, record=record, confirm=True)
    return record


def leave_the_organisation(person: Person) -> None:
    core.person_update(actor=ACTOR, person=person, status=Person.Status.LEFT, left_on=date(2026, 6, 1))


def named(found, people: dict[str, Person]) -> dict[str, str]:
    names = {person.pk: key for key, person in people.items()}
    return {names[pk]: category for pk, category in found.items() if pk in names}


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


# --- annual leave: "leave.uptake" and "leave.untaken" ----------------------------------------------


@pytest.fixture
def leave_taken(org):
    """Ten days of annual leave for 2026 each (work since 2008), except b_new. By March:

    - a_half (A1): took 5 of 10                        -> half or more
    - a_little (A1): took 2                            -> less than half
    - b_nothing (B1): took nothing                     -> none taken
    - b_cancelled (B1): took 5, then cancelled them    -> none taken
    - b_new (B1): no allocation for 2026               -> not named (no annual leave this year)
    - a_gone (A1): took nothing, left in June          -> never flagged
    """
    p = {
        "a_half": make_person(org.section_a1),
        "a_little": make_person(org.section_a1),
        "b_nothing": make_person(org.section_b1),
        "b_cancelled": make_person(org.section_b1),
        "b_new": make_person(org.section_b1),
        "a_gone": make_person(org.section_a1),
    }
    with travel("2026-03-02 10:00"):
        for key, person in p.items():
            if key != "b_new":
                services.annual_reconcile(actor=SYSTEM, person=person, year=2026)
        take(org, p["a_half"], date(2026, 4, 13), date(2026, 4, 17))
        take(org, p["a_little"], date(2026, 3, 12), date(2026, 3, 13))
        cancelled = take(org, p["b_cancelled"], date(2026, 4, 13), date(2026, 4, 17))
        services.request_cancel(actor=org.users["outsider_supervisor"], request=cancelled, reason="工作需要")
    with travel("2026-06-01 10:00"):
        leave_the_organisation(p["a_gone"])
    return p


def test_uptake_puts_each_entitled_person_by_the_share_taken(leave_taken):
    ids = {p.pk for key, p in leave_taken.items() if key != "a_gone"}
    assert named(figures.classify_uptake(Period.for_year(2026), ids), leave_taken) == {
        "a_half": "half_or_more",
        "a_little": "under_half",
        "b_nothing": "none_taken",
        "b_cancelled": "none_taken",
    }
    assert figures.classify_uptake(Period.for_year(2025), ids) == {}


def test_untaken_flags_from_the_check_date_only_active_people_below_the_share(leave_taken, settings):
    settings.LEAVE_REST_CHECK_DATE = "09-30"
    settings.LEAVE_REST_MIN_SHARE = 0.5
    assert set(figures.detect_untaken(date(2026, 9, 29))) == set()
    flagged = set(figures.detect_untaken(date(2026, 9, 30)))
    mine = {p.pk for p in leave_taken.values()}
    assert flagged & mine == {leave_taken[k].pk for k in ("a_little", "b_nothing", "b_cancelled")}


def test_untaken_ignores_time_off_in_lieu(org, settings):
    """Five days in lieu left unused is the rest check's other reason, not this signal's."""
    settings.LEAVE_REST_TOIL_DAYS = 1
    person = make_person(org.section_a1)
    with travel("2026-09-21 10:00"):
        services.annual_reconcile(actor=SYSTEM, person=person, year=2026)
        take(org, person, date(2026, 9, 14), date(2026, 9, 18))
        work(org, person, date(2026, 9, 19))
    assert services.rest_candidates(2026, on=date(2026, 9, 30))[person.pk].reasons == ["in_lieu"]
    assert person.pk not in set(figures.detect_untaken(date(2026, 9, 30)))


def test_uptake_and_untaken_run_a_fixed_number_of_queries(org):
    people = [make_person(org.section_b1) for _ in range(30)]
    with travel("2026-03-02 10:00"):
        for person in people:
            services.annual_reconcile(actor=SYSTEM, person=person, year=2026)
    period = Period.for_year(2026)
    few = queries(lambda: figures.classify_uptake(period, {p.pk for p in people[:3]}))
    many = queries(lambda: figures.classify_uptake(period, {p.pk for p in people}))
    assert few == many == 1
    before = queries(lambda: figures.detect_untaken(date(2026, 10, 1)))
    with travel("2026-03-02 10:00"):
        for person in [make_person(org.section_b1) for _ in range(10)]:
            services.annual_reconcile(actor=SYSTEM, person=person, year=2026)
    assert queries(lambda: figures.detect_untaken(date(2026, 10, 1))) == before


# --- rest days: "leave.weekend" and "leave.weekend_streak" -----------------------------------------


@pytest.fixture
def weekends(org):
    """Recorded on Monday 22 June 2026. Weekends: 30-31 May, 6-7 June, 13-14 June, 20-21 June (the
    Dragon Boat Festival: public holidays).

    - a_streak (A1): 6 June, 14 June, 20 June (holiday)           -> 3 days; streak of 3 weekends
    - a_gap (A1): 6, 7, 20, 21 June - nothing on 13-14 June     -> 4 days; no streak
    - b_earlier (B1): 30 May, 6 June, 13 June                     -> 3 days; streak up to 14 June only
    - b_pending (B1): 6 and 13 June; 20 June not confirmed yet     -> 2 days; no streak
    - b_night (B1): a weeknight, and a rejected weekend day        -> not named
    - a_gone (A1): the same as a_streak, then left                -> never flagged
    """
    p = {
        key: make_person(org.section_a1 if key.startswith("a_") else org.section_b1)
        for key in ("a_streak", "a_gap", "b_earlier", "b_pending", "b_night", "a_gone")
    }
    with travel("2026-06-22 10:00"):
        for key in ("a_streak", "a_gone"):
            work(org, p[key], date(2026, 6, 6))
            work(org, p[key], date(2026, 6, 14))
            work(org, p[key], date(2026, 6, 20), HOLIDAY)
        for day in (date(2026, 6, 6), date(2026, 6, 7)):
            work(org, p["a_gap"], day)
        for day in (date(2026, 6, 20), date(2026, 6, 21)):
            work(org, p["a_gap"], day, HOLIDAY)
        for day in (date(2026, 5, 30), date(2026, 6, 6), date(2026, 6, 13)):
            work(org, p["b_earlier"], day)
        work(org, p["b_pending"], date(2026, 6, 6))
        work(org, p["b_pending"], date(2026, 6, 13))
        work(org, p["b_pending"], date(2026, 6, 20), HOLIDAY, confirm=False)
        work(org, p["b_night"], date(2026, 6, 17), OvertimeRecord.Kind.NIGHT)
        rejected = work(org, p["b_night"], date(2026, 6, 13), confirm=False)
        services.overtime_decide(
            actor=org.users["outsider_supervisor"], record=rejected, confirm=False, comment="当天未到岗"
        )
        leave_the_organisation(p["a_gone"])
    return p


def test_rest_days_put_people_by_the_days_worked_on_weekends_and_holidays(weekends):
    ids = {p.pk for key, p in weekends.items() if key != "a_gone"}
    assert named(figures.classify_rest_days(Period.for_year(2026), ids), weekends) == {
        "a_streak": "some",
        "a_gap": "often",
        "b_earlier": "some",
        "b_pending": "some",
    }
    assert figures.classify_rest_days(Period.for_year(2025), ids) == {}


def test_last_weekends_count_the_current_one_on_a_saturday_or_sunday():
    assert figures.last_weekends(date(2026, 6, 22), 2) == [date(2026, 6, 20), date(2026, 6, 13)]  # Monday
    assert figures.last_weekends(date(2026, 6, 19), 1) == [date(2026, 6, 13)]  # Friday
    assert figures.last_weekends(date(2026, 6, 20), 1) == [date(2026, 6, 20)]  # Saturday
    assert figures.last_weekends(date(2026, 6, 21), 1) == [date(2026, 6, 20)]  # Sunday


def test_weekend_streak_flags_work_in_each_of_the_last_weekends(weekends, settings):
    settings.WORKLOAD_WEEKEND_STREAK = 3
    mine = {p.pk: key for key, p in weekends.items()}

    def flagged(today: date) -> set[str]:
        return {mine[pk] for pk in figures.detect_weekend_streak(today) if pk in mine}

    assert flagged(date(2026, 6, 22)) == {"a_streak"}
    # On Sunday 14 June the weekends were 13-14 June, 6-7 June and 30-31 May.
    assert flagged(date(2026, 6, 14)) == {"b_earlier"}
    settings.WORKLOAD_WEEKEND_STREAK = 2
    assert flagged(date(2026, 6, 22)) == {"a_streak"}
    assert flagged(date(2026, 6, 15)) == {"a_streak", "b_earlier", "b_pending"}


def test_rest_days_and_streaks_run_a_fixed_number_of_queries(org):
    people = [make_person(org.section_a1) for _ in range(30)]
    with travel("2026-06-22 10:00"):
        for person in people:
            work(org, person, date(2026, 6, 20), HOLIDAY)
    period = Period.for_year(2026)
    few = queries(lambda: figures.classify_rest_days(period, {p.pk for p in people[:3]}))
    many = queries(lambda: figures.classify_rest_days(period, {p.pk for p in people}))
    assert few == many == 1
    assert queries(lambda: figures.detect_weekend_streak(date(2026, 6, 22))) == 1
