"""The talks app's part of the home pages, the follow-up rows and the person page: the talks a
supervisor owes (one tap to log each), open agreed actions, a person's next talk and a way to ask
for one, and the talk coverage by unit for HR and the leading group. Every date and status comes from
``selectors.talk_standings``, the one source the talk overview uses too."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from talks import selectors
from wellbeing import policy
from wellbeing.home import LIMIT, HomeFigure, HomeItem, HomeSection, HomeTable
from wellbeing.models import FollowUp


def _log_url(person) -> str:
    return f"{reverse('talks:new')}?{urlencode({'person': person.external_id})}"


def _followups(kind: str) -> str:
    return f"{reverse('followups:mine')}?{urlencode({'kind': kind})}"


def standing_badges(standing, *, requested: bool = False) -> tuple[tuple[str, str], ...]:
    """The same words as the talk overview's status column (templates/talks/_standing.html)."""
    badges = []
    if standing.overdue:
        badges.append((_("overdue"), "danger"))
    if standing.never:
        badges.append((_("never talked to"), "secondary"))
    if requested:
        badges.append((_("asked for a talk"), "info"))
    return tuple(badges)


def _has_other_work(user) -> bool:
    """Whether the home page has the user's role work on it (not only their own as staff)."""
    return any(
        policy.can(user, action)
        for action in ("talk.log", "home.caseload", "talk.coverage", "stats.view", "admin.access")
    )


def talks_due(request) -> list[HomeSection]:
    """A supervisor's talks owed: overdue or due within two weeks, soonest first, each with "Log"."""
    user = request.user
    if not policy.can(user, "talk.log"):
        return []
    dues, total = selectors.talks_due_for_home(user=user, within_days=selectors.DUE_SOON_DAYS, limit=LIMIT)
    people = [f.person for f in dues]
    standings = selectors.talk_standings(user=user, people=people)
    requested = selectors.open_talk_requests(people=people)
    items = []
    for f in dues:
        s = standings[f.person_id]
        last = _("last talk %(date)s") % {"date": s.last_talk} if s.last_talk else ""
        due = _("next talk %(date)s") % {"date": s.next_due} if s.next_due else ""
        items.append(
            HomeItem(
                text=f.person.full_name,
                detail=" · ".join(x for x in (f.person.unit.name, due, last) if x),
                url=reverse("talks:person", args=[f.person.external_id]),
                badges=standing_badges(s, requested=f.person_id in requested),
                action=(_("Log the talk"), _log_url(f.person)),
                key=f"talk-due-{f.person.external_id}",
            )
        )
    return [
        HomeSection(
            "talks-due",
            _("Talks due in the next two weeks"),
            20,
            items=tuple(items),
            more=total - len(items),
            links=(
                (
                    _("All talks due"),
                    _followups(FollowUp.Kind.TALK_DUE),
                ),
                (_("Talk overview"), reverse("talks:overview")),
            ),
            empty=_("No talk is due in the next two weeks. The talk overview shows everyone's next talk."),
        )
    ]


def open_actions(request) -> list[HomeSection]:
    """Agreed actions the user owns, soonest first: for supervisors and for staff alike."""
    user = request.user
    person = policy.access_for(user).person
    if not (policy.can(user, "talk.log") or (person is not None and policy.can(user, "talk.request"))):
        return []
    actions, total = selectors.open_actions_for_home(user=user, limit=LIMIT)
    if not actions and not policy.can(user, "talk.log") and _has_other_work(user):
        return []  # a counsellor with no agreed action: nothing to say here
    now = timezone.now()
    items = tuple(
        HomeItem(
            text=f.display_title,
            detail=" · ".join(
                x
                for x in (
                    f.person.full_name if f.person_id and f.person_id != getattr(person, "pk", None) else "",
                    _("by %(date)s") % {"date": timezone.localdate(f.due_at)},
                )
                if x
            ),
            url=reverse("followups:detail", args=[f.pk]),
            badges=((_("overdue"), "danger"),) if f.due_at < now else (),
            key=f"action-{f.pk}",
        )
        for f in actions
    )
    return [
        HomeSection(
            "open-actions",
            _("Open agreed actions"),
            30,
            items=items,
            more=total - len(items),
            links=(
                (
                    _("All agreed actions"),
                    _followups(FollowUp.Kind.TALK_ACTION),
                ),
            )
            if total
            else (),
            empty=_("No open agreed actions. What you agree in a talk appears here, with its date."),
        )
    ]


def next_talk(request) -> list[HomeSection]:
    """A member of staff: their next talk with their supervisor, and a way to ask for one sooner."""
    user = request.user
    if not policy.can(user, "talk.request"):
        return []
    person = policy.access_for(user).person
    upcoming = selectors.my_next_talk(user=user)
    asked = selectors.my_open_talk_request(user=user)
    supervised = bool(policy.supervisors_of(person))
    other_work = _has_other_work(user)
    if upcoming is None and asked is None and not supervised and other_work:
        return []  # the head of a unit, a counsellor: nobody in Tanxin holds talks with them
    if upcoming is not None:
        who = upcoming.owner_name
        note = _("Your next talk is due by %(date)s with %(name)s.") % {"date": upcoming.due, "name": who}
    else:
        note = _("No talk is scheduled with you yet.")
    if asked is not None:
        note += " " + _("You asked for a talk on %(date)s; your supervisor has been told.") % {
            "date": timezone.localdate(asked.created_at)
        }
        form = None
    elif supervised:
        form = (_("Ask for a talk"), reverse("talks:request"))
    else:
        form = None
        note += " " + _("Nobody supervises you in Tanxin yet: ask your unit's HR officer.")
    return [
        HomeSection(
            "next-talk",
            _("Your next talk"),
            70 if other_work else 20,  # staff first; for a supervisor, after the work they owe
            note=note,
            form=form,
            links=(
                (_("Your talks"), reverse("talks:mine")),
                (_("Everything recorded about you"), reverse("my-records")),
            ),
        )
    ]


def coverage(request) -> list[HomeSection]:
    """HR officers (their units) and the leading group (the whole organisation): the share of staff
    talked to within their cadence and how many talks are overdue, by unit. Counts only; a unit with
    fewer than k people shows neither."""
    user = request.user
    if not policy.can(user, "talk.coverage"):
        return []
    rows, total = selectors.coverage_by_unit(user=user)
    table = HomeTable(
        headers=(_("Unit"), _("Staff"), _("Talked to in time"), _("Talks overdue")),
        rows=tuple(
            (
                r.label,
                r.people,
                None if r.coverage is None else f"{round(r.coverage * 100)}%",
                r.overdue,
            )
            for r in rows
        ),
        note=_("Figures for groups smaller than five people are withheld."),
    )
    figures = ()
    if total.coverage is not None:
        figures = (
            HomeFigure("coverage", _("talked to within their cadence"), round(total.coverage * 100)),
            HomeFigure("talks-overdue", _("talks overdue"), total.overdue, style="danger" if total.overdue else ""),
        )
    return [HomeSection("coverage", _("Heart-to-heart talk coverage"), 50, figures=figures, table=table)]


def followup_badges(user, followups: list[FollowUp]) -> dict[int, tuple[tuple[str, str], ...]]:
    """A talk due's row says "never talked to" (and "overdue") exactly as the overview does."""
    people = [f.person for f in followups if f.person_id is not None and f.owner_id == user.pk]
    prefetch_related_objects(people, "unit")  # the standings need each person's unit: one query for the page
    standings = selectors.talk_standings(user=user, people=people)
    requested = selectors.open_talk_requests(people=people)
    return {
        f.pk: standing_badges(standings[f.person_id], requested=f.person_id in requested)
        for f in followups
        if f.person_id in standings
    }


def person_facts(user, person) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """The person page: last talk and next talk, for their supervisors."""
    if not policy.can(user, "talk.history", person):
        return []
    s = selectors.talk_standings(user=user, people=[person])[person.pk]
    return [
        (_("Last talk"), str(s.last_talk) if s.last_talk else _("never talked to"), ()),
        (
            _("Next talk"),
            str(s.next_due) if s.next_due else "—",
            standing_badges(s, requested=person.pk in selectors.open_talk_requests(people=[person])),
        ),
    ]
