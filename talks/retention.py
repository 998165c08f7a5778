"""The talks app's record kind for retention (``wellbeing.retention``): the recorded text of talks
whose participants have all left, anonymised five years after the last of them left. Registered on
import from TalksConfig.ready(); the reasons are in docs/data-lifecycle.md."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from talks.models import Talk, TalkAction, TalkAnnotation, TalkParticipant, TalkVersion
from wellbeing.models import FollowUp, Person
from wellbeing.retention import ANONYMISE, RecordKind, cutoff_date, register_kind

#: The text a talk records (everything else - when, kind, occasion, trigger, duration, the state of
#: mind and the concerns as categories, who took part - stays for the figures).
TEXT_FIELDS = ("location", "main_content", "difficulties", "suggestions", "shared_summary")


def talks_due(cutoff: datetime):
    """Talks held before the cutoff, not yet anonymised, with participants all of whom left before it."""
    day = cutoff_date(cutoff)
    still_here = TalkParticipant.objects.filter(talk=OuterRef("pk")).filter(
        ~Q(person__status=Person.Status.LEFT) | Q(person__left_on__gte=day)
    )
    return Talk.objects.filter(
        Exists(TalkParticipant.objects.filter(talk=OuterRef("pk"))),
        held_at__lt=cutoff,
        anonymised_at__isnull=True,
    ).exclude(Exists(still_here))


def anonymise_talks(pks: list[int], cutoff: datetime) -> int:
    """Clear the talks' text, their earlier versions and annotations, and their agreed actions' text."""
    TalkVersion.objects.filter(talk_id__in=pks).delete()
    TalkAnnotation.objects.filter(talk_id__in=pks).delete()
    TalkAction.objects.filter(talk_id__in=pks).update(description="")
    # The follow-ups tracking those actions carry a copy of the text as their title (shown, once
    # cleared, as the kind: "Agreed action") and the owner's words on how it went.
    followups = TalkAction.objects.filter(talk_id__in=pks, followup__isnull=False).values("followup_id")
    FollowUp.objects.filter(pk__in=followups).update(title="", outcome="", snooze_reason="")
    return Talk.objects.filter(pk__in=pks).update(**dict.fromkeys(TEXT_FIELDS, ""), anonymised_at=timezone.now())


def register() -> None:
    register_kind(
        RecordKind(
            key="talks.text",
            label=_("heart-to-heart talks: the recorded text"),
            default_days=5 * 365,
            anchor=_("the day the last participant left"),
            action=ANONYMISE,
            due=talks_due,
            apply=anonymise_talks,
            order=40,
        )
    )


register()
