"""Demo leave (added to ``wellbeing.demo`` through ``DEMO_EXTENSIONS``), so the leave pages of each
role have something real on them:

- everyone has a work start date and this year's annual leave (what the allocation task writes);
- the demo staff member has taken two days of annual leave, has a three-day request waiting for the
  demo supervisor, earned a day in lieu on a recent rest day, and has a second rest day waiting for the
  supervisor's confirmation;
- in their office, recorded by the supervisor for colleagues (not demo logins): annual leave ending
  at noon, a sick day, and someone who worked three rest days (five days in lieu) and has taken no
  leave at all — the kind of person the rest check raises with the supervisor from 30 September;
- the year so far across the county: the annual leave people have taken, as the county's HR system
  recorded it and pushed it through the HR sync (issue 12) - about one in seven has taken none, a
  third less than half of their days, half of them half or more - and weekend and holiday work in
  the last eight weeks, confirmed by each person's supervisor (a section chief, or the demo
  supervisor in 城关镇), for about a quarter of the staff, some on four days or more.

The dates follow today's date (working days from the calendar, each request within one year).
Everything of the demo's own people goes through the services, so the ledger, the follow-ups and the
audit trail show how it came to be; the leave of the year so far goes through the HR sync's service
(ledger lines, each audited under the HR system's API client); the confirmed overtime of the last
weeks is written in bulk with the time off in lieu it earned (one ledger line per record, as the
confirmation writes it), so the demo seeds in seconds. Made once: a second run adds nothing.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from leave import services
from leave.calendar import Calendar
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType, OvertimeRecord
from leave.services import ledger
from wellbeing import policy
from wellbeing import services as core
from wellbeing.actors import command_actor
from wellbeing.models import ApiClient, Person, Role

ACTOR = command_actor("seed_demo")
APPROVED = "同意，请做好工作交接。"
#: The county's HR system, which pushes the leave people took (its API client in the demo).
HR_SYSTEM = "县人事管理信息系统"
#: Shares of people entitled to annual leave who have taken none, less than half, half or more.
UPTAKE = (0.15, 0.35, 0.50)
#: Share of people with a supervisor who worked on rest days lately, and of them on four days or more.
WEEKEND_WORKERS = 0.26
OFTEN = 0.3
#: Rest days worked are looked for in the last weeks (time off in lieu stays good for 60 days).
WEEKEND_WINDOW_DAYS = 56
#: What that work was for (none of them the demo's own people's, so a second run finds them).
PURPOSES = (
    "汛期应急值守",
    "秸秆禁烧巡查",
    "森林防火巡查",
    "信访维稳值班",
    "迎接省级考核材料准备",
    "重点项目征地协调",
    "安全生产大检查",
    "乡村振兴项目验收",
    "人口普查入户登记",
    "重点工程现场协调",
)


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
    _fill_work_start_dates()
    today = timezone.localdate()
    services.annual_allocate_year(actor=ACTOR, year=today.year)
    _demo_people(users, today)
    calendar = Calendar()
    _annual_leave_so_far(calendar, today)
    _weekend_work(calendar, today)


def _demo_people(users: dict, today: date) -> None:
    staff_user, supervisor = users.get("staff"), users.get("supervisor")
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

    # Colleagues in the same office (no demo login), recorded by the supervisor.
    colleagues = list(
        Person.objects.active()
        .filter(unit=staff.unit)
        .exclude(user__in=[u for u in users.values() if u is not None])
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


# --- The year so far across the county ------------------------------------------------------------------


def _hr_client() -> ApiClient:
    client = ApiClient.objects.filter(name=HR_SYSTEM).order_by("pk").first()
    if client is None:
        client, _token = core.api_client_create(actor=ACTOR, name=HR_SYSTEM, scopes=["leave:write"])
    return client


def _entitlements(year: int) -> dict[int, Decimal]:
    """Each active person's annual leave of ``year`` (allocated and carried in), from the ledger."""
    rows = (
        LeaveLedgerEntry.objects.filter(
            leave_type__category=LeaveType.Category.ANNUAL,
            year=year,
            kind__in=[LeaveLedgerEntry.Kind.ALLOCATION, LeaveLedgerEntry.Kind.CARRIED_IN],
            person__in=Person.objects.active(),
        )
        .values("person_id")
        .annotate(days=Sum("days"))
        .values_list("person_id", "days")
    )
    return {person_id: days for person_id, days in rows if days and days > 0}


def _spans(rng: random.Random, calendar: Calendar, days: int, first: date, last: date) -> list[tuple[date, date]]:
    """``days`` working days of leave between ``first`` and ``last``, in one or two spans that
    neither overlap nor touch."""
    parts = 1 if days <= 5 else (rng.choice([1, 2]) if days <= 10 else 2)
    sizes = [days // parts + (1 if i < days % parts else 0) for i in range(parts)]
    spans: list[tuple[date, date]] = []
    window = (last - first).days
    for size in sizes:
        for _attempt in range(12):
            start = first + timedelta(days=rng.randint(0, max(window, 0)))
            while not calendar.is_workday(start):
                start += timedelta(days=1)
            end = calendar.add_working_days(start, size - 1)
            clear = all(end + timedelta(days=2) < s or e + timedelta(days=2) < start for s, e in spans)
            if end <= last and end.year == first.year and clear:
                spans.append((start, end))
                break
    return sorted(spans)


def _annual_leave_so_far(calendar: Calendar, today: date) -> None:
    """This year's annual leave up to last week, as the HR system recorded it (one sync call)."""
    client = _hr_client()
    if LeaveRequest.objects.filter(hr_client=client).exists():
        return  # made already
    first, last = date(today.year, 1, 5), today - timedelta(days=3)
    if last <= first:
        return  # too early in the year for leave taken
    entitled = _entitlements(today.year)
    # The demo's own people (leave or overtime recorded already): their leave is their story.
    busy = set(LeaveRequest.objects.filter(start_date__year=today.year).values_list("person_id", flat=True))
    busy |= set(OvertimeRecord.objects.values_list("person_id", flat=True))
    rng = random.Random(2026)  # noqa: S311 (demo data)
    records = []
    for person in Person.objects.active().filter(pk__in=list(entitled)).order_by("external_id"):
        days = entitled[person.pk]
        share = rng.random()
        if person.pk in busy or share < UPTAKE[0]:
            continue  # none taken
        half = math.ceil(days / 2)
        taken = rng.randint(1, max(half - 1, 1)) if share < UPTAKE[0] + UPTAKE[1] else rng.randint(half, int(days))
        for n, (start, end) in enumerate(_spans(rng, calendar, taken, first, last), 1):
            records.append(
                {
                    "external_id": f"NJ{today.year}-{person.external_id}-{n}",
                    "person": person.external_id,
                    "leave_type": "annual",
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                }
            )
    if records:
        services.sync_leave(actor=policy.ApiPrincipal(client), client=client, records=records)


def _confirmers() -> dict[int, object]:
    """Who confirms each active person's overtime: the supervisor of the nearest unit above them (as
    ``approver_for``, for the whole county in one query)."""
    holders = sorted(
        policy.assignments_in_force(Role.SUPERVISOR).select_related("user", "unit"),
        key=lambda ra: (-ra.unit.depth, ra.user_id),
    )
    out = {}
    for person in Person.objects.active().select_related("unit"):
        for ra in holders:
            if person.unit.path.startswith(ra.unit.path) and ra.user_id != person.user_id:
                out[person.pk] = ra.user
                break
    return out


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _weekend_work(calendar: Calendar, today: date) -> None:
    """Rest days worked lately, each confirmed by the person's supervisor on the next working day,
    with the time off in lieu it earned."""
    confirmers = _confirmers()
    if OvertimeRecord.objects.filter(purpose__in=PURPOSES).exists():
        return  # made already
    worked = set(OvertimeRecord.objects.values_list("person_id", flat=True))  # the demo's own people
    now = timezone.now()
    window = min(WEEKEND_WINDOW_DAYS, settings.LEAVE_TOIL_VALID_DAYS - 4)
    rest_days = [
        day
        for day in (today - timedelta(days=k) for k in range(2, window + 1))
        if day.year == today.year and not calendar.is_workday(day)
    ]
    if not rest_days:
        return
    rng = random.Random(2026)  # noqa: S311 (demo data)
    in_lieu = services.in_lieu_type()
    records: list[OvertimeRecord] = []
    for person in Person.objects.active().filter(pk__in=list(confirmers)).order_by("external_id"):
        if rng.random() >= WEEKEND_WORKERS or person.pk in worked:
            continue
        count = rng.randint(4, 7) if rng.random() < OFTEN else rng.randint(1, 3)
        confirmer = confirmers[person.pk]
        for day in sorted(rng.sample(rest_days, min(count, len(rest_days)))):
            confirmed = day + timedelta(days=1)
            while not calendar.is_workday(confirmed):
                confirmed += timedelta(days=1)
            record = OvertimeRecord(
                person=person,
                work_date=day,
                kind=OvertimeRecord.Kind.HOLIDAY if calendar.holiday_name(day) else OvertimeRecord.Kind.WEEKEND,
                hours=Decimal(rng.choice([8, 8, 8, 8, 4, 4, 6, 10])),
                purpose=rng.choice(PURPOSES),
                status=OvertimeRecord.Status.CONFIRMED,
                recorded_by=confirmer,
                confirmed_by=confirmer,
                confirmed_at=min(_at(confirmed, 10), now - timedelta(hours=1)),
            )
            record.created_at = record.updated_at = _at(day, 19)
            records.append(record)
    stamped = [(r.created_at, r.updated_at) for r in records]
    OvertimeRecord.objects.bulk_create(records)
    for record, (created, updated) in zip(records, stamped, strict=True):
        record.created_at, record.updated_at = created, updated
    OvertimeRecord.objects.bulk_update(records, ["created_at", "updated_at"], batch_size=500)
    LeaveLedgerEntry.objects.bulk_create(
        [
            LeaveLedgerEntry(
                person=r.person,
                leave_type=in_lieu,
                year=r.work_date.year,
                kind=LeaveLedgerEntry.Kind.ACCRUED,
                days=services.days_for(r.hours),
                effective_on=timezone.localdate(r.confirmed_at),
                expires_on=r.work_date + timedelta(days=settings.LEAVE_TOIL_VALID_DAYS),
                overtime=r,
                basis="overtime",
                basis_params={"work_date": r.work_date.isoformat(), "hours": str(r.hours)},
                created_by=r.confirmed_by,
            )
            for r in records
            if services.days_for(r.hours) > 0
        ]
    )
    # Written in bulk, past ``ledger.append``: their people's yearly totals are summed again.
    ledger.rebuild_totals({r.person_id for r in records})
