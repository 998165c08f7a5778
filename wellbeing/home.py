"""Each role's home page as today's work (issue 8): what the reader owes first, then what they
watch. The page is a list of sections; each app contributes its own from its AppConfig.ready()
through ``HOME_SECTIONS``, and the core adds the follow-up figures, the counselling work, the intake
queue, the referrals one made and the leading group's figures. Every section reads through
selectors, scoped by the access policy; what a section shows depends only on the policy's answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from wellbeing import policy, selectors
from wellbeing.models import FollowUp, Tier


@dataclass(frozen=True)
class HomeItem:
    """One line of work: what it is, a detail line, where it opens, and an optional one-tap action."""

    text: str
    detail: str = ""
    url: str = ""
    tier: str = ""  # a priority badge (red first)
    badges: tuple[tuple[str, str], ...] = ()  # (label, bootstrap style)
    action: tuple[str, str] | None = None  # (label, url): e.g. "Log the talk"
    key: str = ""  # a stable id for tests (data-key)


@dataclass(frozen=True)
class HomeFigure:
    """A count that links to the rows it counts. ``value`` None: withheld (fewer than k people)."""

    key: str
    label: str
    value: int | None
    url: str = ""
    style: str = ""  # "danger" for something overdue


@dataclass(frozen=True)
class HomeTable:
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]  # cells: str, int or None (withheld)
    note: str = ""


@dataclass(frozen=True)
class HomeSection:
    key: str  # stable: the section's data-testid
    title: str
    order: int  # lower first: what one owes (10-49) before what one watches (50-99)
    items: tuple[HomeItem, ...] = ()
    figures: tuple[HomeFigure, ...] = ()
    table: HomeTable | None = None
    empty: str = ""  # what to do next when there is nothing
    links: tuple[tuple[str, str], ...] = ()  # (label, url)
    more: int = 0  # items not shown (the link goes to all of them)
    form: tuple[str, str] | None = None  # (button label, POST url): a one-tap request
    note: str = ""  # a line under the title

    @property
    def is_empty(self) -> bool:
        return not (self.items or self.figures or self.table or self.form or self.note)


#: Callables (request) -> list[HomeSection]. Apps append theirs from AppConfig.ready().
HOME_SECTIONS: list[Callable] = []

#: Items shown per list before "all N".
LIMIT = 8


def sections_for(request) -> list[HomeSection]:
    found: dict[str, HomeSection] = {}
    for provider in [*CORE_SECTIONS, *HOME_SECTIONS]:
        for section in provider(request):
            found.setdefault(section.key, section)
    return sorted(found.values(), key=lambda s: (s.order, s.key))


def _followups_url(**params) -> str:
    return f"{reverse('followups:mine')}?{urlencode(params)}"


def _due_label(f: FollowUp) -> str:
    return _("due %(when)s") % {"when": timezone.localtime(f.due_at).strftime("%Y-%m-%d %H:%M")}


def _followup_item(f: FollowUp) -> HomeItem:
    overdue = f.due_at < timezone.now()
    who = f.person.full_name if f.person_id and not f.confidential else ""
    detail = " · ".join(x for x in (str(f.get_kind_display()), who, _due_label(f)) if x)
    badges = ((_("overdue"), "danger"),) if overdue else ()
    return HomeItem(
        text=f.display_title,
        detail=detail,
        url=reverse("followups:detail", args=[f.pk]),
        tier=f.tier,
        badges=badges,
        key=f"followup-{f.pk}",
    )


def followup_figures(request) -> list[HomeSection]:
    """Everyone who owns work: overdue and due within a week, each linking to exactly those rows."""
    user = request.user
    if not policy.can(user, "followup.mine"):
        return []
    counts = selectors.home_followup_counts(user=user)
    figures = (
        HomeFigure(
            "overdue",
            _("overdue"),
            counts["overdue"],
            _followups_url(bucket="overdue"),
            "danger" if counts["overdue"] else "",
        ),
        HomeFigure("week", _("due within 7 days"), counts["week"], _followups_url(bucket="week")),
    )
    return [HomeSection("my-figures", _("Your follow-ups"), 10, figures=figures)]


def counselling_work(request) -> list[HomeSection]:
    """Counsellors and the lead counsellor: red and orange first, then what is due within a week."""
    user = request.user
    if not policy.can(user, "home.caseload"):
        return []
    urgent, due, urgent_total, due_total = selectors.home_counselling_work(user=user, limit=LIMIT)
    return [
        HomeSection(
            "urgent",
            _("Red and orange"),
            20,
            items=tuple(_followup_item(f) for f in urgent),
            more=urgent_total - len(urgent),
            links=((_("All urgent follow-ups"), _followups_url(bucket="overdue", tier=Tier.RED)),)
            if urgent_total > len(urgent)
            else (),
            empty=_("Nothing red or orange. Check what is due next, then the intake.")
            if policy.can(user, "referral.intake")
            else _("Nothing red or orange. What is due next is below."),
        ),
        HomeSection(
            "due",
            _("Due within 7 days"),
            30,
            items=tuple(_followup_item(f) for f in due),
            more=due_total - len(due),
            links=((_("All your follow-ups"), _followups_url(bucket="week")),),
            empty=_("Nothing else due this week."),
        ),
    ]


def intake(request) -> list[HomeSection]:
    """The lead counsellor: referrals not yet taken in or closed, most urgent first, then oldest."""
    user = request.user
    if not policy.can(user, "referral.intake"):
        return []
    queue = selectors.intake_queue(user=user)
    items = tuple(
        HomeItem(
            text=r.person.full_name,
            detail=" · ".join(
                (
                    str(r.get_urgency_display()),
                    str(r.get_status_display()),
                    timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                )
            ),
            url=reverse("referral-detail", args=[r.pk]),
            tier=r.tier,
            key=f"referral-{r.pk}",
        )
        for r in queue[:LIMIT]
    )
    return [
        HomeSection(
            "intake",
            _("Intake: referrals to take in"),
            40,
            items=items,
            more=len(queue) - len(items),
            links=((_("All referrals"), reverse("referrals")),),
            empty=_("No referral is waiting. New referrals appear here and in your inbox."),
        )
    ]


def referrals_made(request) -> list[HomeSection]:
    """Whoever refers people: what became of their referrals (status only, nothing clinical), the
    open ones and those that changed in the last 30 days."""
    recent = timezone.now() - timedelta(days=30)
    rows = [r for r in selectors.referrals_made_by(user=request.user) if r.is_open or r.status_at >= recent]
    if not rows:
        return []
    items = tuple(
        HomeItem(
            text=r.person_name,
            detail=timezone.localtime(r.made_at).strftime("%Y-%m-%d"),
            badges=((r.status_label, "secondary"),),
            url=reverse("referral-detail", args=[r.pk]),
            key=f"referral-{r.pk}",
        )
        for r in rows[:LIMIT]
    )
    return [
        HomeSection(
            "referrals-made",
            _("Referrals you made"),
            45,
            items=items,
            more=len(rows) - len(items),
            links=((_("All your referrals"), reverse("referrals")),),
        )
    ]


def oversight(request) -> list[HomeSection]:
    """The leading group (and the lead counsellor, the administrator): staff by town and office, and
    follow-ups overdue or escalated across the organisation. Counts only; small groups withheld."""
    user = request.user
    sections = []
    if policy.can(user, "followup.overdue_counts"):
        counts = selectors.overdue_followup_counts(user=user)
        sections.append(
            HomeSection(
                "overdue-counts",
                _("Follow-ups across the organisation"),
                60,
                figures=(
                    HomeFigure(
                        "org-overdue", _("overdue"), counts["overdue"], style="danger" if counts["overdue"] else ""
                    ),
                    HomeFigure("org-escalated", _("escalated"), counts["escalated"]),
                ),
            )
        )
    if policy.can(user, "stats.view"):
        rows = selectors.headcount_by_top_unit(user=user)
        sections.append(
            HomeSection(
                "headcounts",
                _("Staff by town and office"),
                80,
                table=HomeTable(
                    headers=(_("Unit"), _("Active staff")),
                    rows=tuple((r["unit"].name, r["count"]) for r in rows),
                    note=_("Figures for groups smaller than five people are withheld."),
                ),
            )
        )
    return sections


def administration(request) -> list[HomeSection]:
    if not policy.can(request.user, "admin.access"):
        return []
    links = [
        (_("Reference data and accounts"), reverse("admin:index")),
        (_("Audit trail"), reverse("admin:wellbeing_auditevent_changelist")),
    ]
    return [HomeSection("admin-links", _("Administration"), 90, links=tuple(links))]


CORE_SECTIONS: list[Callable] = [followup_figures, counselling_work, intake, referrals_made, oversight, administration]
