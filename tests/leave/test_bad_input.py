"""Bad input to the leave services gives a clear error next to the right field and writes nothing:
no request, no ledger line, no record of rest-day work, no follow-up, no audit row, no message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from leave import services
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType, OvertimeRecord
from wellbeing.actors import command_actor
from wellbeing.models import AuditEvent, FollowUp, Notification

pytestmark = pytest.mark.django_db

SYSTEM = command_actor("test")
MODELS = (LeaveRequest, LeaveLedgerEntry, OvertimeRecord, FollowUp, AuditEvent, Notification)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def setting(org):
    """2 March 2026: 王静 has 10 days of annual leave, a request waiting for 9..13 March, and 1 day in
    lieu (a confirmed Saturday)."""
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        staff = org.people["staff"]
        services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
        services.request_submit(
            actor=org.users["staff"],
            person=staff,
            data=services.RequestInput(LeaveType.objects.get(code="annual"), date(2026, 3, 9), date(2026, 3, 13)),
        )
        record = services.overtime_record(
            actor=org.users["staff"],
            person=staff,
            data=services.OvertimeInput(date(2026, 1, 10), "weekend", Decimal(8), "防汛值班"),
        )
        services.overtime_decide(actor=org.users["supervisor"], record=record, confirm=True)
    return org


def refused(call) -> dict[str, list[str]]:
    """Run ``call``; it must raise ValidationError and change nothing. Returns the errors by field."""
    before = counts()
    with pytest.raises(ValidationError) as exc:
        call()
    assert counts() == before
    errors = exc.value.message_dict
    assert all(messages and all(m.strip() for m in messages) for messages in errors.values())
    return errors


def leave_type(code: str) -> LeaveType:
    return LeaveType.objects.get(code=code)


# --- Requests --------------------------------------------------------------------------------------------

REQUESTS = [
    # (what, type, first day, last day, extra fields, the field the error is on)
    ("end before start", "annual", date(2026, 3, 20), date(2026, 3, 19), {}, "end_date"),
    ("half day on National Day", "annual", date(2026, 10, 1), date(2026, 10, 2), {"start_pm": True}, "start_pm"),
    ("half day ending on a Saturday", "annual", date(2026, 3, 16), date(2026, 3, 21), {"end_am": True}, "end_am"),
    (
        "afternoon start and noon end on one day",
        "annual",
        date(2026, 3, 16),
        date(2026, 3, 16),
        {"start_pm": True, "end_am": True},
        "end_am",
    ),
    ("overlapping my waiting request", "annual", date(2026, 3, 12), date(2026, 3, 17), {}, "start_date"),
    ("overlapping, other type", "sick", date(2026, 3, 13), date(2026, 3, 13), {}, "start_date"),
    ("only rest days", "annual", date(2026, 2, 21), date(2026, 2, 22), {}, "end_date"),
    ("beyond the balance", "annual", date(2026, 4, 7), date(2026, 4, 14), {}, "end_date"),  # 6 > 10 - 5
    ("beyond the time in lieu", "in_lieu", date(2026, 3, 16), date(2026, 3, 17), {}, "end_date"),
    ("annual leave across two years", "annual", date(2026, 12, 30), date(2027, 1, 4), {}, "end_date"),
    ("more than a type allows at once", "marriage", date(2026, 3, 16), date(2026, 3, 19), {}, "end_date"),
    ("a year far outside the calendar", "annual", date(2099, 3, 2), date(2099, 3, 3), {}, "start_date"),
    ("years ago", "sick", date(2019, 3, 4), date(2019, 3, 5), {}, "start_date"),
    ("NUL byte in the note", "annual", date(2026, 3, 16), date(2026, 3, 16), {"note": "看病\x00"}, "note"),
    ("a note too long", "annual", date(2026, 3, 16), date(2026, 3, 16), {"note": "长" * 501}, "note"),
]


@pytest.mark.parametrize(
    ("code", "start", "end", "extra", "field"),
    [row[1:] for row in REQUESTS],
    ids=[row[0] for row in REQUESTS],
)
def test_a_bad_request_is_refused_on_its_field_and_writes_nothing(setting, code, start, end, extra, field):
    org = setting
    data = services.RequestInput(leave_type(code), start, end, **extra)
    with time_machine.travel("2026-03-02 11:00 +0800", tick=False):
        assert field in refused(lambda: services.preview(person=org.people["staff"], data=data))
        assert field in refused(
            lambda: services.request_submit(actor=org.users["staff"], person=org.people["staff"], data=data)
        )


def test_a_type_that_can_no_longer_be_requested_is_refused(setting):
    LeaveType.objects.filter(code="family_visit").update(is_active=False)
    data = services.RequestInput(leave_type("family_visit"), date(2026, 4, 1), date(2026, 4, 20))
    with time_machine.travel("2026-03-02 11:00 +0800", tick=False):
        errors = refused(
            lambda: services.request_submit(actor=setting.users["staff"], person=setting.people["staff"], data=data)
        )
    assert "leave_type" in errors


def test_bad_decisions_and_cancellations_are_refused(setting):
    org = setting
    waiting = LeaveRequest.objects.get(person=org.people["staff"])
    supervisor = org.users["supervisor"]
    with time_machine.travel("2026-03-02 11:00 +0800", tick=False):
        assert "comment" in refused(lambda: services.request_decide(actor=supervisor, request=waiting, approve=False))
        assert "comment" in refused(
            lambda: services.request_decide(actor=supervisor, request=waiting, approve=False, comment="人手\x00不足")
        )
        assert "reason" in refused(
            lambda: services.request_cancel(actor=org.users["staff"], request=waiting, reason="不休了\x00")
        )
        approved = services.request_decide(actor=supervisor, request=waiting, approve=True)
        assert "reason" in refused(lambda: services.request_cancel(actor=supervisor, request=approved))
        assert "__all__" in refused(lambda: services.request_decide(actor=supervisor, request=approved, approve=True))


# --- Rest-day work -----------------------------------------------------------------------------------------

WORK = [
    ("NUL byte in the purpose", date(2026, 3, 1), "weekend", Decimal(8), "值班\x00", "purpose"),
    ("no purpose", date(2026, 3, 1), "weekend", Decimal(8), "  ", "purpose"),
    ("a quarter hour", date(2026, 3, 1), "weekend", Decimal("0.25"), "值班", "hours"),
    ("more than a day", date(2026, 3, 1), "weekend", Decimal(25), "值班", "hours"),
    ("not a number", date(2026, 3, 1), "weekend", "八", "值班", "hours"),
    ("unknown kind", date(2026, 3, 1), "holiday_eve", Decimal(8), "值班", "kind"),
    ("not done yet", date(2026, 3, 7), "weekend", Decimal(8), "值班", "work_date"),
    ("too long ago to earn time off", date(2025, 12, 27), "weekend", Decimal(8), "值班", "work_date"),
    ("recorded already", date(2026, 1, 10), "weekend", Decimal(4), "值班", "work_date"),
]


@pytest.mark.parametrize(
    ("day", "kind", "hours", "purpose", "field"), [row[1:] for row in WORK], ids=[row[0] for row in WORK]
)
def test_bad_rest_day_work_is_refused_on_its_field_and_writes_nothing(setting, day, kind, hours, purpose, field):
    data = services.OvertimeInput(day, kind, hours, purpose)
    with time_machine.travel("2026-03-02 11:00 +0800", tick=False):
        errors = refused(
            lambda: services.overtime_record(actor=setting.users["staff"], person=setting.people["staff"], data=data)
        )
    assert field in errors


# --- Adjustments and carry-over ------------------------------------------------------------------------------

ADJUSTMENTS = [
    ("not a half day", "annual", 2026, "0.3", "更正", "days"),
    ("zero", "annual", 2026, 0, "更正", "days"),
    ("not a number", "annual", 2026, "三天", "更正", "days"),
    ("not a finite number", "annual", 2026, "NaN", "更正", "days"),
    ("absurdly many", "annual", 2026, 1000, "更正", "days"),
    ("negative beyond the balance", "annual", 2026, -11, "更正", "days"),
    ("negative beyond the time in lieu", "in_lieu", 2026, "-1.5", "更正", "days"),
    ("NUL byte in the reason", "annual", 2026, 1, "更\x00正", "reason"),
    ("no reason", "annual", 2026, 1, " ", "reason"),
    ("a type without a balance", "sick", 2026, 1, "更正", "leave_type"),
    ("a year far outside the calendar", "annual", 1800, 1, "更正", "year"),
]


@pytest.mark.parametrize(
    ("code", "year", "days", "reason", "field"),
    [row[1:] for row in ADJUSTMENTS],
    ids=[row[0] for row in ADJUSTMENTS],
)
def test_a_bad_adjustment_is_refused_on_its_field_and_writes_nothing(setting, code, year, days, reason, field):
    with time_machine.travel("2026-03-02 11:00 +0800", tick=False):
        errors = refused(
            lambda: services.ledger_adjust(
                actor=setting.users["hr_officer"],
                person=setting.people["staff"],
                leave_type=leave_type(code),
                year=year,
                days=days,
                reason=reason,
            )
        )
    assert field in errors


CARRY = [
    ("more than is left", 2026, 11, "防汛", "days"),
    ("negative", 2026, -1, "防汛", "days"),
    ("zero", 2026, 0, "防汛", "days"),
    ("not a half day", 2026, "1.2", "防汛", "days"),
    ("NUL byte in the reason", 2026, 2, "防\x00汛", "reason"),
    ("a year with nothing allocated", 2025, 2, "防汛", "year"),
    ("a year far outside the calendar", 3000, 2, "防汛", "year"),
]


@pytest.mark.parametrize(("year", "days", "reason", "field"), [row[1:] for row in CARRY], ids=[row[0] for row in CARRY])
def test_a_bad_carry_over_is_refused_on_its_field_and_writes_nothing(setting, year, days, reason, field):
    with time_machine.travel("2026-12-01 10:00 +0800", tick=False):
        errors = refused(
            lambda: services.annual_carry_over(
                actor=setting.users["hr_officer"], person=setting.people["staff"], year=year, days=days, reason=reason
            )
        )
    assert field in errors


@pytest.mark.parametrize("year", [1999, 2101])
def test_allocating_a_year_far_outside_the_calendar_is_refused(setting, year):
    assert "year" in refused(lambda: services.annual_allocate_year(actor=SYSTEM, year=year))
    assert "year" in refused(lambda: services.annual_reconcile(actor=SYSTEM, person=setting.people["staff"], year=year))
