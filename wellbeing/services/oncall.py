"""The on-call rota (值班): which counsellor receives red items today. A shift covers whole days in the
organisation's zone (a day or a week); with nobody on call, red items go to the lead counsellor
(design/domain.md, "Risk tiers and response")."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, OnCallShift, Role
from wellbeing.validation import full_clean

#: The advisory lock key that serialises changes to the rota.
ROTA_LOCK = 7_410_001

#: The roles that can be on call.
ON_CALL_ROLES = (Role.COUNSELLOR, Role.LEAD_COUNSELLOR)


def counsellors_in_force(*, on: date | None = None) -> list:
    """Everyone who can be put on call today (or ``on``): holders of a counselling role."""
    users = {u.pk: u for role in ON_CALL_ROLES for u in policy.holders_of_anywhere(role, on=on)}
    return sorted(users.values(), key=lambda u: (u.get_full_name() or u.get_username(), u.pk))


def shift_on(day: date) -> OnCallShift | None:
    """The shift covering ``day`` whose counsellor still holds a counselling role and can log in."""
    able = {u.pk for u in counsellors_in_force(on=day)}
    shifts = OnCallShift.objects.filter(starts_on__lte=day, ends_on__gte=day).select_related("counsellor")
    return next((s for s in shifts.order_by("starts_on", "id") if s.counsellor_id in able), None)


def on_call_counsellor(*, at=None):
    """The counsellor on call now (or at ``at``), or None when nobody is."""
    day = timezone.localdate(at or timezone.now())
    shift = shift_on(day)
    return shift.counsellor if shift is not None else None


def _check(actor) -> None:
    if not policy.can(actor, "oncall.manage"):
        raise PermissionDenied(_("Only the lead counsellor arranges the on-call rota."))


@transaction.atomic
def oncall_shift_create(*, actor, counsellor, starts_on: date, ends_on: date) -> OnCallShift:
    """Put ``counsellor`` on call from ``starts_on`` to ``ends_on`` (inclusive). Shifts do not
    overlap: one counsellor at a time receives red items."""
    _check(actor)
    errors: dict[str, list[str]] = {}
    if counsellor is None or counsellor.pk not in {u.pk for u in counsellors_in_force(on=starts_on)}:
        errors["counsellor"] = [_("Choose a counsellor (someone holding a counselling role on the first day).")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The shift cannot end before it starts.")]
    elif starts_on and ends_on and (ends_on - starts_on).days > 31:
        errors["ends_on"] = [_("A shift lasts at most a month; add another for the next.")]
    if starts_on and starts_on < timezone.localdate():
        errors["starts_on"] = [_("A shift cannot start in the past.")]
    if errors:
        raise ValidationError(errors)
    # Lock the rota while checking for overlaps, so two lead counsellors cannot both fill a day: an
    # advisory lock on PostgreSQL (a row lock would not cover days nobody holds yet); SQLite writes
    # one transaction at a time anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROTA_LOCK])
    clash = (
        OnCallShift.objects.filter(ends_on__gte=starts_on, starts_on__lte=ends_on).select_related("counsellor").first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "starts_on": [
                    _("%(name)s is on call from %(start)s to %(end)s; shifts may not overlap.")
                    % {
                        "name": clash.counsellor.get_full_name() or clash.counsellor.get_username(),
                        "start": clash.starts_on.isoformat(),
                        "end": clash.ends_on.isoformat(),
                    }
                ]
            }
        )
    shift = OnCallShift(counsellor=counsellor, starts_on=starts_on, ends_on=ends_on)
    full_clean(shift)
    shift.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=shift,
        changes=diff({}, {"counsellor": counsellor, "starts_on": starts_on, "ends_on": ends_on}),
    )
    return shift


@transaction.atomic
def oncall_shift_delete(*, actor, shift: OnCallShift) -> None:
    """Take a shift off the rota (not one that has ended: the rota is a record of who was on call)."""
    _check(actor)
    if shift.ends_on < timezone.localdate():
        raise ValidationError({"__all__": [_("A past shift stays on the record.")]})
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=shift,
        changes=diff(
            {"counsellor": shift.counsellor, "starts_on": shift.starts_on, "ends_on": shift.ends_on},
            {"counsellor": None, "starts_on": None, "ends_on": None},
        ),
        reason="removed from the rota",
    )
    shift.delete()
