"""The programme's record kinds for retention (docs/data-lifecycle.md): a care record's note and an
activity's feedback comments are cleared three years on; the counts (who was supported when, the
ratings) stay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from programme.models import Activity, CareRecord, Feedback
from programme.services.activities import activity_create, feedback_give, register
from programme.services.care import care_record_create
from wellbeing import retention
from wellbeing.actors import SystemActor

RUNNER = SystemActor("test:retention")


def _run(key: str, at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return {r.kind.key: r for r in retention.run(actor=RUNNER, only=[key])}[key].count


def _morning(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)


def test_a_care_note_goes_the_day_after_the_period(org):
    day = date(2021, 5, 10)
    with time_machine.travel(_morning(day), tick=False):
        record, _followup = care_record_create(
            actor=org.users["supervisor"],
            person=org.people["staff"],
            situation="bereavement",
            occurred_on=day,
            visited=True,
            note="父亲去世，已上门慰问",
        )
    end = _morning(day + timedelta(days=retention.kind("programme.care").days()))

    assert _run("programme.care", end) == 0
    assert CareRecord.objects.get(pk=record.pk).note == "父亲去世，已上门慰问"
    assert _run("programme.care", end + timedelta(days=1)) == 1
    record = CareRecord.objects.get(pk=record.pk)
    assert (record.note, record.situation, record.occurred_on, record.visited) == ("", "bereavement", day, True)
    assert _run("programme.care", end + timedelta(days=2)) == 0


def test_feedback_comments_go_and_the_ratings_stay(org):
    starts = datetime(2021, 6, 1, 2, 0, tzinfo=UTC)
    with time_machine.travel(starts - timedelta(days=7), tick=False):
        activity = activity_create(
            actor=org.users["leading_group"],
            title="减压沙龙",
            kind=Activity.Kind.SALON,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            place="活动室",
        )
        registration = register(actor=org.users["staff"], activity=activity)
    with time_machine.travel(starts + timedelta(hours=3), tick=False):
        feedback_give(actor=org.users["staff"], registration=registration, rating=4, comment="王老师讲得好")
    end = starts + timedelta(hours=2, days=retention.kind("programme.feedback").days())

    assert _run("programme.feedback", end - timedelta(seconds=1)) == 0
    assert _run("programme.feedback", end + timedelta(seconds=1)) == 1
    assert list(Feedback.objects.filter(activity=activity).values_list("rating", "comment")) == [(4, "")]
    assert _run("programme.feedback", end + timedelta(days=1)) == 0
