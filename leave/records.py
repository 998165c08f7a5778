"""The leave app's part of "everything recorded about me" (the core's ``wellbeing.records`` registry,
filled from LeaveConfig.ready()): the person's leave requests and rest-day work, and - in an access
request's export only - every line of their leave ledger. What access.md gives the person about
their own leave ("leave balances and requests: own"), read directly by the person so a former member
of staff's request is answered too; each list is one query."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _

from leave.models import LeaveLedgerEntry, LeaveRequest, OvertimeRecord
from wellbeing.records import RecordRow, RecordSection, RecordsQuery


def _day(value) -> str:
    return formats.date_format(value, "Y-m-d") if value else ""


def _request_rows(query: RecordsQuery) -> list[RecordRow]:
    requests = (
        LeaveRequest.objects.filter(person=query.person)
        .select_related("leave_type")
        .order_by("-start_date", "-id")[: query.limit()]
    )
    rows = []
    for r in requests:
        detail = _("%(days)s days · %(status)s") % {
            "days": formats.number_format(r.days),
            "status": r.get_status_display(),
        }
        if r.decided_at:
            detail += " · " + _("decided on %(date)s") % {"date": _day(r.decided_at.date())}
        texts = [
            text
            for text in (
                _("Your note: %(text)s") % {"text": r.note} if r.note else "",
                _("Comment on the decision: %(text)s") % {"text": r.decision_comment} if r.decision_comment else "",
                _("Reason for cancelling: %(text)s") % {"text": r.cancel_reason} if r.cancel_reason else "",
            )
            if text
        ]
        rows.append(
            RecordRow(
                heading=f"{r.leave_type.name} {_day(r.start_date)} – {_day(r.end_date)}",
                detail=detail,
                text="\n".join(texts),
                muted=r.status not in LeaveRequest.HOLDING,
            )
        )
    return rows


def _overtime_rows(query: RecordsQuery) -> list[RecordRow]:
    records = OvertimeRecord.objects.filter(person=query.person).order_by("-work_date", "-id")[: query.limit()]
    return [
        RecordRow(
            heading=f"{_day(o.work_date)} {o.get_kind_display()}",
            detail=_("%(hours)s hours · %(status)s")
            % {"hours": formats.number_format(o.hours), "status": o.get_status_display()},
            text=o.purpose,
        )
        for o in records
    ]


def _ledger_rows(query: RecordsQuery) -> list[RecordRow]:
    lines = (
        LeaveLedgerEntry.objects.filter(person=query.person)
        .select_related("leave_type")
        .order_by("year", "leave_type__sort_order", "effective_on", "id")
    )
    rows = []
    for line in lines:
        detail = _("Leave year %(year)s · %(days)s days") % {
            "year": line.year,
            "days": formats.number_format(line.days),
        }
        if line.expires_on:
            detail += " · " + _("use by %(date)s") % {"date": _day(line.expires_on)}
        rows.append(
            RecordRow(
                heading=f"{_day(line.effective_on)} {line.leave_type.name} · {line.get_kind_display()}",
                detail=detail,
                text=line.reason,
            )
        )
    return rows


def my_record_sections(query: RecordsQuery) -> list[RecordSection]:
    return [
        RecordSection("records-leave", _("Leave requests"), _request_rows(query), _("No leave requests.")),
        RecordSection("records-overtime", _("Rest-day work"), _overtime_rows(query), _("No rest-day work recorded.")),
        RecordSection(
            "records-leave-ledger", _("Leave ledger"), _ledger_rows(query), _("No ledger lines."), on_page=False
        ),
    ]
