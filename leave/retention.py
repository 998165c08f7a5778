"""The leave app's record kind for retention (``wellbeing.retention``): the free text of leave
requests (a sick-leave note may name an illness), cleared two years after the leave ended. The
requests themselves, their dates and days, and the ledger are kept: they are personnel and pay
records, and the balances are computed from them. Registered on import from LeaveConfig.ready();
the reasons are in docs/data-lifecycle.md."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leave.models import LeaveRequest
from wellbeing.retention import ANONYMISE, RecordKind, cutoff_date, register_kind


def requests_due(cutoff: datetime):
    return LeaveRequest.objects.filter(end_date__lt=cutoff_date(cutoff), anonymised_at__isnull=True)


def anonymise_requests(pks: list[int], cutoff: datetime) -> int:
    """Updated in place (no save): the request's status and dates do not change, so the HR change
    feed has nothing new to say."""
    return LeaveRequest.objects.filter(pk__in=pks).update(
        note="", decision_comment="", cancel_reason="", anonymised_at=timezone.now()
    )


def register() -> None:
    register_kind(
        RecordKind(
            key="leave.notes",
            label=_("leave requests: the note and comments"),
            default_days=2 * 365,
            anchor=_("the last day of the leave"),
            action=ANONYMISE,
            due=requests_due,
            apply=anonymise_requests,
            order=70,
        )
    )


register()
