"""Nobody without rest (issue 11, item 7), on a frozen clock: from the check date (30 September by
default) the monthly task gives each person's supervisor one follow-up to plan leave with them, for
whoever has taken less than half their annual leave or holds 5 or more days of unused time off in
lieu; nobody else, and nobody twice."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leave import services, tasks
from leave.models import LeaveType, OvertimeRecord
from wellbeing import services as core
from wellbeing.actors import command_actor
from wellbeing.models import FollowUp

pytestmark = pytest.mark.django_db

SYSTEM = command_actor("test")
TZ = ZoneInfo("Asia/Shanghai")


def travel(text: str):
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=TZ), tick=False)


def rest_followups():
    return FollowUp.objects.filter(title_key=services.REST_TITLE)


def raised() -> set[tuple[str, str]]:
    """(person, owner) of every follow-up the check created."""
    return {(f.person.full_name, f.owner.username) for f in rest_followups().select_related("person", "owner")}


def take(org, person_key, start, end, *, actor_key, approver_key="supervisor", code="annual"):
    request = services.request_submit(
        actor=org.users[actor_key],
        person=org.people[person_key],
        data=services.RequestInput(LeaveType.objects.get(code=code), start, end),
    )
    services.request_decide(actor=org.users[approver_key], request=request, approve=True)


def work(org, person_key, day, hours, *, actor_key):
    record = services.overtime_record(
        actor=org.users[actor_key],
        person=org.people[person_key],
        data=services.OvertimeInput(day, OvertimeRecord.Kind.WEEKEND, Decimal(hours), "防汛值守"),
    )
    services.overtime_decide(actor=org.users["supervisor"], record=record, confirm=True)


@pytest.fixture
def year_of_leave(org):
    """Five people have 10 days for 2026 (work since 2008). By the end of September:

    - 王静 (staff, A1): took 2 of 10 days                     -> below half: raised with the supervisor
    - 李明 (colleague, A1): took exactly 5; 4.5 days in lieu   -> neither: not raised
    - 吴人事 (HR officer, town A): took 5; 5 days in lieu        -> time off in lieu: raised with the supervisor
    - 陈红 (outsider, B1): took nothing                      -> raised with the town B supervisor
    - 郑书记 (leading group, county office): took nothing   -> qualifies, but nobody supervises them:
                                                            counted, not raised
    - everyone else: no allocation, no time off in lieu      -> not raised
    """
    keys = ["staff", "colleague", "hr_officer", "outsider", "leading_group"]
    with travel("2026-03-02 10:00"):
        for key in keys:
            services.annual_reconcile(actor=SYSTEM, person=org.people[key], year=2026)
        take(org, "staff", date(2026, 3, 12), date(2026, 3, 13), actor_key="staff")
        take(org, "colleague", date(2026, 4, 13), date(2026, 4, 17), actor_key="supervisor")
        take(org, "hr_officer", date(2026, 5, 11), date(2026, 5, 15), actor_key="hr_officer")
    with travel("2026-09-21 10:00"):
        # Rest-day work in September: 16 + 16 + 8 hours = 5 days for the HR officer, 4.5 for 李明.
        for day, hours in ((date(2026, 9, 5), 16), (date(2026, 9, 6), 16), (date(2026, 9, 12), 8)):
            work(org, "hr_officer", day, hours, actor_key="hr_officer")
        for day, hours in ((date(2026, 9, 5), 16), (date(2026, 9, 6), 16), (date(2026, 9, 13), 4)):
            work(org, "colleague", day, hours, actor_key="supervisor")
    return org


def test_before_the_check_date_nothing_is_raised(year_of_leave):
    for day in ("2026-06-01 07:00", "2026-09-01 07:00", "2026-09-29 23:00"):
        with travel(day):
            run = services.rest_check(actor=SYSTEM)
        assert (run.created, run.already, run.no_supervisor, run.failed) == (0, 0, 0, 0)
    assert not rest_followups().exists()


def test_from_the_check_date_each_person_who_qualifies_is_raised_once_with_their_supervisor(year_of_leave):
    org = year_of_leave
    with travel("2026-09-30 07:00"):
        run = services.rest_check(actor=SYSTEM)
    assert (run.created, run.no_supervisor, run.failed) == (3, 1, 0)
    assert raised() == {("王静", "supervisor"), ("吴人事", "supervisor"), ("陈红", "outsider_supervisor")}

    by_person = {f.person.full_name: f for f in rest_followups().select_related("person")}
    assert by_person["王静"].title_params == {"name": "王静", "taken": "2", "entitled": "10", "toil": "0"}
    assert by_person["吴人事"].title_params["toil"] == "5"
    assert all(f.kind == FollowUp.Kind.GENERAL and f.is_active for f in by_person.values())
    assert by_person["陈红"].subject == org.people["outsider"]

    # Again the same day, and on the next months' runs (the beat, through the task): nothing new.
    with travel("2026-09-30 09:00"):
        again = services.rest_check(actor=SYSTEM)
    assert (again.created, again.already, again.no_supervisor) == (0, 3, 1)
    for day in ("2026-10-01 07:00", "2026-11-01 07:00", "2026-12-01 07:00"):
        with travel(day):
            assert tasks.rest_check() == {"created": 0, "already": 3, "no_supervisor": 1, "failed": 0}
    assert rest_followups().count() == 3


def test_someone_who_qualifies_later_in_the_year_is_raised_then(year_of_leave):
    org = year_of_leave
    with travel("2026-09-30 07:00"):
        services.rest_check(actor=SYSTEM)
    # In October 李明 earns another half day in lieu: 5 days now.
    with travel("2026-10-12 10:00"):
        work(org, "colleague", date(2026, 10, 11), 4, actor_key="supervisor")
    with travel("2026-11-01 07:00"):
        run = services.rest_check(actor=SYSTEM)
    assert run.created == 1
    assert ("李明", "supervisor") in raised()
    assert rest_followups().count() == 4


def test_the_check_date_and_thresholds_are_settings(year_of_leave, settings):
    settings.LEAVE_REST_CHECK_DATE = "06-30"
    settings.LEAVE_REST_MIN_SHARE = 0.6  # 李明's 5 of 10 days is now too little
    settings.LEAVE_REST_TOIL_DAYS = 6  # and the HR officer's 5 days in lieu is not enough
    with travel("2026-06-29 07:00"):
        assert services.rest_check(actor=SYSTEM).created == 0
    with travel("2026-09-30 07:00"):
        run = services.rest_check(actor=SYSTEM)
    # The HR officer took 5 of 10 days: below 60% too.
    assert raised() == {
        ("王静", "supervisor"),
        ("李明", "supervisor"),
        ("吴人事", "supervisor"),
        ("陈红", "outsider_supervisor"),
    }
    assert run.no_supervisor == 1


def test_people_who_left_are_not_raised(year_of_leave):
    with travel("2026-09-15 10:00"):
        core.person_leave(actor=SYSTEM, person=year_of_leave.people["outsider"])
    with travel("2026-09-30 07:00"):
        services.rest_check(actor=SYSTEM)
    assert raised() == {("王静", "supervisor"), ("吴人事", "supervisor")}
