"""Work on weekends, public holidays and nights, and the time off in lieu it earns (公务员法 §82: civil
servants who work on rest days get time off first). A person (or their supervisor) records the work;
the supervisor confirms it; a confirmed record accrues days with a use-by date, nudged before expiry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from leave.calendar import Calendar
from leave.models import LeaveLedgerEntry, OvertimeRecord
from leave.services import ledger
from leave.services.allocation import in_lieu_type
from leave.services.common import check, lock_person
from leave.services.requests import approver_for
from wellbeing.actors import user_of
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Person
from wellbeing.services import followup_cancel, followup_complete, followup_create

logger = logging.getLogger(__name__)
HALF = Decimal("0.5")
CONFIRM_TITLE = "leave.overtime_confirm"
EXPIRY_TITLE = "leave.toil_expiry"


@dataclass(frozen=True)
class OvertimeInput:
    work_date: date
    kind: str
    hours: Decimal
    purpose: str


def days_for(hours: Decimal) -> Decimal:
    """Hours worked as days in lieu, in whole half days (``LEAVE_TOIL_HOURS_PER_DAY`` hours a day)."""
    days = Decimal(hours) / Decimal(settings.LEAVE_TOIL_HOURS_PER_DAY)
    return (days / HALF).quantize(Decimal(1), rounding=ROUND_FLOOR) * HALF


def _validate(data: OvertimeInput) -> None:
    errors = {}
    purpose = (data.purpose or "").strip()
    if "\x00" in purpose:
        errors["purpose"] = [_("Null characters are not allowed.")]
    elif not purpose:
        errors["purpose"] = [_("Say what the work was for.")]
    elif len(purpose) > 300:
        errors["purpose"] = [_("Keep it to 300 characters.")]
    if data.kind not in OvertimeRecord.Kind.values:
        errors["kind"] = [_("Choose weekend, public holiday or night.")]
    today = timezone.localdate()
    if data.work_date > today:
        errors["work_date"] = [_("Record work once it is done.")]
    elif data.work_date < today - timedelta(days=settings.LEAVE_TOIL_VALID_DAYS):
        errors["work_date"] = [
            _("Work more than %(days)s days ago can no longer earn time off.")
            % {"days": settings.LEAVE_TOIL_VALID_DAYS}
        ]
    try:
        hours = Decimal(str(data.hours))
    except (ArithmeticError, ValueError, TypeError):
        hours = None
    if hours is None or not hours.is_finite() or not Decimal("0.5") <= hours <= 24 or hours % HALF != 0:
        errors["hours"] = [_("Give the hours worked, from 0.5 to 24 in half hours.")]
    if not errors and data.kind != OvertimeRecord.Kind.NIGHT:
        calendar = Calendar()
        day = data.work_date
        if calendar.is_workday(day):
            errors["kind"] = [_("%(day)s is a working day: record work on it as night work.") % {"day": day}]
        elif data.kind == OvertimeRecord.Kind.HOLIDAY and not calendar.holiday_name(day):
            errors["kind"] = [_("%(day)s is a weekend day, not a public holiday.") % {"day": day}]
        elif data.kind == OvertimeRecord.Kind.WEEKEND and calendar.holiday_name(day):
            errors["kind"] = [_("%(day)s is a public holiday: choose public holiday.") % {"day": day}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def overtime_record(*, actor, person: Person, data: OvertimeInput) -> OvertimeRecord:
    check(actor, "leave.request_for", person, _("You cannot record work for this person."))
    _validate(data)
    person = lock_person(person)
    if OvertimeRecord.objects.filter(person=person, work_date=data.work_date, kind=data.kind).exists():
        raise ValidationError({"work_date": [_("This work is recorded already.")]})
    recorded = (
        OvertimeRecord.objects.filter(person=person, work_date=data.work_date)
        .exclude(status=OvertimeRecord.Status.REJECTED)
        .aggregate(s=Sum("hours"))["s"]
        or 0
    )
    if recorded + Decimal(str(data.hours)) > 24:
        raise ValidationError(
            {"hours": [_("A day has 24 hours: %(hours)s are recorded for this date already.") % {"hours": recorded}]}
        )
    approver = approver_for(person)
    if approver is None:
        raise ValidationError({"__all__": [_("Nobody can confirm this yet: your unit has no supervisor.")]})
    record = OvertimeRecord.objects.create(
        person=person,
        work_date=data.work_date,
        kind=data.kind,
        hours=Decimal(str(data.hours)),
        purpose=data.purpose.strip(),
        recorded_by=user_of(actor) or approver,
    )
    record.confirm_followup = followup_create(
        actor=actor,
        owner=approver,
        title_key=CONFIRM_TITLE,
        title_params={"name": person.full_name, "date": data.work_date.isoformat()},
        due_at=timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=7), time(18, 0))),
        kind=FollowUp.Kind.GENERAL,
        subject=record,
        person=person,
    )
    record.save(update_fields=["confirm_followup", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=record,
        subject_person=person,
        changes=diff({}, {"work_date": data.work_date, "kind": data.kind, "hours": str(data.hours)}),
    )
    return record


@transaction.atomic
def overtime_decide(*, actor, record: OvertimeRecord, confirm: bool, comment: str = "") -> OvertimeRecord:
    """The supervisor confirms (time off accrues, good for ``LEAVE_TOIL_VALID_DAYS``) or does not."""
    check(actor, "leave.confirm_overtime", record, _("Only the person's supervisor can confirm this work."))
    comment = (comment or "").strip()
    if "\x00" in comment or len(comment) > 300:
        raise ValidationError({"comment": [_("Keep the comment to 300 characters, without null characters.")]})
    if not confirm and not comment:
        raise ValidationError({"comment": [_("Say why this work is not confirmed.")]})
    lock_person(record.person)
    record = OvertimeRecord.objects.select_for_update(of=("self",)).select_related("person").get(pk=record.pk)
    if record.status != OvertimeRecord.Status.PENDING:
        raise ValidationError({"__all__": [_("This has been decided already.")]})
    record.status = OvertimeRecord.Status.CONFIRMED if confirm else OvertimeRecord.Status.REJECTED
    record.confirmed_by = user_of(actor)
    record.confirmed_at = timezone.now()
    record.decision_comment = comment
    record.save(update_fields=["status", "confirmed_by", "confirmed_at", "decision_comment", "updated_at"])
    if confirm:
        days = days_for(record.hours)
        if days > 0:
            today = timezone.localdate()
            ledger.append(
                actor=actor,
                person=record.person,
                leave_type=in_lieu_type(),
                year=record.work_date.year,
                kind=LeaveLedgerEntry.Kind.ACCRUED,
                days=days,
                effective_on=today,
                expires_on=record.work_date + timedelta(days=settings.LEAVE_TOIL_VALID_DAYS),
                overtime=record,
                basis="overtime",
                basis_params={"work_date": record.work_date.isoformat(), "hours": str(record.hours)},
            )
    f = record.confirm_followup
    if f is not None and f.is_active:
        if confirm:
            followup_complete(actor=actor, followup=f, outcome="confirmed", authorized=True)
        else:
            followup_cancel(actor=actor, followup=f, reason="not confirmed", authorized=True)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=record,
        subject_person=record.person,
        changes=diff({"status": OvertimeRecord.Status.PENDING}, {"status": record.status}),
        reason=comment,
    )
    return record


def toil_nudge(*, actor, on: date | None = None) -> int:
    """A follow-up for each person whose time off in lieu expires within ``LEAVE_TOIL_NUDGE_DAYS``
    and is not used yet: once per lot (the follow-up's subject is the lot)."""
    today = on or timezone.localdate()
    horizon = today + timedelta(days=settings.LEAVE_TOIL_NUDGE_DAYS)
    in_lieu = in_lieu_type()
    lots = LeaveLedgerEntry.objects.filter(
        leave_type=in_lieu,
        lot__isnull=True,
        days__gt=0,
        expires_on__gte=today,
        expires_on__lte=horizon,
        person__user__is_active=True,
    ).select_related("person__user")
    lot_type = ContentType.objects.get_for_model(LeaveLedgerEntry)
    nudged = set(
        FollowUp.objects.filter(kind=FollowUp.Kind.TOIL_EXPIRY, subject_type=lot_type).values_list(
            "subject_id", flat=True
        )
    )
    written = 0
    for lot in lots:
        if str(lot.pk) in nudged:
            continue
        try:
            with transaction.atomic():
                left = ledger.lot_left(lot)
                if left <= 0:
                    continue
                followup_create(
                    actor=actor,
                    owner=lot.person.user,
                    title_key=EXPIRY_TITLE,
                    title_params={"days": ledger.fmt_days(left), "date": lot.expires_on.isoformat()},
                    due_at=timezone.make_aware(datetime.combine(lot.expires_on, time(12, 0))),
                    kind=FollowUp.Kind.TOIL_EXPIRY,
                    subject=lot,
                    person=lot.person,
                    escalation=FollowUp.Escalation.NONE,
                )
                written += 1
        except (IntegrityError, ValidationError):
            logger.exception("time-off-in-lieu nudge failed for lot %s", lot.pk)
    return written
