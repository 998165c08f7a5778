"""The access policy: the one place that answers "may this principal do this to this record" and
"which records of this kind may this principal see" (design/access.md).

Pages, API views, exports, search and notifications all ask this module; nothing filters by role
on its own. It holds the engine (rules, visibility sources, field visibility) and the rules every
app shares as public functions: a unit and everything below it (``subtree_q``), a supervisor's
reports (``reports_q``, ``reports_of``, ``supervises``) and who holds a role over a unit
(``holders_of``, ``supervisors_of``). Each app registers its own rules from its AppConfig.ready()
(``wellbeing/rules.py``, ``talks/rules.py``; the list is in docs/architecture.md), so this core
module never imports another app.

A principal is a Django user (session log-in) or an ``ApiPrincipal`` (an HR system's token).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404
from django_otp import user_has_device

from wellbeing.models import (
    ApiClient,
    FollowUp,
    OrgUnit,
    Person,
    Referral,
    Role,
    RoleAssignment,
    RoleSecurityPolicy,
    Scope,
    Screening,
    ScreeningConsent,
)
from wellbeing.models.roles import UNIT_SCOPED_ROLES


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

    def scope_units(self) -> list[OrgUnit]:
        """The units a principal's unit-scoped roles cover (for "your units" on a page)."""
        return self.units_for(*UNIT_SCOPED_ROLES)


def access_for(principal) -> Access:
    if isinstance(principal, Access):
        return principal
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
    person = _person_of(principal)
    roles: set[str] = set()
    units: dict[str, list[OrgUnit]] = {}
    if person is not None and person.status != Person.Status.LEFT:
        roles.add(Role.STAFF)
    for assignment in RoleAssignment.objects.current().filter(user=principal).select_related("unit"):
        roles.add(assignment.role)
        if assignment.unit_id:
            units.setdefault(assignment.role, []).append(assignment.unit)
    return Access(user=principal, person=person, roles=frozenset(roles), units=units)


def _person_of(user) -> Person | None:
    """The user's person record: the one loaded with the user when it was (``PersonModelBackend``
    loads every signed-in request's user with it), else read."""
    descriptor = get_user_model().person
    if getattr(user, "_state", None) is not None and descriptor.is_cached(user):
        person = descriptor.related.get_cached_value(user)  # None when the user has no person record
        if person is None or "unit" in person._state.fields_cache or person.unit_id is None:
            return person
    return Person.objects.select_related("unit").filter(user=user).first()


def forget(principal) -> None:
    """Drop the cached access (after a role change within the same request, e.g. in tests)."""
    if hasattr(principal, "_tanxin_access"):
        del principal._tanxin_access


# --- Rules: "may this principal do this (to this record)?" ------------------------------------------

Rule = Callable[[Access, object | None], bool]
_rules: dict[str, Rule] = {}


def register_rules(rules: dict[str, Rule]) -> None:
    """Register an app's rules (called from its AppConfig.ready(); each action has one rule)."""
    for action, func in rules.items():
        if action in _rules:
            raise ValueError(f"A rule for {action!r} is registered already.")
        _rules[action] = func


def registered_actions() -> list[str]:
    return sorted(_rules)


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


FollowUpVisibility = Callable[[Access], Q | None]
_followup_visibility: list[FollowUpVisibility] = []


def register_followup_visibility(func: FollowUpVisibility) -> FollowUpVisibility:
    """Add a source of visible follow-ups (e.g. the cases app: follow-ups on my caseload)."""
    _followup_visibility.append(func)
    return func


def followups_visible_to(principal) -> QuerySet[FollowUp]:
    """Follow-ups the principal may see: the union of every registered source (access.md)."""
    access = access_for(principal)
    if access.user is None:
        return FollowUp.objects.none()
    q = Q(pk__in=[])
    for source in _followup_visibility:
        part = source(access)
        if part is not None:
            q |= part
    return FollowUp.objects.filter(pk__in=FollowUp.objects.filter(q).values("pk"))


def referrals_visible_to(principal) -> QuerySet[Referral]:
    """The lead counsellor sees every referral; a counsellor the ones assigned to them (the on-call
    counsellor's red ones); a referrer the ones they made (status only)."""
    access = access_for(principal)
    if access.user is None:
        return Referral.objects.none()
    if access.has(Role.LEAD_COUNSELLOR):
        # Never a referral about themself (another lead counsellor handles it), unless they made it.
        if access.person is None:
            return Referral.objects.all()
        return Referral.objects.filter(~Q(person=access.person) | Q(referred_by=access.user))
    q = Q(referred_by=access.user)
    if access.has(Role.COUNSELLOR):
        q |= Q(assigned_to=access.user)
    return Referral.objects.filter(q)


def screenings_visible_to(principal) -> QuerySet[Screening]:
    """Screening results a principal may see (access.md "screening result"): their own; a counsellor
    the results of people on their caseload; the lead counsellor all results of people whose consent
    stands, and the results that led to a referral - withdrawing consent keeps the rest from them.
    Supervisors see completion only, the leading group counts, API clients never."""
    access = access_for(principal)
    if access.user is None or access.api_client is not None:
        return Screening.objects.none()
    q = Q(pk__in=[])
    if access.person is not None and access.has(Role.STAFF):
        q |= Q(person=access.person)
    if access.has(Role.LEAD_COUNSELLOR):
        q |= Q(person_id__in=ScreeningConsent.objects.filter(withdrawn_at__isnull=True).values("person_id"))
        q |= Q(referral__isnull=False)  # a result that led to a referral stays under the team's care
    elif access.has(Role.COUNSELLOR):
        q |= caseload_q(access, prefix="person__")
    return Screening.objects.filter(q)


# --- A counsellor's caseload: the people they are responsible for -----------------------------------

CaseloadSource = Callable[[Access], Q | None]
_caseload_sources: list[CaseloadSource] = []


def register_caseload_source(func: CaseloadSource) -> CaseloadSource:
    """Add a source of a counsellor's caseload people (a Q over Person): the core counts referrals
    assigned to them; the cases app adds the cases on their caseload."""
    _caseload_sources.append(func)
    return func


def caseload_q(principal, prefix: str = "") -> Q:
    """The people on a counsellor's caseload (reached through ``prefix``), for the counsellor role;
    nothing for anyone else. The lead counsellor sees everyone anyway (``sees_all_people``)."""
    access = access_for(principal)
    if not access.has(Role.COUNSELLOR) or access.user is None:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for source in _caseload_sources:
        part = source(access)
        if part is not None:
            q |= part
    ids = Person.objects.filter(q).values("pk")
    return Q(**{f"{prefix}pk__in" if prefix else "pk__in": ids})


def on_caseload(principal, person: Person) -> bool:
    """Whether ``person`` is on the principal's caseload (the lead counsellor: everyone)."""
    access = access_for(principal)
    if access.has(Role.LEAD_COUNSELLOR):
        return True
    return Person.objects.filter(caseload_q(access), pk=person.pk).exists()


def subtree_q(units, prefix: str = "unit__") -> Q:
    """Rows whose unit (reached through ``prefix``) is one of ``units`` or below one of them: one
    indexed ``path LIKE 'prefix%'`` per unit, however deep the tree."""
    q = Q(pk__in=[])
    for unit in units:
        q |= Q(**{f"{prefix}path__startswith": unit.path})
    return q


def in_subtree(unit: OrgUnit, units) -> bool:
    """Whether ``unit`` is one of ``units`` or below one of them (no query)."""
    return any(unit.path.startswith(u.path) for u in units)


def sees_all_people(access: Access) -> bool:
    return access.has(Role.LEAD_COUNSELLOR, Role.ADMINISTRATOR) or access.has_scope(Scope.PEOPLE_READ)


def people_visible_to(principal) -> QuerySet[Person]:
    access = access_for(principal)
    qs = Person.objects.all()
    if sees_all_people(access):
        return qs
    q = Q(pk__in=[])
    for source in _person_visibility:
        part = source(access)
        if part is not None:
            q |= part
    return qs.filter(q)


# --- Shared rules: a supervisor's reports, who holds a role over a unit ---------------------------


def reports_q(principal, prefix: str = "") -> Q:
    """The people a supervisor answers for (their reports): everyone in the units they supervise
    (and below), and everyone whose manager they are. Nothing for anyone without the role."""
    access = access_for(principal)
    if not access.has(Role.SUPERVISOR):
        return Q(pk__in=[])
    q = subtree_q(access.units_for(Role.SUPERVISOR), prefix=f"{prefix}unit__")
    if access.person is not None:
        q |= Q(**{f"{prefix}manager": access.person})
    return q


def reports_of(principal) -> QuerySet[Person]:
    """A supervisor's current reports (active people, never the supervisor themself)."""
    access = access_for(principal)
    qs = Person.objects.active().filter(reports_q(access))
    if access.person is not None:
        qs = qs.exclude(pk=access.person.pk)
    return qs


def supervises(principal, person: Person) -> bool:
    """Whether ``person`` is one of the principal's reports (no query)."""
    access = access_for(principal)
    if not access.has(Role.SUPERVISOR):
        return False
    if access.person is not None and person.manager_id == access.person.pk:
        return True
    return in_subtree(person.unit, access.units_for(Role.SUPERVISOR))


def assignments_in_force(role: str, *, on: date | None = None) -> QuerySet[RoleAssignment]:
    """Assignments of ``role`` in force today (or ``on``), held by active logins of people who have
    not left."""
    return (
        RoleAssignment.objects.current(on=on)
        .filter(role=role, user__is_active=True)
        .exclude(user__person__status=Person.Status.LEFT)
    )


def holders_of(role: str, unit: OrgUnit | None = None, *, on: date | None = None) -> list:
    """Who holds ``role`` over ``unit`` today (or ``on``): for a unit-scoped role, the holders whose
    unit is ``unit`` or above it, nearest unit first; organisation-wide roles ignore ``unit``."""
    rows = list(assignments_in_force(role, on=on).select_related("user", "unit"))
    if role in UNIT_SCOPED_ROLES:
        if unit is None:
            return []
        rows = [ra for ra in rows if unit.path.startswith(ra.unit.path)]
        rows.sort(key=lambda ra: (-ra.unit.depth, ra.user_id))
    else:
        rows.sort(key=lambda ra: ra.user_id)
    return list({ra.user_id: ra.user for ra in rows}.values())


def holders_of_anywhere(role: str, *, on: date | None = None) -> list:
    """Everyone who holds ``role`` today (or ``on``), over any unit."""
    rows = assignments_in_force(role, on=on).select_related("user").order_by("user_id")
    return list({ra.user_id: ra.user for ra in rows}.values())


def supervisors_of(person: Person, *, on: date | None = None) -> list:
    """Who answers for ``person`` as a supervisor: supervisors of their unit (nearest first), then
    their manager if the manager holds the supervisor role. Never the person themself."""
    holders = holders_of(Role.SUPERVISOR, person.unit, on=on)
    if person.manager_id and person.manager.user_id:
        manager_user = person.manager.user
        if assignments_in_force(Role.SUPERVISOR, on=on).filter(user=manager_user).exists():
            holders.append(manager_user)
    unique = {u.pk: u for u in holders if u.pk != person.user_id}
    return list(unique.values())


def get_person_or_404(principal, **lookup) -> Person:
    """Fetch and authorise together: a person the principal may not see is reported as missing."""
    try:
        return people_visible_to(principal).select_related("unit", "manager").get(**lookup)
    except (Person.DoesNotExist, ValueError):
        raise Http404 from None


# --- Org units ---------------------------------------------------------------------------------------


def org_units_visible_to(principal) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.all() if can(principal, "org.view") else OrgUnit.objects.none()


# --- Field visibility: "which fields of this record may this principal see?" -------------------------

FieldVisibility = Callable[[Access, object], frozenset[str]]
_field_visibility: dict[str, FieldVisibility] = {}


def register_field_visibility(model_label: str, func: FieldVisibility) -> None:
    """The one decision of which fields of a ``model_label`` record a principal may see; pages,
    templates and the API all read it through ``visible_fields``."""
    if model_label in _field_visibility:
        raise ValueError(f"Field visibility for {model_label!r} is registered already.")
    _field_visibility[model_label] = func


def visible_fields(principal, obj) -> frozenset[str]:
    try:
        func = _field_visibility[obj._meta.label_lower]
    except KeyError:
        raise LookupError(f"No field visibility is registered for {obj._meta.label_lower!r}.") from None
    return func(access_for(principal), obj)


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
    return user_has_device(user)
