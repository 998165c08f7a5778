"""The talks app's record kind for retention (docs/data-lifecycle.md): a talk's text is cleared five
years after the last of its participants left - not while anyone who took part is still here, and
not a day early."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from talks.models import Talk, TalkAction, TalkVersion
from talks.services import ActionInput, TalkAmendment, TalkInput, talk_amend, talk_create
from tests.factories import ACTOR
from wellbeing import retention, services
from wellbeing.actors import SystemActor

RUNNER = SystemActor("test:retention")
HELD = datetime(2020, 5, 6, 10, 0, tzinfo=UTC)


def _group_talk(org) -> Talk:
    with time_machine.travel(HELD + timedelta(hours=1), tick=False):
        talk = talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(
                participants=[org.people["staff"], org.people["colleague"]],
                kind=Talk.Kind.GROUP,
                held_at=HELD,
                main_content="集体座谈：加班问题",
                actions=[ActionInput(description="李明调休三天", due_date=HELD.date() + timedelta(days=14))],
            ),
        )
        talk_amend(
            actor=org.users["supervisor"],
            talk=talk,
            data=TalkAmendment(held_at=HELD, main_content="集体座谈：加班与值班"),
        )
    return talk


def _run(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return {r.kind.key: r for r in retention.run(actor=RUNNER, only=["talks.text"])}["talks.text"].count


def test_it_waits_for_every_participant_to_have_left_for_the_whole_period(org):
    talk = _group_talk(org)
    days = retention.kind("talks.text").days()
    left_on = HELD.date() + timedelta(days=30)
    services.person_leave(actor=ACTOR, person=org.people["colleague"], left_on=left_on)
    last_leaver = left_on + timedelta(days=60)
    end = datetime.combine(last_leaver + timedelta(days=days), datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)

    assert _run(end + timedelta(days=1)) == 0  # the staff member is still here
    services.person_leave(actor=ACTOR, person=org.people["staff"], left_on=last_leaver)
    assert _run(end) == 0  # the period since the last leaving ends today
    assert Talk.objects.get(pk=talk.pk).main_content == "集体座谈：加班与值班"

    assert _run(end + timedelta(days=1)) == 1
    talk.refresh_from_db()
    assert talk.main_content == "" and talk.anonymised_at is not None
    assert talk.kind == Talk.Kind.GROUP and talk.participations.count() == 2
    assert not TalkVersion.objects.filter(talk=talk).exists()  # earlier wordings go too
    action = TalkAction.objects.select_related("followup").get(talk=talk)
    assert action.description == "" and action.followup.title == ""  # its follow-up's copy of the text too
    assert _run(end + timedelta(days=2)) == 0
