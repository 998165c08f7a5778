"""The programme's record kinds for retention (``wellbeing.retention``): care records' notes and
activity feedback comments, cleared three years on; the counts stay. Registered on import from
ProgrammeConfig.ready(); the reasons are in docs/data-lifecycle.md."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme.models import CareRecord, Feedback
from wellbeing.retention import ANONYMISE, RecordKind, cutoff_date, register_kind


def care_due(cutoff: datetime):
    return CareRecord.objects.filter(occurred_on__lt=cutoff_date(cutoff), anonymised_at__isnull=True)


def anonymise_care(pks: list[int], cutoff: datetime) -> int:
    """Clear what was written; the person, the date, the situation and what was done (visited, help
    arranged, leave suggested) stay, as the figures count them."""
    return CareRecord.objects.filter(pk__in=pks).update(note="", anonymised_at=timezone.now())


def feedback_due(cutoff: datetime):
    return Feedback.objects.filter(activity__ends_at__lt=cutoff).exclude(comment="")


def anonymise_feedback(pks: list, cutoff: datetime) -> int:
    """Clear the free comment (it may name people); the rating stays for the activity's summary."""
    return Feedback.objects.filter(pk__in=pks).update(comment="")


def register() -> None:
    register_kind(
        RecordKind(
            key="programme.care",
            label=_("care records: what was written"),
            default_days=3 * 365,
            anchor=_("the care record's date"),
            action=ANONYMISE,
            due=care_due,
            apply=anonymise_care,
            order=60,
        )
    )
    register_kind(
        RecordKind(
            key="programme.feedback",
            label=_("activity feedback: the comments"),
            default_days=3 * 365,
            anchor=_("the end of the activity"),
            action=ANONYMISE,
            due=feedback_due,
            apply=anonymise_feedback,
            order=61,
        )
    )


register()
