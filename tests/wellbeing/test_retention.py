"""Retention (issue 14, point 4; docs/data-lifecycle.md): each record kind goes exactly when its period
has passed and not a day before, a second run changes nothing, one failing kind does not stop the
others, the leading group's figures for a past year are the same before and after while the
sensitive text is gone, the system check refuses periods below the legal floors, and the dry run
says what would go without changing anything."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cases import services as case_services
from cases.models import CaseNote, SafetyPlan
from cases.services.records import NoteInput
from programme.models import CareRecord
from programme.selectors.dashboard import compute
from programme.services.care import care_record_create
from talks.models import Talk
from talks.services import TalkInput, talk_create
from tests.factories import ACTOR
from wellbeing import retention, services, tasks
from wellbeing.actors import SystemActor
from wellbeing.audit import audit_record
from wellbeing.figures import Period
from wellbeing.models import AuditEvent, ChangeEntry, FollowUp, Notification, Person, Referral
from wellbeing.retention import AUDIT_MINIMUM_DAYS
from wellbeing.retention_core import delete_audit_rows

RUNNER = SystemActor("test:retention")
#: A moment that is days before the real present: the database's own clock (PostgreSQL's audit
#: trigger) must agree that old rows are old, so a test never travels past the present.
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def _run(*keys: str, at: datetime) -> dict[str, retention.KindResult]:
    with time_machine.travel(at, tick=False):
        return {r.kind.key: r for r in retention.run(actor=RUNNER, only=keys)}


def _entry_at(when: datetime, action: str = AuditEvent.Action.UPDATE) -> AuditEvent:
    with time_machine.travel(when, tick=False):
        return audit_record(actor=ACTOR, action=action, target_label="retention test")


# --- Exactly at the end of the period ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "action"),
    [("audit", AuditEvent.Action.LOGIN), ("api_calls", AuditEvent.Action.API_CALL)],
)
def test_it_deletes_audit_entries_past_their_period_and_not_a_second_before(db, key, action):
    days = retention.kind(key).days()
    written = NOW - timedelta(days=days, seconds=10)
    entry = _entry_at(written, action)

    result = _run(key, at=written + timedelta(days=days, seconds=-1))
    assert AuditEvent.objects.filter(pk=entry.pk).exists()
    assert result[key].count == 0

    result = _run(key, at=written + timedelta(days=days, seconds=1))
    assert not AuditEvent.objects.filter(pk=entry.pk).exists()
    assert result[key].count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database's own guard is PostgreSQL's trigger")
def test_the_database_refuses_to_delete_an_audit_entry_younger_than_the_legal_floor(db):
    """Even the retention code path, given a cutoff in the future, cannot remove a young entry: the
    trigger checks the age by the database's clock (migration 0023)."""
    young = _entry_at(NOW - timedelta(days=AUDIT_MINIMUM_DAYS - 2))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        delete_audit_rows([young.pk], NOW + timedelta(days=1))
    assert AuditEvent.objects.filter(pk=young.pk).exists()
    old = _entry_at(NOW - timedelta(days=AUDIT_MINIMUM_DAYS + 2))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM wellbeing_auditevent WHERE id = %s", [old.pk])  # no cutoff named
    assert delete_audit_rows([old.pk], NOW) == 1


def test_a_period_configured_below_the_legal_floor_still_keeps_what_the_law_asks(db, settings):
    """The worker runs no system checks: a misconfigured period is raised to the floor, not obeyed."""
    settings.RETENTION = {**settings.RETENTION, "audit": 30}
    young = _entry_at(NOW - timedelta(days=100), AuditEvent.Action.LOGIN)
    old = _entry_at(NOW - timedelta(days=AUDIT_MINIMUM_DAYS + 2), AuditEvent.Action.LOGIN)
    result = _run("audit", at=NOW)
    assert result["audit"].days == AUDIT_MINIMUM_DAYS
    assert AuditEvent.objects.filter(pk=young.pk).exists()
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_an_api_call_is_kept_by_its_own_period_not_the_audit_trails(db):
    """The audit kind leaves API calls alone and the API-call kind leaves the rest alone."""
    old = NOW - timedelta(days=400)
    call, login = _entry_at(old, AuditEvent.Action.API_CALL), _entry_at(old, AuditEvent.Action.LOGIN)
    _run("audit", at=NOW)
    assert AuditEvent.objects.filter(pk=call.pk).exists()
    _run("api_calls", at=NOW)
    assert not AuditEvent.objects.filter(pk=call.pk).exists()
    assert AuditEvent.objects.filter(pk=login.pk).exists()


def test_it_deletes_feed_lines_and_notifications_past_their_period(db, org):
    days = retention.kind("change_feed").days()
    written = NOW - timedelta(days=days, seconds=10)
    with time_machine.travel(written, tick=False):
        line = ChangeEntry.objects.create(stream="people", type="person", key="EX-old", data={"full_name": "李明"})
        note = Notification.objects.create(recipient=org.users["staff"], title="李明")
    fresh = ChangeEntry.objects.create(stream="people", type="person", key="EX-new", data={})

    _run("change_feed", "notifications", at=written + timedelta(days=days, seconds=-1))
    assert ChangeEntry.objects.filter(pk=line.pk).exists()
    assert Notification.objects.filter(pk=note.pk).exists()

    _run("change_feed", "notifications", at=written + timedelta(days=days, seconds=1))
    assert not ChangeEntry.objects.filter(pk=line.pk).exists()
    assert not Notification.objects.filter(pk=note.pk).exists()
    assert ChangeEntry.objects.filter(pk=fresh.pk).exists()


def test_it_deletes_expired_sessions_only(db):
    expired, live = SessionStore(), SessionStore()
    expired.set_expiry(NOW - timedelta(minutes=1))
    expired.save()
    live.set_expiry(NOW + timedelta(hours=1))
    live.save()
    _run("sessions", at=NOW)
    assert not Session.objects.filter(session_key=expired.session_key).exists()
    assert Session.objects.filter(session_key=live.session_key).exists()


def test_a_person_who_left_is_anonymised_the_day_after_the_period_ends(db, org):
    colleague = org.people["colleague"]
    days = retention.kind("people").days()
    left_on = timezone.localdate(NOW) - timedelta(days=days + 1)
    referral = services.referral_create(
        actor=org.users["supervisor"], person=colleague, urgency="soon", reason="family", note="家里有事"
    )
    about_them = services.followup_create(
        actor=ACTOR,
        owner=org.users["supervisor"],
        title_key="talk.due",  # "Heart-to-heart talk with {name}"
        title_params={"name": colleague.full_name},
        kind="general",
        due_at=timezone.now() + timedelta(days=3),
        person=colleague,
    )
    services.followup_complete(actor=org.users["supervisor"], followup=about_them, outcome="李明说家里已安顿好")
    services.person_leave(actor=ACTOR, person=colleague, left_on=left_on)
    last_day = timezone.make_aware(datetime.combine(left_on + timedelta(days=days), datetime.min.time())) + timedelta(
        hours=12
    )

    _run("people", at=last_day)
    colleague.refresh_from_db()
    assert colleague.full_name == "李明"

    _run("people", at=last_day + timedelta(days=1))
    colleague.refresh_from_db()
    assert colleague.full_name.startswith("anon-")
    assert colleague.external_id.startswith("anon-")
    assert (colleague.email, colleague.phone, colleague.position, colleague.date_of_birth) == ("", "", "", None)
    assert colleague.unit == org.section_a1 and colleague.left_on == left_on  # what the figures count
    assert Referral.objects.get(pk=referral.pk).note == ""
    # Follow-ups about them no longer carry their name, nor the words of how they went.
    for followup in FollowUp.objects.filter(person=colleague):
        assert "李明" not in str(followup.title_params) and followup.outcome == "" and followup.snooze_reason == ""
    # Someone still here is untouched.
    assert Person.objects.get(pk=org.people["staff"].pk).full_name == "王静"


def test_a_person_with_a_login_loses_it_when_anonymised(db, org):
    staff = org.people["staff"]
    services.person_leave(actor=ACTOR, person=staff, left_on=date(2020, 6, 30))
    _run("people", at=NOW)
    staff.refresh_from_db()
    user = staff.user
    user.refresh_from_db()
    assert user.username.startswith("anon-") and user.email == "" and not user.has_usable_password()
    assert not user.is_active


# --- Statistics intact --------------------------------------------------------------------------------

PAST_YEAR = 2021


def _at(month: int, day: int) -> datetime:
    return datetime(PAST_YEAR, month, day, 10, 0, tzinfo=UTC)


@pytest.fixture
def past_year(org):
    """A year of records five and more years ago: talks with someone who stays and someone who left,
    the leaver's case (notes, a safety plan, closed), care records for both; the leaver left at the
    end of June."""
    staff, colleague = org.people["staff"], org.people["colleague"]
    supervisor, counsellor, lead = org.users["supervisor"], org.users["counsellor"], org.users["lead_counsellor"]
    with time_machine.travel(_at(3, 1), tick=False):
        kept = talk_create(
            actor=supervisor,
            data=TalkInput(participants=[staff], held_at=_at(2, 27), main_content="工作顺利", mood=4),
        )
        gone = talk_create(
            actor=supervisor,
            data=TalkInput(
                participants=[colleague],
                held_at=_at(2, 28),
                location="会议室",
                main_content="家中老人住院，压力大",
                shared_summary="已安排调休",
                mood=2,
                mood_tags=["family"],
            ),
        )
        for person in (staff, colleague):
            care_record_create(
                actor=supervisor, person=person, situation="illness", occurred_on=_at(3, 1).date(), note="住院探望"
            )
        case = case_services.case_open(actor=lead, referral=org.referral, counsellor=counsellor)
        case_services.note_add(actor=counsellor, case=case, data=NoteInput(form="free", body="情绪低落，睡眠差"))
        case_services.safety_plan_save(actor=counsellor, case=case, sections={"warning_signs": "失眠"})
    with time_machine.travel(_at(4, 1), tick=False):
        case_services.closure_request(actor=counsellor, case=case, outcome="improved", summary="情绪稳定")
        case_services.closure_approve(actor=lead, case=case)
    with time_machine.travel(_at(6, 30), tick=False):
        services.person_leave(actor=ACTOR, person=colleague, left_on=_at(6, 30).date())
    return {"kept": kept, "gone": gone, "case": case}


def _figures(year: int) -> list:
    with time_machine.travel(NOW, tick=False):
        _units, rows, _k = compute(Period.for_year(year))
    return [(r.key, r.values) for r in rows]


def test_the_figures_of_a_past_year_are_the_same_after_retention_and_the_text_is_gone(org, past_year):
    young = _entry_at(NOW - timedelta(days=30))
    before = {year: _figures(year) for year in (PAST_YEAR, NOW.year)}

    results = _run(at=NOW)

    assert not [r.kind.key for r in results.values() if r.failed]
    assert {year: _figures(year) for year in (PAST_YEAR, NOW.year)} == before
    # The leaver's talk: text gone, what the figures and the timeline count kept.
    gone = Talk.objects.get(pk=past_year["gone"].pk)
    assert (gone.location, gone.main_content, gone.shared_summary) == ("", "", "")
    assert (gone.mood, gone.mood_tags, gone.held_at) == (2, ["family"], _at(2, 28))
    assert gone.participations.get().person_id == org.people["colleague"].pk
    # The talk with someone still here is untouched.
    assert Talk.objects.get(pk=past_year["kept"].pk).main_content == "工作顺利"
    # The case: notes, safety plan and closing summary empty; outcome and dates kept.
    case = past_year["case"]
    case.refresh_from_db()
    assert case.closing_summary == "" and case.outcome == "improved" and case.closed_at is not None
    assert [n.body for n in CaseNote.objects.filter(case=case)] == [""]
    assert SafetyPlan.objects.get(case=case).warning_signs == ""
    # Care records: the notes cleared (over three years old), situation and date kept.
    assert set(CareRecord.objects.values_list("note", "situation")) == {("", "illness")}
    # The leaver's name is replaced; the audit trail younger than its period is untouched, the
    # entries of five years ago are gone.
    assert Person.objects.get(pk=org.people["colleague"].pk).full_name.startswith("anon-")
    assert AuditEvent.objects.filter(pk=young.pk).exists()
    assert not AuditEvent.objects.filter(created_at__year=PAST_YEAR).exists()


def test_a_second_run_changes_nothing(org, past_year):
    _run(at=NOW)
    talk = Talk.objects.get(pk=past_year["gone"].pk)
    second = _run(at=NOW)
    assert {key: r.count for key, r in second.items() if r.count} == {}
    assert Talk.objects.get(pk=talk.pk).anonymised_at == talk.anonymised_at


def test_each_kind_run_is_one_audit_entry_with_counts_and_no_content(org, past_year):
    _run(at=NOW)
    entries = AuditEvent.objects.filter(actor_label=RUNNER.name)
    assert sorted(e.changes["kind"] for e in entries) == sorted(k.key for k in retention.kinds())
    talks_entry = entries.get(target_label="retention: talks.text")
    assert talks_entry.changes["count"] == 1 and talks_entry.changes["action"] == "anonymise"
    assert "家中" not in str([e.changes for e in entries])


# --- Failures are isolated ----------------------------------------------------------------------------


def test_one_failing_kind_does_not_stop_the_others(db, org, monkeypatch, caplog):
    def boom(pks, cutoff):
        raise RuntimeError("secret text 家中老人")

    broken = dataclasses.replace(retention.kind("change_feed"), apply=boom)
    monkeypatch.setitem(retention._kinds, "change_feed", broken)
    with time_machine.travel(NOW - timedelta(days=800), tick=False):
        ChangeEntry.objects.create(stream="people", type="person", key="EX-old", data={})
        note = Notification.objects.create(recipient=org.users["staff"], title="old")

    with caplog.at_level(logging.ERROR, logger="wellbeing.retention"):
        results = _run("change_feed", "notifications", at=NOW)

    assert results["change_feed"].failed and results["change_feed"].error == "RuntimeError"
    assert not Notification.objects.filter(pk=note.pk).exists()
    assert ChangeEntry.objects.filter(key="EX-old").exists()  # the failed batch rolled back
    entry = AuditEvent.objects.get(actor_label=RUNNER.name, target_label="retention: change_feed")
    assert entry.changes["error"] == "RuntimeError"
    assert "change_feed" in caplog.text and "secret" not in caplog.text and "家中" not in caplog.text


def test_the_daily_task_runs_under_its_own_name(db):
    tasks.apply_retention()
    labels = set(
        AuditEvent.objects.filter(target_label__startswith="retention: ").values_list("actor_label", flat=True)
    )
    assert labels == {"task:wellbeing.apply_retention"}


# --- The system check --------------------------------------------------------------------------------


def _errors():
    return {(e.id, e.msg.split("=")[0]) for e in retention.check_retention()}


def test_the_defaults_pass_the_check(settings):
    assert retention.check_retention() == []
    assert all(settings.RETENTION[k.key] == k.default_days for k in retention.kinds())


def test_the_check_refuses_an_audit_trail_under_three_years_and_logs_under_six_months(settings):
    settings.RETENTION = {**settings.RETENTION, "audit": 1094, "api_calls": 182, "deliveries": 100}
    assert _errors() == {
        ("wellbeing.E104", "RETENTION_AUDIT_DAYS"),
        ("wellbeing.E104", "RETENTION_API_CALLS_DAYS"),
        ("wellbeing.E104", "RETENTION_DELIVERIES_DAYS"),
    }
    settings.RETENTION = {**settings.RETENTION, "audit": 1095, "api_calls": 183, "deliveries": 183}
    assert _errors() == set()


def test_the_check_refuses_unknown_kinds_and_bad_values(settings):
    settings.RETENTION = {**settings.RETENTION, "talks.txt": 10, "people": -1}
    assert {e.id for e in retention.check_retention()} == {"wellbeing.E102", "wellbeing.E103"}


# --- The dry run ---------------------------------------------------------------------------------------


def test_the_dry_run_prints_what_would_go_and_changes_nothing(org, past_year):
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("retention", "--dry-run", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()[1:]}
    assert set(lines) == {k.key for k in retention.kinds()}
    assert "1 would be anonymised" in lines["talks.text"]
    assert "1 would be anonymised" in lines["people"]
    assert Talk.objects.get(pk=past_year["gone"].pk).main_content == "家中老人住院，压力大"
    assert not AuditEvent.objects.filter(target_label__startswith="retention: ").exists()


def test_the_command_applies_retention_and_refuses_an_unknown_kind(org, past_year):
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("retention", "--kind", "talks.text", stdout=out)
    assert "1 were anonymised" in out.getvalue()
    assert Talk.objects.get(pk=past_year["gone"].pk).main_content == ""
    with pytest.raises(CommandError, match="Unknown record kind"):
        call_command("retention", "--kind", "talks", stdout=StringIO())
