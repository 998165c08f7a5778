"""Writes with rules in the core: people, org units, roles, API clients.

Every function here validates, writes, and appends to the audit trail inside one transaction.
Views, API views, admin, tasks and management commands call these; none re-implements a rule.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.audit import audit_record, diff
from wellbeing.models import ApiClient, AuditEvent, FollowUp, OrgUnit, Person, Role, RoleAssignment, Scope
from wellbeing.models.api_clients import hash_token, new_token
from wellbeing.models.roles import UNIT_SCOPED_ROLES
from wellbeing.validation import full_clean

PERSON_FIELDS = (
    "full_name",
    "gender",
    "date_of_birth",
    "work_start_date",
    "hire_date",
    "unit",
    "position",
    "status",
    "left_on",
    "email",
    "phone",
    "manager",
    "user",
)


def _validate(instance, exclude=None) -> None:
    """Run model validation (field limits, choices, NUL bytes, constraints) before any write."""
    full_clean(instance, exclude=exclude)


# --- People --------------------------------------------------------------------------------------------


@transaction.atomic
def person_create(*, actor, external_id: str, full_name: str, unit: OrgUnit, **fields: Any) -> Person:
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Unknown person fields: {sorted(unknown)}")
    person = Person(external_id=external_id, full_name=full_name, unit=unit, **fields)
    _validate(person)
    person.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=person,
        changes=diff({}, {f: getattr(person, f) for f in ("external_id", *PERSON_FIELDS)}),
    )
    return person


@transaction.atomic
def person_update(*, actor, person: Person, **fields: Any) -> Person:
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Unknown person fields: {sorted(unknown)}")
    person = Person.objects.select_for_update().get(pk=person.pk)
    old = {f: getattr(person, f) for f in fields}
    for name, value in fields.items():
        setattr(person, name, value)
    if person.status == Person.Status.LEFT and person.left_on is None:
        person.left_on = timezone.localdate()
        fields["left_on"] = person.left_on
    if person.manager_id and person.manager_id == person.pk:
        raise ValidationError({"manager": [_("A person cannot be their own manager.")]})
    _validate(person)
    changes = diff(old, {f: getattr(person, f) for f in fields})
    if not changes:
        return person
    person.save(update_fields=[*fields.keys(), "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, target=person, changes=changes)
    return person


@transaction.atomic
def person_mark_left(*, actor, person: Person, left_on: date | None = None) -> Person:
    """Soft delete: the person keeps their history; their login, if any, is disabled."""
    person = person_update(
        actor=actor, person=person, status=Person.Status.LEFT, left_on=left_on or timezone.localdate()
    )
    if person.user_id and person.user.is_active:
        person.user.is_active = False
        person.user.save(update_fields=["is_active"])
    # Nothing is owed to or by someone who left: close their open follow-ups. Counselling work
    # stays open under the counsellors' duty of care (design/access.md); the lead counsellor decides.
    from wellbeing.services.followups import followup_cancel

    with translation.override(settings.LANGUAGE_CODE):
        reason = _("The person left.")
    stale = (
        FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES)
        .filter(Q(person=person) | Q(owner_id=person.user_id) if person.user_id else Q(person=person))
        .exclude(kind__in=FollowUp.CLINICAL_KINDS)
    )
    for followup in stale:
        followup_cancel(actor=None, followup=followup, reason=reason)
    return person


# --- Org units -----------------------------------------------------------------------------------------


@transaction.atomic
def org_unit_create(*, actor, code: str, name: str, kind: str, parent: OrgUnit | None = None) -> OrgUnit:
    unit = OrgUnit(code=code, name=name, kind=kind)
    _validate(unit, exclude=["path", "depth", "numchild"])
    unit = (
        OrgUnit.objects.add_child(parent, instance=unit)
        if parent is not None
        else OrgUnit.objects.add_root(instance=unit)
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=unit,
        changes=diff({}, {"code": code, "name": name, "kind": kind, "parent": parent}),
    )
    return unit


@transaction.atomic
def org_unit_update(*, actor, unit: OrgUnit, **fields: Any) -> OrgUnit:
    allowed = {"code", "name", "kind", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown org unit fields: {sorted(unknown)}")
    old = {f: getattr(unit, f) for f in fields}
    for name, value in fields.items():
        setattr(unit, name, value)
    _validate(unit, exclude=["path", "depth", "numchild"])
    changes = diff(old, fields)
    if changes:
        unit.save(update_fields=[*fields.keys(), "updated_at"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, target=unit, changes=changes)
    return unit


# --- Roles ---------------------------------------------------------------------------------------------


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
    _validate(assignment)
    assignment.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ROLE_ASSIGNED,
        target=assignment,
        subject_person=Person.objects.filter(user=user).first(),
        changes=diff({}, {"role": role, "unit": unit, "valid_from": assignment.valid_from, "valid_until": valid_until}),
    )
    policy.forget(user)
    return assignment


@transaction.atomic
def role_end(*, actor, assignment: RoleAssignment, on: date | None = None) -> RoleAssignment:
    """End a role: it stops applying after ``on`` (default: yesterday, i.e. from today)."""
    end = on or (timezone.localdate() - timezone.timedelta(days=1))
    if end < assignment.valid_from:
        end = assignment.valid_from
    old = assignment.valid_until
    assignment.valid_until = end
    _validate(assignment)
    assignment.save(update_fields=["valid_until", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ROLE_ENDED,
        target=assignment,
        changes=diff({"valid_until": old}, {"valid_until": end}),
    )
    policy.forget(assignment.user)
    if assignment.role == Role.SUPERVISOR and end < timezone.localdate():
        # The talks this supervisor owed (the cadence) end with the role; the new supervisor's are
        # scheduled by the talks app's daily cadence task.
        from wellbeing.services.followups import followup_cancel

        with translation.override(settings.LANGUAGE_CODE):
            reason = _("The supervisor role ended.")
        for followup in FollowUp.objects.filter(
            owner=assignment.user, kind=FollowUp.Kind.TALK_DUE, status__in=FollowUp.ACTIVE_STATUSES
        ):
            followup_cancel(actor=None, followup=followup, reason=reason)
    return assignment


# --- API clients ---------------------------------------------------------------------------------------


def parse_scopes(raw: str | list[str]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    scopes = sorted({s.strip() for s in items if s.strip()})
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown:
        raise ValidationError(
            {
                "scopes": [
                    _("Unknown scope(s): %(unknown)s. Known: %(known)s.")
                    % {"unknown": ", ".join(unknown), "known": ", ".join(Scope.values)}
                ]
            }
        )
    if not scopes:
        raise ValidationError({"scopes": [_("Give at least one scope.")]})
    return scopes


@transaction.atomic
def api_client_create(*, actor, name: str, scopes: str | list[str]) -> tuple[ApiClient, str]:
    """Create a client and return it with its token. The token is shown once and stored hashed."""
    token = new_token()
    client = ApiClient(name=name, scopes=parse_scopes(scopes), token_hash=hash_token(token), token_hint=token[:7])
    _validate(client)
    client.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.API_CLIENT_CREATED,
        target=client,
        changes={"scopes": [None, client.scopes]},
    )
    return client, token


@transaction.atomic
def api_client_revoke(*, actor, client: ApiClient) -> ApiClient:
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action=AuditEvent.Action.API_CLIENT_REVOKED, target=client)
    return client
