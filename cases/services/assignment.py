"""Assignment and transfers: who holds a case, within caseload limits, handed over with a note and
the receiver's acceptance; a departing counsellor's cases return to the unassigned queue."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CaseloadLimit, Transfer
from cases.services import common
from wellbeing import policy
from wellbeing.audit import diff
from wellbeing.models import AuditEvent, Role
from wellbeing.services import followup_reassign


def caseload_limit(counsellor) -> int:
    row = CaseloadLimit.objects.filter(counsellor=counsellor).first()
    return row.limit if row is not None else settings.CASELOAD_LIMIT


def caseload_size(counsellor) -> int:
    return Case.objects.filter(counsellor=counsellor, status__in=Case.OPEN_STATUSES).count()


def is_counsellor(user) -> bool:
    return user is not None and user.is_active and policy.can(user, "case.hold")


def _require_counsellor(case: Case, counsellor, field: str = "counsellor") -> None:
    if not is_counsellor(counsellor):
        raise ValidationError({field: [_("Choose a counsellor of the counselling team.")]})
    if case.person.user_id and case.person.user_id == counsellor.pk:
        raise ValidationError({field: [_("A counsellor cannot hold a case about themself.")]})


def _require_room(counsellor, override_reason: str, field: str = "override_reason") -> str:
    """Within the counsellor's caseload limit, or past it with a stated reason."""
    override_reason = (override_reason or "").strip()
    common.no_nul(override_reason=override_reason)
    if caseload_size(counsellor) >= caseload_limit(counsellor) and not override_reason:
        raise ValidationError(
            {
                field: [
                    _("%(name)s already holds %(n)s open cases (limit %(limit)s). Say why they should take another.")
                    % {
                        "name": counsellor.get_full_name() or counsellor.get_username(),
                        "n": caseload_size(counsellor),
                        "limit": caseload_limit(counsellor),
                    }
                ]
            }
        )
    return override_reason


def _move_duties(actor, case: Case, to) -> None:
    """The case's open follow-ups (its next contact, its actions) go with it."""
    current = common.active_followup(case.contact_followup)
    if current is not None and current.owner_id != to.pk:
        followup_reassign(actor=actor, followup=current, owner=to, authorized=True)


def assign_checked(*, actor, case: Case, counsellor, override_reason: str = "") -> Case:
    """Assign (the caller holds the lock and checked ``case.assign``)."""
    _require_counsellor(case, counsellor)
    reason = ""
    if case.counsellor_id != counsellor.pk:
        reason = _require_room(counsellor, override_reason)
    old = case.counsellor
    case.counsellor = counsellor
    case.save(update_fields=["counsellor", "updated_at"])
    Transfer.objects.filter(case=case, status=Transfer.Status.PENDING).update(
        status=Transfer.Status.CANCELLED, decided_at=common.now()
    )
    _move_duties(actor, case, counsellor)
    common.event(case, CaseEvent.Kind.ASSIGNED, actor, reason=reason, to=counsellor.pk, over_limit=bool(reason))
    common.audit(
        actor,
        case,
        AuditEvent.Action.UPDATE,
        diff({"counsellor": old}, {"counsellor": counsellor}),
        reason=reason and "over the caseload limit",
    )
    return case


@transaction.atomic
def case_assign(*, actor, case: Case, counsellor, override_reason: str = "") -> Case:
    """The lead counsellor assigns a case (from the unassigned queue, or to someone else)."""
    common.check(actor, "case.assign", case, _("Only the lead counsellor assigns cases."))
    case = common.locked(case)
    common.require_open(case)
    return assign_checked(actor=actor, case=case, counsellor=counsellor, override_reason=override_reason)


@transaction.atomic
def case_unassign(*, actor, case: Case, reason: str = "") -> Case:
    """Back to the lead counsellor's unassigned queue, with its follow-ups (a counsellor who left,
    or whose role ended)."""
    case = common.locked(case)
    if case.counsellor_id is None:
        return case
    old = case.counsellor
    case.counsellor = None
    case.save(update_fields=["counsellor", "updated_at"])
    for transfer in Transfer.objects.filter(case=case, status=Transfer.Status.PENDING):
        transfer.status, transfer.decided_at = Transfer.Status.CANCELLED, common.now()
        transfer.save(update_fields=["status", "decided_at", "updated_at"])
    if case.is_open:
        _move_duties(actor, case, common.duty_holder(case))
    common.event(case, CaseEvent.Kind.UNASSIGNED, actor, reason=reason, former=old.pk)
    common.audit(actor, case, AuditEvent.Action.UPDATE, diff({"counsellor": old}, {"counsellor": None}))
    return case


@transaction.atomic
def transfer_propose(*, actor, case: Case, to, handover_note: str, override_reason: str = "") -> Transfer:
    """Propose handing the case to another counsellor, with a handover note: nothing moves until
    they accept."""
    common.check(
        actor, "case.transfer", case, _("Only the case's counsellor or the lead counsellor hands a case over.")
    )
    case = common.locked(case)
    common.require_open(case)
    note = common.required_text(
        "handover_note", handover_note, _("Write a handover note for the receiving counsellor.")
    )
    _require_counsellor(case, to, field="to")
    if to.pk == case.counsellor_id:
        raise ValidationError({"to": [_("This counsellor already holds the case.")]})
    reason = _require_room(to, override_reason)
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                case=case,
                from_counsellor=case.counsellor,
                to_counsellor=to,
                handover_note=note,
                asked_by=actor,
                override_reason=reason,
            )
    except IntegrityError:
        raise ValidationError({"__all__": [_("A transfer of this case is already waiting for acceptance.")]}) from None
    common.event(case, CaseEvent.Kind.TRANSFER_ASKED, actor, to=to.pk, over_limit=bool(reason))
    common.audit(
        actor,
        case,
        AuditEvent.Action.UPDATE,
        {"transfer_to": [None, str(to.pk)], "handover_note": "[sensitive text changed]"},
    )
    return transfer


def _pending(transfer: Transfer) -> Transfer:
    transfer = Transfer.objects.select_for_update().select_related("case__person").get(pk=transfer.pk)
    if transfer.status != Transfer.Status.PENDING:
        raise ValidationError(
            {"__all__": [_("This transfer was already %(status)s.") % {"status": transfer.get_status_display()}]}
        )
    return transfer


@transaction.atomic
def transfer_accept(*, actor, transfer: Transfer) -> Case:
    transfer = _pending(transfer)
    if getattr(actor, "pk", None) != transfer.to_counsellor_id:
        raise PermissionDenied(_("Only the receiving counsellor accepts a transfer."))
    case = common.locked(transfer.case)
    common.require_open(case)
    old = case.counsellor
    transfer.status, transfer.decided_at = Transfer.Status.ACCEPTED, common.now()
    transfer.save(update_fields=["status", "decided_at", "updated_at"])
    case.counsellor = actor
    case.save(update_fields=["counsellor", "updated_at"])
    _move_duties(actor, case, actor)
    common.event(case, CaseEvent.Kind.TRANSFER_ACCEPTED, actor, former=old.pk if old else None)
    common.audit(actor, case, AuditEvent.Action.UPDATE, diff({"counsellor": old}, {"counsellor": actor}))
    return case


@transaction.atomic
def transfer_decline(*, actor, transfer: Transfer, reason: str) -> Transfer:
    transfer = _pending(transfer)
    if getattr(actor, "pk", None) != transfer.to_counsellor_id:
        raise PermissionDenied(_("Only the receiving counsellor declines a transfer."))
    reason = common.required_text("reason", reason, _("Say why you decline, so the case can go to someone else."))
    transfer.status, transfer.decided_at, transfer.decline_reason = Transfer.Status.DECLINED, common.now(), reason
    transfer.save(update_fields=["status", "decided_at", "decline_reason", "updated_at"])
    common.event(transfer.case, CaseEvent.Kind.TRANSFER_DECLINED, actor, reason=reason, to=actor.pk)
    common.audit(actor, transfer.case, AuditEvent.Action.UPDATE, {"transfer": ["pending", "declined"]})
    return transfer


@transaction.atomic
def transfer_cancel(*, actor, transfer: Transfer) -> Transfer:
    transfer = _pending(transfer)
    common.check(
        actor,
        "case.transfer",
        transfer.case,
        _("Only the case's counsellor or the lead counsellor withdraws a transfer."),
    )
    transfer.status, transfer.decided_at = Transfer.Status.CANCELLED, common.now()
    transfer.save(update_fields=["status", "decided_at", "updated_at"])
    common.event(transfer.case, CaseEvent.Kind.TRANSFER_CANCELLED, actor, to=transfer.to_counsellor_id)
    common.audit(actor, transfer.case, AuditEvent.Action.UPDATE, {"transfer": ["pending", "cancelled"]})
    return transfer


def release_caseload(*, actor, user, reason: str) -> int:
    """A counsellor left or their role ended: their open cases return to the unassigned queue (with
    their follow-ups, to the lead counsellor); transfers waiting for them are withdrawn. Idempotent."""
    holds = policy.assignments_in_force(Role.COUNSELLOR) | policy.assignments_in_force(Role.LEAD_COUNSELLOR)
    if holds.filter(user=user).exists():
        return 0  # still in the counselling team (another assignment, or the role ends later)
    moved = 0
    for case in Case.objects.filter(counsellor=user, status__in=Case.OPEN_STATUSES).select_related("person"):
        case_unassign(actor=actor, case=case, reason=reason)
        moved += 1
    for transfer in Transfer.objects.filter(to_counsellor=user, status=Transfer.Status.PENDING):
        with transaction.atomic():
            transfer_cancel(actor=actor, transfer=transfer)
    return moved
