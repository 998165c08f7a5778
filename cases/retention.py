"""The cases app's record kind for retention (``wellbeing.retention``): the text of closed cases of
people who left, anonymised five years after the later of the closing and the leaving. Registered on
import from CasesConfig.ready(); the reasons are in docs/data-lifecycle.md."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    BreakGlassGrant,
    Case,
    CaseEvent,
    CaseFlag,
    CaseNote,
    CaseNoteVersion,
    Intervention,
    SafetyPlan,
    Transfer,
)
from wellbeing.models import Person, Referral, Screening
from wellbeing.retention import ANONYMISE, RecordKind, cutoff_date, register_hold, register_kind


def cases_due(cutoff: datetime):
    """Closed cases, not yet anonymised, closed before the cutoff, of people who left before it."""
    return Case.objects.filter(
        status=Case.Status.CLOSED,
        closed_at__lt=cutoff,
        anonymised_at__isnull=True,
        person__status=Person.Status.LEFT,
        person__left_on__lt=cutoff_date(cutoff),
    )


def anonymise_cases(pks: list[int], cutoff: datetime) -> int:
    """Clear every free text of the cases: the closing summary, notes (earlier wordings deleted),
    safety plans, the reasons on the timeline and on flags, interventions, transfers, break-glass
    reasons, and the notes and answers of the referrals and screenings taken in. Kept: status,
    outcome, risk, dates, kinds and who acted - what the figures and the timeline count."""
    CaseNoteVersion.objects.filter(note__case_id__in=pks).delete()
    CaseNote.objects.filter(case_id__in=pks).update(data="", assessment="", plan="", body="")
    SafetyPlan.objects.filter(case_id__in=pks).update(**dict.fromkeys(SafetyPlan.SECTIONS, ""))
    CaseEvent.objects.filter(case_id__in=pks).update(reason="")
    CaseFlag.objects.filter(case_id__in=pks).update(reason="", clear_reason="")
    Intervention.objects.filter(case_id__in=pks).update(details="", service="", outcome="", supervisor_action="")
    Transfer.objects.filter(case_id__in=pks).update(handover_note="", decline_reason="", override_reason="")
    BreakGlassGrant.objects.filter(case_id__in=pks).update(reason="")
    Referral.objects.filter(case_link__case_id__in=pks).update(note="")
    Screening.objects.filter(referral__case_link__case_id__in=pks).update(answers=[], review_reason="")
    return Case.objects.filter(pk__in=pks).update(closing_summary="", anonymised_at=timezone.now())


def people_with_an_open_case():
    """A case still open (the lead counsellor has not closed it after the person left) keeps the
    person and what led to it - their name, the referral's note, the screening answers - as they are."""
    return Case.objects.exclude(status=Case.Status.CLOSED).values("person_id")


def register() -> None:
    register_hold(people_with_an_open_case)
    register_kind(
        RecordKind(
            key="cases.text",
            label=_("cases: notes, safety plans and every other text"),
            default_days=5 * 365,
            anchor=_("the later of the case's closing and the person's leaving"),
            action=ANONYMISE,
            due=cases_due,
            apply=anonymise_cases,
            order=50,
        )
    )


register()
