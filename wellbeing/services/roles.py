"""Writes with rules in the core: role assignments. Assigning and ending a role announce the
``role_assigned`` and ``role_ended`` lifecycle signals; the apps react in their receivers."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.audit import audit_record, diff
from wellbeing.lifecycle import announce
from wellbeing.models import AuditEvent, LifecycleEvent, OrgUnit, Person, RoleAssignment
from wellbeing.models.roles import UNIT_SCOPED_ROLES
from wellbeing.validation import full_clean


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
    if role in UNIT_SCOPED_ROLES and unit is None:
        raise ValidationError({"unit": [_("This role applies to a unit: choose one.")]})
    if role not in UNIT_SCOPED_ROLES and unit is not None:
        raise ValidationError({"unit": [_("This role applies to the whole organisation: leave the unit empty.")]})
    assignment = RoleAssignment(
        user=user, role=role, unit=unit, valid_from=valid_from or timezone.localdate(), valid_until=valid_until
    )
    full_clean(assignment)
    assignment.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ROLE_ASSIGNED,
        target=assignment,
        subject_person=Person.objects.filter(user=user).first(),
        changes=diff({}, {"role": role, "unit": unit, "valid_from": assignment.valid_from, "valid_until": valid_until}),
    )
    policy.forget(user)
    announce(LifecycleEvent.Kind.ROLE_ASSIGNED, actor=actor, assignment=assignment)
    return assignment


@transaction.atomic
def role_end(*, actor, assignment: RoleAssignment, on: date | None = None) -> RoleAssignment:
    """End a role: it stops applying after ``on`` (default: yesterday, i.e. from today)."""
    assignment = RoleAssignment.objects.select_for_update().select_related("user").get(pk=assignment.pk)
    end = on or (timezone.localdate() - timedelta(days=1))
    if end < assignment.valid_from:
        end = assignment.valid_from
    old = assignment.valid_until
    if old == end:
        return assignment
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
    announce(LifecycleEvent.Kind.ROLE_ENDED, actor=actor, assignment=assignment)
    return assignment
