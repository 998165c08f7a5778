"""Plan tasks, correction items, the plan's reviews and activity reminders go through the follow-up
pipeline (issue 13, "Done when"), on a frozen clock: each reminds its owner when due, goes overdue
and escalates to the owner's manager (an activity reminder never does), and ends with its record - a
task marked done, a correction reported, a review recorded, an activity over or a place given up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from programme import services
from programme.models import Activity, Correction, PlanTask, Registration
from programme.tasks import close_activity_reminders
from tests.factories import UserFactory, make_person
from wellbeing.models import FollowUp, Reminder
from wellbeing.tasks import scan_followups

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield traveller


def scan_all(clock, when: str, capture) -> list[Reminder]:
    """Move the clock, run the beat's scan task (deliveries run after commit), and return the
    reminders it recorded."""
    clock.move_to(at(when))
    before = set(Reminder.objects.values_list("pk", flat=True))
    with capture(execute=True):
        scan_followups()
    return list(Reminder.objects.exclude(pk__in=before).order_by("id"))


def about(reminders: list[Reminder], followup: FollowUp) -> list[tuple[str, int, str]]:
    return [(r.stage, r.repeat, r.recipient.username) for r in reminders if r.followup_id == followup.pk]


def scan(clock, when: str, capture, followup: FollowUp) -> list[tuple[str, int, str]]:
    """The reminders a scan at ``when`` records about ``followup``: (stage, repeat, recipient)."""
    return about(scan_all(clock, when, capture), followup)


@pytest.fixture
def cap(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def plan(org, clock):
    return services.plan_create(
        actor=org.users["leading_group"], year=2026, title="2026年心理关爱工作计划", owner=org.users["leading_group"]
    )


def _task(org, plan, due: date, owner: str = "staff") -> PlanTask:
    return services.task_create(
        actor=org.users["leading_group"],
        plan=plan,
        title="开展减压讲座",
        category=PlanTask.Category.LECTURE,
        owner=org.users[owner],
        unit=org.town_a,
        due_on=due,
        indicator="讲座 1 场",
    )


def _walk_to_escalation(clock, cap, followup: FollowUp) -> None:
    """Due at 18:00 on 3 March: reminded then, overdue a day later, escalated to the owner's manager
    (the staff member's supervisor) three days after that."""
    assert scan(clock, "2026-03-03 17:59", cap, followup) == []
    assert scan(clock, "2026-03-03 18:00", cap, followup) == [("due", 0, "staff")]
    assert scan(clock, "2026-03-03 18:30", cap, followup) == []  # nothing twice
    assert scan(clock, "2026-03-04 18:00", cap, followup) == [("overdue", 0, "staff")]
    assert scan(clock, "2026-03-05 18:00", cap, followup) == [("repeat", 1, "staff")]
    escalated = scan(clock, "2026-03-07 18:00", cap, followup)
    assert ("escalated", 0, "supervisor") in escalated


def test_a_plan_task_reminds_its_owner_goes_overdue_escalates_and_ends_when_done(org, clock, cap, plan):
    task = _task(org, plan, date(2026, 3, 3))
    f = task.followup
    assert (f.kind, f.owner, f.due_at, f.status) == (
        FollowUp.Kind.PLAN_TASK,
        org.users["staff"],
        at("2026-03-03 18:00"),
        FollowUp.Status.OPEN,
    )
    with translation.override("en"):
        assert f.display_title == "Work plan task: 开展减压讲座"
    _walk_to_escalation(clock, cap, f)
    services.task_progress(actor=org.users["staff"], task=task, status=PlanTask.Status.IN_PROGRESS)
    f.refresh_from_db()
    assert f.is_active  # in progress is not done
    services.task_progress(actor=org.users["staff"], task=task, status=PlanTask.Status.DONE, actual_value=1)
    f.refresh_from_db()
    assert f.status == FollowUp.Status.DONE
    assert scan(clock, "2026-03-09 18:00", cap, f) == []


def test_moving_a_tasks_deadline_moves_its_reminders_and_a_new_owner_gets_a_new_follow_up(org, clock, cap, plan):
    task = _task(org, plan, date(2026, 3, 3))
    first = task.followup
    task = services.task_edit(actor=org.users["leading_group"], task=task, due_on=date(2026, 3, 10))
    first.refresh_from_db()
    assert task.followup_id == first.pk and first.due_at == at("2026-03-10 18:00")
    assert scan(clock, "2026-03-03 18:00", cap, first) == []
    task = services.task_edit(actor=org.users["leading_group"], task=task, owner=org.users["hr_officer"])
    first.refresh_from_db()
    assert first.status == FollowUp.Status.CANCELLED
    assert task.followup.owner == org.users["hr_officer"] and task.followup.is_active
    assert scan(clock, "2026-03-10 18:00", cap, task.followup) == [("due", 0, "hr_officer")]


def test_a_cancelled_task_ends_its_follow_up_and_reopening_it_starts_another(org, clock, cap, plan):
    task = _task(org, plan, date(2026, 3, 3))
    first = task.followup
    services.task_progress(actor=org.users["leading_group"], task=task, status=PlanTask.Status.CANCELLED)
    first.refresh_from_db()
    assert first.status == FollowUp.Status.CANCELLED
    assert scan(clock, "2026-03-03 18:00", cap, first) == []
    task = services.task_progress(actor=org.users["leading_group"], task=task, status=PlanTask.Status.PLANNED)
    assert task.followup_id != first.pk and task.followup.is_active
    assert scan(clock, "2026-03-04 09:00", cap, task.followup) == [("due", 0, "staff")]


def _review(org, plan, *, held_on: date, corrections=()):
    return services.review_record(
        actor=org.users["leading_group"],
        plan=plan,
        held_on=held_on,
        summary="一季度督查",
        findings=[],
        corrections=list(corrections),
    )


def test_a_correction_item_reminds_its_owner_escalates_and_ends_when_reported(org, clock, cap, plan):
    task = _task(org, plan, date(2026, 6, 30))
    review = _review(
        org,
        plan,
        held_on=date(2026, 3, 2),
        corrections=[{"title": "补齐谈心台账", "owner": org.users["staff"], "due_on": date(2026, 3, 3), "task": task}],
    )
    item = review.corrections.get()
    f = item.followup
    assert (f.kind, f.owner, f.due_at) == (FollowUp.Kind.CORRECTION, org.users["staff"], at("2026-03-03 18:00"))
    with translation.override("en"):
        assert f.display_title == "Correction item: 补齐谈心台账"
    _walk_to_escalation(clock, cap, f)
    services.correction_complete(actor=org.users["staff"], item=item, outcome="台账已补齐")
    f.refresh_from_db()
    item.refresh_from_db()
    assert f.status == FollowUp.Status.DONE and item.status == Correction.Status.DONE
    assert scan(clock, "2026-03-09 18:00", cap, f) == []


def _review_followups(plan):
    return FollowUp.objects.filter(kind=FollowUp.Kind.PLAN_REVIEW, subject_id=str(plan.pk)).order_by("due_at")


def test_the_plans_review_is_due_at_the_end_of_the_quarter_and_recording_it_schedules_the_next(org, clock, cap, plan):
    [first] = _review_followups(plan)
    assert (first.owner, first.due_at, first.status) == (
        org.users["leading_group"],
        at("2026-03-31 18:00"),
        FollowUp.Status.OPEN,
    )
    with translation.override("en"):
        assert first.display_title == "Review the 2026 work plan"
    assert scan(clock, "2026-03-31 17:00", cap, first) == []
    assert scan(clock, "2026-03-31 18:00", cap, first) == [("due", 0, "leading_group")]
    # Recorded a few days late: this one is done, the next is due at the end of June.
    clock.move_to(at("2026-04-02 10:00"))
    _review(org, plan, held_on=date(2026, 4, 2))
    first.refresh_from_db()
    assert first.status == FollowUp.Status.DONE
    second = _review_followups(plan).exclude(pk=first.pk).get()
    assert second.is_active and second.due_at == at("2026-06-30 18:00")
    assert scan(clock, "2026-04-03 18:00", cap, first) == []
    assert scan(clock, "2026-06-30 18:00", cap, second) == [("due", 0, "leading_group")]
    # The last review of the year schedules none after it.
    clock.move_to(at("2026-12-31 10:00"))
    _review(org, plan, held_on=date(2026, 12, 31))
    assert not _review_followups(plan).filter(status__in=FollowUp.ACTIVE_STATUSES).exists()


def _activity(org, *, capacity: int | None = 1) -> Activity:
    return services.activity_create(
        actor=org.users["leading_group"],
        units=[org.town_a],
        title="正念减压团体沙龙",
        kind=Activity.Kind.SALON,
        starts_at=at("2026-03-05 14:00"),
        ends_at=at("2026-03-05 16:00"),
        place="党校报告厅",
        capacity=capacity,
    )


def test_an_activity_reminds_the_day_before_never_goes_overdue_and_closes_when_it_ends(org, clock, cap):
    activity = _activity(org)
    registration = services.register(actor=org.users["staff"], activity=activity)
    f = registration.followup
    assert (f.kind, f.owner, f.due_at) == (FollowUp.Kind.ACTIVITY, org.users["staff"], at("2026-03-04 14:00"))
    with translation.override("en"):
        assert f.display_title == "Tomorrow: 正念减压团体沙龙"
    assert scan(clock, "2026-03-04 13:59", cap, f) == []
    assert scan(clock, "2026-03-04 14:00", cap, f) == [("due", 0, "staff")]
    # Not overdue, not escalated, while the activity is on or about to be.
    assert scan(clock, "2026-03-05 13:00", cap, f) == []
    assert scan(clock, "2026-03-05 15:59", cap, f) == []
    clock.move_to(at("2026-03-05 15:00"))
    assert close_activity_reminders() == 0  # not over yet
    clock.move_to(at("2026-03-05 16:05"))
    assert close_activity_reminders() == 1
    f.refresh_from_db()
    assert f.status == FollowUp.Status.DONE
    assert close_activity_reminders() == 0  # idempotent
    assert scan(clock, "2026-03-05 17:30", cap, f) == []
    assert scan(clock, "2026-03-07 18:00", cap, f) == []


def test_giving_up_a_place_cancels_the_reminder_and_the_first_on_the_waiting_list_moves_up(org, clock, cap):
    activity = _activity(org, capacity=1)
    mine = services.register(actor=org.users["staff"], activity=activity)
    waiting = []
    for name in ("waiter1", "waiter2"):
        user = UserFactory(username=name)
        make_person(org.section_a1, user=user, full_name=name)
        clock.shift(timedelta(minutes=1))
        waiting.append(services.register(actor=user, activity=activity))
    assert [w.status for w in waiting] == [Registration.Status.WAITLISTED] * 2
    assert all(w.followup is None for w in waiting)

    services.unregister(actor=org.users["staff"], registration=mine)
    mine.followup.refresh_from_db()
    assert mine.followup.status == FollowUp.Status.CANCELLED
    first, second = (Registration.objects.get(pk=w.pk) for w in waiting)
    assert first.status == Registration.Status.REGISTERED and first.followup is not None
    assert second.status == Registration.Status.WAITLISTED and second.followup is None
    assert first.followup.owner.username == "waiter1" and first.followup.due_at == at("2026-03-04 14:00")
    reminders = scan_all(clock, "2026-03-04 14:00", cap)
    assert about(reminders, mine.followup) == []
    assert about(reminders, first.followup) == [("due", 0, "waiter1")]


def test_a_late_registration_is_reminded_at_once(org, clock, cap):
    activity = _activity(org)
    clock.move_to(at("2026-03-04 20:00"))
    registration = services.register(actor=org.users["staff"], activity=activity)
    assert registration.followup.due_at == at("2026-03-04 20:00")
    assert scan(clock, "2026-03-04 20:01", cap, registration.followup) == [("due", 0, "staff")]


def test_moving_an_activity_moves_its_reminders(org, clock, cap):
    activity = _activity(org)
    registration = services.register(actor=org.users["staff"], activity=activity)
    old = registration.followup
    services.activity_edit(
        actor=org.users["leading_group"],
        activity=activity,
        starts_at=at("2026-03-12 14:00"),
        ends_at=at("2026-03-12 16:00"),
    )
    old.refresh_from_db()
    registration.refresh_from_db()
    assert old.status == FollowUp.Status.CANCELLED
    assert registration.followup.due_at == at("2026-03-11 14:00")
    assert scan(clock, "2026-03-04 14:00", cap, old) == []
    assert scan(clock, "2026-03-11 14:00", cap, registration.followup) == [("due", 0, "staff")]


def test_cancelling_an_activity_cancels_every_reminder(org, clock, cap):
    activity = _activity(org, capacity=None)
    registration = services.register(actor=org.users["staff"], activity=activity)
    services.activity_cancel(actor=org.users["leading_group"], activity=activity)
    registration.followup.refresh_from_db()
    assert registration.followup.status == FollowUp.Status.CANCELLED
    assert scan(clock, "2026-03-04 14:00", cap, registration.followup) == []
