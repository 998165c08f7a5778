"""Care for people in difficulty: a supervisor or HR officer records practical support; a talk is
suggested to the person's supervisor when none is planned."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from programme.models import CareRecord
from programme.services.common import require
from wellbeing import workload
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Person
from wellbeing.validation import full_clean

CARE_REASON = "programme.care"


@transaction.atomic
def care_record_create(
    *,
    actor,
    person: Person,
    situation: str,
    occurred_on: date,
    visited: bool = False,
    help_arranged: bool = False,
    leave_suggested: bool = False,
    note: str = "",
) -> tuple[CareRecord, FollowUp | None]:
    """Record it, and suggest a talk when none is planned (returned, or None)."""
    require(actor, "programme.care.record", person)
    note = (note or "").strip()
    if not (visited or help_arranged or leave_suggested or note):
        raise ValidationError({"note": [_("Tick what was done, or say it in the note.")]})
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": [_("Give a date that is not in the future.")]})
    record = CareRecord(
        person=person,
        situation=situation,
        occurred_on=occurred_on,
        visited=visited,
        help_arranged=help_arranged,
        leave_suggested=leave_suggested,
        note=note,
        recorded_by=actor,
    )
    full_clean(record)
    record.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=record,
        subject_person=person,
        changes=diff({}, {"situation": situation, "note": note}, sensitive=["note"]),
    )
    suggestion = None
    if not workload.talk_planned(person):
        suggestion = workload.suggest_talk(person, [CARE_REASON], actor=actor)
    return record, suggestion
