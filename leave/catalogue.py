"""The leave app's messages (follow-up titles and inbox items: a reference, a name, dates, never a
reason), what ends a leave-approval follow-up (the decision), and its menu items."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leave import services
from wellbeing import messages, policy
from wellbeing.models import FollowUp
from wellbeing.services import RecordClosure

MESSAGES = {
    services.APPROVAL_TITLE: messages.Message(title=gettext_lazy("Leave request %(ref)s from %(name)s to decide")),
    services.DECIDED_TITLE: messages.Message(
        title=gettext_lazy("Your leave request %(ref)s: %(status)s"),
        choices={"status": "leave.LeaveRequest.status"},
    ),
    services.CARE_DRAFT_TITLE: messages.Message(
        title=gettext_lazy("A leave request %(ref)s has been drafted for you"),
        body=gettext_lazy("Check the dates and send it, or withdraw it."),
    ),
    services.CONFIRM_TITLE: messages.Message(title=gettext_lazy("Confirm rest-day work of %(name)s on %(date)s")),
    services.EXPIRY_TITLE: messages.Message(
        title=gettext_lazy("%(days)s days of time off in lieu expire on %(date)s: plan them")
    ),
    services.REST_TITLE: messages.Message(
        title=gettext_lazy("Plan leave with %(name)s"),
        body=gettext_lazy(
            "Annual leave taken this year: %(taken)s of %(entitled)s days; unused time off in lieu: %(toil)s days."
        ),
    ),
}


def register() -> None:
    for key, message in MESSAGES.items():
        messages.CATALOGUE.setdefault(key, message)


def _request_url(followup: FollowUp) -> str | None:
    return reverse("leave:request", args=[followup.subject_id]) if followup.subject_id else None


LEAVE_APPROVAL_CLOSURE = RecordClosure(
    action_label=lambda: _("Open the request"),
    action_url=_request_url,
    explanation=lambda: _("This ends when the request is approved or rejected (or withdrawn)."),
    can_set_aside=False,
)


def navigation(user) -> list[tuple[str, str]]:
    items = []
    if policy.can(user, "leave.own"):
        items.append((_("My leave"), reverse("leave:mine")))
    if policy.can(user, "leave.team"):
        items.append((_("Team leave"), reverse("leave:approvals")))
    if policy.can(user, "leave.report"):
        items.append((_("Leave reports"), reverse("leave:report")))
    return items
