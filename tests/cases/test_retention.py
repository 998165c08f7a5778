"""The cases app's record kind for retention (docs/data-lifecycle.md): a case's text is cleared five
years after the later of its closing and the person's leaving - never while it is open, never for
someone still here, never a day early."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from cases import services
from cases.models import Case, CaseNote, CaseNoteVersion
from cases.services.records import NoteInput
from tests.factories import ACTOR
from wellbeing import retention
from wellbeing import services as core_services
from wellbeing.actors import SystemActor
from wellbeing.models import Referral

RUNNER = SystemActor("test:retention")
OPENED = datetime(2020, 3, 2, 10, 0, tzinfo=UTC)


def _run(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return {r.kind.key: r for r in retention.run(actor=RUNNER, only=["cases.text"])}["cases.text"].count


def _case(org) -> Case:
    counsellor = org.users["counsellor"]
    with time_machine.travel(OPENED, tick=False):
        referral = core_services.referral_create(
            actor=org.users["supervisor"],
            person=org.people["colleague"],
            urgency="soon",
            reason="family",
            note="家里有事",
        )
        case = services.case_open(actor=org.users["lead_counsellor"], referral=referral, counsellor=counsellor)
        note = services.note_add(actor=counsellor, case=case, data=NoteInput(form="free", body="初次面谈"))
        services.note_edit(actor=counsellor, note=note, data=NoteInput(form="free", body="初次面谈，情绪低落"))
        services.flag_raise(actor=counsellor, case=case, kind="family", reason="家庭矛盾")
    return case


def _close(org, case: Case, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        services.closure_request(actor=org.users["counsellor"], case=case, outcome="improved", summary="好转")
        services.closure_approve(actor=org.users["lead_counsellor"], case=case)


def test_an_open_case_and_the_case_of_someone_still_here_are_kept(org):
    case = _case(org)
    assert _run(OPENED + timedelta(days=2000)) == 0  # open
    _close(org, case, OPENED + timedelta(days=10))
    assert _run(OPENED + timedelta(days=2000)) == 0  # the person is still here
    assert CaseNote.objects.get(case=case).body == "初次面谈，情绪低落"


def test_the_text_goes_the_day_after_the_period_from_the_later_of_closing_and_leaving(org):
    case = _case(org)
    _close(org, case, OPENED + timedelta(days=10))
    left_on = OPENED.date() + timedelta(days=40)  # the leaving is the later of the two
    core_services.person_leave(actor=ACTOR, person=org.people["colleague"], left_on=left_on)
    days = retention.kind("cases.text").days()
    end = datetime.combine(left_on + timedelta(days=days), datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)

    assert _run(end) == 0
    assert _run(end + timedelta(days=1)) == 1
    case.refresh_from_db()
    assert case.closing_summary == "" and case.outcome == "improved" and case.anonymised_at is not None
    assert CaseNote.objects.get(case=case).body == ""
    assert not CaseNoteVersion.objects.filter(note__case=case).exists()
    flag = case.flags.get()
    assert (flag.kind, flag.reason) == ("family", "")
    assert Referral.objects.get(case_link__case=case).note == ""  # the referral taken in, too
    assert _run(end + timedelta(days=2)) == 0


def test_a_person_who_left_with_a_case_still_open_is_not_anonymised(org):
    """Whatever the age of the leaving: the case, and the name and referral note it rests on, stay
    until the lead counsellor closes it."""
    case = _case(org)
    core_services.person_leave(actor=ACTOR, person=org.people["colleague"], left_on=OPENED.date())
    at = OPENED + timedelta(days=retention.kind("people").days() + 30)
    with time_machine.travel(at, tick=False):
        retention.run(actor=RUNNER, only=["people"])
    colleague = org.people["colleague"]
    colleague.refresh_from_db()
    assert colleague.full_name == "李明" and colleague.anonymised_at is None
    assert Referral.objects.get(case_link__case=case).note == "家里有事"
    _close(org, case, at)
    with time_machine.travel(at + timedelta(days=1), tick=False):
        retention.run(actor=RUNNER, only=["people"])
    colleague.refresh_from_db()
    assert colleague.full_name.startswith("anon-")
