"""The talks app's part of the organisation's figures (``wellbeing.figures``) and of the workload
signals (``wellbeing.workload``): who was talked to this year, whose talk is long overdue, who has
had no talk in a long time. Registered in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from talks.models import TalkParticipant
from wellbeing.figures import Category, Dimension, Indicator, Period, register_dimension
from wellbeing.models import FollowUp, Person
from wellbeing.workload import Signal, register_signal


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def classify_coverage(period: Period, people: Collection[int]) -> Mapping[int, str]:
    """The people who took part in a talk held in the period (up to its ``now``). Every talk counts,
    restricted ones too: the figure is a count (access.md, "talk: who/when/kind - leading group:
    counts"), as in the talks coverage by unit. One query."""
    talked = (
        TalkParticipant.objects.filter(
            person_id__in=people, talk__held_at__gte=period.start_at, talk__held_at__lt=period.now
        )
        .values_list("person_id", flat=True)
        .distinct()
    )
    return dict.fromkeys(talked, "talked")


def detect_overdue(today: date) -> Collection[int]:
    """Active people with an open (or snoozed) "talk due" whose due date is more than
    ``WORKLOAD_TALK_OVERDUE_DAYS`` days before ``today``. One query."""
    cutoff = _start_of(today - timedelta(days=settings.WORKLOAD_TALK_OVERDUE_DAYS))
    return set(
        FollowUp.objects.filter(
            kind=FollowUp.Kind.TALK_DUE,
            status__in=FollowUp.ACTIVE_STATUSES,
            due_at__lt=cutoff,
            person__in=Person.objects.active(),
        ).values_list("person_id", flat=True)
    )


def detect_no_talk(today: date) -> Collection[int]:
    """Active people whose last talk (any, up to ``today``) was more than ``WORKLOAD_NO_TALK_DAYS``
    days ago, or who were never talked to, joined longer ago than that, and have been in the system
    that long (so a new deployment, whose talks before it are not recorded, flags nobody at first).
    One query."""
    cutoff_day = today - timedelta(days=settings.WORKLOAD_NO_TALK_DAYS)
    cutoff = _start_of(cutoff_day)
    held = "talk_participations__talk__held_at"
    never = Q(last__isnull=True) & Q(created_at__lt=cutoff) & (Q(hire_date__lt=cutoff_day) | Q(hire_date__isnull=True))
    return set(
        Person.objects.active()
        .annotate(last=Max(held, filter=Q(**{f"{held}__lt": _start_of(today + timedelta(days=1))})))
        .filter(Q(last__lt=cutoff) | never)
        .values_list("pk", flat=True)
    )


def register() -> None:
    register_dimension(
        Dimension(
            key="talks.coverage",
            title=_("Heart-to-heart talks"),
            categories=(
                Category("none", _("no talk this year"), "#dee2e6"),
                Category("talked", _("talked to this year"), "#2f9e44"),
            ),
            default="none",
            indicators=(Indicator("talks.coverage", _("talk coverage"), ("talked",)),),
            classify=classify_coverage,
            chart=("talked",),
            explanation=_(
                "People who took part in at least one heart-to-heart talk held this year, individual or "
                "group, whatever its confidentiality; only the count is shown."
            ),
            order=10,
        )
    )
    register_signal(Signal("talks.overdue", _("a talk overdue"), detect_overdue, order=10))
    register_signal(Signal("talks.none_long", _("no talk in a long time"), detect_no_talk, order=20))
