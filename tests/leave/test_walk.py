"""A year of leave for one person (issue 11): allocation, a request approved by the supervisor, the
balance explained line by line, cancellation, time off in lieu accrued and used, carry-over and expiry.
Every balance shown equals the sum of the ledger."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from leave import selectors, services
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType, OvertimeRecord
from wellbeing.actors import command_actor
from wellbeing.models import FollowUp

SYSTEM = command_actor("test")


def _ledger_sum(person, leave_type, year=None):
    qs = LeaveLedgerEntry.objects.filter(person=person, leave_type=leave_type)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.aggregate(s=Sum("days"))["s"] or Decimal(0)


@pytest.mark.django_db
@time_machine.travel("2026-03-02 10:00 +0800", tick=False)
def test_it_walks_a_year_of_leave(org):
    staff, supervisor = org.people["staff"], org.users["supervisor"]
    staff.work_start_date = date(2014, 7, 1)  # 11 years of service in 2026: 10 days
    staff.save(update_fields=["work_start_date"])
    annual = LeaveType.objects.get(code="annual")
    in_lieu = LeaveType.objects.get(code="in_lieu")

    line = services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
    assert line.days == 10 and line.basis == "band"
    assert services.annual_reconcile(actor=SYSTEM, person=staff, year=2026) is None  # idempotent

    # A request across the weekend costs working days only; the balance after is shown.
    data = services.RequestInput(annual, date(2026, 3, 12), date(2026, 3, 17))  # Thu..Tue: 4 days
    shown = services.preview(person=staff, data=data)
    assert (shown.days, shown.balance, shown.balance_after, shown.provisional) == (4, 10, 6, False)
    request = services.request_submit(actor=org.users["staff"], person=staff, data=data)
    assert request.status == LeaveRequest.Status.PENDING
    assert request.approver == supervisor
    assert request.approval_followup.kind == FollowUp.Kind.LEAVE_APPROVAL
    assert request.approval_followup.owner == supervisor

    # Overlapping leave and a balance that would go negative are refused; nothing is written.
    with pytest.raises(ValidationError) as exc:
        services.request_submit(
            actor=org.users["staff"],
            person=staff,
            data=services.RequestInput(annual, date(2026, 3, 16), date(2026, 3, 16)),
        )
    assert "start_date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.request_submit(
            actor=org.users["staff"],
            person=staff,
            data=services.RequestInput(annual, date(2026, 4, 1), date(2026, 4, 14)),
        )
    assert "end_date" in exc.value.message_dict
    assert LeaveRequest.objects.filter(person=staff).count() == 1

    # Only the supervisor decides, never the person.
    with pytest.raises(PermissionDenied):
        services.request_decide(actor=org.users["staff"], request=request, approve=True)
    request = services.request_decide(actor=supervisor, request=request, approve=True, comment="好")
    assert request.status == LeaveRequest.Status.APPROVED
    assert not FollowUp.objects.get(pk=request.approval_followup_id).is_active
    balance = {b.leave_type.code: b for b in selectors.balances_for(staff, 2026)}["annual"]
    assert (balance.entitled, balance.taken, balance.balance) == (10, 4, 6)
    assert balance.balance == _ledger_sum(staff, annual, 2026)
    lines = selectors.ledger_for(staff, annual, 2026)
    assert [(line.entry.kind, line.entry.days, line.running) for line in lines] == [
        ("allocation", 10, 10),
        ("taken", -4, 6),
    ]

    # The person is away on those days for the reminder pipeline.
    assert services.approved_on([org.users["staff"].pk], date(2026, 3, 13)) == {org.users["staff"].pk}
    assert services.approved_on([org.users["staff"].pk], date(2026, 3, 18)) == set()

    # Cancelling approved leave returns the days.
    services.request_cancel(actor=org.users["staff"], request=request, reason="工作安排变化")
    assert _ledger_sum(staff, annual, 2026) == 10

    # Work on a Saturday, confirmed by the supervisor, earns a day in lieu good for 60 days.
    record = services.overtime_record(
        actor=org.users["staff"],
        person=staff,
        data=services.OvertimeInput(date(2026, 1, 10), OvertimeRecord.Kind.WEEKEND, Decimal(8), "防汛值班"),
    )
    services.overtime_decide(actor=supervisor, record=record, confirm=True)
    assert _ledger_sum(staff, in_lieu) == 1
    lot = LeaveLedgerEntry.objects.get(overtime=record)
    assert lot.expires_on == date(2026, 3, 11)
    used = services.request_submit(
        actor=org.users["staff"],
        person=staff,
        data=services.RequestInput(in_lieu, date(2026, 3, 6), date(2026, 3, 6)),
    )
    services.request_decide(actor=supervisor, request=used, approve=True)
    assert _ledger_sum(staff, in_lieu) == 0

    # Carry-over: at most what is left, once, into next year with a use-by date.
    with pytest.raises(PermissionDenied):
        services.annual_carry_over(actor=supervisor, person=staff, year=2026, days=3, reason="防汛")
    carried = services.annual_carry_over(actor=org.users["hr_officer"], person=staff, year=2026, days=3, reason="防汛")
    assert (carried.year, carried.days, carried.expires_on) == (2027, 3, date(2027, 12, 31))
    assert _ledger_sum(staff, annual, 2026) == 7

    # After the year: what was left of 2026 expires (once), and the ledger still sums to the balance.
    with time_machine.travel("2027-01-01 01:00 +0800", tick=False):
        assert services.expire_lots(actor=SYSTEM) == 1
        assert services.expire_lots(actor=SYSTEM) == 0
    assert _ledger_sum(staff, annual, 2026) == 0
    assert _ledger_sum(staff, annual, 2027) == 3


@pytest.mark.django_db
def test_the_ledger_is_append_only(org):
    staff = org.people["staff"]
    staff.work_start_date = date(2010, 1, 1)
    staff.save(update_fields=["work_start_date"])
    line = services.annual_reconcile(actor=SYSTEM, person=staff, year=2026, as_of=date(2026, 6, 1))
    line.days = 100
    with pytest.raises(ValueError, match="append-only"):
        line.save()
    with pytest.raises(ValueError, match="append-only"):
        line.delete()
