"""Configuration changed by administrators (the per-role two-factor switch, webhook endpoints,
reminder timings, unavailability, talk cadences and agenda templates, ...): one small, generic writer
for records that carry no rule beyond their own validation. Every save and delete is validated,
written and audited - who, which record, old and new values - in one transaction.

Sensitive values are recorded as "changed", never with their text: the fields listed in
``SENSITIVE_FIELDS``, and the query string of any URL (a WeCom or DingTalk robot's URL carries its
access key there).

The admin's ``AuditedConfigurationAdmin`` calls these; other apps' configuration models (the talks
app's cadences and templates) use the same functions without the core knowing them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import models, transaction
from django.db.models.fields.related import ForeignKey
from django_otp.plugins.otp_totp.models import TOTPDevice

from wellbeing.audit import REDACTED, audit_record, diff
from wellbeing.models import AuditEvent, Person
from wellbeing.validation import full_clean

#: Per model (``app_label.model_name``): fields recorded as "changed", never with their value.
SENSITIVE_FIELDS: dict[str, frozenset[str]] = {
    "wellbeing.webhookendpoint": frozenset({"secret"}),
    "auth.user": frozenset({"password"}),
}
#: Bookkeeping columns that are not configuration.
_NOT_RECORDED = {"id", "created_at", "updated_at"}


def _sensitive(instance: models.Model) -> frozenset[str]:
    return SENSITIVE_FIELDS.get(instance._meta.label_lower, frozenset())


def _without_query(url: str) -> str:
    if not url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "…" if parts.query else "", ""))


def _snapshot(instance: models.Model) -> dict[str, Any]:
    """The record's configuration: each concrete field by name (a related record by its key)."""
    return {
        field.name: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.name not in _NOT_RECORDED
    }


def _changes(instance: models.Model, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    changes = diff(old, new, sensitive=_sensitive(instance))
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.URLField) and field.name in changes and changes[field.name] != REDACTED:
            before, after = _without_query(old.get(field.name) or ""), _without_query(new.get(field.name) or "")
            changes[field.name] = [before or None, after or None] if before != after else REDACTED
    return changes


def _subject_person(instance: models.Model) -> Person | None:
    """Whose information the record concerns (a person's cadence, a user's unavailability), so it
    appears among the records about them."""
    for field in instance._meta.concrete_fields:
        if not isinstance(field, ForeignKey) or getattr(instance, field.attname) is None:
            continue
        if field.name == "person" and field.related_model is Person:
            return Person.objects.filter(pk=getattr(instance, field.attname)).first()
        if field.name == "user":
            return Person.objects.filter(user_id=getattr(instance, field.attname)).first()
    return None


def configuration_validate(*, instance: models.Model) -> None:
    """Raise ``ValidationError`` (per field) if the record may not be saved as it is."""
    full_clean(instance)


@transaction.atomic
def configuration_save(*, actor, instance: models.Model, changed_fields: Iterable[str] | None = None) -> models.Model:
    """Create or change a configuration record, audited with its old and new values.

    ``changed_fields``: the fields the administrator changed (the admin form's ``changed_data``);
    only those are written to an existing record, so a concurrent change to another field stands.
    None writes every field."""
    adding = instance._state.adding or instance.pk is None
    manager = type(instance)._default_manager
    old = {} if adding else _snapshot(manager.select_for_update().get(pk=instance.pk))
    configuration_validate(instance=instance)
    update_fields = None
    if not adding and changed_fields is not None:
        names = {f.name for f in instance._meta.concrete_fields} - _NOT_RECORDED
        update_fields = sorted(set(changed_fields) & names)
        if not update_fields:
            return instance
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    changes = _changes(instance, old, _snapshot(manager.get(pk=instance.pk)))
    if changes or adding:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE if adding else AuditEvent.Action.UPDATE,
            target=instance,
            subject_person=_subject_person(instance),
            changes=changes,
        )
    return instance


@transaction.atomic
def configuration_delete(*, actor, instance: models.Model) -> None:
    """Delete a configuration record. The audit row keeps what it was (sensitive values as "changed")."""
    instance = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    old = _snapshot(instance)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=instance,
        subject_person=_subject_person(instance),
        changes={"deleted": [False, True], **_changes(instance, old, dict.fromkeys(old))},
    )
    instance.delete()


@transaction.atomic
def two_factor_device_remove(*, actor, device: TOTPDevice) -> None:
    """Remove a user's authenticator (a lost phone): they enrol again at their next log-in, through
    their own two-factor set-up page. The audit row names the device, never its key."""
    device = TOTPDevice.objects.select_for_update().select_related("user").get(pk=device.pk)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=device,
        target_label=f"{device.user.get_username()}: {device.name}"[:200],
        subject_person=Person.objects.filter(user=device.user).first(),
        changes={"deleted": [False, True], "user": [device.user.get_username(), None], "name": [device.name, None]},
    )
    device.delete()
