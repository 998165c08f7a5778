"""The programme's part of "everything recorded about me" (the core's ``wellbeing.records``
registry, filled from ProgrammeConfig.ready()): the activities the person registered for (and
whether they attended), the activities they gave feedback on - only that they did: the answers are
anonymous and cannot be linked to anyone (docs/programme.md) - and the care records about them
(access.md "care record: own"), whose notes are read audited, as on a care record's page."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from programme.models import CareRecord, FeedbackReceipt, Registration
from wellbeing.audit import audit_sensitive_reads
from wellbeing.records import RecordRow, RecordSection, RecordsQuery


def _moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


def _registration_rows(query: RecordsQuery) -> list[RecordRow]:
    registrations = (
        Registration.objects.filter(person=query.person)
        .select_related("activity")
        .order_by("-activity__starts_at", "-id")[: query.limit()]
    )
    attended = {True: _("attended"), False: _("did not attend"), None: ""}
    return [
        RecordRow(
            heading=f"{_moment(r.activity.starts_at)} {r.activity.title}",
            detail=" · ".join(part for part in (r.get_status_display(), str(attended[r.attended])) if part),
            muted=r.status == Registration.Status.CANCELLED,
        )
        for r in registrations
    ]


def _feedback_rows(query: RecordsQuery) -> list[RecordRow]:
    receipts = (
        FeedbackReceipt.objects.filter(person=query.person)
        .select_related("activity")
        .order_by("-activity__starts_at", "activity_id")[: query.limit()]
    )
    return [
        RecordRow(
            heading=f"{_moment(r.activity.starts_at)} {r.activity.title}",
            detail=_("You gave anonymous feedback; what you wrote is not linked to you."),
        )
        for r in receipts
    ]


def _care_rows(query: RecordsQuery) -> list[RecordRow]:
    records = list(
        CareRecord.objects.filter(person=query.person)
        .select_related("recorded_by__person")
        .order_by("-occurred_on", "-id")[: query.limit()]
    )
    audit_sensitive_reads(
        actor=query.reader, targets=[r for r in records if r.note], fields=["note"], subject_person=query.person
    )
    rows = []
    for r in records:
        done = [
            str(label)
            for flag, label in (
                (r.visited, _("visited")),
                (r.help_arranged, _("practical help arranged")),
                (r.leave_suggested, _("leave suggested")),
            )
            if flag
        ]
        who = getattr(getattr(r.recorded_by, "person", None), "full_name", "") or r.recorded_by.get_username()
        rows.append(
            RecordRow(
                heading=f"{formats.date_format(r.occurred_on, 'Y-m-d')} {r.get_situation_display()}",
                detail=" · ".join([_("Recorded by %(name)s") % {"name": who}, *done]),
                text=r.note,
            )
        )
    return rows


def my_record_sections(query: RecordsQuery) -> list[RecordSection]:
    sections = [
        RecordSection(
            "records-registrations", _("Activities you registered for"), _registration_rows(query), _("None.")
        ),
        RecordSection("records-feedback", _("Feedback you gave"), _feedback_rows(query), _("None.")),
    ]
    if query.by_the_person:  # care records are the supervisor's and HR's, not an administrator's to read
        sections.append(RecordSection("records-care", _("Care records"), _care_rows(query), _("No care records.")))
    return sections
