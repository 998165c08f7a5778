"""Case rules, registered with the core access policy from CasesConfig.ready() (design/access.md,
"case: existence, risk, status" and "case notes, safety plan").

- The lead counsellor sees every case, assigns, approves closures and reopens.
- A counsellor sees the cases assigned to them (their caseload) and a case being handed to them
  (to decide on the transfer); nothing else exists for them.
- Break-glass: a counsellor or an administrator outside a case opens it in an emergency with a
  stated reason, for BREAK_GLASS_HOURS (audited, the lead counsellor alerted).
- Nobody sees or acts on a case about themself, whatever their role.
- Supervisors, HR officers, the leading group and API clients see no case at all (the leading group
  gets counts, k >= 5, from the statistics).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import BreakGlassGrant, Case, Transfer
from wellbeing import policy
from wellbeing.models import FollowUp, Referral, Role
from wellbeing.policy import Access


def _grants(access: Access):
    return BreakGlassGrant.objects.filter(user=access.user, expires_at__gt=timezone.now())


def case_q(access: Access) -> Q:
    """The cases a principal may see (a Q over Case). The few cases reached by a pending transfer or
    an emergency grant are looked up first (one small query) and added by id, so the planner sees a
    plain ``counsellor = ...`` for the common case instead of an OR of subqueries."""
    if access.user is None or access.api_client is not None:
        return Q(pk__in=[])
    if access.has(Role.LEAD_COUNSELLOR):
        q = ~Q(pk__in=[])  # every case
    elif access.has(Role.COUNSELLOR):
        q = Q(counsellor=access.user)
    else:
        q = Q(pk__in=[])
    extra = _extra_case_ids(access)
    if extra:
        q |= Q(pk__in=extra)
    if access.person is not None:
        q &= ~Q(person_id=access.person.pk)
    return q


def _extra_case_ids(access: Access) -> list[int]:
    """Cases reached by an emergency grant, or (for a counsellor) a transfer waiting for them."""
    grants = _grants(access).order_by().values_list("case_id", flat=True)
    if not access.has(Role.COUNSELLOR) or access.has(Role.LEAD_COUNSELLOR):
        return list(grants)
    incoming = (
        Transfer.objects.filter(to_counsellor=access.user, status=Transfer.Status.PENDING)
        .order_by()
        .values_list("case_id", flat=True)
    )
    return list(grants.union(incoming))


def cases_visible_to(principal) -> QuerySet[Case]:
    access = policy.access_for(principal)
    if access.user is None or access.api_client is not None:
        return Case.objects.none()
    return Case.objects.filter(case_q(access))


def _about_self(access: Access, obj) -> bool:
    person_id = getattr(obj, "person_id", None)
    return access.person is not None and person_id == access.person.pk


def _has_grant(access: Access, case) -> bool:
    return access.user is not None and _grants(access).filter(case_id=case.pk).exists()


def _holds(access: Access, case) -> bool:
    return (
        access.user is not None
        and access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR)
        and case.counsellor_id == access.user.pk
    )


def case_view(access: Access, case) -> bool:
    if case is None or access.user is None or _about_self(access, case):
        return False
    return cases_visible_to(access).filter(pk=case.pk).exists()


def case_work(access: Access, case) -> bool:
    """Write in a case (notes, safety plan, interventions, risk, flags, contacts, ask to close): its
    counsellor, the lead counsellor, a break-glass holder while it lasts."""
    if case is None or access.user is None or _about_self(access, case):
        return False
    if access.has(Role.LEAD_COUNSELLOR) or _holds(access, case):
        return True
    # Emergency access lets a counsellor act; an administrator's only lets them read.
    return access.has(Role.COUNSELLOR) and _has_grant(access, case)


def case_lead(access: Access, case) -> bool:
    """Assign, approve or refuse a closure: the lead counsellor (never on a case about themself)."""
    return access.has(Role.LEAD_COUNSELLOR) and not _about_self(access, case)


def case_transfer(access: Access, case) -> bool:
    if case is None or _about_self(access, case):
        return False
    return access.has(Role.LEAD_COUNSELLOR) or _holds(access, case)


def case_reopen(access: Access, case) -> bool:
    return case_transfer(access, case)


def case_hold(access: Access, obj) -> bool:
    """Who can be given cases: counsellors and lead counsellors."""
    return access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR)


def case_board(access: Access, obj) -> bool:
    return access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR)


def case_team(access: Access, obj) -> bool:
    return access.has(Role.LEAD_COUNSELLOR)


def case_triage(access: Access, referral) -> bool:
    """Triage a referral (open a case, link it, close it): the lead counsellor; for imminent risk also
    the counsellor it is assigned to (the on-call counsellor). Never about oneself."""
    if access.user is None or _about_self(access, referral):
        return False
    if access.has(Role.LEAD_COUNSELLOR):
        return True
    return (
        referral is not None
        and access.has(Role.COUNSELLOR)
        and referral.urgency == Referral.Urgency.IMMINENT
        and referral.assigned_to_id == access.user.pk
    )


def case_break_glass(access: Access, case) -> bool:
    """Emergency access: a counsellor or an administrator who cannot already open the case."""
    if access.user is None or not access.has(Role.COUNSELLOR, Role.ADMINISTRATOR):
        return False
    if case is None:
        return True
    if _about_self(access, case) or access.has(Role.LEAD_COUNSELLOR):
        return False
    return not cases_visible_to(access).filter(pk=case.pk).exists()


def self_refer(access: Access, obj) -> bool:
    return access.person is not None and access.has(Role.STAFF)


# --- Sources the core's policy asks --------------------------------------------------------------------


def caseload_cases(access: Access) -> Q | None:
    """Caseload (cases part): people whose open case the counsellor holds or is being handed, or
    whose case they opened in an emergency while the access lasts."""
    if access.user is None:
        return None
    held = Case.objects.filter(counsellor=access.user, status__in=Case.OPEN_STATUSES).values("person_id")
    incoming = Transfer.objects.filter(to_counsellor=access.user, status=Transfer.Status.PENDING).values(
        "case__person_id"
    )
    emergency = _grants(access).values("case__person_id")
    return Q(pk__in=held) | Q(pk__in=incoming) | Q(pk__in=emergency)


def followups_caseload(access: Access) -> Q | None:
    """A counsellor sees the counselling follow-ups about the people on their caseload."""
    if not access.has(Role.COUNSELLOR) or access.user is None:
        return None
    return Q(kind__in=FollowUp.CLINICAL_KINDS) & policy.caseload_q(access, prefix="person__")


RULES = {
    "case.view": case_view,
    "case.work": case_work,
    "case.assign": case_lead,
    "case.approve_closure": case_lead,
    "case.transfer": case_transfer,
    "case.reopen": case_reopen,
    "case.hold": case_hold,
    "case.board": case_board,
    "case.team": case_team,
    "case.triage": case_triage,
    "case.break_glass": case_break_glass,
    "case.self_refer": self_refer,
}


def register() -> None:
    policy.register_rules(RULES)
    policy.register_caseload_source(caseload_cases)
    policy.register_followup_visibility(followups_caseload)
