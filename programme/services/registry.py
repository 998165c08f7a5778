"""What the programme registers with the core: its message keys, and what ends each kind of its
follow-ups (a task is done on its page, a correction when it is reported, a review when it is
recorded, an activity reminder when the activity ends)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programme.services.activities import REMINDER_TITLE
from programme.services.care import CARE_REASON
from programme.services.plan import CORRECTION_TITLE, REVIEW_TITLE, TASK_TITLE
from wellbeing import messages, workload
from wellbeing.models import FollowUp
from wellbeing.services import RecordClosure, register_record_closure

MESSAGES = {
    TASK_TITLE: messages.Message(title=gettext_lazy("Work plan task: %(title)s")),
    CORRECTION_TITLE: messages.Message(title=gettext_lazy("Correction item: %(title)s")),
    REVIEW_TITLE: messages.Message(title=gettext_lazy("Review the %(year)s work plan")),
    REMINDER_TITLE: messages.Message(title=gettext_lazy("Tomorrow: %(title)s")),
}


def _url(name: str):
    def url(followup: FollowUp) -> str | None:
        return reverse(name, args=[followup.subject_id]) if followup.subject_id else None

    return url


CLOSURES = {
    FollowUp.Kind.PLAN_TASK: RecordClosure(
        action_label=lambda: _("Open the task"),
        action_url=_url("programme:task"),
        explanation=lambda: _("This ends when the task is marked done on its page."),
        can_set_aside=False,
    ),
    FollowUp.Kind.CORRECTION: RecordClosure(
        action_label=lambda: _("Open the correction item"),
        action_url=_url("programme:correction"),
        explanation=lambda: _("This ends when you report on its page what was corrected."),
        can_set_aside=False,
    ),
    FollowUp.Kind.PLAN_REVIEW: RecordClosure(
        action_label=lambda: _("Record the review"),
        action_url=_url("programme:plan"),
        explanation=lambda: _("This ends when the review is recorded on the plan's page."),
        can_set_aside=False,
    ),
    FollowUp.Kind.ACTIVITY: RecordClosure(
        action_label=lambda: _("Open the activity"),
        action_url=_url("programme:activity"),
        explanation=lambda: _(
            "This reminder ends when the activity is over. If you cannot come, cancel your place on its page."
        ),
        can_set_aside=False,
    ),
}


def register_hooks() -> None:
    for key, message in MESSAGES.items():
        messages.CATALOGUE.setdefault(key, message)
    for kind, closure in CLOSURES.items():
        register_record_closure(kind, closure)
    workload.REASON_LABELS[CARE_REASON] = gettext_lazy("practical support recorded in a difficult time")
