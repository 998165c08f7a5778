"""The leave services with the database: allocations that follow the rules over the year, the
ineligibility rules and their knock-on, carry-over and expiry, time off in lieu, cancellation, the
``leave_allocate`` command, a person leaving, and approved leave in the reminder pipeline."""

from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from leave import receivers, selectors, services, tasks
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType, OvertimeRecord
from leave.services import ledger
from tests.factories import ACTOR
from wellbeing import services as core
from wellbeing.actors import command_actor
from wellbeing.models import FollowUp, LifecycleEvent, Reminder
from wellbeing.reminders.routing import Away
from wellbeing.reminders.scan import run_scan

pytestmark = pytest.mark.django_db

SYSTEM = command_actor("test")
TZ = ZoneInfo("Asia/Shanghai")
Kind = LeaveLedgerEntry.Kind


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def travel(text: str):
    return time_machine.travel(at(text), tick=False)


def annual() -> LeaveType:
    return LeaveType.objects.get(code="annual")


def in_lieu() -> LeaveType:
    return LeaveType.objects.get(code="in_lieu")


def personal() -> LeaveType:
    return LeaveType.objects.get(code="personal")


def start_work(person, on: date) -> None:
    core.person_update(actor=ACTOR, person=person, work_start_date=on)
    person.refresh_from_db()


def ledger_sum(person, leave_type, year=None, **filters) -> Decimal:
    qs = LeaveLedgerEntry.objects.filter(person=person, leave_type=leave_type, **filters)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.aggregate(s=Sum("days"))["s"] or Decimal(0)


def annual_balance(person, year):
    return {b.leave_type.code: b for b in selectors.balances_for(person, year)}["annual"]


def take(org, person_key, leave_type, start, end, *, actor_key="staff", approver_key="supervisor", **flags):
    """Request leave for org.people[person_key] and have the supervisor approve it."""
    request = services.request_submit(
        actor=org.users[actor_key],
        person=org.people[person_key],
        data=services.RequestInput(leave_type, start, end, **flags),
    )
    return services.request_decide(actor=org.users[approver_key], request=request, approve=True)


# --- Allocations over the year -----------------------------------------------------------------------


def test_the_allocation_grows_in_the_month_after_ten_years_and_nothing_is_written_twice(org):
    staff = org.people["staff"]
    start_work(staff, date(2016, 6, 15))  # ten years on 2026-06-15
    with travel("2026-03-02 10:00"):
        first = services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
        assert (first.days, first.basis, first.expires_on, first.lot) == (5, "band", date(2026, 12, 31), None)
        assert first.basis_params["rule_set"] == "public"
    with travel("2026-06-30 10:00"):
        assert services.annual_reconcile(actor=SYSTEM, person=staff, year=2026) is None
    with travel("2026-07-01 00:30"):
        grown = services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
        assert (grown.days, grown.lot, grown.effective_on) == (5, first, date(2026, 7, 1))
        assert services.annual_reconcile(actor=SYSTEM, person=staff, year=2026) is None
    balance = annual_balance(staff, 2026)
    assert (balance.entitled, balance.balance) == (10, 10)
    assert LeaveLedgerEntry.objects.filter(person=staff, kind=Kind.ALLOCATION).count() == 2


def test_the_monthly_task_writes_only_what_changed(org):
    start_work(org.people["staff"], date(2016, 6, 15))
    people = len(org.people)  # everyone else started work in 2008: ten days all year
    with travel("2026-03-01 00:30"):
        assert tasks.allocate_year() == {"written": people, "unchanged": 0, "no_work_start": 0, "failed": 0}
    with travel("2026-07-01 00:30"):
        assert tasks.allocate_year() == {"written": 1, "unchanged": people - 1, "no_work_start": 0, "failed": 0}
        assert tasks.allocate_year() == {"written": 0, "unchanged": people, "no_work_start": 0, "failed": 0}
    assert ledger_sum(org.people["staff"], annual(), 2026) == 10
    assert ledger_sum(org.people["colleague"], annual(), 2026) == 10


def test_the_leave_allocate_command_reports_what_it_did_and_is_safe_to_run_again(org):
    core.person_update(actor=ACTOR, person=org.people["colleague"], work_start_date=None)
    # Someone who left before the year is not allocated at all.
    core.person_leave(actor=ACTOR, person=org.people["outsider"], left_on=date(2025, 12, 31))
    allocated = len(org.people) - 2
    with travel("2026-03-02 10:00"):
        out = StringIO()
        call_command("leave_allocate", "--year", "2026", stdout=out)
        assert out.getvalue().strip() == (
            f"2026: {allocated} allocations written, 0 already up to date, "
            "1 without a work start date (skipped), 0 failed"
        )
        out = StringIO()
        call_command("leave_allocate", stdout=out)  # this year by default
        assert out.getvalue().strip() == (
            f"2026: 0 allocations written, {allocated} already up to date, "
            "1 without a work start date (skipped), 0 failed"
        )
        with pytest.raises(CommandError, match="2004"):
            call_command("leave_allocate", "--year", "1990", stdout=StringIO())
    assert LeaveLedgerEntry.objects.filter(kind=Kind.ALLOCATION).count() == allocated
    assert not LeaveLedgerEntry.objects.filter(person__in=[org.people["colleague"], org.people["outsider"]]).exists()


# --- Ineligibility and the knock-on --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_day", "paid", "days", "balance", "basis"),
    [
        (date(2026, 4, 2), True, 19, 10, "band"),  # 19 days: still entitled
        (date(2026, 4, 3), True, 20, 0, "ineligible_personal"),  # 20 days: none this year
        (date(2026, 4, 3), False, 20, 10, "band"),  # unpaid personal leave does not count (条例 §4 (2))
    ],
)
def test_twenty_days_of_paid_personal_leave_take_the_years_annual_leave_away(org, last_day, paid, days, balance, basis):
    staff = org.people["staff"]
    start_work(staff, date(2014, 7, 1))
    LeaveType.objects.filter(code="personal").update(paid=paid)
    with travel("2026-03-02 10:00"):
        services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
        request = take(org, "staff", personal(), date(2026, 3, 9), last_day)
        assert request.days == days
        assert annual_balance(staff, 2026).balance == balance
        last = LeaveLedgerEntry.objects.filter(person=staff, kind=Kind.ALLOCATION).latest("id")
        assert last.basis == basis
        # Cancelling the personal leave gives the annual leave back.
        services.request_cancel(actor=org.users["supervisor"], request=request, reason="未休")
        assert annual_balance(staff, 2026).balance == 10


def test_ineligible_after_taking_annual_leave_keeps_what_was_taken_and_has_none_next_year(org):
    staff, colleague = org.people["staff"], org.people["colleague"]
    start_work(staff, date(2014, 7, 1))
    with travel("2026-03-02 10:00"):
        for person in (staff, colleague):
            services.annual_reconcile(actor=SYSTEM, person=person, year=2026)
        take(org, "staff", annual(), date(2026, 3, 2), date(2026, 3, 4))  # 3 days of annual leave
        take(org, "staff", personal(), date(2026, 3, 9), date(2026, 4, 3))  # then 20 days of personal leave
        # The 3 days taken stay taken; the other 7 are gone.
        assert ledger_sum(staff, annual(), 2026, kind=Kind.ALLOCATION) == 3
        balance = annual_balance(staff, 2026)
        assert (balance.entitled, balance.taken, balance.balance) == (3, 3, 0)
        assert LeaveLedgerEntry.objects.filter(person=staff, kind=Kind.ALLOCATION).latest("id").basis == (
            "ineligible_personal"
        )
    with travel("2027-01-04 10:00"):
        assert services.facts_for(staff, 2027).knock_on_from_previous is True
        assert services.annual_reconcile(actor=SYSTEM, person=staff, year=2027) is None
        assert services.annual_reconcile(actor=SYSTEM, person=colleague, year=2027).days == 10
    assert ledger_sum(staff, annual(), 2027, kind=Kind.ALLOCATION) == 0
    assert annual_balance(staff, 2027).balance == 0
    # Without annual leave taken first, the year after is not affected.
    assert services.facts_for(colleague, 2027).knock_on_from_previous is False


# --- Carry-over and expiry -----------------------------------------------------------------------------


def test_carried_over_days_are_used_first_and_expire_once(org, settings):
    settings.LEAVE_CARRY_OVER_UNTIL = "03-31"
    staff, hr = org.people["staff"], org.users["hr_officer"]
    start_work(staff, date(2014, 7, 1))
    with travel("2025-12-01 10:00"):
        services.annual_reconcile(actor=SYSTEM, person=staff, year=2025)
        carried = services.annual_carry_over(actor=hr, person=staff, year=2025, days=3, reason="防汛任务重")
        assert (carried.kind, carried.year, carried.days, carried.expires_on) == (
            Kind.CARRIED_IN,
            2026,
            3,
            date(2026, 3, 31),
        )
        with pytest.raises(ValidationError) as exc:  # once per year
            services.annual_carry_over(actor=hr, person=staff, year=2025, days=1, reason="再结转")
        assert "year" in exc.value.message_dict
    with travel("2026-01-01 00:45"):
        assert services.expire_lots(actor=SYSTEM) == 1  # what was left of 2025: 7 days
        assert services.expire_lots(actor=SYSTEM) == 0
        assert ledger_sum(staff, annual(), 2025) == 0
        assert ledger_sum(staff, annual(), 2025, kind=Kind.EXPIRED) == -7
        with pytest.raises(ValidationError):  # a closed year cannot be carried any more
            services.annual_carry_over(actor=hr, person=staff, year=2025, days=1, reason="补结转")
        allocation = services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
        assert annual_balance(staff, 2026).balance == 13
        # Leave in March draws on the days that expire first: the carried ones.
        request = take(org, "staff", annual(), date(2026, 3, 9), date(2026, 3, 10))
        assert list(request.ledger.values_list("lot", "days")) == [(carried.pk, -2)]
    with travel("2026-03-31 23:00"):
        assert services.expire_lots(actor=SYSTEM) == 0  # still good on its last day
    with travel("2026-04-01 00:45"):
        assert services.expire_lots(actor=SYSTEM) == 1
        assert services.expire_lots(actor=SYSTEM) == 0
    expired = LeaveLedgerEntry.objects.get(lot=carried, kind=Kind.EXPIRED)
    assert (expired.days, expired.year, expired.effective_on) == (-1, 2026, date(2026, 3, 31))
    assert ledger.lot_left(allocation) == 10
    balance = annual_balance(staff, 2026)
    assert balance.balance == 10 == ledger_sum(staff, annual(), 2026)


# --- Time off in lieu ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "days"),
    [(8, 1), (4, Decimal("0.5")), (3, 0), (Decimal("7.5"), Decimal("0.5")), (12, Decimal("1.5")), (16, 2), (24, 3)],
)
def test_hours_of_rest_day_work_make_whole_half_days(hours, days):
    assert services.days_for(Decimal(hours)) == days


def test_hours_per_day_is_a_setting(settings):
    settings.LEAVE_TOIL_HOURS_PER_DAY = 7
    assert services.days_for(Decimal(7)) == 1
    assert services.days_for(Decimal("3.5")) == Decimal("0.5")
    assert services.days_for(Decimal(3)) == 0


def record_work(org, person_key, day, kind, hours, *, actor_key="staff"):
    record = services.overtime_record(
        actor=org.users[actor_key],
        person=org.people[person_key],
        data=services.OvertimeInput(day, kind, Decimal(hours), "防汛值班"),
    )
    return services.overtime_decide(actor=org.users["supervisor"], record=record, confirm=True)


def test_confirmed_rest_day_work_accrues_time_off_with_a_use_by_date(org):
    staff = org.people["staff"]
    with travel("2026-03-02 10:00"):
        saturday = record_work(org, "staff", date(2026, 3, 1), OvertimeRecord.Kind.WEEKEND, 8)
        holiday = record_work(org, "staff", date(2026, 2, 21), OvertimeRecord.Kind.HOLIDAY, 4)
        night = record_work(org, "staff", date(2026, 2, 26), OvertimeRecord.Kind.NIGHT, 3)
        # Not yet confirmed: nothing accrues.
        services.overtime_record(
            actor=org.users["staff"],
            person=staff,
            data=services.OvertimeInput(date(2026, 1, 10), OvertimeRecord.Kind.WEEKEND, Decimal(8), "迎检"),
        )
    lots = {line.overtime_id: line for line in LeaveLedgerEntry.objects.filter(person=staff, kind=Kind.ACCRUED)}
    assert set(lots) == {saturday.pk, holiday.pk}  # three hours make no half day
    assert (lots[saturday.pk].days, lots[saturday.pk].expires_on) == (1, date(2026, 4, 30))
    assert (lots[holiday.pk].days, lots[holiday.pk].expires_on) == (Decimal("0.5"), date(2026, 4, 22))
    assert night.status == OvertimeRecord.Status.CONFIRMED
    toil = {b.leave_type.code: b for b in selectors.balances_for(staff, 2026)}["in_lieu"]
    assert (toil.entitled, toil.balance) == (Decimal("1.5"), Decimal("1.5"))


def test_time_off_in_lieu_is_nudged_once_before_it_expires_and_then_expires_once(org, settings):
    settings.LEAVE_TOIL_NUDGE_DAYS = 14
    staff = org.people["staff"]
    with travel("2026-03-02 10:00"):
        record_work(org, "staff", date(2026, 2, 28), OvertimeRecord.Kind.NIGHT, 8)  # a make-up workday; until 04-29
        record_work(org, "staff", date(2026, 3, 1), OvertimeRecord.Kind.WEEKEND, 4)  # good until 2026-04-30

    def nudges():
        return FollowUp.objects.filter(kind=FollowUp.Kind.TOIL_EXPIRY)

    with travel("2026-04-14 00:45"):
        assert services.toil_nudge(actor=SYSTEM) == 0
    with travel("2026-04-15 00:45"):
        assert services.toil_nudge(actor=SYSTEM) == 1
        assert services.toil_nudge(actor=SYSTEM) == 0
    [nudge] = nudges()
    assert (nudge.owner, nudge.person, nudge.is_active) == (org.users["staff"], staff, True)
    assert nudge.title_params == {"days": "1", "date": "2026-04-29"}
    with travel("2026-04-16 00:45"):
        assert services.toil_nudge(actor=SYSTEM) == 1
        assert services.toil_nudge(actor=SYSTEM) == 0
    assert nudges().count() == 2
    with travel("2026-04-29 23:00"):
        assert services.expire_lots(actor=SYSTEM) == 0
    with travel("2026-04-30 00:45"):
        assert services.expire_lots(actor=SYSTEM) == 1
        assert services.expire_lots(actor=SYSTEM) == 0
        assert ledger_sum(staff, in_lieu()) == Decimal("0.5")
    with travel("2026-05-01 00:45"):
        assert services.expire_lots(actor=SYSTEM) == 1
        assert services.toil_nudge(actor=SYSTEM) == 0
    assert ledger_sum(staff, in_lieu()) == 0
    assert nudges().count() == 2


def test_time_off_used_before_the_nudge_is_not_nudged(org):
    with travel("2026-03-02 10:00"):
        record_work(org, "staff", date(2026, 3, 1), OvertimeRecord.Kind.WEEKEND, 8)
        take(org, "staff", in_lieu(), date(2026, 3, 6), date(2026, 3, 6))
    with travel("2026-04-20 00:45"):
        assert services.toil_nudge(actor=SYSTEM) == 0
    assert not FollowUp.objects.filter(kind=FollowUp.Kind.TOIL_EXPIRY).exists()


def test_time_off_in_lieu_cannot_be_requested_for_after_its_use_by_date(org):
    """The 1 day earned on 2026-03-01 is good until 2026-04-30: a request for 2026-05-06 is refused when
    it is made (on its dates), not accepted and then impossible to approve."""
    staff = org.people["staff"]
    with travel("2026-03-02 10:00"):
        record_work(org, "staff", date(2026, 3, 1), OvertimeRecord.Kind.WEEKEND, 8)
        late = services.RequestInput(in_lieu(), date(2026, 5, 6), date(2026, 5, 6))
        with pytest.raises(ValidationError) as exc:
            services.preview(person=staff, data=late)
        assert set(exc.value.message_dict) <= {"start_date", "end_date"}
        with pytest.raises(ValidationError):
            services.request_submit(actor=org.users["staff"], person=staff, data=late)
    assert not LeaveRequest.objects.filter(person=staff).exists()


def test_carried_over_days_cannot_be_planned_after_their_use_by_date(org, settings):
    """13 days in the 2026 balance, 3 of them carried over and good until 31 March: leave in May can use
    only the other 10, so a 12-day request for May is refused when it is made."""
    settings.LEAVE_CARRY_OVER_UNTIL = "03-31"
    staff = org.people["staff"]
    start_work(staff, date(2014, 7, 1))
    with travel("2025-12-01 10:00"):
        services.annual_reconcile(actor=SYSTEM, person=staff, year=2025)
        services.annual_carry_over(actor=org.users["hr_officer"], person=staff, year=2025, days=3, reason="防汛")
    with travel("2026-03-02 10:00"):
        services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
        # Wed 6 .. Fri 8 May, Sat 9 May (made up), Mon 11 .. Fri 15, Mon 18 .. Wed 20: 12 working days.
        may = services.RequestInput(annual(), date(2026, 5, 6), date(2026, 5, 20))
        with pytest.raises(ValidationError) as exc:
            services.preview(person=staff, data=may)
        assert set(exc.value.message_dict) <= {"start_date", "end_date"}
        # Ten days (6 .. 18 May) fit.
        ten = services.RequestInput(annual(), date(2026, 5, 6), date(2026, 5, 18))
        assert services.preview(person=staff, data=ten).days == 10


# --- Cancellation ----------------------------------------------------------------------------------------


def test_cancelling_returns_exactly_the_lines_taken(org, settings):
    settings.LEAVE_CARRY_OVER_UNTIL = "03-31"
    staff = org.people["staff"]
    start_work(staff, date(2014, 7, 1))
    with travel("2025-12-01 10:00"):
        services.annual_reconcile(actor=SYSTEM, person=staff, year=2025)
        carried = services.annual_carry_over(
            actor=org.users["hr_officer"], person=staff, year=2025, days=3, reason="年底攻坚"
        )
    with travel("2026-03-02 10:00"):
        allocation = services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
        request = take(org, "staff", annual(), date(2026, 3, 9), date(2026, 3, 13))  # 5 days: 3 carried + 2
        taken = sorted(LeaveLedgerEntry.objects.filter(request=request, kind=Kind.TAKEN).values_list("lot", "days"))
        assert taken == sorted([(carried.pk, Decimal(-3)), (allocation.pk, Decimal(-2))])
        assert annual_balance(staff, 2026).balance == 8

        services.request_cancel(actor=org.users["staff"], request=request, reason="任务调整")
        returned = sorted(
            LeaveLedgerEntry.objects.filter(request=request, kind=Kind.CANCELLED).values_list("lot", "days")
        )
        assert returned == sorted((lot, -days) for lot, days in taken)
        assert (ledger.lot_left(carried), ledger.lot_left(allocation)) == (3, 10)
        assert annual_balance(staff, 2026).balance == 13 == ledger_sum(staff, annual(), 2026)
        with pytest.raises(ValidationError):  # cancelled once only
            services.request_cancel(actor=org.users["supervisor"], request=request, reason="再撤销")
        assert LeaveLedgerEntry.objects.filter(request=request).count() == 4

        # Time off in lieu comes back the same way.
        record_work(org, "staff", date(2026, 3, 1), OvertimeRecord.Kind.WEEKEND, 8)
        used = take(org, "staff", in_lieu(), date(2026, 3, 20), date(2026, 3, 20))
        assert ledger_sum(staff, in_lieu()) == 0
        services.request_cancel(actor=org.users["supervisor"], request=used, reason="当天值班")
        assert ledger_sum(staff, in_lieu()) == 1
        assert sorted(used.ledger.values_list("kind", "days")) == [(Kind.CANCELLED, 1), (Kind.USED, -1)]


def test_time_off_returned_after_its_use_by_date_expires_too(org):
    """2 days earned on 2026-03-01, good until 2026-04-30; 1 taken on 28 April, the other expires. When
    the 28 April leave is cancelled afterwards, the day comes back past its use-by date: it cannot be
    used, so it must not stay in the balance."""
    staff = org.people["staff"]
    with travel("2026-03-02 10:00"):
        record_work(org, "staff", date(2026, 3, 1), OvertimeRecord.Kind.WEEKEND, 16)
    with travel("2026-04-27 10:00"):
        used = take(org, "staff", in_lieu(), date(2026, 4, 28), date(2026, 4, 28))
    with travel("2026-05-01 00:45"):
        assert services.expire_lots(actor=SYSTEM) == 1
        services.request_cancel(actor=org.users["supervisor"], request=used, reason="当天被召回值班")
    with travel("2026-05-02 00:45"):
        services.expire_lots(actor=SYSTEM)
        toil = {b.leave_type.code: b for b in selectors.balances_for(staff, 2026)}["in_lieu"]
        assert toil.balance == 0 == ledger_sum(staff, in_lieu())


def test_one_of_two_waiting_requests_can_still_be_approved_after_the_balance_drops(org):
    """Two requests of 5 days wait; HR then corrects the balance from 10 to 9 days. The first one
    approved fits the 9 days and goes through; only the second is refused."""
    staff = org.people["staff"]
    with travel("2026-03-02 10:00"):
        services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
        first, second = (
            services.request_submit(
                actor=org.users["staff"], person=staff, data=services.RequestInput(annual(), start, end)
            )
            for start, end in ((date(2026, 4, 13), date(2026, 4, 17)), (date(2026, 4, 20), date(2026, 4, 24)))
        )
        services.ledger_adjust(
            actor=org.users["hr_officer"], person=staff, leave_type=annual(), year=2026, days=-1, reason="多计一天"
        )
        approved = services.request_decide(actor=org.users["supervisor"], request=first, approve=True)
        assert approved.status == LeaveRequest.Status.APPROVED
        with pytest.raises(ValidationError) as exc:
            services.request_decide(actor=org.users["supervisor"], request=second, approve=True)
        assert "end_date" in exc.value.message_dict
    assert annual_balance(staff, 2026).balance == 4 == ledger_sum(staff, annual(), 2026)


# --- A person who leaves -----------------------------------------------------------------------------


def test_when_a_person_leaves_their_waiting_requests_are_withdrawn(org, settings, django_capture_on_commit_callbacks):
    settings.LEAVE_RULE_SET = "enterprise"  # leavers are pro-rated
    staff = org.people["staff"]
    with travel("2026-03-02 10:00"):
        assert services.annual_reconcile(actor=SYSTEM, person=staff, year=2026).days == 10
        waiting = services.request_submit(
            actor=org.users["staff"],
            person=staff,
            data=services.RequestInput(annual(), date(2026, 7, 6), date(2026, 7, 10)),
        )
        approved = take(org, "staff", annual(), date(2026, 3, 9), date(2026, 3, 10))
    with travel("2026-06-30 10:00"), django_capture_on_commit_callbacks(execute=True):
        core.person_leave(actor=org.users["hr_officer"], person=staff)
    waiting.refresh_from_db()
    assert waiting.status == LeaveRequest.Status.WITHDRAWN
    assert not FollowUp.objects.get(pk=waiting.approval_followup_id).is_active
    approved.refresh_from_db()
    assert approved.status == LeaveRequest.Status.APPROVED  # leave already taken stays taken
    # Enterprise rules: 1 Jan..30 Jun is 181 days: 181/365 x 10 = 4.96 -> 4 days for the year.
    assert ledger_sum(staff, annual(), 2026, kind=Kind.ALLOCATION) == 4
    last = LeaveLedgerEntry.objects.filter(person=staff, kind=Kind.ALLOCATION).latest("id")
    assert last.basis == "prorated_leaver"
    assert annual_balance(staff, 2026).balance == 2

    # The receiver may run again (a redelivered event): nothing more happens.
    lines = LeaveLedgerEntry.objects.count()
    event = LifecycleEvent.objects.get(kind="person_left", person=staff)
    with travel("2026-06-30 11:00"):
        receivers.person_left(sender=LifecycleEvent, event=event, person=staff)
    assert LeaveLedgerEntry.objects.count() == lines


# --- Approved leave in the reminder pipeline -----------------------------------------------------------


def test_approved_leave_sends_reminders_elsewhere_for_those_days_only(org):
    staff_user = org.users["staff"]
    with travel("2026-03-02 09:00") as clock:
        during = core.followup_create(actor=ACTOR, owner=staff_user, title="报送材料", due_at=at("2026-03-13 10:00"))
        after = core.followup_create(actor=ACTOR, owner=staff_user, title="整理台账", due_at=at("2026-03-18 10:00"))
        services.annual_reconcile(actor=SYSTEM, person=org.people["staff"], year=2026)
        take(org, "staff", annual(), date(2026, 3, 12), date(2026, 3, 17))

        assert receivers.on_approved_leave([staff_user.pk], at("2026-03-12 08:00")) == {staff_user.pk: Away(None)}
        assert receivers.on_approved_leave([staff_user.pk], at("2026-03-17 23:00")) == {staff_user.pk: Away(None)}
        assert receivers.on_approved_leave([staff_user.pk], at("2026-03-18 00:00")) == {}
        assert receivers.on_approved_leave([staff_user.pk], at("2026-03-11 23:59")) == {}

        clock.move_to(at("2026-03-13 10:00"))
        run_scan(timezone.now())
        # Away on leave, without a delegate: the reminder goes to their manager, the supervisor.
        assert [(r.recipient, r.routed_from) for r in Reminder.objects.filter(followup=during)] == [
            (org.users["supervisor"], staff_user)
        ]
        clock.move_to(at("2026-03-18 10:00"))
        run_scan(timezone.now())
        assert [(r.recipient, r.routed_from) for r in Reminder.objects.filter(followup=after)] == [(staff_user, None)]


def test_cancelled_leave_makes_the_person_available_again(org):
    staff_user = org.users["staff"]
    with travel("2026-03-02 09:00"):
        services.annual_reconcile(actor=SYSTEM, person=org.people["staff"], year=2026)
        request = take(org, "staff", annual(), date(2026, 3, 12), date(2026, 3, 17))
        assert services.approved_on([staff_user.pk], date(2026, 3, 13)) == {staff_user.pk}
        services.request_cancel(actor=staff_user, request=request, reason="计划有变")
        assert receivers.on_approved_leave([staff_user.pk], at("2026-03-13 10:00")) == {}
