"""The cases app's reads: scoped by the access policy (``cases.rules.cases_visible_to``), a fixed
number of queries per list, and every read of clinical text audited here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseloadLimit, CaseNote, Intervention, Risk, SafetyPlan, Transfer
from cases.rules import cases_visible_to
from wellbeing import policy
from wellbeing.audit import audit_sensitive_read, audit_sensitive_reads
from wellbeing.models import FollowUp, Referral, Role, Screening

#: Never loaded for lists: the closing summary, the follow-up's free text.
LIST_DEFER = (
    "closing_summary",
    "contact_followup__title",
    "contact_followup__outcome",
    "contact_followup__snooze_reason",
    "contact_followup__title_params",
)


def _board_order(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Overdue contacts first, then by risk (imminent first), then the next contact due soonest. Ordered
    by expressions, not annotations, so that counting the list (the board's pages) needs no subquery."""
    now = timezone.now()
    return qs.order_by(
        ExpressionWrapper(Q(contact_followup__due_at__lt=now), output_field=BooleanField()).desc(nulls_last=True),
        Risk.most_urgent_first_expression(),
        F("contact_followup__due_at").asc(nulls_last=True),
        "id",
    )


def case_list_for_user(
    *,
    user,
    mine: bool = False,
    status: str | None = None,
    risk: str | None = None,
    unassigned: bool = False,
    counsellor_id: int | None = None,
    q: str = "",
) -> QuerySet[Case]:
    """Cases the user may see, board order, with the person, unit, counsellor and next contact joined
    (one query). ``mine``: the ones they hold; ``status`` "open" (default) / "closed" / a status."""
    qs = (
        cases_visible_to(user)
        .select_related("person__unit", "counsellor__person", "contact_followup")
        .defer(*LIST_DEFER)
    )
    if mine:
        qs = qs.filter(counsellor=user)
    if unassigned:
        qs = qs.filter(counsellor__isnull=True)
    if counsellor_id is not None:
        qs = qs.filter(counsellor_id=counsellor_id)
    if status in (None, "", "open"):
        qs = qs.filter(status__in=Case.OPEN_STATUSES)
    elif status == "all":
        pass
    elif status in Case.Status.values:
        qs = qs.filter(status=status)
    if risk in Risk.values:
        qs = qs.filter(risk=risk)
    if q:
        qs = qs.filter(Q(person__full_name__icontains=q) | Q(person__external_id__iexact=q))
    return _board_order(qs)


class CaseRow:
    """One row of a board-ordered page: what the caseload board and ``/api/v1/cases/`` show of a case,
    read as plain values (no model instances: a page of 50 cases joined to their person, unit,
    counsellor and contact follow-up would otherwise build 300 of them; docs/performance.md). Never
    clinical text. The board page adds its display attributes to it."""

    #: The columns read, in the order ``__init__`` takes them.
    COLUMNS = (
        "pk",
        "status",
        "risk",
        "counsellor_id",
        "counsellor__username",
        "counsellor__person__full_name",
        "person__external_id",
        "person__full_name",
        "person__unit__name",
        "person__user_id",
        "contact_followup__due_at",
        "contact_followup__status",
        "closure_requested_at",
        "closed_at",
        "created_at",
        "updated_at",
    )

    def __init__(
        self,
        pk,
        status,
        risk,
        counsellor_id,
        counsellor_username,
        counsellor_full_name,
        person_external_id,
        person_name,
        unit_name,
        person_user_id,
        due_at,
        followup_status,
        closure_requested_at,
        closed_at,
        created_at,
        updated_at,
    ):
        self.pk = self.id = pk
        self.status, self.risk = status, risk
        self.counsellor_id = counsellor_id
        #: The counsellor's name as the team knows it (their person record), else their username; "" when unassigned.
        self.counsellor_name = (counsellor_full_name or counsellor_username or "") if counsellor_id else ""
        self.person_external_id, self.person_name, self.unit_name = person_external_id, person_name, unit_name
        self.person_user_id = person_user_id
        #: When the next contact is due (``contact_due_label``): the contact follow-up's, while it is active.
        self.next_due = due_at if followup_status in FollowUp.ACTIVE_STATUSES else None
        self.closure_requested_at, self.closed_at = closure_requested_at, closed_at
        self.created_at, self.updated_at = created_at, updated_at

    @property
    def reference(self) -> str:
        return f"C-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in Case.OPEN_STATUSES

    @property
    def closure_pending(self) -> bool:
        return self.is_open and self.closure_requested_at is not None

    def get_status_display(self) -> str:
        return str(Case.Status(self.status).label)

    def get_risk_display(self) -> str:
        return str(Risk(self.risk).label)


class BoardRows:
    """A board-ordered case list read in two steps: the page's ids first (the case and its contact
    follow-up only, sorted), then those rows with everything joined, as ``CaseRow`` values (one query
    with the ids in a subquery was tried: PostgreSQL plans it slower than the two). Sorting
    the whole caseload with every joined column costs several times more (the planner hashes the
    person and follow-up tables instead of looking up 50 rows); see docs/performance.md. Sliceable and
    countable, so Django's ``Paginator`` and the API's ``BoardPagination`` read it like a queryset.
    The second step reads by the ids the scoped first step returned, so it needs no scope of its own."""

    ordered = True

    def __init__(self, qs: QuerySet[Case]):
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[CaseRow]:
        if not isinstance(key, slice):
            raise TypeError("BoardRows reads pages (slices) only")
        ids = list(self.qs.values_list("pk", flat=True)[key])
        if not ids:
            return []
        rows = Case.objects.filter(pk__in=ids).order_by().values_list(*CaseRow.COLUMNS)
        found = {row[0]: CaseRow(*row) for row in rows}
        return [found[pk] for pk in ids if pk in found]


def case_get_for_user(*, user, case_id) -> Case:
    """One case, or Http404 when it does not exist *or* the user may not see it."""
    try:
        return (
            cases_visible_to(user)
            .select_related(
                "person__unit",
                "person__user",
                "counsellor__person",
                "contact_followup",
                "opened_by__person",
                "closed_by__person",
                "closure_requested_by__person",
            )
            .get(pk=int(case_id))
        )
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def case_for_break_glass(*, user, case_id) -> Case:
    """A case someone outside it may open in an emergency (``case.break_glass``), else Http404."""
    try:
        case = Case.objects.select_related("person__unit").get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not policy.can(user, "case.break_glass", case):
        raise Http404
    return case


def latest_case_for_person(*, person) -> Case | None:
    """The person's open case, else their latest closed one (for emergency access)."""
    return Case.objects.filter(person=person).order_by(F("closed_at").desc(nulls_first=True), "-created_at").first()


def notes_for_user(*, user, case: Case) -> list[CaseNote]:
    """The case's notes, oldest first with their addenda, for someone who may see the case; the read
    is audited (one row per note shown)."""
    if not policy.can(user, "case.view", case):
        return []
    notes = list(case.notes.select_related("author__person").prefetch_related("versions").order_by("created_at", "id"))
    audit_sensitive_reads(actor=user, targets=notes, fields=list(CaseNote.TEXT_FIELDS), subject_person=case.person)
    return notes


def safety_plan_for_user(*, user, case: Case, version: int | None = None) -> SafetyPlan | None:
    """The current safety plan (or one version), audited."""
    if not policy.can(user, "case.view", case):
        return None
    qs = case.safety_plans.select_related("written_by__person")
    plan = qs.filter(version=version).first() if version else qs.order_by("-version").first()
    if plan is not None:
        audit_sensitive_read(actor=user, target=plan, fields=list(SafetyPlan.SECTIONS), subject_person=case.person)
    return plan


def safety_plan_versions(*, case: Case) -> list[dict]:
    return list(case.safety_plans.order_by("-version").values("version", "written_at", "written_by__person__full_name"))


def interventions_for_user(*, user, case: Case) -> list[Intervention]:
    if not policy.can(user, "case.view", case):
        return []
    rows = list(
        case.interventions.select_related("recorded_by__person", "supervisor_followup", "leave_request").order_by(
            "-occurred_on", "-id"
        )
    )
    audit_sensitive_reads(
        actor=user,
        targets=rows,
        fields=["details", "service", "outcome", "supervisor_action"],
        subject_person=case.person,
    )
    return rows


def events_for_user(*, user, case: Case) -> list[CaseEvent]:
    """The case's history (reasons included: audited as one read of the case)."""
    if not policy.can(user, "case.view", case):
        return []
    rows = list(case.events.select_related("actor__person").order_by("at", "id"))
    if any(e.reason for e in rows):
        audit_sensitive_read(actor=user, target=case, fields=["event reasons"], subject_person=case.person)
    return rows


def risk_history(*, events: list[CaseEvent]) -> list[CaseEvent]:
    return [e for e in events if e.kind in (CaseEvent.Kind.OPENED, CaseEvent.Kind.RISK)]


def screenings_for_case(*, user, case: Case) -> list[Screening]:
    """The person's screening results the user may see (the trajectories), oldest first."""
    return list(
        policy.screenings_visible_to(user)
        .filter(person=case.person)
        .select_related("instrument", "band")
        .defer("answers")
        .order_by("created_at", "id")
    )


def followups_for_case(*, case: Case) -> list[FollowUp]:
    """The case's own follow-ups (contacts, the lead counsellor's items), latest first."""
    return list(
        FollowUp.objects.filter(subject_type=ContentType.objects.get_for_model(Case), subject_id=str(case.pk))
        .select_related("owner__person")
        .defer("outcome", "snooze_reason")
        .order_by("-due_at", "-id")
    )


def referrals_for_case(*, user, case: Case) -> list[Referral]:
    """The referrals taken in to the case (source, urgency, reason, when; the note is read on the
    referral's own page, audited)."""
    if not policy.can(user, "case.view", case):
        return []
    return list(
        Referral.objects.filter(case_link__case=case)
        .select_related("referred_by__person")
        .defer("note")
        .order_by("created_at")
    )


def pending_transfer(*, case: Case) -> Transfer | None:
    return (
        case.transfers.filter(status=Transfer.Status.PENDING)
        .select_related("to_counsellor__person", "from_counsellor__person")
        .first()
    )


def transfers_waiting_for(*, user) -> list[Transfer]:
    return list(
        Transfer.objects.filter(to_counsellor=user, status=Transfer.Status.PENDING)
        .select_related("case__person__unit", "from_counsellor__person")
        .defer("handover_note", "case__closing_summary")
        .order_by("created_at")
    )


def closures_to_approve(*, user) -> list[Case]:
    if not policy.can(user, "case.team"):
        return []
    return list(
        cases_visible_to(user)
        .filter(status__in=Case.OPEN_STATUSES, closure_requested_at__isnull=False)
        .select_related("person__unit", "counsellor__person")
        .defer("closing_summary")
        .order_by("closure_requested_at")
    )


@dataclass(frozen=True)
class CounsellorLoad:
    user: object
    name: str
    open_cases: int
    limit: int
    overdue: int
    imminent: int

    @property
    def over_limit(self) -> bool:
        return self.open_cases > self.limit


def team_view(*, user) -> list[CounsellorLoad]:
    """The lead counsellor's team: each counsellor's open cases against their limit, overdue contacts
    and imminent-risk cases (fixed queries, however many counsellors)."""
    if not policy.can(user, "case.team"):
        return []
    now = timezone.now()
    holders = {u.pk: u for role in (Role.COUNSELLOR, Role.LEAD_COUNSELLOR) for u in policy.holders_of_anywhere(role)}
    counts = {
        row["counsellor"]: row
        for row in Case.objects.filter(status__in=Case.OPEN_STATUSES, counsellor__isnull=False)
        .values("counsellor")
        .annotate(
            open_cases=Count("id"),
            overdue=Count(
                "id", filter=Q(contact_followup__due_at__lt=now, contact_followup__status__in=FollowUp.ACTIVE_STATUSES)
            ),
            imminent=Count("id", filter=Q(risk=Risk.IMMINENT)),
        )
    }
    limits = dict(CaseloadLimit.objects.values_list("counsellor_id", "limit"))
    users = holders | {pk: None for pk in counts if pk not in holders}
    missing = [pk for pk, u in users.items() if u is None]
    if missing:
        users.update(get_user_model().objects.in_bulk(missing))
    names = dict(get_user_model().objects.filter(pk__in=list(users)).values_list("pk", "person__full_name"))
    rows = []
    for pk, u in users.items():
        c = counts.get(pk, {})
        rows.append(
            CounsellorLoad(
                user=u,
                name=names.get(pk) or u.get_username(),
                open_cases=c.get("open_cases", 0),
                limit=limits.get(pk, settings.CASELOAD_LIMIT),
                overdue=c.get("overdue", 0),
                imminent=c.get("imminent", 0),
            )
        )
    return sorted(rows, key=lambda r: (-r.overdue, -r.open_cases, r.name))


def counsellor_choices(*, exclude_person=None) -> list[tuple[object, str, int, int]]:
    """Counsellors one may assign to: (user, name, open cases, limit), never the person the case is
    about."""
    holders = {u.pk: u for role in (Role.COUNSELLOR, Role.LEAD_COUNSELLOR) for u in policy.holders_of_anywhere(role)}
    if exclude_person is not None and exclude_person.user_id:
        holders.pop(exclude_person.user_id, None)
    counts = dict(
        Case.objects.filter(status__in=Case.OPEN_STATUSES, counsellor_id__in=list(holders))
        .values("counsellor")
        .annotate(n=Count("id"))
        .values_list("counsellor", "n")
    )
    names = dict(get_user_model().objects.filter(pk__in=list(holders)).values_list("pk", "person__full_name"))
    limits = dict(CaseloadLimit.objects.filter(counsellor_id__in=list(holders)).values_list("counsellor_id", "limit"))
    return sorted(
        (
            (u, names.get(pk) or u.get_username(), counts.get(pk, 0), limits.get(pk, settings.CASELOAD_LIMIT))
            for pk, u in holders.items()
        ),
        key=lambda row: row[1],
    )


def contact_due_label(case: Case | CaseRow) -> datetime | None:
    if isinstance(case, CaseRow):
        return case.next_due
    f = case.contact_followup
    return f.due_at if f is not None and f.is_active else None
