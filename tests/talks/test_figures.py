"""The talks app's figures and workload signals (issue 13), on a frozen clock: who was talked to in
the year (every talk counts, restricted and group talks too), whose talk is long overdue, who has had
no talk in a long time; nobody who left is ever flagged; a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from talks import figures
from talks.models import Talk
from talks.services import TalkInput, talk_create
from tests.factories import ACTOR, make_person
from wellbeing import services
from wellbeing.figures import Period
from wellbeing.models import FollowUp, Person

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 6, 15)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(at("2026-06-15 10:00"), tick=False) as traveller:
        yield traveller


def log_talk(org, supervisor: str, people: list[Person], when: str, **fields) -> Talk:
    kind = Talk.Kind.GROUP if len(people) > 1 else Talk.Kind.INDIVIDUAL
    return talk_create(
        actor=org.users[supervisor],
        data=TalkInput(participants=people, held_at=at(when), kind=kind, main_content="谈了工作安排", **fields),
    )


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


# --- "talks.coverage" ------------------------------------------------------------------------------


@pytest.fixture
def talked(clock, org):
    """Town A and town B, mid-June 2026:

    - a_talked (A1): an individual talk in March                     -> talked
    - a_last_year (A1): a talk in December 2025 only                 -> none (talked in 2025)
    - b_restricted (B1): a restricted talk in May                    -> talked (a count, like any talk)
    - b_group1, b_group2 (B1): one group talk in April               -> talked, both
    - b_none (B1): no talk                                           -> none
    """
    p = {
        "a_talked": make_person(org.section_a1),
        "a_last_year": make_person(org.section_a1),
        "b_restricted": make_person(org.section_b1),
        "b_group1": make_person(org.section_b1),
        "b_group2": make_person(org.section_b1),
        "b_none": make_person(org.section_b1),
    }
    log_talk(org, "supervisor", [p["a_talked"]], "2026-03-02 09:00")
    log_talk(org, "supervisor", [p["a_last_year"]], "2025-12-20 09:00")
    log_talk(
        org,
        "outsider_supervisor",
        [p["b_restricted"]],
        "2026-05-04 09:00",
        confidentiality=Talk.Confidentiality.RESTRICTED,
    )
    log_talk(org, "outsider_supervisor", [p["b_group1"], p["b_group2"]], "2026-04-08 15:00")
    return p


def named(found, people) -> dict[str, str]:
    names = {person.pk: key for key, person in people.items()}
    return {names[pk]: category for pk, category in found.items() if pk in names}


def test_it_puts_everyone_talked_to_this_year_in_talked(talked):
    found = figures.classify_coverage(Period.for_year(2026), {p.pk for p in talked.values()})
    assert named(found, talked) == {
        "a_talked": "talked",
        "b_restricted": "talked",
        "b_group1": "talked",
        "b_group2": "talked",
    }


def test_it_counts_a_past_year_and_only_talks_held_before_the_periods_now(talked):
    ids = {p.pk for p in talked.values()}
    assert named(figures.classify_coverage(Period.for_year(2025), ids), talked) == {"a_last_year": "talked"}
    # Figures as of 1 April: the March talk is in, the April and May ones are not yet.
    as_of = Period.for_year(2026, now=at("2026-04-01 00:00"))
    assert named(figures.classify_coverage(as_of, ids), talked) == {"a_talked": "talked"}


def test_it_only_names_the_people_asked_about(talked):
    found = figures.classify_coverage(Period.for_year(2026), {talked["a_talked"].pk, talked["b_none"].pk})
    assert found == {talked["a_talked"].pk: "talked"}


def test_coverage_runs_one_query_however_many_people(clock, org):
    people = [make_person(org.section_b1) for _ in range(30)]
    log_talk(org, "outsider_supervisor", people, "2026-05-04 09:00")
    period = Period.for_year(2026)
    few = queries(lambda: figures.classify_coverage(period, {p.pk for p in people[:3]}))
    many = queries(lambda: figures.classify_coverage(period, {p.pk for p in people}))
    assert few == many == 1


# --- signals -----------------------------------------------------------------------------------------


def talk_due(org, person: Person, due: str, *, owner: str = "supervisor") -> FollowUp:
    return services.followup_create(
        actor=ACTOR,
        owner=org.users[owner],
        title="谈话",
        kind=FollowUp.Kind.TALK_DUE,
        due_at=at(due),
        subject=person,
        person=person,
    )


def leave(person: Person) -> None:
    services.person_update(actor=ACTOR, person=person, status=Person.Status.LEFT, left_on=TODAY)


def test_it_flags_a_talk_overdue_more_than_the_set_days(clock, org, settings):
    """14 days by default: due on 31 May (15 days before 15 June) is flagged, on 1 June (14) is not."""
    settings.WORKLOAD_TALK_OVERDUE_DAYS = 14
    late = make_person(org.section_a1)
    snoozed = make_person(org.section_b1)
    recent = make_person(org.section_a1)
    done = make_person(org.section_a1)
    gone = make_person(org.section_a1)
    talk_due(org, late, "2026-05-31 18:00")
    snooze = talk_due(org, snoozed, "2026-05-01 18:00", owner="outsider_supervisor")
    services.followup_snooze(
        actor=org.users["outsider_supervisor"], followup=snooze, until=at("2026-06-20 09:00"), reason="出差"
    )
    talk_due(org, recent, "2026-06-01 18:00")
    services.followup_cancel(
        actor=org.users["supervisor"], followup=talk_due(org, done, "2026-05-01 18:00"), reason="已调岗"
    )
    talk_due(org, gone, "2026-05-01 18:00")
    leave(gone)

    flagged = set(figures.detect_overdue(TODAY))

    assert late.pk in flagged and snoozed.pk in flagged
    assert not {recent.pk, done.pk, gone.pk} & flagged


def test_it_flags_no_talk_in_a_long_time(clock, org, settings):
    """180 days by default: 15 June 2026 less 180 days is 17 December 2025."""
    settings.WORKLOAD_NO_TALK_DAYS = 180
    long_ago = make_person(org.section_a1)
    lately = make_person(org.section_a1)
    never_old = make_person(org.section_b1, hire_date=date(2020, 1, 1))
    never_new = make_person(org.section_b1, hire_date=date(2026, 3, 1))
    gone = make_person(org.section_a1, hire_date=date(2020, 1, 1))
    log_talk(org, "supervisor", [long_ago], "2025-12-01 09:00")
    log_talk(org, "supervisor", [lately], "2026-01-10 09:00")
    leave(gone)

    flagged = set(figures.detect_no_talk(TODAY))

    assert long_ago.pk in flagged
    # Never talked to, but only just in the system (a new deployment knows no earlier talks).
    assert not {lately.pk, never_new.pk, never_old.pk, gone.pk} & flagged

    later = set(figures.detect_no_talk(TODAY + timedelta(days=181)))
    # By then everyone hired before the cut-off and still without a talk is flagged.
    assert {long_ago.pk, lately.pk, never_old.pk, never_new.pk} <= later
    # Staff of the shared organisation: hired in 2012, never talked to (except 王静, yesterday).
    assert org.people["colleague"].pk in later
    assert org.people["staff"].pk not in flagged


def test_someone_never_talked_to_and_without_hire_date_counts_from_their_record(clock, org, settings):
    settings.WORKLOAD_NO_TALK_DAYS = 180
    new = make_person(org.section_a1, hire_date=None)
    assert new.pk not in set(figures.detect_no_talk(TODAY))
    assert new.pk in set(figures.detect_no_talk(TODAY + timedelta(days=181)))


def test_signals_run_a_fixed_number_of_queries(clock, org):
    few = (queries(lambda: figures.detect_overdue(TODAY)), queries(lambda: figures.detect_no_talk(TODAY)))
    for _ in range(30):
        person = make_person(org.section_a1)
        talk_due(org, person, "2026-05-01 18:00")
    many = (queries(lambda: figures.detect_overdue(TODAY)), queries(lambda: figures.detect_no_talk(TODAY)))
    assert few == many == (1, 1)
