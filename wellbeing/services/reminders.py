"""Writes on the reminder pipeline that people make (an administrator's retry of a failed message)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from wellbeing import tasks
from wellbeing.audit import audit_record
from wellbeing.models import AuditEvent, Delivery


@transaction.atomic
def delivery_retry(*, actor, delivery: Delivery) -> bool:
    """Send a failed message again: back to pending with its attempts counted afresh, queued after
    commit, and recorded in the audit trail. False when it had not failed (nothing to do)."""
    updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    if not updated:
        return False
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=delivery,
        changes={"status": [Delivery.Status.FAILED, Delivery.Status.PENDING]},
        target_label=delivery.key,
    )
    transaction.on_commit(lambda: tasks.deliver.delay(delivery.pk))
    return True
