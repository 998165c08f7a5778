"""Reads with rules in the core. Every queryset here is scoped to the requesting principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf, StrIndex, Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import lifecycle, policy
from wellbeing.models import Delivery, FollowUp, Notification, OrgUnit, Person, Referral, Role, ScanRun, Stage, Tier
from wellbeing.models.followups import STAGE_BITS
from wellbeing.reminders.routing import second_line


@dataclass(frozen=True)
class PersonFilters:
    unit: OrgUnit | None = None  # this unit and everything under it
    status: str | None = None
    updated_since: datetime | None = None
    search: str | None = None


def person_list_for_user(*, user, filters: PersonFilters | None = None) -> QuerySet[Person]:
    """The people ``user`` may see, filtered; one query with the unit and manager joined."""
    qs = policy.people_visible_to(user).select_related("unit", "manager")
    f = filters or PersonFilters()
    if f.unit is not None:
        qs = qs.filter(unit__path__startswith=f.unit.path)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.updated_since is not None:
        qs = qs.filter(updated_at__gte=f.updated_since)
    if f.search:
        qs = qs.filter(person_search_q(f.search))
    return qs.order_by(*PERSON_PINYIN_ORDER)


def person_search_q(text: str) -> Q:
    """Name, external id, or pinyin as the talk picker finds people: initials ("wj") or full pinyin
    ("wangjing", "wang jing"), in any case. ``Person.name_pinyin`` holds "initials full"."""
    text = text.strip().replace("\x00", "")
    q = Q(full_name__icontains=text) | Q(external_id__iexact=text)
    pinyin = "".join(text.lower().split())
    if pinyin.isascii() and pinyin.isalpha():
        q |= Q(name_pinyin__icontains=pinyin)
    return q


#: Names in pinyin order (the full-pinyin part of "initials full"; a name without Chinese characters
#: has no pinyin and sorts by itself), then by name and id so pages are stable.
PERSON_PINYIN_ORDER = (
    Coalesce(
        NullIf(Substr("name_pinyin", StrIndex("name_pinyin", Value(" ")) + 1), Value("")), Lower("full_name")
    ).asc(),
    "full_name",
    "id",
)


def directory_units_for_user(*, user) -> QuerySet[OrgUnit]:
    """The units the directory's filter offers: all of them to whoever sees everyone (lead counsellor,
    administrator); otherwise the units a unit-scoped role covers (supervisor, HR officer) and below,
    and the units of anyone else the user may see (a report by line management, their own unit)."""
    access = policy.access_for(user)
    if policy.sees_all_people(access):
        return OrgUnit.objects.order_by("path")
    visible_units = policy.people_visible_to(access).values("unit_id")
    q = policy.subtree_q(access.scope_units(), prefix="") | Q(pk__in=visible_units)
    return OrgUnit.objects.filter(q).order_by("path")


# --- What is recorded about me (access.md: staff, "self") -------------------------------------------


def my_followups(*, user, limit: int = 50) -> list[FollowUp]:
    """The follow-ups the user owns that are about themselves (or nobody else): open ones first, then
    the latest done. Agreed actions are left to the talks app's section, and work about other people
    (a supervisor's talk due with a report, a counsellor's case contact) is not a record about me."""
    access = policy.access_for(user)
    if access.person is None:
        return []
    qs = (
        followup_list_for_user(user=user, filters=FollowUpFilters(owner_is_me=True))
        .filter(Q(person=access.person) | Q(person__isnull=True))
        .exclude(kind=FollowUp.Kind.TALK_ACTION)
        .annotate(closed=Case(When(status__in=FollowUp.ACTIVE_STATUSES, then=Value(0)), default=Value(1)))
    )
    return list(qs.order_by("closed", "due_at", "id")[:limit])


@dataclass(frozen=True)
class ReferralStatus:
    """A referral about the reader, as they may see it: that it exists and its status - never the
    reason, urgency, note, source or who made it (access.md, "referral: existence and status")."""

    made_on: date
    status: str
    status_label: str


def referral_statuses_about_me(*, user) -> list[ReferralStatus]:
    access = policy.access_for(user)
    if access.person is None:
        return []
    rows = (
        Referral.objects.filter(person=access.person).order_by("-created_at", "-id").values_list("created_at", "status")
    )
    labels = dict(Referral.Status.choices)
    return [ReferralStatus(timezone.localdate(at), status, str(labels.get(status, status))) for at, status in rows]


def person_get_for_user(*, user, external_id: str) -> Person:
    """One person, or Http404 when they do not exist *or* the user may not see them."""
    if "\x00" in external_id or len(external_id) > Person._meta.get_field("external_id").max_length:
        raise Http404  # cannot exist (and PostgreSQL refuses NUL bytes in text)
    return policy.get_person_or_404(user, external_id=external_id)


def org_unit_list_for_user(*, user, under: OrgUnit | None = None) -> QuerySet[OrgUnit]:
    qs = policy.org_units_visible_to(user)
    if under is not None:
        qs = qs.filter(path__startswith=under.path)
    return qs.order_by("path")


def org_unit_get_for_user(*, user, unit_id: int) -> OrgUnit:
    try:
        return policy.org_units_visible_to(user).get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def suppress_small(count: int) -> int | None:
    """k-anonymity for statistics (access.md, "k >= 5"): a count under the minimum is withheld."""
    return count if count >= settings.STATS_MIN_GROUP_SIZE else None


def headcount_by_top_unit(*, user) -> list[dict]:
    """Active staff per town/office (the second level of the tree), for the leading group's home.

    Counts under the k threshold are suppressed (returned as None).
    """
    if not policy.can(user, "stats.view"):
        raise Http404
    units = list(OrgUnit.objects.filter(depth__lte=2).order_by("path"))
    rows = []
    for root in (u for u in units if u.depth == 1):
        children = [u for u in units if u.depth == 2 and u.path.startswith(root.path)]
        counts = dict(
            Person.objects.active()
            .filter(unit__path__startswith=root.path)
            .values_list("unit__path")
            .annotate(n=Count("id"))
            .values_list("unit__path", "n")
        )
        for child in children:
            total = sum(n for path, n in counts.items() if path.startswith(child.path))
            rows.append({"unit": child, "count": suppress_small(total)})
    return rows


# --- Follow-ups ----------------------------------------------------------------------------------------


BUCKETS = ("overdue", "today", "upcoming", "done")


@dataclass(frozen=True)
class FollowUpFilters:
    bucket: str | None = None
    kind: str | None = None
    tier: str | None = None
    owner_is_me: bool = False


def followup_list_for_user(*, user, filters: FollowUpFilters | None = None, team: bool = False) -> QuerySet:
    """Follow-ups the user may see, in one query with owner and person joined.

    ``team``: the user's team's (units' or counselling team's) open items, excluding their own.
    """

    f = filters or FollowUpFilters()
    qs = policy.followups_visible_to(user).select_related("owner__person", "person")
    if team:
        qs = qs.exclude(owner=user)
    elif f.owner_is_me:
        qs = qs.filter(owner=user)
    now = timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    active = Q(status__in=FollowUp.ACTIVE_STATUSES)
    not_snoozed = Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)
    if f.bucket != "done":
        qs = qs.order_by(Tier.most_urgent_first_expression(), "due_at", "id")  # red first
    if f.bucket == "overdue":
        qs = qs.filter(active, not_snoozed, due_at__lt=now)
    elif f.bucket == "today":
        qs = qs.filter(active, not_snoozed, due_at__gte=now, due_at__lte=end_of_today)
    elif f.bucket == "upcoming":
        qs = qs.filter(active).filter(Q(due_at__gt=end_of_today) | Q(snoozed_until__gt=now))
    elif f.bucket == "done":
        qs = qs.filter(status__in=[FollowUp.Status.DONE, FollowUp.Status.CANCELLED]).order_by("-updated_at", "-id")
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.tier:
        qs = qs.filter(tier=f.tier)
    return qs


def followup_get_for_user(*, user, followup_id) -> object:

    try:
        return policy.followups_visible_to(user).select_related("owner__person", "person").get(pk=int(followup_id))
    except (FollowUp.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def bucket_counts_for_user(*, user) -> dict[str, int]:
    """How many of the user's own follow-ups are overdue / due today / upcoming (one query each)."""
    return {
        b: followup_list_for_user(user=user, filters=FollowUpFilters(bucket=b, owner_is_me=True)).count()
        for b in ("overdue", "today", "upcoming")
    }


def overdue_followup_counts(*, user) -> dict[str, int]:
    """Organisation-wide counts for the leading group's work ledger (access.md: "overdue counts")."""

    if not policy.can(user, "followup.overdue_counts"):
        raise Http404
    active = FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES)
    escalated = [v for v in range(16) if v & STAGE_BITS["escalated"]]
    return {
        "overdue": active.filter(due_at__lt=timezone.now()).count(),
        "escalated": active.filter(stages_sent__in=escalated).count(),
    }


def unread_notification_count(*, user) -> int:

    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list_for_user(*, user) -> QuerySet:

    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def pipeline_status(*, now=None) -> dict:
    """The reminder pipeline's state, for the operations command, the admin view and health checks:
    counts, the last scan, follow-ups the scan set aside, escalations that found nobody, lifecycle
    events whose receivers failed, and configuration errors (``problems``)."""
    now = now or timezone.now()
    active = FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES)
    last = ScanRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
    deliveries = dict(Delivery.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    age = (now - last.finished_at).total_seconds() if last else None
    failing = list(
        active.filter(scan_failures__gt=0)
        .order_by("-scan_failures", "id")
        .values("id", "kind", "scan_failures", "scan_error")[:20]
    )
    status = {
        "open": active.count(),
        "due": active.filter(due_at__lte=now).count(),
        "overdue": active.filter(stages_sent__in=_with_stage(Stage.OVERDUE)).count(),
        "escalated": active.filter(stages_sent__in=_with_stage(Stage.ESCALATED)).count(),
        "snoozed": active.filter(status=FollowUp.Status.SNOOZED).count(),
        "deliveries": {s: deliveries.get(s, 0) for s in Delivery.Status.values},
        "failing": active.filter(scan_failures__gt=0).count(),
        "failing_items": failing,
        "unrouted": active.filter(escalation_unrouted=True).count(),
        "lifecycle_unhandled": lifecycle.unhandled_count(),
        "last_scan_at": last.finished_at if last else None,
        "last_scan_age_seconds": age,
        "healthy": age is not None and age <= settings.FOLLOWUP_HEALTH_MAX_AGE_SECONDS,
    }
    status["problems"] = configuration_problems(unrouted=status["unrouted"])
    return status


def _with_stage(stage: str) -> list[int]:
    return [v for v in range(16) if v & STAGE_BITS[stage]]


def configuration_problems(*, unrouted: int = 0) -> list[str]:
    """What an operator must fix for escalations always to reach someone (in the active language)."""
    problems = []
    for setting in ("ESCALATION_SECOND_LINE", "ESCALATION_SECOND_LINE_CLINICAL"):
        named = [n.strip() for n in getattr(settings, setting) if n.strip()]
        usable = set(get_user_model().objects.filter(pk__in=second_line(setting)).values_list("username", flat=True))
        for name in named:
            if name not in usable:
                problems.append(
                    _("%(setting)s names %(name)s, who has no active login.") % {"setting": setting, "name": name}
                )
    counselling = {u.pk for u in policy.holders_of_anywhere(Role.COUNSELLOR)} | {
        u.pk for u in policy.holders_of_anywhere(Role.LEAD_COUNSELLOR)
    }
    leads = policy.holders_of_anywhere(Role.LEAD_COUNSELLOR)
    clinical_second = [u for u in second_line("ESCALATION_SECOND_LINE_CLINICAL") if u in counselling]
    if not leads:
        problems.append(
            _("Nobody holds the lead counsellor role: referrals and counselling work have no one to go to.")
        )
    elif len(leads) < 2 and not clinical_second:
        problems.append(
            _(
                "Only one lead counsellor and no clinical second line: an unacknowledged red item cannot escalate. "
                "Set ESCALATION_SECOND_LINE_CLINICAL to a deputy lead counsellor or an emergency contact in the "
                "counselling team."
            )
        )
    if unrouted:
        problems.append(
            _(
                "%(count)s overdue follow-up(s) had nobody to escalate to. Set ESCALATION_SECOND_LINE "
                "(e.g. the leading group's office)."
            )
            % {"count": unrouted}
        )
    return problems
