"""Writing the audit trail. Services call ``audit_record`` inside their own transaction."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from wellbeing import bulk
from wellbeing.actors import is_system
from wellbeing.models import AuditEvent, Person

#: The client address of the request being served, set by AuditContextMiddleware.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("tanxin_current_ip", default=None)

REDACTED = "[sensitive text changed]"


#: Values written to the trail as they are (checked by exact type first: the HR sync writes 20,000 a call).
_PLAIN = frozenset({str, int, float, bool, list, dict, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def diff(old: dict[str, Any], new: dict[str, Any], *, sensitive: Iterable[str] = ()) -> dict[str, Any]:
    """Old/new pairs of the fields that changed. Sensitive fields are recorded as changed, never
    with their text."""
    sensitive = set(sensitive)
    changes: dict[str, Any] = {}
    for key in new:
        before, after = old.get(key), new[key]
        if before == after:
            continue
        if key in sensitive:
            changes[key] = REDACTED
        else:
            changes[key] = [_jsonable(before), _jsonable(after)]
    return changes


def _actor_columns(actor) -> tuple[Any, Any, str]:
    """(user, API client, label) for the audit row: who or what acted, always named."""
    if actor is None:
        raise TypeError("The audit trail needs an actor: a user, an API principal or a SystemActor.")
    if is_system(actor):
        return None, None, actor.name
    api_client = getattr(actor, "api_client", None)
    if api_client is not None:
        return None, api_client, f"api:{api_client.name}"
    if getattr(actor, "is_authenticated", False):
        return actor, None, actor.get_username()
    raise TypeError(f"Not an actor: {actor!r}")


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    subject_person: Person | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    target_label: str | None = None,
) -> AuditEvent:
    """Append one entry. ``actor`` is a User, an API principal or a ``SystemActor`` (never None)."""
    user, api_client, label = _actor_columns(actor)
    if subject_person is None and isinstance(target, Person):
        subject_person = target
    return AuditEvent.objects.create(
        actor=user,
        actor_api_client=api_client,
        actor_label=label[:150],
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label if target_label is not None else (str(target) if target is not None else ""))[:200],
        subject_person=subject_person,
        changes={k: _jsonable(v) if not isinstance(v, list) else v for k, v in (changes or {}).items()},
        reason=reason,
        ip_address=current_ip.get(),
    )


def audit_sensitive_read(
    *, actor, target: models.Model, fields: Iterable[str], subject_person: Person | None = None, reason: str = ""
) -> AuditEvent:
    """Record that ``actor`` was shown the sensitive text in ``fields`` of ``target``.

    Selectors that return sensitive text call this (PIPL §51; HIPAA §164.312(b)); the entry names
    the fields, never their content.
    """
    return audit_record(
        actor=actor,
        action=AuditEvent.Action.SENSITIVE_READ,
        target=target,
        subject_person=subject_person,
        changes={"fields": sorted(fields)},
        reason=reason,
    )


def audit_sensitive_reads(
    *, actor, targets: Iterable[models.Model], fields: Iterable[str], subject_person: Person | None = None
) -> int:
    """``audit_sensitive_read`` for a list page: one entry per record shown, in one statement."""
    targets = list(targets)
    if not targets:
        return 0
    user, api_client, label = _actor_columns(actor)
    template = AuditEvent(
        actor=user,
        actor_api_client=api_client,
        actor_label=label[:150],
        action=AuditEvent.Action.SENSITIVE_READ,
        subject_person=subject_person,
        changes={"fields": sorted(fields)},
        ip_address=current_ip.get(),
    )
    content_type = ContentType.objects.get_for_model(targets[0])
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=template.actor,
                actor_api_client=template.actor_api_client,
                actor_label=template.actor_label,
                action=template.action,
                subject_person=subject_person,
                changes=template.changes,
                ip_address=template.ip_address,
                target_type=content_type,
                target_id=str(t.pk),
                target_label=str(t)[:200],
            )
            for t in targets
        ]
    )
    return len(targets)


def audit_records(
    *, actor, action: str, model: type[models.Model], rows: Iterable[tuple[Any, str, int | None, dict[str, Any]]]
) -> int:
    """``audit_record`` for a batch (the HR sync): one entry per ``(target id, target label, subject
    person id, changes)`` about records of ``model``, written in one statement (COPY on PostgreSQL)."""
    rows = list(rows)
    if not rows:
        return 0
    user, api_client, label = _actor_columns(actor)
    ip = current_ip.get()
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(model)
    names = (
        "created_at",
        "actor_id",
        "actor_api_client_id",
        "actor_label",
        "action",
        "target_type_id",
        "target_id",
        "target_label",
        "subject_person_id",
        "changes",
        "reason",
        "ip_address",
    )
    values = (
        (
            now,
            user.pk if user is not None else None,
            api_client.pk if api_client is not None else None,
            label[:150],
            action,
            content_type.pk,
            str(target_id),
            target_label[:200],
            subject_id,
            {k: _jsonable(v) if not isinstance(v, list) else [_jsonable(x) for x in v] for k, v in changes.items()},
            "",
            ip,
        )
        for target_id, target_label, subject_id, changes in rows
    )
    return bulk.copy_insert(AuditEvent, names, values)
