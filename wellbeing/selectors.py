"""Reads with rules in the core. Every queryset here is scoped to the requesting principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf, StrIndex, Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import lifecycle, policy
from wellbeing.audit import audit_sensitive_read
from wellbeing.models import Delivery, FollowUp, Notification, OrgUnit, Person, Referral, Role, ScanRun, Stage, Tier
from wellbeing.models.followups import STAGE_BITS
from wellbeing.reminders import work_messages
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


# --- Referrals: the referrer's status list, the lead counsellor's intake --------------------------------


@dataclass(frozen=True)
class ReferralMade:
    """A referral as its referrer sees it (access.md, "the ones they made (status only)"): whom it is
    about, when it was made, where it stands and since when - never the urgency, reason or note, who
    handled it, or why it was closed."""

    pk: int
    person_name: str
    made_at: datetime
    status: str
    status_label: str
    status_at: datetime
    is_open: bool


def referrals_made_by(*, user, limit: int = 50) -> list[ReferralMade]:
    """The referrals ``user`` made, newest first (one query)."""
    if getattr(user, "pk", None) is None:
        return []
    rows = (
        Referral.objects.filter(referred_by=user)
        .select_related("person")
        .only("id", "person__full_name", "created_at", "status", "acknowledged_at", "taken_in_at", "closed_at")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        ReferralMade(
            r.pk, r.person.full_name, r.created_at, r.status, str(r.get_status_display()), r.status_at, r.is_open
        )
        for r in rows
    ]


#: The intake list's order: imminent risk first, then urgent, soon, routine; within each, oldest first.
INTAKE_ORDER = (Referral.Urgency.most_urgent_first_expression(), "created_at", "id")


def intake_queue(*, user, limit: int | None = None) -> list[Referral]:
    """The lead counsellor's open referrals (received or acknowledged, not yet taken in or closed),
    most urgent first, then oldest: one query, with the person, their unit, the referrer and the intake
    follow-up's due time joined; never the note. Empty for anyone without ``referral.intake``."""
    if not policy.can(user, "referral.intake"):
        return []
    qs = (
        policy.referrals_visible_to(user)
        .filter(status__in=Referral.OPEN_STATUSES)
        .select_related("person__unit", "referred_by__person", "followup")
        .defer("note", "followup__title", "followup__outcome", "followup__snooze_reason")
        .order_by(*INTAKE_ORDER)
    )
    return list(qs if limit is None else qs[:limit])


def referrals_done(*, user, limit: int = 20) -> list[Referral]:
    """The lead counsellor's referrals recently taken in or closed, latest first (one query)."""
    if not policy.can(user, "referral.intake"):
        return []
    return list(
        policy.referrals_visible_to(user)
        .exclude(status__in=Referral.OPEN_STATUSES)
        .select_related("person__unit")
        .defer("note")
        .order_by("-updated_at", "-id")[:limit]
    )


def referral_get_for_user(*, user, referral_id) -> Referral:
    """One referral, or Http404 when it does not exist *or* the user may not see it."""
    try:
        referral = (
            policy.referrals_visible_to(user)
            .select_related(
                "person__unit",
                "referred_by__person",
                "acknowledged_by__person",
                "taken_in_by__person",
                "closed_by__person",
                "followup",
            )
            .get(pk=int(referral_id))
        )
    except (Referral.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not policy.can(user, "referral.view", referral):
        raise Http404
    return referral


def referral_note_for_user(*, user, referral: Referral) -> str | None:
    """The referrer's note, for whoever may read it (the lead counsellor), with an audit record of the
    read; None for anyone else (the referrer included, once it is sent)."""
    if "note" not in policy.visible_fields(user, referral):
        return None
    if referral.note:
        audit_sensitive_read(actor=user, target=referral, fields=["note"], subject_person=referral.person)
    return referral.note


@dataclass(frozen=True)
class ReferralStep:
    status: str
    label: str
    at: datetime
    by: str | None  # who in the counselling team (None where the reader may not know)


def referral_history(*, user, referral: Referral) -> list[ReferralStep]:
    """Its status history, oldest first; names only for those who may see them (not the referrer)."""
    visible = policy.visible_fields(user, referral)

    def name(field: str) -> str | None:
        person_user = getattr(referral, field) if field in visible else None
        if person_user is None:
            return None
        person = getattr(person_user, "person", None)
        return person.full_name if person is not None else person_user.get_username()

    labels = dict(Referral.Status.choices)
    steps = [ReferralStep(Referral.Status.RECEIVED, str(labels["received"]), referral.created_at, name("referred_by"))]
    for status, at, by in (
        (Referral.Status.ACKNOWLEDGED, referral.acknowledged_at, "acknowledged_by"),
        (Referral.Status.TAKEN_IN, referral.taken_in_at, "taken_in_by"),
        (Referral.Status.CLOSED, referral.closed_at, "closed_by"),
    ):
        if at is not None:
            steps.append(ReferralStep(status, str(labels[status]), at, name(by)))
    return steps


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
    elif f.bucket == "week":  # the home page's "due within 7 days": overdue ones are counted apart
        qs = qs.filter(active, not_snoozed, due_at__gte=now, due_at__lte=now + timedelta(days=7))
    elif f.bucket == "upcoming":
        qs = qs.filter(active).filter(Q(due_at__gt=end_of_today) | Q(snoozed_until__gt=now))
    elif f.bucket == "done":
        qs = qs.filter(status__in=[FollowUp.Status.DONE, FollowUp.Status.CANCELLED]).order_by("-updated_at", "-id")
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.tier:
        qs = qs.filter(tier=f.tier)
    return qs


#: kind -> callable(user, [FollowUp]) -> {followup id: ((label, bootstrap style), ...)}: what an app
#: adds to its follow-ups' rows (a talk due: "never talked to"), registered from AppConfig.ready().
FOLLOWUP_BADGES: dict[str, object] = {}


def followup_badges(*, user, followups) -> dict[int, tuple[tuple[str, str], ...]]:
    """The apps' badges for a page of follow-ups: one call per kind on the page."""
    by_kind: dict[str, list[FollowUp]] = {}
    for f in followups:
        by_kind.setdefault(f.kind, []).append(f)
    badges: dict[int, tuple[tuple[str, str], ...]] = {}
    for kind, items in by_kind.items():
        provider = FOLLOWUP_BADGES.get(kind)
        if provider is not None:
            badges.update(provider(user, items))
    return badges


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


def home_followup_counts(*, user) -> dict[str, int]:
    """The home page's figures: the user's own follow-ups overdue, and due within the next 7 days.
    Each is the count of the list its link opens (``?bucket=overdue`` / ``?bucket=week``)."""
    return {
        b: followup_list_for_user(user=user, filters=FollowUpFilters(bucket=b, owner_is_me=True)).count()
        for b in ("overdue", "week")
    }


def home_counselling_work(*, user, limit: int) -> tuple[list[FollowUp], list[FollowUp], int, int]:
    """A counsellor's home: their red and orange follow-ups (whenever due), then the rest that is
    overdue or due within 7 days; most urgent first. Returns both lists (up to ``limit``) and totals."""
    now = timezone.now()
    mine = followup_list_for_user(user=user, filters=FollowUpFilters(owner_is_me=True)).filter(
        status__in=FollowUp.ACTIVE_STATUSES
    )
    urgent = mine.filter(tier__in=[Tier.RED, Tier.ORANGE])
    due = mine.exclude(tier__in=[Tier.RED, Tier.ORANGE]).filter(due_at__lte=now + timedelta(days=7))
    return list(urgent[:limit]), list(due[:limit]), urgent.count(), due.count()


def overdue_followup_counts(*, user) -> dict[str, int]:
    """Organisation-wide counts for the leading group's work ledger (access.md: "overdue counts")."""

    if not policy.can(user, "followup.overdue_counts"):
        raise Http404
    active = FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES)
    escalated = _with_stage(Stage.ESCALATED)
    return {
        "overdue": active.filter(due_at__lt=timezone.now()).count(),
        "escalated": active.filter(stages_sent__in=escalated).count(),
    }


def unread_notification_count(*, user) -> int:

    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list_for_user(*, user) -> QuerySet:
    """The user's inbox, newest first. A reminder's item is worded from its reminder and follow-up
    when shown (``Notification.display_title``): joined here, so a page is one query."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("reminder__followup")
        .defer("reminder__followup__outcome", "reminder__followup__snooze_reason")
        .order_by("-created_at", "-id")
    )


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
    return [v for v in range(2 * max(STAGE_BITS.values())) if v & STAGE_BITS[stage]]


def configuration_problems(*, unrouted: int = 0) -> list[str]:
    """What an operator must fix for escalations always to reach someone and for every configured
    message channel to work (in the active language)."""
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
    service_names = {"wecom": _("WeCom"), "dingtalk": _("DingTalk")}
    for service, missing in work_messages.configuration_gaps():
        problems.append(
            _("%(service)s messages are half configured: set %(missing)s too, or unset the others.")
            % {"service": service_names[service], "missing": ", ".join(missing)}
        )
    return problems
