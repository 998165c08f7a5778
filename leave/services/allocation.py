"""Annual leave allocations, carry-over, expiry and adjustments: all as new ledger lines.

``annual_reconcile`` is the one writer of allocation lines: it works out the year's entitlement
(``leave.entitlement``) and appends the difference from what the ledger already allocated, so running
it twice writes nothing the second time (the Celery task and the ``leave_allocate`` command both call
it). It runs for a new year, monthly (the public rule set's higher band starts in the month after a
threshold), and whenever sick or personal leave is approved or cancelled, or a person leaves."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from leave import entitlement as engine
from leave.calendar import Calendar, check_year
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType
from leave.services import ledger
from leave.services.common import check, lock_person
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, Person

logger = logging.getLogger(__name__)
Kind = LeaveLedgerEntry.Kind
ZERO = Decimal(0)
HALF = Decimal("0.5")


def annual_type() -> LeaveType:
    return LeaveType.objects.get(category=LeaveType.Category.ANNUAL)


def in_lieu_type() -> LeaveType:
    return LeaveType.objects.get(category=LeaveType.Category.IN_LIEU)


def _days_in_year(request: LeaveRequest, year: int, calendar: Calendar, *, calendar_days: bool) -> Decimal:
    start = max(request.start_date, date(year, 1, 1))
    end = min(request.end_date, date(year, 12, 31))
    if start > end:
        return ZERO
    days, _provisional = calendar.count(
        start,
        end,
        working_days=not calendar_days and request.leave_type.in_working_days,
        start_pm=request.start_pm and start == request.start_date,
        end_am=request.end_am and end == request.end_date,
    )
    return days


def facts_for(person: Person, year: int, *, calendar: Calendar | None = None, knock_on: bool = True) -> engine.Facts:
    """What the engine needs about ``person`` in ``year``, from their record, their approved leave and
    the ledger."""
    calendar = calendar or Calendar()
    first, last = date(year, 1, 1), date(year, 12, 31)
    counted = LeaveRequest.objects.filter(
        person=person,
        status=LeaveRequest.Status.APPROVED,
        leave_type__affects_annual=True,
        start_date__lte=last,
        end_date__gte=first,
    ).select_related("leave_type")
    personal, sick = ZERO, 0
    for request in counted:
        category = request.leave_type.category
        if category == LeaveType.Category.PERSONAL and request.leave_type.paid:
            # 条例 §4 (2) counts 事假 "without pay deduction" (单位按照规定不扣工资).
            personal += _days_in_year(request, year, calendar, calendar_days=False)
        elif category == LeaveType.Category.SICK:
            sick += int(_days_in_year(request, year, calendar, calendar_days=True))
    annual = annual_type()
    taken = -(
        LeaveLedgerEntry.objects.filter(
            person=person, leave_type=annual, year=year, kind__in=[Kind.TAKEN, Kind.CANCELLED]
        ).aggregate(s=Sum("days"))["s"]
        or ZERO
    )
    previous = False
    if knock_on and year - 1 >= 2004:
        before = facts_for(person, year - 1, calendar=calendar, knock_on=False)
        previous = engine.ineligibility(year - 1, before) is not None and before.annual_taken > 0
    return engine.Facts(
        work_start=person.work_start_date,
        hire_date=person.hire_date,
        left_on=person.left_on,
        personal_days=personal,
        sick_days=sick,
        annual_taken=taken,
        knock_on_from_previous=previous,
    )


def allocation_lot(person: Person, leave_type: LeaveType, year: int) -> LeaveLedgerEntry | None:
    return (
        LeaveLedgerEntry.objects.filter(
            person=person, leave_type=leave_type, year=year, kind=Kind.ALLOCATION, lot__isnull=True
        )
        .order_by("id")
        .first()
    )


def year_closed(lot: LeaveLedgerEntry | None) -> bool:
    return lot is not None and LeaveLedgerEntry.objects.filter(lot=lot, kind=Kind.EXPIRED).exists()


@transaction.atomic
def annual_reconcile(*, actor, person: Person, year: int, as_of: date | None = None) -> LeaveLedgerEntry | None:
    """Bring the year's allocation to the entitlement as of ``as_of`` (default today, within the
    year). Returns the line written, or None when the ledger already agrees (or the year is closed:
    a closed year changes only by an adjustment with a reason)."""
    check_year(year)
    person = lock_person(person)
    annual = annual_type()
    lot = allocation_lot(person, annual, year)
    if year_closed(lot):
        return None
    today = as_of or timezone.localdate()
    result = engine.entitlement(year, facts_for(person, year), as_of=today)
    allocated = (
        LeaveLedgerEntry.objects.filter(person=person, leave_type=annual, year=year, kind=Kind.ALLOCATION).aggregate(
            s=Sum("days")
        )["s"]
        or ZERO
    )
    delta = result.days - allocated
    if delta == 0:
        return None
    line = ledger.append(
        actor=actor,
        person=person,
        leave_type=annual,
        year=year,
        kind=Kind.ALLOCATION,
        days=delta,
        effective_on=max(min(today, date(year, 12, 31)), date(year, 1, 1)),
        expires_on=date(year, 12, 31) if lot is None else None,
        lot=lot,
        basis=result.basis,
        basis_params={"band_days": result.band_days, "rule_set": settings.LEAVE_RULE_SET, "entitled": str(result.days)},
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=line,
        subject_person=person,
        changes=diff({}, {"kind": Kind.ALLOCATION, "year": year, "days": str(delta), "basis": result.basis}),
    )
    return line


@dataclass
class RunResult:
    """What a run over many people did (one bad person never stops the others)."""

    written: int = 0
    unchanged: int = 0
    no_work_start: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "written": self.written,
            "unchanged": self.unchanged,
            "no_work_start": self.no_work_start,
            "failed": len(self.failed),
        }


def people_for_year(year: int):
    """Everyone employed at some point of ``year``."""
    return Person.objects.filter(Q(left_on__isnull=True) | Q(left_on__gte=date(year, 1, 1))).exclude(
        hire_date__gt=date(year, 12, 31)
    )


def annual_allocate_year(*, actor, year: int, as_of: date | None = None) -> RunResult:
    """Reconcile every person's allocation for ``year``, each in their own transaction."""
    check_year(year)
    result = RunResult()
    for person in people_for_year(year).only("id", "work_start_date").iterator():
        if person.work_start_date is None:
            result.no_work_start += 1
            continue
        try:
            line = annual_reconcile(actor=actor, person=person, year=year, as_of=as_of)
        except Exception as exc:  # one bad row never blocks the rest (conventions.md, 15)
            logger.exception("leave allocation failed for person %s", person.pk)
            result.failed.append((person.pk, type(exc).__name__))
            continue
        if line is None:
            result.unchanged += 1
        else:
            result.written += 1
    return result


def expire_lots(*, actor, on: date | None = None) -> int:
    """Lots past their use-by date keep nothing: an "expired" line for what is left of each (the
    year's untaken annual leave after 31 December, carried-over days, time off in lieu). Once per lot
    (a database constraint), so a second run writes nothing."""
    today = on or timezone.localdate()
    due = (
        LeaveLedgerEntry.objects.filter(expires_on__lt=today, lot__isnull=True, kind__in=LeaveLedgerEntry.LOT_KINDS)
        .exclude(draws__kind=Kind.EXPIRED)
        .values_list("pk", flat=True)
    )
    written = 0
    for pk in list(due):
        try:
            with transaction.atomic():
                lot = LeaveLedgerEntry.objects.select_related("person", "leave_type").get(pk=pk)
                lock_person(lot.person)
                if LeaveLedgerEntry.objects.filter(lot=lot, kind=Kind.EXPIRED).exists():
                    continue
                left = ledger.lot_left(lot)
                if left <= 0:
                    continue
                if (
                    lot.leave_type.category != LeaveType.Category.IN_LIEU
                    and LeaveRequest.objects.filter(
                        person=lot.person,
                        leave_type=lot.leave_type,
                        status=LeaveRequest.Status.PENDING,
                        start_date__year=lot.year,
                    ).exists()
                ):
                    continue  # leave of that year waits for a decision: expire what is left after it
                ledger.append(
                    actor=actor,
                    person=lot.person,
                    leave_type=lot.leave_type,
                    year=lot.year,
                    kind=Kind.EXPIRED,
                    days=-left,
                    effective_on=lot.expires_on,
                    lot=lot,
                    basis="use_by",
                )
                written += 1
        except Exception:
            logger.exception("leave expiry failed for ledger lot %s", pk)
    return written


def _days(value, field_name: str = "days") -> Decimal:
    try:
        days = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({field_name: [_("Give a number of days.")]}) from None
    if not days.is_finite() or days % HALF != 0 or abs(days) > 366:
        raise ValidationError({field_name: [_("Give whole or half days, at most 366.")]})
    return days


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if "\x00" in reason:
        raise ValidationError({"reason": [_("Null characters are not allowed.")]})
    if not reason:
        raise ValidationError({"reason": [_("Say why.")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("Keep it to 300 characters.")]})
    return reason


def carry_until(year: int) -> date:
    month, day = (int(part) for part in settings.LEAVE_CARRY_OVER_UNTIL.split("-"))
    return date(year + 1, month, day)


@transaction.atomic
def annual_carry_over(*, actor, person: Person, year: int, days, reason: str) -> LeaveLedgerEntry:
    """Carry untaken annual leave of ``year`` into the next year where work required it (条例 §5: at
    most one year): the days leave ``year`` and arrive in the next with a use-by date. Days carried in
    are never carried again; it must be done before the year's days expire (31 December)."""
    check(actor, "leave.adjust", person, _("You cannot carry over this person's leave."))
    check_year(year)
    days = _days(days)
    reason = _reason(reason)
    if days <= 0:
        raise ValidationError({"days": [_("Give a positive number of days.")]})
    person = lock_person(person)
    annual = annual_type()
    lot = allocation_lot(person, annual, year)
    if lot is None or year_closed(lot):
        raise ValidationError({"year": [_("There are no days of this year left to carry over.")]})
    if LeaveLedgerEntry.objects.filter(lot=lot, kind=Kind.CARRIED_OUT).exists():
        raise ValidationError({"year": [_("This year's leave has been carried over already.")]})
    left = ledger.lot_left(lot)
    if days > left:
        raise ValidationError(
            {"days": [_("Only %(left)s days of this year are left.") % {"left": ledger.fmt_days(left)}]}
        )
    today = timezone.localdate()
    ledger.append(
        actor=actor,
        person=person,
        leave_type=annual,
        year=year,
        kind=Kind.CARRIED_OUT,
        days=-days,
        effective_on=min(today, date(year, 12, 31)),
        lot=lot,
        reason=reason,
    )
    carried = ledger.append(
        actor=actor,
        person=person,
        leave_type=annual,
        year=year + 1,
        kind=Kind.CARRIED_IN,
        days=days,
        effective_on=date(year + 1, 1, 1),
        expires_on=carry_until(year),
        reason=reason,
        basis="carried",
        basis_params={"from_year": year},
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=carried,
        subject_person=person,
        changes=diff({}, {"carried_over": str(days), "from_year": year}),
        reason=reason,
    )
    return carried


@transaction.atomic
def ledger_adjust(
    *, actor, person: Person, leave_type: LeaveType, year: int, days, reason: str
) -> list[LeaveLedgerEntry]:
    """A correction with its reason: a positive adjustment adds days (annual: for that year; time off
    in lieu: good for ``LEAVE_TOIL_VALID_DAYS``), a negative one uses days like leave taken."""
    check(actor, "leave.adjust", person, _("You cannot adjust this person's leave."))
    check_year(year)
    days = _days(days)
    reason = _reason(reason)
    if days == 0:
        raise ValidationError({"days": [_("Give a number of days other than zero.")]})
    if leave_type.category not in (LeaveType.Category.ANNUAL, LeaveType.Category.IN_LIEU):
        raise ValidationError({"leave_type": [_("Only annual leave and time off in lieu have a balance to adjust.")]})
    person = lock_person(person)
    today = timezone.localdate()
    in_lieu = leave_type.category == LeaveType.Category.IN_LIEU
    if days > 0:
        lines = [
            ledger.append(
                actor=actor,
                person=person,
                leave_type=leave_type,
                year=year,
                kind=Kind.ADJUSTED,
                days=days,
                effective_on=today,
                expires_on=today + timedelta(days=settings.LEAVE_TOIL_VALID_DAYS) if in_lieu else date(year, 12, 31),
                reason=reason,
            )
        ]
    else:
        lines = ledger.draw(
            actor=actor,
            person=person,
            leave_type=leave_type,
            year=None if in_lieu else year,
            days=-days,
            kind=Kind.ADJUSTED,
            effective_on=today,
            entry_year=year,
            reason=reason,
        )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=lines[0],
        subject_person=person,
        changes=diff({}, {"adjusted": str(days), "type": leave_type.code, "year": year}),
        reason=reason,
    )
    return lines
