"""A person's access request (PIPL §45, the right to access and copy): everything recorded about one
person as one readable file, counsellors' working notes excepted (access.md), the export audited.

The file is built from the same registry as the "My records" page (``wellbeing.records``): the core's
sections (``wellbeing.selectors_records``) and every app's, read completely. One audit entry records
who exported whose records, when, and the written request's reference - never the content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.audit import audit_record
from wellbeing.models import AuditEvent, Person
from wellbeing.records import RecordsQuery, record_sections
from wellbeing.selectors_records import core_sections, reads_section

REFERENCE_MAX_LENGTH = 100
#: What the export's audit entry says it was (``changes["export"]``), so it can be found and counted.
EXPORT_KIND = "access_request"


@dataclass(frozen=True)
class AccessExport:
    filename: str
    content: bytes
    content_type: str = "text/html; charset=utf-8"


def clean_reference(value: str, *, required: bool) -> str:
    """The written request's reference as typed (e.g. a letter's number): required when someone
    answers a request on the person's behalf, at most 100 characters, one line."""
    reference = (value or "").strip()
    if required and not reference:
        raise ValidationError({"reference": _("Enter the reference of the written request.")})
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise ValidationError({"reference": _("At most %(count)s characters.") % {"count": REFERENCE_MAX_LENGTH}})
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in reference):
        raise ValidationError({"reference": _("The reference must be one line of text.")})
    return reference


def _filename(person: Person, day) -> str:
    safe_id = re.sub(r"[^A-Za-z0-9_-]+", "-", person.external_id).strip("-") or str(person.pk)
    return f"tanxin-records-{safe_id}-{day:%Y-%m-%d}.html"


def access_request_export(*, actor, person: Person, reference: str = "") -> AccessExport:
    """Export everything recorded about ``person`` for ``actor``: the person themself, or whoever
    the policy gives the duty of answering a written request (``person.access_request``), who must
    give the request's reference. Raises PermissionDenied or ValidationError (the reference)."""
    if not policy.can(actor, "person.access_request", person):
        raise PermissionDenied
    me = policy.access_for(actor).person
    own = me is not None and me.pk == person.pk
    reference = clean_reference(reference, required=not own)
    person = Person.objects.select_related("unit", "manager", "user").get(pk=person.pk)
    query = RecordsQuery(reader=actor, person=person, complete=True, by_the_person=own)
    with transaction.atomic():
        sections = [*core_sections(query), *record_sections(query)]
        sections.append(reads_section(query))  # last: it lists the reads this export has just audited
        audit_record(
            actor=actor,
            action=AuditEvent.Action.SENSITIVE_READ,
            target=person,
            subject_person=person,
            changes={"export": EXPORT_KIND, "sections": [s.key for s in sections]},
            reason=reference,
        )
    now = timezone.localtime()
    html = render_to_string(
        "wellbeing/access_request_export.html",
        {
            "person": person,
            "sections": sections,
            "generated_at": now,
            "own": own,
            "reference": reference,
            "exported_by": getattr(me, "full_name", "") or actor.get_username(),
        },
    )
    return AccessExport(filename=_filename(person, now.date()), content=html.encode("utf-8"))
