"""Home page sections of the leave app (wellbeing.home): for a supervisor, the leave requests and the
rest-day work waiting for their decision; for everyone with a staff record, their annual leave left
this year and their requests not decided yet (drafts first: a drafted request waits for them to send
it). Registered from LeaveConfig.ready() through ``wellbeing.home.HOME_SECTIONS``. Nothing here says
why a request was drafted."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leave import selectors
from leave.models import LeaveRequest, OvertimeRecord
from leave.services.ledger import fmt_days
from wellbeing import policy
from wellbeing.home import LIMIT, HomeItem, HomeSection

Status = LeaveRequest.Status


def _dates(r: LeaveRequest) -> str:
    if r.start_date == r.end_date:
        return r.start_date.isoformat()
    return f"{r.start_date.isoformat()} – {r.end_date.isoformat()}"


def _days(days) -> str:
    return _("%(days)s days") % {"days": fmt_days(days)}


def leave_to_decide(request) -> list[HomeSection]:
    """Supervisors: requests and rest-day work of their reports waiting for their decision."""
    user = request.user
    if not policy.can(user, "leave.team"):
        return []
    me = policy.access_for(user).person
    reports = policy.reports_q(user, prefix="person__")
    requests = (
        selectors.requests_visible_to(user)
        .filter(reports, status=Status.PENDING)
        .select_related("person__unit", "leave_type")
        .order_by("start_date", "id")
    )
    records = (
        selectors.overtime_visible_to(user)
        .filter(reports, status=OvertimeRecord.Status.PENDING)
        .select_related("person__unit")
        .order_by("work_date", "id")
    )
    if me is not None:
        requests, records = requests.exclude(person=me), records.exclude(person=me)
    shown_requests = [r for r in requests[: LIMIT + 1] if policy.can(user, "leave.approve", r)]
    shown_records = [o for o in records[: LIMIT + 1] if policy.can(user, "leave.confirm_overtime", o)]
    if not shown_requests and not shown_records:
        return []
    approvals = reverse("leave:approvals")
    items = [
        HomeItem(
            text=r.person.full_name,
            detail=" · ".join((r.leave_type.name, _dates(r), _days(r.days))),
            url=reverse("leave:request", args=[r.pk]),
            badges=((_("to decide"), "warning"),),
            key=f"leave-request-{r.pk}",
        )
        for r in shown_requests
    ] + [
        HomeItem(
            text=o.person.full_name,
            detail=" · ".join(
                (_("rest-day work"), o.work_date.isoformat(), _("%(hours)s h") % {"hours": fmt_days(o.hours)})
            ),
            url=f"{approvals}#overtime-{o.pk}",
            badges=((_("to confirm"), "warning"),),
            key=f"leave-overtime-{o.pk}",
        )
        for o in shown_records
    ]
    more = 0
    if len(items) > LIMIT:
        more = requests.count() + records.count() - LIMIT
    return [
        HomeSection(
            "leave-to-decide",
            _("Leave to decide"),
            22,
            items=tuple(items[:LIMIT]),
            more=more,
            links=((_("Approvals"), approvals), (_("Team calendar"), reverse("leave:team"))),
        )
    ]


def my_leave(request) -> list[HomeSection]:
    """Everyone with a staff record: annual leave left this year, and requests not decided yet."""
    user = request.user
    if not policy.can(user, "leave.own"):
        return []
    me = policy.access_for(user).person
    year = timezone.localdate().year
    annual, in_lieu = selectors.balances_for(me, year)
    mine = reverse("leave:mine")
    items = [
        HomeItem(
            text=_("Annual leave %(year)s: %(days)s days left") % {"year": year, "days": fmt_days(annual.available)},
            detail=_("entitled %(entitled)s · taken %(taken)s · waiting for approval %(waiting)s")
            % {
                "entitled": fmt_days(annual.entitled),
                "taken": fmt_days(annual.taken),
                "waiting": fmt_days(annual.pending),
            },
            url=mine,
            key="leave-annual",
        )
    ]
    if in_lieu.balance or in_lieu.pending:
        items.append(
            HomeItem(
                text=_("Time off in lieu: %(days)s days left") % {"days": fmt_days(in_lieu.available)},
                url=f"{reverse('leave:ledger')}?type=in_lieu",
                key="leave-in-lieu",
            )
        )
    waiting = list(
        selectors.requests_visible_to(user)
        .filter(person=me, status__in=[Status.DRAFT, Status.PENDING])
        .select_related("leave_type")
        .order_by("status", "start_date", "id")[:LIMIT]  # "draft" sorts before "pending"
    )
    for r in waiting:
        draft = r.status == Status.DRAFT
        url = reverse("leave:request", args=[r.pk])
        items.append(
            HomeItem(
                text=f"{r.leave_type.name} {r.reference}",
                detail=" · ".join((_dates(r), _days(r.days))),
                url=url,
                badges=((_("not sent yet"), "info"),) if draft else ((_("waiting for approval"), "secondary"),),
                action=(_("Check and send"), url) if draft else None,
                key=f"leave-mine-{r.pk}",
            )
        )
    return [
        HomeSection(
            "my-leave",
            _("My leave"),
            40 if any(r.status == Status.DRAFT for r in waiting) else 70,
            items=tuple(items),
            links=((_("Request leave"), reverse("leave:new")), (_("My leave"), mine)),
        )
    ]


SECTIONS: list = [leave_to_decide, my_leave]
