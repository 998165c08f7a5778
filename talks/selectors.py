"""Reads for talks, scoped by the access policy. Reads of recorded text are audited here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from talks.models import CadencePolicy, Talk, TalkAction, TalkParticipant, TalkRequest
from talks.rules import TEXT_FIELDS, talks_visible_to
from wellbeing import policy
from wellbeing.audit import audit_sensitive_read, audit_sensitive_reads
from wellbeing.models import FollowUp, OrgUnit, Person, Role


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


def people_talked_to_on(*, user, people: list[Person], day: date) -> list[Person]:
    """Those of ``people`` with a talk the user may see held on ``day`` (the organisation's date):
    logging a second one that day is asked about first (often the same talk logged twice)."""
    if not people:
        return []
    met = set(
        TalkParticipant.objects.filter(
            talk__in=talks_visible_to(user), talk__held_at__date=day, person__in=people
        ).values_list("person_id", flat=True)
    )
    return [p for p in people if p.pk in met]


@dataclass(frozen=True)
class TalkStanding:
    """Where a person stands in the talk cadence, from one viewer's side: the one source of "never
    talked to", "overdue" and "next talk" for the talk overview, the follow-ups, the person's page and
    the home pages, so they always agree.

    ``next_due`` is the viewer's own open "talk due" for the person when there is one (that is the
    obligation reminders are about); otherwise the last talk plus the cadence; None for someone never
    talked to with nothing scheduled."""

    person: Person
    last_talk: date | None
    interval_days: int
    next_due: date | None
    overdue: bool
    followup: FollowUp | None = None

    @property
    def never(self) -> bool:
        return self.last_talk is None

    @property
    def due(self) -> date | None:  # the overview's column (kept for its template)
        return self.next_due

    @property
    def status(self) -> str:
        """One word for a badge: "overdue" first, then "never" (talked to), "due_soon", "ok"."""
        if self.overdue:
            return "overdue"
        if self.never:
            return "never"
        if self.next_due is not None and self.next_due <= timezone.localdate() + timedelta(days=DUE_SOON_DAYS):
            return "due_soon"
        return "ok"

    @property
    def covered(self) -> bool:
        """Talked to within their cadence: counted in the coverage figure."""
        return self.status in ("ok", "due_soon")


#: "Due soon" on the overview and the home page: within two weeks.
DUE_SOON_DAYS = 14

# Kept as a name for the overview's rows.
CadenceRow = TalkStanding


def _intervals(people: list[Person]) -> dict[int, int]:
    """Each person's cadence (their own, else the nearest unit's, else the default): two queries."""
    own = dict(CadencePolicy.objects.filter(person__in=people).values_list("person_id", "interval_days"))
    by_unit = dict(CadencePolicy.objects.filter(unit__isnull=False).values_list("unit__path", "interval_days"))
    result = {}
    for p in people:
        interval = own.get(p.pk)
        path = p.unit.path
        while interval is None and path:
            interval = by_unit.get(path)
            path = path[: -OrgUnit.steplen]
        result[p.pk] = interval or settings.TALK_CADENCE_DAYS
    return result


def talk_standings(*, user, people: list[Person], aggregate: bool = False) -> dict[int, TalkStanding]:
    """The standing of each of ``people`` (units loaded) as ``user`` may know it: their last talk the
    user may see (normal talks, and restricted ones they led) and the user's own open "talk due".

    ``aggregate``: for figures only (coverage, overdue by unit, never shown per person): every talk and
    every supervisor's obligation counts. Five queries whatever the number of people."""
    if not people:
        return {}
    ids = [p.pk for p in people]
    talks = TalkParticipant.objects.filter(person_id__in=ids)
    dues = FollowUp.objects.filter(
        kind=FollowUp.Kind.TALK_DUE, status__in=FollowUp.ACTIVE_STATUSES, person_id__in=ids
    ).order_by("due_at", "id")
    if not aggregate:
        talks = talks.filter(Q(talk__confidentiality=Talk.Confidentiality.NORMAL) | Q(talk__led_by=user))
        dues = dues.filter(owner=user)
    last = dict(talks.values("person_id").annotate(last=Max("talk__held_at")).values_list("person_id", "last"))
    first_due: dict[int, FollowUp] = {}
    for f in dues:
        first_due.setdefault(f.person_id, f)
    intervals = _intervals(people)
    now = timezone.now()
    result = {}
    for p in people:
        held = timezone.localdate(last[p.pk]) if last.get(p.pk) else None
        f = first_due.get(p.pk)
        if f is not None:
            next_due = timezone.localdate(f.due_at)
            overdue = f.due_at < now and not (f.snoozed_until and f.snoozed_until > now)
        elif held is not None:
            next_due = held + timedelta(days=intervals[p.pk])
            overdue = next_due < timezone.localdate()
        else:
            next_due, overdue = None, False
        result[p.pk] = TalkStanding(p, held, intervals[p.pk], next_due, overdue, f)
    return result


def cadence_overview(*, user, unit: OrgUnit | None = None) -> tuple[list[TalkStanding], float | None]:
    """Every active report of the supervisor with their standing (``talk_standings``), and the
    coverage: the share talked to within their cadence. A fixed number of queries."""
    if not policy.can(user, "talk.overview"):
        raise Http404
    people = policy.reports_of(user).select_related("unit")
    if unit is not None:
        people = people.filter(unit__path__startswith=unit.path)
    people = list(people.order_by("unit__path", "name_pinyin", "full_name"))
    standings = talk_standings(user=user, people=people)
    rows = [standings[p.pk] for p in people]
    coverage = sum(1 for r in rows if r.covered) / len(rows) if rows else None
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


# --- Home pages (talks/home.py) -------------------------------------------------------------------------


def _open_dues():
    return FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, status__in=FollowUp.ACTIVE_STATUSES)


def talks_due_for_home(*, user, within_days: int, limit: int) -> tuple[list[FollowUp], int]:
    """The supervisor's own open "talk due" follow-ups that are overdue or due within ``within_days``,
    soonest first (the person and unit loaded), and how many there are."""
    horizon = timezone.now() + timedelta(days=within_days)
    qs = (
        _open_dues()
        .filter(owner=user, person__isnull=False, due_at__lte=horizon)
        .select_related("person__unit")
        .order_by("due_at", "id")
    )
    return list(qs[:limit]), qs.count()


def open_actions_for_home(*, user, limit: int) -> tuple[list[FollowUp], int]:
    """Agreed actions the user owns that are still open, soonest first."""
    qs = (
        FollowUp.objects.filter(owner=user, kind=FollowUp.Kind.TALK_ACTION, status__in=FollowUp.ACTIVE_STATUSES)
        .select_related("person")
        .order_by("due_at", "id")
    )
    return list(qs[:limit]), qs.count()


@dataclass(frozen=True)
class NextTalk:
    due: date
    owner_name: str


def my_next_talk(*, user) -> NextTalk | None:
    """The earliest talk a supervisor owes the signed-in person: its date and with whom."""
    person = policy.access_for(user).person
    if person is None:
        return None
    f = _open_dues().filter(person=person).select_related("owner__person").order_by("due_at", "id").first()
    if f is None:
        return None
    owner = getattr(f.owner, "person", None)
    return NextTalk(timezone.localdate(f.due_at), owner.full_name if owner is not None else f.owner.get_username())


def my_open_talk_request(*, user) -> TalkRequest | None:
    person = policy.access_for(user).person
    if person is None:
        return None
    return TalkRequest.objects.filter(person=person, answered_at__isnull=True).first()


def open_talk_requests(*, people: list[Person]) -> set[int]:
    """Which of ``people`` asked for a talk that has not happened yet (one query)."""
    if not people:
        return set()
    return set(
        TalkRequest.objects.filter(person__in=people, answered_at__isnull=True).values_list("person_id", flat=True)
    )


@dataclass(frozen=True)
class CoverageRow:
    label: str
    people: int | None  # None: withheld (fewer than k)
    coverage: float | None
    overdue: int | None


def coverage_by_unit(*, user) -> tuple[list[CoverageRow], CoverageRow]:
    """Talk coverage (the share of active staff talked to within their cadence) and talks overdue by
    unit, for the units the reader oversees: the units directly below an HR officer's units, or below
    the top of the organisation for the leading group, plus one row for the people attached to the top
    unit itself. Counts only (access.md, "k >= 5"): every person is in exactly one row, a row over
    fewer than STATS_MIN_GROUP_SIZE people is withheld, and the total is withheld too when the rows
    withheld would add up to fewer than that (it could be subtracted from the rows shown)."""
    if not policy.can(user, "talk.coverage"):
        raise Http404
    roots = policy.access_for(user).units_for(Role.HR_OFFICER)
    if policy.can(user, "stats.view") or not roots:
        roots = list(OrgUnit.objects.filter(depth=1))
    # A unit inside another root is covered by that root already.
    roots = sorted(
        {r.path: r for r in roots if not any(o.path != r.path and r.path.startswith(o.path) for o in roots)}.values(),
        key=lambda u: u.path,
    )
    children = {r.path: [] for r in roots}
    for u in OrgUnit.objects.filter(policy.subtree_q(roots, prefix="")).order_by("path"):
        for r in roots:
            if u.path.startswith(r.path) and u.depth == r.depth + 1:
                children[r.path].append(u)
    people = list(Person.objects.active().filter(policy.subtree_q(roots)).select_related("unit"))
    standings = talk_standings(user=user, people=people, aggregate=True)
    groups: list[tuple[str, list[TalkStanding]]] = []
    for r in roots:
        for child in children[r.path]:
            groups.append((child.name, [standings[p.pk] for p in people if p.unit.path.startswith(child.path)]))
        direct = [standings[p.pk] for p in people if p.unit.path == r.path]
        if direct:
            groups.append((_("%(unit)s (directly)") % {"unit": r.name}, direct))
    rows = [_coverage_row(label, group) for label, group in groups]
    total = _coverage_row("", list(standings.values()))
    withheld = sum(len(group) for (_label, group), row in zip(groups, rows, strict=True) if row.people is None)
    if 0 < withheld < settings.STATS_MIN_GROUP_SIZE:
        total = CoverageRow("", None, None, None)
    return rows, total


def _coverage_row(label: str, standings: list[TalkStanding]) -> CoverageRow:
    n = len(standings)
    if n < settings.STATS_MIN_GROUP_SIZE:
        return CoverageRow(label, None, None, None)
    return CoverageRow(label, n, sum(1 for s in standings if s.covered) / n, sum(1 for s in standings if s.overdue))
