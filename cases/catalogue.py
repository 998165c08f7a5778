"""The cases app's messages (follow-up titles: a case's reference and nothing clinical) and what
ends a case's contact follow-up (a contact recorded on the case)."""

from __future__ import annotations

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.rules import cases_visible_to
from cases.services import common
from wellbeing import messages, policy
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


def triage_page(user, referral) -> str | None:
    """The referral's triage page, for whoever may triage it (wellbeing.views.referrals.TRIAGE_PAGES)."""
    return reverse("cases:triage", args=[referral.pk]) if policy.can(user, "case.triage", referral) else None


def person_page_links(user, person) -> list[tuple[str, str, str]]:
    """The person's open case (or latest one), on their profile, for whoever may open it."""
    case = (
        cases_visible_to(user)
        .filter(person=person)
        .order_by(F("closed_at").desc(nulls_first=True), "-created_at")
        .first()
    )
    if case is None:
        return []
    return [(_("Case %(ref)s") % {"ref": case.reference}, reverse("cases:detail", args=[case.pk]), "outline-danger")]


def navigation(user) -> list[tuple[str, str]]:
    """Menu items: the caseload (and intake) for the counselling team, emergency access for an
    administrator, and asking for help for everyone with a staff record."""
    items = []
    if policy.can(user, "case.board"):
        items.append((_("Caseload"), reverse("cases:board")))
    if policy.can(user, "case.break_glass") and not policy.can(user, "case.board"):
        # Counsellors find it on the caseload page; administrators, who have no caseload, here.
        items.append((_("Emergency access"), reverse("cases:break-glass")))
    if policy.can(user, "case.self_refer"):
        items.append((_("Ask for help"), reverse("cases:self-referral")))
    return items


def _case_url(followup: FollowUp) -> str | None:
    return reverse("cases:detail", args=[followup.subject_id]) if followup.subject_id else None


CASE_CONTACT_CLOSURE = RecordClosure(
    action_label=lambda: _("Open the case"),
    action_url=_case_url,
    explanation=lambda: _("This ends when a contact is recorded on the case (a note with a contact)."),
    can_set_aside=False,
)
