"""The core's access rules (design/access.md), registered with the policy from WellbeingConfig.ready().

Each rule answers "may this principal do this (to this record)?". The shared rules they build on
(reports, subtrees, role holders) are public functions of ``wellbeing.policy``.
"""

from __future__ import annotations

from django.db.models import Q

from wellbeing import policy
from wellbeing.models import FollowUp, Person, Referral, Role, Scope
from wellbeing.policy import Access

# --- Org and people -------------------------------------------------------------------------------


def org_view(access: Access, obj) -> bool:
    return bool(access.roles - {Role.API_CLIENT}) or access.has_scope(Scope.ORG_READ)


def person_view(access: Access, person) -> bool:
    return person is not None and policy.people_visible_to(access).filter(pk=person.pk).exists()


def person_directory(access: Access, obj) -> bool:
    """Lists of people (the directory page, the people API)."""
    return access.has(
        Role.SUPERVISOR, Role.HR_OFFICER, Role.COUNSELLOR, Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR
    ) or access.has_scope(Scope.PEOPLE_READ)


def person_reports(access: Access, obj) -> bool:
    """The people one answers for at work (a supervisor's reports, an HR officer's units): shown on
    the home page."""
    return access.has(Role.SUPERVISOR, Role.HR_OFFICER)


def person_set_work_ids(access: Access, person) -> bool:
    """Set a person's WeCom / DingTalk user ids (and nothing else of their record): HR officers for
    people in their units, administrators, API clients with ``people:write``. Without a person: whether
    the principal may set anyone's (the API's view-level check)."""
    if access.has(Role.ADMINISTRATOR) or access.has_scope(Scope.PEOPLE_WRITE):
        return True
    if not access.has(Role.HR_OFFICER):
        return False
    return person is None or policy.in_subtree(person.unit, access.units_for(Role.HR_OFFICER))


def person_access_request(access: Access, person) -> bool:
    """Export everything recorded about a person (PIPL §45; docs/privacy.md): the person themself,
    from "My records"; and administrators, who answer a person's written request on their behalf
    (a former member of staff can no longer log in) - they hold the accounts and read the audit trail
    (access.md), and the export is audited with the request's reference. Without a person: whether
    the principal may answer anyone's request."""
    if access.user is None:
        return False
    if access.has(Role.ADMINISTRATOR):
        return True
    return person is not None and access.person is not None and access.person.pk == person.pk


def person_sync(access: Access, obj) -> bool:
    """Create and change people by their HR record (the sync endpoints, PUT / PATCH of a record): an
    HR system with ``people:write``. Signed-in users change people in the admin."""
    return access.has_scope(Scope.PEOPLE_WRITE)


def org_sync(access: Access, obj) -> bool:
    """Create, change and move org units (the sync endpoints): an HR system with ``org:write``."""
    return access.has_scope(Scope.ORG_WRITE)


#: The scope that lets an HR system read each stream of the change feed.
FEED_SCOPES = {
    "people": (Scope.PEOPLE_READ, Scope.PEOPLE_WRITE),
    "org-units": (Scope.ORG_READ, Scope.ORG_WRITE),
    "leave": (Scope.LEAVE_READ, Scope.LEAVE_WRITE),
}


def changes_read(access: Access, stream) -> bool:
    """The change feed: API clients only, for the streams their scopes cover (any, without a stream)."""
    streams = [stream] if stream else list(FEED_SCOPES)
    return any(access.has_scope(scope) for name in streams for scope in FEED_SCOPES.get(name, ()))


def admin_access(access: Access, obj) -> bool:
    return access.has(Role.ADMINISTRATOR)


def audit_view(access: Access, obj) -> bool:
    return access.has(Role.ADMINISTRATOR)


def api_docs_link(access: Access, obj) -> bool:
    """The link to the API documentation (in the footer): the roles that work with the API, the
    administrator who sets up its clients and the HR officers whose systems sync through it."""
    return access.api_client is None and access.has(Role.ADMINISTRATOR, Role.HR_OFFICER)


def home_caseload(access: Access, obj) -> bool:
    """A home page that opens on counselling work (red and orange first, then what is due)."""
    return access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR)


def stats_view(access: Access, obj) -> bool:
    return access.has(Role.LEADING_GROUP, Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR)


def api_docs(access: Access, obj) -> bool:
    return bool(access.roles)


# --- People visible to a principal ----------------------------------------------------------------


def people_self(access: Access) -> Q | None:
    return Q(pk=access.person.pk) if access.person is not None and access.has(Role.STAFF) else None


def people_reports(access: Access) -> Q | None:
    """A supervisor sees their reports."""
    return policy.reports_q(access) if access.has(Role.SUPERVISOR) else None


def people_hr_units(access: Access) -> Q | None:
    return policy.subtree_q(access.units_for(Role.HR_OFFICER)) if access.has(Role.HR_OFFICER) else None


def people_caseload(access: Access) -> Q | None:
    """A counsellor sees the people on their caseload."""
    return policy.caseload_q(access) if access.has(Role.COUNSELLOR) else None


def caseload_assigned_referrals(access: Access) -> Q | None:
    """Caseload (core part): people whose open referral is assigned to the counsellor."""
    if access.user is None:
        return None
    # While it is open: once taken in, the person is the cases app's (its caseload), once closed nobody's.
    still_open = Referral.objects.filter(assigned_to=access.user, status__in=Referral.OPEN_STATUSES)
    return Q(pk__in=still_open.values("person_id"))


# --- Follow-ups visible to a principal (access.md "follow-ups") -------------------------------------
# Administrators, the leading group and API clients see none (the leading group sees counts only).


def followups_own(access: Access) -> Q | None:
    return Q(owner=access.user)


def followups_created(access: Access) -> Q | None:
    """The leader of a talk sees the actions agreed in it, including a restricted talk's."""
    return Q(created_by=access.user, kind=FollowUp.Kind.TALK_ACTION)


def followups_routed(access: Access) -> Q | None:
    """A delegate (or escalation target) can open what they were reminded of while it is open, if
    they still do that kind of work: counselling work only within the counselling team; other work
    not by an administrator's or the leading group's role alone (access.md gives them no follow-ups).
    Never a confidential item (a restricted talk's action), which reaches only its owner and creator."""
    if access.user is None:
        return None
    q = Q(reminders__recipient=access.user, confidential=False, status__in=FollowUp.ACTIVE_STATUSES)
    counselling = access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR)
    oversight_only = access.has(Role.ADMINISTRATOR, Role.LEADING_GROUP) and not access.has(Role.SUPERVISOR)
    if oversight_only and not counselling:
        return None
    return q if counselling else q & ~Q(kind__in=FollowUp.CLINICAL_KINDS)


def followups_units(access: Access) -> Q | None:
    """A supervisor's units' work: never counselling work, never a confidential item."""
    if not access.has(Role.SUPERVISOR):
        return None
    return (
        policy.subtree_q(access.units_for(Role.SUPERVISOR), prefix="owner__person__unit__")
        & Q(confidential=False)
        & ~Q(kind__in=FollowUp.CLINICAL_KINDS)
    )


def followups_counselling_team(access: Access) -> Q | None:
    """The lead counsellor sees the team's counselling work - never the work about themself."""
    if not access.has(Role.LEAD_COUNSELLOR):
        return None
    q = Q(kind__in=FollowUp.CLINICAL_KINDS)
    return q & ~Q(person=access.person) if access.person is not None else q


def followup_mine(access: Access, obj) -> bool:
    return access.user is not None and bool(access.roles)


def followup_team(access: Access, obj) -> bool:
    return access.has(Role.SUPERVISOR, Role.LEAD_COUNSELLOR)


def followup_manage(access: Access, followup) -> bool:
    """Act on a follow-up (complete, snooze, reassign): its owner; the lead counsellor for counselling
    work; a supervisor for other (not confidential) work owned by their reports."""
    if followup is None or access.user is None:
        return False
    if followup.owner_id == access.user.pk:
        return True
    if followup.is_clinical:
        return access.has(Role.LEAD_COUNSELLOR)
    if followup.confidential or not access.has(Role.SUPERVISOR):
        return False
    owner_person = Person.objects.filter(user_id=followup.owner_id).select_related("unit").first()
    return owner_person is not None and policy.supervises(access, owner_person)


def followup_overdue_counts(access: Access, obj) -> bool:
    return access.has(Role.LEADING_GROUP, Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR)


# --- Referrals -------------------------------------------------------------------------------------


def referral_create(access: Access, person) -> bool:
    """Supervisors refer their reports; the counselling team refers anyone; anyone may refer
    themselves."""
    if person is None or access.user is None:
        return False
    if access.person is not None and access.person.pk == person.pk:
        return True
    if access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR):
        return True
    return policy.supervises(access, person)


def referral_intake(access: Access, obj) -> bool:
    """Intake work (take in, close): lead counsellors - never on a referral about themself."""
    if obj is not None and access.person is not None and getattr(obj, "person_id", None) == access.person.pk:
        return False
    return access.has(Role.LEAD_COUNSELLOR)


def _assigned(access: Access, referral) -> bool:
    """A counsellor the referral is assigned to (the on-call counsellor for imminent risk)."""
    return (
        referral is not None
        and access.user is not None
        and access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR)
        and referral.assigned_to_id == access.user.pk
    )


def _about_self(access: Access, referral) -> bool:
    return referral is not None and access.person is not None and referral.person_id == access.person.pk


def referral_acknowledge(access: Access, referral) -> bool:
    """Acknowledge a referral (the team has it; the alerts stop): the lead counsellor, or the
    counsellor it is assigned to - never a referral about oneself."""
    if _about_self(access, referral):
        return False
    return access.has(Role.LEAD_COUNSELLOR) or _assigned(access, referral)


def referral_view(access: Access, referral) -> bool:
    """One referral's page: the lead counsellor and the counsellor it is assigned to (everything, the
    note audited), its referrer (status only, ``referral_fields``). Anyone else is told it does not
    exist."""
    if referral is None or access.user is None:
        return False
    if referral.referred_by_id == access.user.pk:
        return True
    if _about_self(access, referral):
        return False
    return access.has(Role.LEAD_COUNSELLOR) or _assigned(access, referral)


#: What a referrer sees of the referrals they made (access.md: "the ones they made (status only)"):
#: whom it is about, when it was made, and where it stands - never the urgency, reason or note
#: (not even their own, once sent), nor who in the counselling team handled it or why it was closed.
REFERRAL_STATUS_FIELDS = frozenset({"person", "created_at", "status", "acknowledged_at", "taken_in_at", "closed_at"})
#: What the counselling team's lead sees besides (the note's reading is audited).
REFERRAL_INTAKE_FIELDS = frozenset(
    {
        "urgency",
        "reason",
        "source",
        "note",
        "referred_by",
        "acknowledged_by",
        "taken_in_by",
        "closed_by",
        "close_reason",
        "followup",
    }
)


def referral_fields(access: Access, referral) -> frozenset[str]:
    about_self = _about_self(access, referral)
    if not about_self and (access.has(Role.LEAD_COUNSELLOR) or _assigned(access, referral)):
        return REFERRAL_STATUS_FIELDS | REFERRAL_INTAKE_FIELDS
    if access.user is not None and referral.referred_by_id == access.user.pk:
        return REFERRAL_STATUS_FIELDS
    return frozenset()


# --- Roles -----------------------------------------------------------------------------------------


def role_confirm(access: Access, assignment) -> bool:
    """Confirm (or refuse) a clinical role waiting for a second person: lead counsellors and
    administrators - for a given assignment, only a pending one, and never its holder nor whoever
    assigned it."""
    if access.user is None or not access.has(Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR):
        return False
    if assignment is None:
        return True
    return assignment.is_pending and access.user.pk not in (assignment.user_id, assignment.assigned_by_id)


RULES = {
    "org.view": org_view,
    "person.view": person_view,
    "person.directory": person_directory,
    "person.reports": person_reports,
    "person.set_work_ids": person_set_work_ids,
    "person.access_request": person_access_request,
    "person.sync": person_sync,
    "org.sync": org_sync,
    "changes.read": changes_read,
    "admin.access": admin_access,
    "audit.view": audit_view,
    "stats.view": stats_view,
    "api.docs": api_docs,
    "api.docs_link": api_docs_link,
    "home.caseload": home_caseload,
    "followup.mine": followup_mine,
    "followup.team": followup_team,
    "followup.manage": followup_manage,
    "followup.overdue_counts": followup_overdue_counts,
    "referral.create": referral_create,
    "referral.intake": referral_intake,
    "referral.acknowledge": referral_acknowledge,
    "referral.view": referral_view,
    "role.confirm": role_confirm,
}


def register() -> None:
    policy.register_rules(RULES)
    policy.register_field_visibility("wellbeing.referral", referral_fields)
    for source in (people_self, people_reports, people_hr_units, people_caseload):
        policy.register_person_visibility(source)
    policy.register_caseload_source(caseload_assigned_referrals)
    for source in (followups_own, followups_created, followups_routed, followups_units, followups_counselling_team):
        policy.register_followup_visibility(source)
