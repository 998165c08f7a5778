"""Home page sections of the cases app (wellbeing.home): a counsellor's caseload (overdue contacts and
imminent or high risk first), the transfers waiting for them, and for the lead counsellor the
unassigned cases and the closures to approve. Registered from CasesConfig.ready() through
``wellbeing.home.HOME_SECTIONS``. Each item is a name, a reference, a risk and a time: nothing clinical.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from cases import selectors
from cases.models import Case, Risk
from wellbeing import policy
from wellbeing.home import LIMIT, HomeItem, HomeSection


def _due(case: Case, now) -> tuple[str, bool]:
    due = selectors.contact_due_label(case)
    if due is None:
        return _("no contact scheduled"), False
    when = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    if due < now:
        return _("contact overdue since %(when)s") % {"when": when}, True
    return _("next contact %(when)s") % {"when": when}, False


def _case_item(case: Case, now) -> HomeItem:
    due, overdue = _due(case, now)
    parts = [case.person.unit.name, case.reference, str(case.get_risk_display()), due]
    badges = ((_("overdue"), "danger"),) if overdue else ()
    return HomeItem(
        text=case.person.full_name,
        detail=" · ".join(p for p in parts if p),
        url=reverse("cases:detail", args=[case.pk]),
        tier=Risk(case.risk).tier,
        badges=badges,
        key=f"case-{case.pk}",
    )


def my_caseload(request) -> list[HomeSection]:
    """Counsellors (and a lead counsellor holding cases): overdue contacts, then imminent and high
    risk, then what is due next - the board's order, the first few."""
    user = request.user
    if not policy.can(user, "case.board"):
        return []
    now = timezone.now()
    rows = list(selectors.case_list_for_user(user=user, mine=True)[: LIMIT + 1])
    if not rows and policy.can(user, "case.team"):
        return []  # a lead counsellor without a caseload of their own: the team sections say it all
    shown = rows[:LIMIT]
    more = 0
    if len(rows) > LIMIT:
        more = selectors.case_list_for_user(user=user, mine=True).count() - LIMIT
    return [
        HomeSection(
            "caseload",
            _("My caseload"),
            25,
            items=tuple(_case_item(c, now) for c in shown),
            more=more,
            links=((_("Caseload board"), reverse("cases:board")),),
            empty=_("No open cases on your caseload."),
        )
    ]


def transfers_for_me(request) -> list[HomeSection]:
    user = request.user
    if not policy.can(user, "case.board"):
        return []
    rows = selectors.transfers_waiting_for(user=user)
    if not rows:
        return []
    items = tuple(
        HomeItem(
            text=t.case.person.full_name,
            detail=" · ".join((t.case.reference, timezone.localtime(t.created_at).strftime("%Y-%m-%d %H:%M"))),
            url=reverse("cases:detail", args=[t.case_id]),
            tier=Risk(t.case.risk).tier,
            badges=((_("accept or decline"), "warning"),),
            key=f"transfer-{t.pk}",
        )
        for t in rows[:LIMIT]
    )
    return [
        HomeSection(
            "case-transfers",
            _("Transfers for you"),
            27,
            items=items,
            more=len(rows) - len(items),
            links=((_("All transfers for you"), reverse("cases:transfers")),),
        )
    ]


def lead_counsellor(request) -> list[HomeSection]:
    """The lead counsellor: cases waiting for a counsellor, and closures waiting for approval."""
    user = request.user
    if not policy.can(user, "case.team"):
        return []
    now = timezone.now()
    unassigned = list(selectors.case_list_for_user(user=user, unassigned=True)[: LIMIT + 1])
    more = 0
    if len(unassigned) > LIMIT:
        more = selectors.case_list_for_user(user=user, unassigned=True).count() - LIMIT
    closures = selectors.closures_to_approve(user=user)
    return [
        HomeSection(
            "unassigned-cases",
            _("Unassigned cases"),
            35,
            items=tuple(_case_item(c, now) for c in unassigned[:LIMIT]),
            more=more,
            links=(
                (_("Assign on the team page"), reverse("cases:team")),
                (_("All unassigned"), f"{reverse('cases:board')}?{urlencode({'view': 'unassigned'})}"),
            ),
            empty=_("Every open case has a counsellor."),
        ),
        HomeSection(
            "closures",
            _("Closures to approve"),
            37,
            items=tuple(
                HomeItem(
                    text=c.person.full_name,
                    detail=" · ".join(
                        (
                            c.reference,
                            _("asked for %(when)s")
                            % {"when": timezone.localtime(c.closure_requested_at).strftime("%Y-%m-%d")},
                        )
                    ),
                    url=reverse("cases:detail", args=[c.pk]),
                    key=f"closure-{c.pk}",
                )
                for c in closures[:LIMIT]
            ),
            more=max(len(closures) - LIMIT, 0),
            empty=_("No closure is waiting."),
        ),
    ]


SECTIONS: list = [my_caseload, transfers_for_me, lead_counsellor]
