"""The cases app's messages (follow-up titles: a case's reference and nothing clinical) and what
ends a case's contact follow-up (a contact recorded on the case)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.services import common
from wellbeing import messages
from wellbeing.models import FollowUp
from wellbeing.services import RecordClosure

MESSAGES = {
    common.CONTACT_TITLE: messages.Message(title=gettext_lazy("Case contact due: %(ref)s")),
    common.BREAK_GLASS_TITLE: messages.Message(
        title=gettext_lazy("Emergency access to case %(ref)s by %(name)s: review it")
    ),
    common.CLOSURE_TITLE: messages.Message(title=gettext_lazy("Closure of case %(ref)s to approve")),
    common.PERSON_LEFT_TITLE: messages.Message(
        title=gettext_lazy("Case %(ref)s: the person left the organisation, review it")
    ),
}


def register() -> None:
    for key, message in MESSAGES.items():
        messages.CATALOGUE.setdefault(key, message)


def _case_url(followup: FollowUp) -> str | None:
    return reverse("cases:detail", args=[followup.subject_id]) if followup.subject_id else None


CASE_CONTACT_CLOSURE = RecordClosure(
    action_label=lambda: _("Open the case"),
    action_url=_case_url,
    explanation=lambda: _("This ends when a contact is recorded on the case (a note with a contact)."),
    can_set_aside=False,
)
