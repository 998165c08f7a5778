"""Writes with rules in the core: role assignments. A role in force announces the ``role_assigned``
lifecycle signal, and ending it ``role_ended``; the apps react in their receivers.

Clinical roles (counsellor, lead counsellor) open the most sensitive records, so one person cannot
give one to anybody - themself included - alone: assigned by a person, the role waits until a second
person confirms it (``role_confirm``) or refuses it (``role_refuse``). The lead counsellors hear of
every new clinical role at once.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import messages, policy
from wellbeing.actors import is_system, user_of
from wellbeing.audit import audit_record, diff
from wellbeing.lifecycle import announce
from wellbeing.models import AuditEvent, LifecycleEvent, Notification, OrgUnit, Person, Role, RoleAssignment
from wellbeing.models.roles import UNIT_SCOPED_ROLES
from wellbeing.validation import full_clean

#: The longest reason kept for refusing or withdrawing a clinical role.
REASON_MAX_LENGTH = 500


@transaction.atomic
def role_assign(
    *,
    actor,
    user,
    role: str,
    unit: OrgUnit | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> RoleAssignment:
    """Give ``user`` a role for a period.

    A clinical role (counsellor, lead counsellor) assigned by a person - an administrator in the
    admin - is *pending*: it is not in force until a second person confirms it with ``role_confirm``
    (a current lead counsellor or another administrator, never the one who assigned it and never the
    holder). Any other role is in force from ``valid_from``.

    A ``SystemActor`` (a management command such as ``seed_demo``, a test fixture) assigns a clinical
    role confirmed at once: the command line is the operator's own act on the server, recorded in the
    audit trail under the command's name.

    Every new clinical role, pending or confirmed, is announced to the lead counsellors in their inbox.
    ``role_assigned`` is announced when the role is in force (for a pending one: at confirmation).
    """
    if role in UNIT_SCOPED_ROLES and unit is None:
        raise ValidationError({"unit": [_("This role applies to a unit: choose one.")]})
    if role not in UNIT_SCOPED_ROLES and unit is not None:
        raise ValidationError({"unit": [_("This role applies to the whole organisation: leave the unit empty.")]})
    assignment = RoleAssignment(
        user=user, role=role, unit=unit, valid_from=valid_from or timezone.localdate(), valid_until=valid_until
    )
    assignment.assigned_by = user_of(actor)
    if assignment.is_clinical and not is_system(actor):
        if assignment.assigned_by is None:  # an API client: nobody to hold to the second-person rule
            raise PermissionDenied(_("Only a person or the command line can assign a clinical role."))
        assignment.status = RoleAssignment.Status.PENDING
    else:
        assignment.status = RoleAssignment.Status.CONFIRMED
        assignment.decided_at = timezone.now()
    full_clean(assignment)
    assignment.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ROLE_ASSIGNED,
        target=assignment,
        subject_person=Person.objects.filter(user=user).first(),
        changes=diff(
            {},
            {
                "role": role,
                "unit": unit,
                "valid_from": assignment.valid_from,
                "valid_until": valid_until,
                "status": assignment.status,
            },
        ),
    )
    if assignment.is_clinical:
        _tell_lead_counsellors(assignment)
    if not assignment.is_pending:
        policy.forget(user)
        announce(LifecycleEvent.Kind.ROLE_ASSIGNED, actor=actor, assignment=assignment)
    return assignment


def _locked_pending(assignment: RoleAssignment) -> RoleAssignment:
    assignment = RoleAssignment.objects.select_for_update().select_related("user").get(pk=assignment.pk)
    if not assignment.is_pending:
        raise ValidationError(
            {"status": [_("This role is already %(status)s.") % {"status": assignment.get_status_display()}]}
        )
    return assignment


@transaction.atomic
def role_confirm(*, actor, assignment: RoleAssignment) -> RoleAssignment:
    """A second person confirms a pending clinical role: from now on it is in force.

    The policy's ``role.confirm`` decides who may (a lead counsellor or an administrator who is neither
    the holder nor the one who assigned it). A system actor cannot stand in for the second person."""
    assignment = _locked_pending(assignment)
    if is_system(actor) or not policy.can(actor, "role.confirm", assignment):
        raise PermissionDenied(_("A second person confirms this role: not its holder, nor whoever assigned it."))
    _decide(actor, assignment, RoleAssignment.Status.CONFIRMED)
    policy.forget(assignment.user)
    announce(LifecycleEvent.Kind.ROLE_ASSIGNED, actor=actor, assignment=assignment)
    return assignment


@transaction.atomic
def role_refuse(*, actor, assignment: RoleAssignment, reason: str, authorized: bool = False) -> RoleAssignment:
    """Refuse a pending clinical role (whoever may confirm it), or withdraw it (whoever assigned it).
    It is never in force; the reason goes to the audit trail. ``authorized``: the caller applies a
    rule that refuses it (a person who left), and the audit names the caller's actor."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the role is refused.")]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("Keep the reason under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}]}
        )
    assignment = _locked_pending(assignment)
    withdrawn = getattr(actor, "pk", None) is not None and actor.pk == assignment.assigned_by_id
    if not (authorized or is_system(actor) or withdrawn or policy.can(actor, "role.confirm", assignment)):
        raise PermissionDenied(_("You cannot refuse this role."))
    _decide(actor, assignment, RoleAssignment.Status.REFUSED, reason=reason)
    return assignment


def _decide(actor, assignment: RoleAssignment, status: str, *, reason: str = "") -> None:
    """Record a second person's decision on a pending clinical role, and audit it."""
    assignment.status = status
    assignment.decided_by = user_of(actor)
    assignment.decided_at = timezone.now()
    full_clean(assignment)
    assignment.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=assignment,
        subject_person=Person.objects.filter(user=assignment.user).first(),
        changes=diff({"status": RoleAssignment.Status.PENDING}, {"status": assignment.status}),
        reason=reason,
    )


@transaction.atomic
def role_end(*, actor, assignment: RoleAssignment, on: date | None = None) -> RoleAssignment:
    """End a role: it stops applying after ``on`` (default: yesterday, i.e. from today).

    An end date only ever moves earlier: a role is never extended or brought back by editing it
    (that would put a clinical role back in force without a second person). To hold a role again,
    assign it again."""
    assignment = RoleAssignment.objects.select_for_update().select_related("user").get(pk=assignment.pk)
    end = on or (timezone.localdate() - timedelta(days=1))
    if end < assignment.valid_from:
        end = assignment.valid_from
    old = assignment.valid_until
    if old == end:
        return assignment
    if old is not None and end > old:
        raise ValidationError(
            {"valid_until": [_("A role's end can only move earlier. To hold the role again, assign it again.")]}
        )
    assignment.valid_until = end
    full_clean(assignment)
    assignment.save(update_fields=["valid_until", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ROLE_ENDED,
        target=assignment,
        changes=diff({"valid_until": old}, {"valid_until": end}),
    )
    policy.forget(assignment.user)
    if assignment.status == RoleAssignment.Status.CONFIRMED:  # a role never in force was never announced
        announce(LifecycleEvent.Kind.ROLE_ENDED, actor=actor, assignment=assignment)
    return assignment


def _display_name(user) -> str:
    person = Person.objects.filter(user=user).only("full_name").first()
    return person.full_name if person is not None else user.get_username()


def _tell_lead_counsellors(assignment: RoleAssignment) -> None:
    """An inbox item for every lead counsellor in force (not the new holder): who got a clinical role,
    and nothing more. Stored as a message key and the name, worded in each reader's language."""
    recipients = [u for u in policy.holders_of_anywhere(Role.LEAD_COUNSELLOR) if u.pk != assignment.user_id]
    if not recipients:
        return
    key = messages.CLINICAL_ROLE_PENDING if assignment.is_pending else messages.CLINICAL_ROLE_ASSIGNED
    params = {"name": _display_name(assignment.user)}
    url = reverse("roles-pending")
    Notification.objects.bulk_create(
        [Notification(recipient=user, message_key=key, params=params, url=url) for user in recipients]
    )
