"""Demo leave (added to ``wellbeing.demo`` through ``DEMO_EXTENSIONS``), so the leave pages of each
role have something real on them:

- everyone has a work start date and this year's annual leave (what the allocation task writes);
- the demo staff member has taken two days of annual leave, has a three-day request waiting for the
  demo supervisor, earned a day in lieu on a recent rest day, and has a second rest day waiting for the
  supervisor's confirmation;
- in their office, recorded by the supervisor for colleagues without a login: annual leave ending at
  noon, a sick day, and someone who worked three rest days (five days in lieu) and has taken no leave
  at all — the kind of person the rest check raises with the supervisor from 30 September.

The dates follow today's date (working days from the calendar, each request within one year).
Everything goes through the services, so the ledger, the follow-ups and the audit trail show how it
came to be. Made once: a second run adds nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from leave import services
from leave.calendar import Calendar
from leave.models import LeaveRequest, LeaveType, OvertimeRecord
from wellbeing import services as core
from wellbeing.actors import command_actor
from wellbeing.models import Person

ACTOR = command_actor("seed_demo")
APPROVED = "同意，请做好工作交接。"


def _work_start(person: Person) -> date | None:
    """A believable start of working life for someone without one on record."""
    if person.hire_date is not None:
        return person.hire_date
    if person.date_of_birth is not None:
        return date(person.date_of_birth.year + 22, 9, 1)
    return None


def _fill_work_start_dates() -> None:
    for person in Person.objects.active().filter(work_start_date__isnull=True).order_by("pk"):
        start = _work_start(person)
        if start is not None:
            core.person_update(actor=ACTOR, person=person, work_start_date=start)


def _span(calendar: Calendar, after: date, days: int) -> tuple[date, date]:
    """``days`` working days from the first working day on or after ``after``, within one year."""
    start = after
    while not calendar.is_workday(start):
        start += timedelta(days=1)
    end = calendar.add_working_days(start, days - 1)
    if end.year != start.year:
        return _span(calendar, date(end.year, 1, 1), days)
    return start, end


def _past_or_soon(calendar: Calendar, today: date, days: int, *, ago: int, ahead: int) -> tuple[date, date]:
    """A span about ``ago`` days back in this year, or (early in January) ``ahead`` days ahead."""
    span = _span(calendar, today - timedelta(days=ago), days)
    if span[0].year == today.year and span[1] < today:
        return span
    return _span(calendar, today + timedelta(days=ahead), days)


def _rest_days(calendar: Calendar, today: date, count: int) -> list[date]:
    """The last ``count`` rest days (weekends and holidays) before today, most recent first."""
    found, day = [], today
    while len(found) < count:
        day -= timedelta(days=1)
        if not calendar.is_workday(day):
            found.append(day)
    return found


def _request(actor, person: Person, code: str, span: tuple[date, date], *, approver=None, **fields) -> LeaveRequest:
    leave_type = LeaveType.objects.get(code=code)
    if leave_type.category == LeaveType.Category.ANNUAL:
        services.annual_reconcile(actor=ACTOR, person=person, year=span[0].year)  # a later year: allocated early
    request = services.request_submit(
        actor=actor, person=person, data=services.RequestInput(leave_type, span[0], span[1], **fields)
    )
    if approver is not None:
        request = services.request_decide(
            actor=approver, request=request, approve=True, comment="同意，请做好工作交接。"
        )
    return request


def _work(calendar: Calendar, actor, person: Person, day: date, hours: int, purpose: str, *, confirm_by=None):
    kind = OvertimeRecord.Kind.HOLIDAY if calendar.holiday_name(day) else OvertimeRecord.Kind.WEEKEND
    record = services.overtime_record(
        actor=actor, person=person, data=services.OvertimeInput(day, kind, Decimal(hours), purpose)
    )
    if confirm_by is not None:
        services.overtime_decide(actor=confirm_by, record=record, confirm=True)
    return record


def seed_leave(users: dict) -> None:
    staff_user, supervisor = users.get("staff"), users.get("supervisor")
    _fill_work_start_dates()
    today = timezone.localdate()
    services.annual_allocate_year(actor=ACTOR, year=today.year)
    staff = Person.objects.filter(user=staff_user).select_related("unit").first() if staff_user else None
    if staff is None or supervisor is None or services.approver_for(staff) != supervisor:
        return
    if LeaveRequest.objects.filter(person=staff).exists() or OvertimeRecord.objects.filter(person=staff).exists():
        return  # made already
    calendar = Calendar()
    rest_days = _rest_days(calendar, today, 4)

    # The demo staff member: two days taken, three days waiting for the supervisor, a day in lieu.
    _request(staff_user, staff, "annual", _past_or_soon(calendar, today, 2, ago=40, ahead=7), approver=supervisor)
    _request(staff_user, staff, "annual", _span(calendar, today + timedelta(days=21), 3), note="回老家看望父母")
    _work(calendar, staff_user, staff, rest_days[0], 8, "周末防汛值班", confirm_by=supervisor)
    _work(calendar, staff_user, staff, rest_days[1], 4, "迎接省级检查材料准备")

    # Colleagues in the same office, recorded by the supervisor (they have no login).
    colleagues = list(
        Person.objects.active()
        .filter(unit=staff.unit, user__isnull=True)
        .exclude(position="科长")
        .exclude(pk=staff.pk)
        .order_by("external_id")[:3]
    )
    if len(colleagues) < 3:
        return
    on_leave, unwell, overworked = colleagues
    _request(
        supervisor,
        on_leave,
        "annual",
        _span(calendar, today + timedelta(days=10), 4),
        approver=supervisor,
        end_am=True,  # back on the last afternoon: 3.5 days
    )
    _request(supervisor, unwell, "sick", _past_or_soon(calendar, today, 1, ago=12, ahead=3), approver=supervisor)
    # Three rest days of work (16 + 16 + 8 hours: 5 days in lieu) and no leave taken this year.
    for day, hours, purpose in (
        (rest_days[0], 16, "村级换届选举现场值守"),
        (rest_days[1], 16, "村级换届选举现场值守"),
        (rest_days[3], 8, "防汛应急值班"),
    ):
        _work(calendar, supervisor, overworked, day, hours, purpose, confirm_by=supervisor)
