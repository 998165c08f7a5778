"""Reads for talks, scoped by the access policy. Reads of recorded text are audited here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from talks.models import CadencePolicy, Talk, TalkAction, TalkParticipant
from talks.rules import TEXT_FIELDS, talks_visible_to
from wellbeing import policy
from wellbeing.audit import audit_sensitive_read, audit_sensitive_reads
from wellbeing.models import FollowUp, OrgUnit, Person


@dataclass(frozen=True)
class TalkFilters:
    person: Person | None = None
    unit: OrgUnit | None = None
    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None


def talk_list_for_user(*, user, filters: TalkFilters | None = None) -> QuerySet[Talk]:
    """Talks the user may see (who/when/kind), with participants loaded: a fixed number of queries."""
    f = filters or TalkFilters()
    qs = (
        talks_visible_to(user)
        .select_related("led_by__person")
        .prefetch_related(
            Prefetch("participations", queryset=TalkParticipant.objects.select_related("person__unit").order_by("id"))
        )
    )
    if f.person is not None:
        qs = qs.filter(participations__person=f.person)
    if f.unit is not None:
        qs = qs.filter(participations__person__unit__path__startswith=f.unit.path)
    if f.date_from is not None:
        qs = qs.filter(held_at__date__gte=f.date_from)
    if f.date_to is not None:
        qs = qs.filter(held_at__date__lte=f.date_to)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    return qs.distinct().order_by("-held_at", "-id")


def talk_get_for_user(*, user, talk_id) -> Talk:
    try:
        return talk_list_for_user(user=user).get(pk=int(talk_id))
    except (Talk.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


@dataclass(frozen=True)
class TalkText:
    main_content: str | None
    difficulties: str | None
    suggestions: str | None
    shared_summary: str | None


def talk_text_for_user(*, user, talk: Talk) -> TalkText:
    """The recorded text the user may read - all of it for the leader, the shared summary for the
    participants, nothing for anyone else - and an audit record of what was shown."""
    visible = policy.visible_fields(user, talk)
    fields = [name for name in TEXT_FIELDS if name in visible]
    text = TalkText(*(getattr(talk, name) if name in visible else None for name in TEXT_FIELDS))
    if not fields:
        return text
    participants = [p.person for p in talk.participations.all()]
    audit_sensitive_read(
        actor=user, target=talk, fields=fields, subject_person=participants[0] if len(participants) == 1 else None
    )
    return text


def my_talk_summaries(*, user, limit: int = 50) -> list[tuple[Talk, str]]:
    """The talks the user took part in, with the summary shared with them (and nothing else). The
    reads are audited in one statement, so the page runs a fixed number of queries."""
    access = policy.access_for(user)
    if access.person is None:
        return []
    talks = list(
        talks_visible_to(user)
        .filter(participations__person=access.person)
        .select_related("led_by__person")
        .order_by("-held_at", "-id")[:limit]
    )
    audit_sensitive_reads(actor=user, targets=talks, fields=["shared_summary"], subject_person=access.person)
    return [(t, t.shared_summary) for t in talks]


def actions_for_talk(*, user, talk: Talk) -> list[TalkAction]:
    """The talk's agreed actions: all of them for the leader; for a supervisor, those for people in
    their units; for anyone else (e.g. a participant), the actions they own."""
    actions = list(talk.actions.select_related("owner__person", "person__unit", "followup").order_by("due_date", "id"))
    if talk.led_by_id == user.pk:
        return actions
    if talk.is_restricted:  # a restricted talk's actions reach only its leader and each action's owner
        return [a for a in actions if a.owner_id == user.pk]
    return [a for a in actions if a.owner_id == user.pk or policy.supervises(user, a.person)]


def open_actions_for_person(*, user, person: Person) -> list[TalkAction]:
    """Unfinished actions from earlier talks with this person, to carry into the next talk."""
    if not policy.supervises(user, person):
        return []
    return list(
        TalkAction.objects.filter(person=person, followup__status__in=FollowUp.ACTIVE_STATUSES)
        .filter(Q(talk__confidentiality=Talk.Confidentiality.NORMAL) | Q(talk__led_by=user))
        .select_related("owner__person", "followup", "talk")
        .order_by("due_date", "id")
    )


@dataclass
class CadenceRow:
    person: Person
    last_talk: date | None
    interval_days: int
    due: date | None
    status: str  # "never", "overdue", "due_soon", "ok"


def cadence_overview(*, user, unit: OrgUnit | None = None) -> tuple[list[CadenceRow], float | None]:
    """Every active report of the supervisor with their last talk, cadence and status, and the
    coverage: the share talked to within their cadence. Four queries whatever the size."""
    if not policy.can(user, "talk.overview"):
        raise Http404
    people = policy.reports_of(user).select_related("unit")
    if unit is not None:
        people = people.filter(unit__path__startswith=unit.path)
    # Restricted talks another supervisor led stay out of sight, even as a date.
    visible = Q(talk_participations__talk__confidentiality=Talk.Confidentiality.NORMAL) | Q(
        talk_participations__talk__led_by=user
    )
    people = list(
        people.annotate(last_talk=Max("talk_participations__talk__held_at", filter=visible)).order_by(
            "unit__path", "full_name"
        )
    )
    own = dict(CadencePolicy.objects.filter(person__in=people).values_list("person_id", "interval_days"))
    by_unit = dict(CadencePolicy.objects.filter(unit__isnull=False).values_list("unit__path", "interval_days"))
    today = timezone.localdate()
    rows = []
    for p in people:
        interval = own.get(p.pk)
        if interval is None:
            path = p.unit.path
            while path and interval is None:
                interval = by_unit.get(path)
                path = path[: -OrgUnit.steplen]
        interval = interval or settings.TALK_CADENCE_DAYS
        last = timezone.localdate(p.last_talk) if p.last_talk else None
        due = last + timedelta(days=interval) if last else None
        if last is None:
            status = "never"
        elif due < today:
            status = "overdue"
        elif due <= today + timedelta(days=14):
            status = "due_soon"
        else:
            status = "ok"
        rows.append(CadenceRow(p, last, interval, due, status))
    covered = sum(1 for r in rows if r.status in ("ok", "due_soon"))
    coverage = covered / len(rows) if rows else None
    return rows, coverage


def people_for_picker(*, user, query: str, limit: int = 20) -> list[Person]:
    """People the supervisor may log a talk with, found by name, pinyin or pinyin initials."""
    if not policy.can(user, "talk.log"):
        return []
    qs = policy.reports_of(user).select_related("unit")
    q = (query or "").strip().lower()[:50].replace("\x00", "")
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(name_pinyin__icontains=q) | Q(external_id__iexact=q))
    return list(qs.order_by("full_name")[:limit])
