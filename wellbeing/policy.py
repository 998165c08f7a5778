"""The access policy: the one place that answers "may this principal do this to this record" and
"which records of this kind may this principal see" (design/access.md).

Pages, API views, exports, search and notifications all ask this module; nothing filters by role
on its own. Other apps extend it from their AppConfig.ready() with ``register_rule`` and
``register_person_visibility`` (e.g. the cases app adds "people on my caseload"), so this core
module never imports them.

A principal is a Django user (session log-in) or an ``ApiPrincipal`` (an HR system's token).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from wellbeing.models import ApiClient, OrgUnit, Person, Role, RoleAssignment, RoleSecurityPolicy, Scope


class ApiPrincipal:
    """The ``request.user`` of a request authenticated by an API token."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_client: ApiClient) -> None:
        self.api_client = api_client

    def __str__(self) -> str:
        return f"api:{self.api_client.name}"

    def get_username(self) -> str:
        return str(self)


@dataclass
class Access:
    """What one principal holds, computed once per request and cached on the principal."""

    user: object | None = None
    api_client: ApiClient | None = None
    person: Person | None = None
    roles: frozenset[str] = frozenset()
    units: dict[str, list[OrgUnit]] = field(default_factory=dict)

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    def has_scope(self, scope: str) -> bool:
        return self.api_client is not None and self.api_client.has_scope(scope)

    def units_for(self, *roles: str) -> list[OrgUnit]:
        return [u for r in roles for u in self.units.get(r, [])]


def access_for(principal) -> Access:
    cached = getattr(principal, "_tanxin_access", None)
    if cached is not None:
        return cached
    access = _compute_access(principal)
    with contextlib.suppress(AttributeError):  # AnonymousUser and similar immutable objects
        principal._tanxin_access = access
    return access


def _compute_access(principal) -> Access:
    if principal is None or not getattr(principal, "is_authenticated", False):
        return Access()
    api_client = getattr(principal, "api_client", None)
    if api_client is not None:
        if not api_client.is_active:
            return Access()
        return Access(api_client=api_client, roles=frozenset({Role.API_CLIENT}))
    if not principal.is_active:
        return Access()
    person = Person.objects.select_related("unit").filter(user=principal).first()
    roles: set[str] = set()
    units: dict[str, list[OrgUnit]] = {}
    if person is not None and person.status != Person.Status.LEFT:
        roles.add(Role.STAFF)
    for assignment in RoleAssignment.objects.current().filter(user=principal).select_related("unit"):
        roles.add(assignment.role)
        if assignment.unit_id:
            units.setdefault(assignment.role, []).append(assignment.unit)
    return Access(user=principal, person=person, roles=frozenset(roles), units=units)


def forget(principal) -> None:
    """Drop the cached access (after a role change within the same request, e.g. in tests)."""
    if hasattr(principal, "_tanxin_access"):
        del principal._tanxin_access


# --- Rules: "may this principal do this (to this record)?" ------------------------------------------

Rule = Callable[[Access, object | None], bool]
_rules: dict[str, Rule] = {}


def register_rule(action: str) -> Callable[[Rule], Rule]:
    def decorator(func: Rule) -> Rule:
        if action in _rules:
            raise ValueError(f"A rule for {action!r} is registered already.")
        _rules[action] = func
        return func

    return decorator


def can(principal, action: str, obj: object | None = None) -> bool:
    try:
        rule = _rules[action]
    except KeyError:
        raise LookupError(f"No access rule is registered for {action!r}.") from None
    return bool(rule(access_for(principal), obj))


# --- Visibility: "which people may this principal see?" ----------------------------------------------

PersonVisibility = Callable[[Access], Q | None]
_person_visibility: list[PersonVisibility] = []


def register_person_visibility(func: PersonVisibility) -> PersonVisibility:
    """Add a source of visible people (returns a Q over Person, or None for none)."""
    _person_visibility.append(func)
    return func


def _units_q(units: list[OrgUnit], prefix: str = "unit__") -> Q:
    q = Q(pk__in=[])
    for unit in units:
        q |= Q(**{f"{prefix}path__startswith": unit.path})
    return q


def sees_all_people(access: Access) -> bool:
    return access.has(Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR) or access.has_scope(Scope.PEOPLE_READ)


def people_visible_to(principal) -> QuerySet[Person]:
    return _people_visible(access_for(principal))


def _people_visible(access: Access) -> QuerySet[Person]:
    qs = Person.objects.all()
    if sees_all_people(access):
        return qs
    q = Q(pk__in=[])
    for source in _person_visibility:
        part = source(access)
        if part is not None:
            q |= part
    return qs.filter(q)


@register_person_visibility
def _self(access: Access) -> Q | None:
    return Q(pk=access.person.pk) if access.person is not None and access.has(Role.STAFF) else None


@register_person_visibility
def _supervised(access: Access) -> Q | None:
    """A supervisor's reports: people in their units (and below), and people who report to them."""
    if not access.has(Role.SUPERVISOR):
        return None
    q = _units_q(access.units_for(Role.SUPERVISOR))
    if access.person is not None:
        q |= Q(manager=access.person)
    return q


@register_person_visibility
def _hr_units(access: Access) -> Q | None:
    return _units_q(access.units_for(Role.HR_OFFICER)) if access.has(Role.HR_OFFICER) else None


def person_in_supervised_units(access: Access, person: Person) -> bool:
    """Whether ``person`` is in a unit (or below) that the principal supervises, or reports to them."""
    if not access.has(Role.SUPERVISOR):
        return False
    if access.person is not None and person.manager_id == access.person.pk:
        return True
    return any(person.unit.path.startswith(u.path) for u in access.units_for(Role.SUPERVISOR))


def get_person_or_404(principal, **lookup) -> Person:
    """Fetch and authorise together: a person the principal may not see is reported as missing."""
    try:
        return people_visible_to(principal).select_related("unit", "manager").get(**lookup)
    except (Person.DoesNotExist, ValueError):
        raise Http404 from None


# --- Org units ---------------------------------------------------------------------------------------


def org_units_visible_to(principal) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.all() if can(principal, "org.view") else OrgUnit.objects.none()


# --- Two-factor ----------------------------------------------------------------------------------------


def requires_two_factor(user) -> bool:
    """Whether this user must pass TOTP two-factor log-in: a role requires it (an administrator's
    per-role policy first, else the TWO_FACTOR_REQUIRED_ROLES setting), or they enrolled a device."""
    access = access_for(user)
    if access.api_client is not None or access.user is None:
        return False
    overrides = dict(RoleSecurityPolicy.objects.values_list("role", "require_two_factor"))
    required = set(settings.TWO_FACTOR_REQUIRED_ROLES)
    for role in access.roles:
        if overrides.get(role, role in required):
            return True
    from django_otp import user_has_device

    return user_has_device(user)


# --- Core rules ----------------------------------------------------------------------------------------


@register_rule("org.view")
def _org_view(access: Access, obj) -> bool:
    return bool(access.roles - {Role.API_CLIENT}) or access.has_scope(Scope.ORG_READ)


@register_rule("person.view")
def _person_view(access: Access, person) -> bool:
    return person is not None and _people_visible(access).filter(pk=person.pk).exists()


@register_rule("person.directory")
def _person_directory(access: Access, obj) -> bool:
    """Lists of people (the directory page, the people API)."""
    return access.has(
        Role.SUPERVISOR, Role.HR_OFFICER, Role.COUNSELLOR, Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR
    ) or access.has_scope(Scope.PEOPLE_READ)


@register_rule("admin.access")
def _admin_access(access: Access, obj) -> bool:
    return access.has(Role.ADMINISTRATOR)


@register_rule("audit.view")
def _audit_view(access: Access, obj) -> bool:
    return access.has(Role.ADMINISTRATOR)


@register_rule("stats.view")
def _stats_view(access: Access, obj) -> bool:
    return access.has(Role.LEADING_GROUP, Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR)


@register_rule("api.docs")
def _api_docs(access: Access, obj) -> bool:
    return bool(access.roles)


# --- Follow-ups ----------------------------------------------------------------------------------------

FollowUpVisibility = Callable[[Access], Q | None]
_followup_visibility: list[FollowUpVisibility] = []


def register_followup_visibility(func: FollowUpVisibility) -> FollowUpVisibility:
    """Add a source of visible follow-ups (e.g. the cases app: follow-ups on my caseload)."""
    _followup_visibility.append(func)
    return func


def followups_visible_to(principal):
    """access.md "follow-ups": ones they own; a supervisor's units' (never counselling work); the
    lead counsellor's team (counselling work). Administrators, the leading group and API clients
    see none (the leading group sees counts only)."""
    from wellbeing.models import FollowUp

    access = access_for(principal)
    if access.user is None:
        return FollowUp.objects.none()
    q = Q(pk__in=[])
    for source in _followup_visibility:
        part = source(access)
        if part is not None:
            q |= part
    return FollowUp.objects.filter(pk__in=FollowUp.objects.filter(q).values("pk"))


@register_followup_visibility
def _own_followups(access: Access) -> Q | None:
    return Q(owner=access.user)


@register_followup_visibility
def _routed_followups(access: Access) -> Q | None:
    """A delegate (or escalation target) can open what they were reminded of."""
    return Q(reminders__recipient=access.user)


@register_followup_visibility
def _units_followups(access: Access) -> Q | None:
    from wellbeing.models import FollowUp

    if not access.has(Role.SUPERVISOR):
        return None
    return _units_q(access.units_for(Role.SUPERVISOR), prefix="owner__person__unit__") & ~Q(
        kind__in=FollowUp.CLINICAL_KINDS
    )


@register_followup_visibility
def _counselling_team_followups(access: Access) -> Q | None:
    from wellbeing.models import FollowUp

    return Q(kind__in=FollowUp.CLINICAL_KINDS) if access.has(Role.LEAD_COUNSELLOR) else None


@register_rule("followup.mine")
def _followup_mine(access: Access, obj) -> bool:
    return access.user is not None and bool(access.roles)


@register_rule("followup.team")
def _followup_team(access: Access, obj) -> bool:
    return access.has(Role.SUPERVISOR, Role.LEAD_COUNSELLOR)


@register_rule("followup.manage")
def _followup_manage(access: Access, followup) -> bool:
    """Act on a follow-up (complete, snooze, reassign): its owner; the lead counsellor for counselling
    work; a supervisor for other work owned by people in their units."""
    if followup is None or access.user is None:
        return False
    if followup.owner_id == access.user.pk:
        return True
    if followup.is_clinical:
        return access.has(Role.LEAD_COUNSELLOR)
    if access.has(Role.SUPERVISOR):
        owner_person = Person.objects.filter(user_id=followup.owner_id).select_related("unit").first()
        return owner_person is not None and person_in_supervised_units(access, owner_person)
    return False


@register_rule("followup.overdue_counts")
def _followup_counts(access: Access, obj) -> bool:
    return access.has(Role.LEADING_GROUP, Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR)


# --- Referrals -----------------------------------------------------------------------------------------


@register_rule("referral.create")
def _referral_create(access: Access, person) -> bool:
    """Supervisors refer people in their units; the counselling team refers anyone; anyone may refer
    themselves."""
    if person is None or access.user is None:
        return False
    if access.person is not None and access.person.pk == person.pk:
        return True
    if access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR):
        return True
    return person_in_supervised_units(access, person)


@register_rule("referral.intake")
def _referral_intake(access: Access, obj) -> bool:
    return access.has(Role.LEAD_COUNSELLOR)


def referrals_visible_to(principal):
    """The lead counsellor sees every referral; a referrer sees the ones they made (status only)."""
    from wellbeing.models import Referral

    access = access_for(principal)
    if access.user is None:
        return Referral.objects.none()
    if access.has(Role.LEAD_COUNSELLOR):
        return Referral.objects.all()
    return Referral.objects.filter(referred_by=access.user)
