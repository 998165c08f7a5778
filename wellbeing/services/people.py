"""Writes with rules in the core: people (and their lifecycle), org units, API clients.

Every function here validates, writes, and appends to the audit trail inside one transaction.
Views, API views, admin, tasks and management commands call these; none re-implements a rule.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import etags, policy
from wellbeing.audit import audit_record, diff
from wellbeing.lifecycle import announce
from wellbeing.models import ApiClient, AuditEvent, LifecycleEvent, OrgUnit, Person, RoleAssignment, Scope
from wellbeing.models.api_clients import hash_token, new_token
from wellbeing.services.roles import role_end, role_refuse
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
    "wecom_user_id",
    "dingtalk_user_id",
)
#: What HR officers and the people API may change on a person (docs/reminders.md, "WeCom and DingTalk").
WORK_ID_FIELDS = ("wecom_user_id", "dingtalk_user_id")


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
    """Change a person's record. Every path (admin, API, commands, HR sync) comes here, so the
    lifecycle follows from the data: status "left" ends their login and roles and announces
    ``person_left``; a new unit announces ``person_moved``; a new manager ``manager_changed``."""
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Unknown person fields: {sorted(unknown)}")
    person = Person.objects.select_for_update(of=("self",)).select_related("unit", "user").get(pk=person.pk)
    old = {f: getattr(person, f) for f in fields}
    was_left = person.status == Person.Status.LEFT
    old_unit_id, old_manager_id = person.unit_id, person.manager_id
    for name, value in fields.items():
        setattr(person, name, value)
    if person.status == Person.Status.LEFT and person.left_on is None:
        person.left_on = timezone.localdate()
        fields["left_on"] = person.left_on
    if person.status != Person.Status.LEFT and was_left and "left_on" not in fields:
        # Back after leaving (re-hired): the old leaving date no longer applies. The login stays
        # disabled until an administrator enables it.
        person.left_on = None
        fields["left_on"] = None
    if person.manager_id and person.manager_id == person.pk:
        raise ValidationError({"manager": [_("A person cannot be their own manager.")]})
    _validate(person)
    changes = diff(old, {f: getattr(person, f) for f in fields})
    if not changes:
        return person
    person.save(update_fields=[*fields.keys(), "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, target=person, changes=changes)
    if person.status == Person.Status.LEFT and not was_left:
        _end_working_life(actor, person)
        announce(LifecycleEvent.Kind.PERSON_LEFT, actor=actor, person=person)
    if person.unit_id != old_unit_id:
        announce(
            LifecycleEvent.Kind.PERSON_MOVED, actor=actor, person=person, old_unit=old_unit_id, new_unit=person.unit_id
        )
    if person.manager_id != old_manager_id:
        announce(
            LifecycleEvent.Kind.MANAGER_CHANGED,
            actor=actor,
            person=person,
            old_manager=old_manager_id,
            new_manager=person.manager_id,
        )
    return person


def _end_working_life(actor, person: Person) -> None:
    """Someone who left can no longer log in or act in any role (the roles end as of their last day)."""
    if person.user_id is not None:
        user = person.user
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
            audit_record(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                target=user,
                subject_person=person,
                changes={"is_active": [True, False]},
                target_label=user.get_username(),
            )
        last_day = min(person.left_on, timezone.localdate() - timedelta(days=1))
        for assignment in RoleAssignment.objects.current().filter(user_id=person.user_id):
            role_end(actor=actor, assignment=assignment, on=max(last_day, assignment.valid_from))
        for assignment in RoleAssignment.objects.pending().filter(user_id=person.user_id):
            # A clinical role still waiting for a second person will never apply.
            role_refuse(actor=actor, assignment=assignment, reason="The person left.", authorized=True)
        policy.forget(user)


def person_set_work_ids(*, actor, person: Person, if_match: str | None = None, **ids: str) -> Person:
    """Set a person's WeCom and/or DingTalk user id (empty: none), the only fields HR officers and the
    people API change. The caller has checked ``person.set_work_ids``. Validated (characters, length,
    no one else's id) and audited by ``person_update``; an id another request took a moment earlier is
    the same field error as one taken long ago."""
    unknown = set(ids) - set(WORK_ID_FIELDS)
    if unknown:
        raise TypeError(f"Not a work messaging id: {sorted(unknown)}")
    values = {name: (value or "").strip() for name, value in ids.items()}
    try:
        with transaction.atomic():
            if if_match is not None:
                etags.check(if_match, Person.objects.select_for_update(of=("self",)).get(pk=person.pk))
            return person_update(actor=actor, person=person, **values)
    except IntegrityError:
        taken = {
            name: [_("Another person already has this user ID.")]
            for name, value in values.items()
            if value and Person.objects.exclude(pk=person.pk).filter(**{name: value}).exists()
        }
        if not taken:
            raise
        raise ValidationError(taken) from None


def person_leave(*, actor, person: Person, left_on: date | None = None) -> Person:
    """Mark a person as left (soft delete: they keep their history)."""
    return person_update(actor=actor, person=person, status=Person.Status.LEFT, left_on=left_on or timezone.localdate())


def person_move(*, actor, person: Person, unit: OrgUnit) -> Person:
    """Move a person to another unit (their supervisors change with it)."""
    return person_update(actor=actor, person=person, unit=unit)


def person_change_manager(*, actor, person: Person, manager: Person | None) -> Person:
    return person_update(actor=actor, person=person, manager=manager)


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


@transaction.atomic
def api_client_set_rate_limit(*, actor, client: ApiClient, rate_limit: int | None) -> ApiClient:
    """A client's own requests per minute (None: the default, API_CLIENT_RATE_PER_MINUTE)."""
    if rate_limit is not None and not 1 <= rate_limit <= 1_000_000:
        raise ValidationError({"rate_limit": [_("Give 1 to 1,000,000 requests per minute, or leave it empty.")]})
    old = ApiClient.objects.filter(pk=client.pk).values_list("rate_limit", flat=True).first()
    if old != rate_limit:
        ApiClient.objects.filter(pk=client.pk).update(rate_limit=rate_limit, updated_at=timezone.now())
        audit_record(
            actor=actor, action=AuditEvent.Action.UPDATE, target=client, changes={"rate_limit": [old, rate_limit]}
        )
    client.rate_limit = rate_limit
    return client


@transaction.atomic
def api_client_rotate(*, actor, client: ApiClient, grace_hours: int | None = None) -> tuple[ApiClient, str]:
    """Give a client a new token and keep the current one valid for ``grace_hours`` (default
    ``API_TOKEN_ROTATION_GRACE_HOURS``), so the HR system can switch without downtime. A token from
    an earlier rotation stops at once. Returns the client and the new token (shown once)."""
    if grace_hours is None:
        grace_hours = settings.API_TOKEN_ROTATION_GRACE_HOURS
    if not 0 <= grace_hours <= 24 * 30:
        raise ValidationError({"grace_hours": [_("Give 0 to 720 hours.")]})
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if not client.is_active:
        raise ValidationError({"__all__": [_("A revoked client cannot get a new token; create a new client.")]})
    token = new_token()
    client.previous_token_hash = client.token_hash if grace_hours else None
    client.previous_token_expires_at = timezone.now() + timedelta(hours=grace_hours) if grace_hours else None
    client.token_hash = hash_token(token)
    client.token_hint = token[:7]
    client.save(
        update_fields=["previous_token_hash", "previous_token_expires_at", "token_hash", "token_hint", "updated_at"]
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.API_CLIENT_ROTATED,
        target=client,
        changes={"old token valid until": [None, _iso(client.previous_token_expires_at)]},
    )
    return client, token


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
