"""Workload signals (issue 13, item 7): people with long weekend-work streaks, untaken leave, overdue
talks or no talk in a long time surface to their supervisor as a suggested talk - a "talk due"
follow-up saying why, in words that reveal nothing clinical - once: not when a talk is planned, not
twice within the cooldown, never for someone who left; one failure never stops the others; logging
the talk completes it. A care record suggests a talk the same way, once."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from leave import services as leave_services
from leave.figures import last_weekends
from leave.models import OvertimeRecord
from leave.services.overtime import OvertimeInput
from programme import services as programme_services
from programme.services.care import CARE_REASON
from programme.tasks import workload_signals
from talks.services import TalkInput, talk_create
from tests.factories import ACTOR
from wellbeing import services, workload
from wellbeing.models import FollowUp, Person
from wellbeing.workload import TALK_SUGGESTED, Signal

TZ = ZoneInfo("Asia/Shanghai")
#: A Monday after the rest check date (30 September), so every real signal can fire.
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)

#: Words that would say something clinical (or about screening, cases or counselling).
CLINICAL = re.compile(
    r"\b(case|risk|screen\w*|check-?up|phq|gad|depress\w*|anxi\w*|counsel\w*|referr\w*|suicid\w*|tier|"
    r"red|orange|yellow|diagnos\w*|mental|psych\w*|crisis)\b|个案|风险|筛查|体检|抑郁|焦虑|咨询|转介|危机|自杀|心理|诊断",
    re.IGNORECASE,
)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _suggestions(person: Person | None = None):
    qs = FollowUp.objects.filter(title_key=TALK_SUGGESTED).order_by("id")
    return qs.filter(person=person) if person is not None else qs


def _detector(people: list[Person]):
    ids = {p.pk for p in people}
    return lambda today: set(ids)


def _flagging(monkeypatch, **flags: list[Person]) -> None:
    """Only our own detectors: ``name`` flags the people given (the label is the name with spaces)."""
    monkeypatch.setattr(
        workload,
        "_signals",
        {
            f"fake.{name}": Signal(f"fake.{name}", name.replace("_", " "), _detector(people))
            for name, people in flags.items()
        },
    )


def test_a_flagged_person_s_supervisor_is_suggested_a_talk_saying_why(clock, org, monkeypatch):
    colleague = org.people["colleague"]
    _flagging(monkeypatch, long_hours=[colleague], many_weekends=[colleague])
    run = workload.scan()
    assert (run.flagged, run.suggested, run.failed) == (1, 1, 0)
    assert run.by_signal == {"fake.long_hours": 1, "fake.many_weekends": 1}
    [f] = _suggestions()
    assert (f.kind, f.owner, f.person, f.status) == (
        FollowUp.Kind.TALK_DUE,
        org.users["supervisor"],
        colleague,
        FollowUp.Status.OPEN,
    )
    assert f.due_at == timezone.make_aware(datetime(2026, 11, 16, 18, 0))  # two weeks to hold it
    assert f.title_params == {"name": "李明", "reasons": ["fake.long_hours", "fake.many_weekends"]}
    with translation.override("en"):
        assert f.display_title == "Suggested talk with 李明: long hours; many weekends"


def test_the_suggestion_says_nothing_clinical_in_either_language(clock, org):
    """Every reason a suggestion can give (each registered signal, and a care record) in English and in
    Chinese: no word about cases, risk, screening or counselling."""
    reasons = [s.key for s in workload.signals()] + [CARE_REASON]
    assert {"talks.overdue", "talks.none_long", "leave.weekend_streak", "leave.untaken"} <= set(reasons)
    f = services.followup_create(
        actor=ACTOR,
        owner=org.users["supervisor"],
        title_key=TALK_SUGGESTED,
        title_params={"name": "李明", "reasons": reasons},
        due_at=MONDAY + timedelta(days=14),
        kind=FollowUp.Kind.TALK_DUE,
        person=org.people["colleague"],
    )
    for language in ("en", "zh-hans"):
        with translation.override(language):
            title = f.display_title
            assert "李明" in title
            assert not CLINICAL.search(title), (language, title)
    with translation.override("en"):
        assert f.display_title.startswith("Suggested talk with 李明: ")


def test_a_person_with_a_talk_planned_is_skipped(clock, org, monkeypatch):
    staff = org.people["staff"]
    assert FollowUp.objects.filter(person=staff, kind=FollowUp.Kind.TALK_DUE, status="open").exists()
    _flagging(monkeypatch, long_hours=[staff])
    run = workload.scan()
    assert (run.flagged, run.suggested, run.planned) == (1, 0, 1)
    assert not _suggestions().exists()


def test_a_second_scan_suggests_nothing_twice_and_the_cooldown_holds_after_the_suggestion_ends(clock, org, monkeypatch):
    colleague = org.people["colleague"]
    _flagging(monkeypatch, long_hours=[colleague])
    assert workload.scan().suggested == 1
    assert workload.scan().suggested == 0  # the open suggestion is a planned talk
    assert workload_signals()["suggested"] == 0  # the beat's task: the same scan
    [f] = _suggestions()
    services.followup_cancel(actor=org.users["supervisor"], followup=f, reason="出差")
    clock.shift(timedelta(days=30))
    assert workload.scan().suggested == 0  # suggested within the cooldown (60 days)
    clock.shift(timedelta(days=31))
    assert workload.scan().suggested == 1
    assert _suggestions(colleague).count() == 2


def test_someone_who_left_is_never_suggested(clock, org, monkeypatch):
    colleague = org.people["colleague"]
    services.person_update(actor=ACTOR, person=colleague, status=Person.Status.LEFT, left_on=date(2026, 10, 30))
    _flagging(monkeypatch, long_hours=[colleague])
    run = workload.scan()
    assert run.suggested == 0
    colleague.refresh_from_db()
    assert workload.suggest_talk(colleague, ["fake.long_hours"]) is None
    assert not _suggestions().exists()


def test_one_failing_person_does_not_stop_the_others(clock, org, monkeypatch):
    colleague, hr = org.people["colleague"], org.people["hr_officer"]
    _flagging(monkeypatch, long_hours=[colleague, hr])
    real = workload.suggest_talk

    def failing(person, reasons, **kwargs):
        if person.pk == min(colleague.pk, hr.pk):
            raise RuntimeError("boom")
        return real(person, reasons, **kwargs)

    monkeypatch.setattr(workload, "suggest_talk", failing)
    run = workload.scan()
    assert (run.flagged, run.suggested, run.failed) == (2, 1, 1)
    assert _suggestions().get().person_id == max(colleague.pk, hr.pk)
    monkeypatch.setattr(workload, "suggest_talk", real)
    assert workload.scan().suggested == 1  # the next day's scan picks the failed one up


def test_logging_the_talk_completes_the_suggestion(clock, org, monkeypatch):
    colleague = org.people["colleague"]
    _flagging(monkeypatch, long_hours=[colleague])
    workload.scan()
    [f] = _suggestions()
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[colleague], held_at=timezone.now(), main_content="近况", shared_summary="保持联系"
        ),
    )
    f.refresh_from_db()
    assert f.status == FollowUp.Status.DONE


def _weekend_work(org, person: Person, saturdays: list[date]) -> None:
    for day in saturdays:
        record = leave_services.overtime_record(
            actor=org.users["supervisor"],
            person=person,
            data=OvertimeInput(work_date=day, kind=OvertimeRecord.Kind.WEEKEND, hours=Decimal(8), purpose="防汛值班"),
        )
        leave_services.overtime_decide(actor=org.users["supervisor"], record=record, confirm=True)


def test_the_real_signals_flag_weekend_streaks_and_untaken_leave(clock, org):
    """With the signals the leave app registers: the colleague worked the last three weekends and has
    their annual leave and took none of it (after the rest check date); the staff member has a talk
    planned."""
    colleague = org.people["colleague"]
    _weekend_work(org, colleague, last_weekends(timezone.localdate(), 3))
    leave_services.annual_reconcile(actor=ACTOR, person=colleague, year=2026)
    assert colleague.pk in workload.flagged(timezone.localdate())
    run = workload.scan()
    assert run.failed == 0
    f = _suggestions(colleague).get()
    assert f.owner == org.users["supervisor"]
    assert set(f.title_params["reasons"]) == {"leave.weekend_streak", "leave.untaken"}
    with translation.override("en"):
        title = f.display_title
    for label in ("weekend work several weekends in a row", "annual leave not taken"):
        assert label in title
    assert not _suggestions(org.people["staff"]).exists()


def test_the_real_signals_flag_no_talk_in_a_long_time(clock, org):
    """talks.none_long: never talked to, in the system (and hired) longer than WORKLOAD_NO_TALK_DAYS."""
    colleague = org.people["colleague"]
    assert "talks.none_long" not in workload.flagged(timezone.localdate()).get(colleague.pk, [])  # new here
    clock.shift(timedelta(days=181))
    assert "talks.none_long" in workload.flagged(timezone.localdate())[colleague.pk]
    workload.scan()
    f = _suggestions(colleague).get()
    assert f.owner == org.users["supervisor"] and "talks.none_long" in f.title_params["reasons"]
    with translation.override("en"):
        assert "no talk in a long time" in f.display_title


def test_a_long_overdue_talk_is_not_suggested_again_to_the_supervisor_who_holds_it(clock, org):
    """talks.overdue: the only supervisor holds the overdue talk; a suggestion would go to the nearest
    supervisor who does not, and there is none."""
    hr = org.people["hr_officer"]
    services.followup_create(
        actor=ACTOR,
        owner=org.users["supervisor"],
        title="谈心谈话",
        kind=FollowUp.Kind.TALK_DUE,
        due_at=MONDAY - timedelta(days=20),
        person=hr,
    )
    flagged = workload.flagged(timezone.localdate())
    assert "talks.overdue" in flagged[hr.pk]
    workload.scan()
    assert not _suggestions(hr).exists()


def test_a_care_record_suggests_a_talk_once(clock, org):
    colleague = org.people["colleague"]
    record, suggestion = programme_services.care_record_create(
        actor=org.users["supervisor"],
        person=colleague,
        situation="family",
        occurred_on=date(2026, 10, 31),
        help_arranged=True,
    )
    assert record.pk and suggestion is not None
    assert (suggestion.kind, suggestion.owner, suggestion.person) == (
        FollowUp.Kind.TALK_DUE,
        org.users["supervisor"],
        colleague,
    )
    assert suggestion.title_params["reasons"] == [CARE_REASON]
    with translation.override("en"):
        assert suggestion.display_title == "Suggested talk with 李明: practical support recorded in a difficult time"
    _again, none = programme_services.care_record_create(
        actor=org.users["hr_officer"], person=colleague, situation="family", occurred_on=date(2026, 11, 1), visited=True
    )
    assert none is None
    assert _suggestions(colleague).count() == 1
