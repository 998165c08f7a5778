"""Leave rules, registered with the core access policy from LeaveConfig.ready() (design/access.md,
"leave balances and requests"):

- staff: their own balances, ledger and requests; they request, withdraw and (before it starts)
  cancel their own leave, and record their own work on rest days;
- supervisors: their reports' leave; they decide on requests and confirm work on rest days (never
  their own); they may record leave or rest-day work for a report and cancel approved leave;
- counsellors: the leave of the people on their caseload, read only;
- HR officers: the leave of their units; they adjust balances and carry leave over (never their own),
  read the reports and export them;
- administrators: everyone's leave, read only, without the notes on requests (and the calendar and
  leave types in the admin);
- the leading group: aggregates only (the statistics issue); nobody else sees anyone's leave;
- API clients: ``leave:read`` reads every person's leave; ``leave:write`` also submits and cancels
  requests for a person, and records leave taken elsewhere (``leave.sync``: the HR sync,
  ``POST /api/v1/sync/leave/``; nobody signed in pushes leave).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from leave.models import LeaveRequest, OvertimeRecord
from wellbeing import policy
from wellbeing.models import Person, Role
from wellbeing.models.api_clients import Scope
from wellbeing.policy import Access


def _own(access: Access, person: Person) -> bool:
    return access.person is not None and access.person.pk == person.pk


def _hr_over(access: Access, person: Person) -> bool:
    return access.has(Role.HR_OFFICER) and policy.in_subtree(person.unit, access.units_for(Role.HR_OFFICER))


def _active_self(access: Access) -> bool:
    return access.has(Role.STAFF) and access.person is not None


def people_q(principal, prefix: str = "") -> Q:
    """Whose leave the principal may see (a Q over Person, reached through ``prefix``)."""
    access = policy.access_for(principal)
    if access.api_client is not None:
        return (
            ~Q(pk__in=[]) if access.has_scope(Scope.LEAVE_READ) or access.has_scope(Scope.LEAVE_WRITE) else Q(pk__in=[])
        )
    if access.user is None:
        return Q(pk__in=[])
    if access.has(Role.ADMINISTRATOR):
        return ~Q(pk__in=[])
    q = Q(pk__in=[])
    if access.person is not None:
        q |= Q(**{f"{prefix}pk": access.person.pk})
    if access.has(Role.SUPERVISOR):
        q |= policy.reports_q(access, prefix=prefix)
    if access.has(Role.HR_OFFICER):
        q |= policy.subtree_q(access.units_for(Role.HR_OFFICER), prefix=f"{prefix}unit__")
    if access.has(Role.COUNSELLOR):
        q |= policy.caseload_q(access, prefix=prefix)
    return q


def may_view(access: Access, person: Person) -> bool:
    if access.api_client is not None:
        return access.has_scope(Scope.LEAVE_READ) or access.has_scope(Scope.LEAVE_WRITE)
    if access.user is None:
        return False
    if _own(access, person) or access.has(Role.ADMINISTRATOR):
        return True
    if policy.supervises(access, person) or _hr_over(access, person):
        return True
    return access.has(Role.COUNSELLOR) and policy.on_caseload(access, person)


def may_request_for(access: Access, person: Person) -> bool:
    if person is None or person.status == Person.Status.LEFT:
        return False
    if access.api_client is not None:
        return access.has_scope(Scope.LEAVE_WRITE)
    if _own(access, person):
        return _active_self(access)
    return policy.supervises(access, person) or _hr_over(access, person)


def may_decide(access: Access, obj) -> bool:
    """A request or a record of rest-day work: the person's supervisor, never about themself."""
    person = obj.person
    return not _own(access, person) and access.api_client is None and policy.supervises(access, person)


def may_cancel(access: Access, request: LeaveRequest) -> bool:
    person = request.person
    if access.api_client is not None:
        return access.has_scope(Scope.LEAVE_WRITE)
    if _own(access, person):
        # Their own: a draft or a waiting request at any time, approved leave before it starts.
        return request.is_open or request.start_date > timezone.localdate()
    return policy.supervises(access, person) or _hr_over(access, person)


def may_read_note(access: Access, request: LeaveRequest) -> bool:
    """A request's note (it may say why, e.g. a hospital appointment): the person, their supervisors
    and the HR officers of their unit. Not counsellors, administrators or API clients."""
    if access.api_client is not None or access.user is None:
        return False
    person = request.person
    return _own(access, person) or policy.supervises(access, person) or _hr_over(access, person)


def may_adjust(access: Access, person: Person) -> bool:
    return not _own(access, person) and access.api_client is None and _hr_over(access, person)


def may_sync(access: Access) -> bool:
    """Record leave taken elsewhere (the HR sync): an HR system with ``leave:write``, nobody else."""
    return access.api_client is not None and access.has_scope(Scope.LEAVE_WRITE)


def register() -> None:
    policy.register_rules(
        {
            # Pages: one's own leave; the team's (supervisors, HR officers); the reports (HR officers).
            "leave.own": lambda a, _o=None: _active_self(a),
            "leave.team": lambda a, _o=None: a.user is not None and a.has(Role.SUPERVISOR, Role.HR_OFFICER),
            "leave.report": lambda a, _o=None: a.user is not None and a.has(Role.HR_OFFICER),
            "leave.view": lambda a, person: person is not None and may_view(a, person),
            "leave.request_for": lambda a, person: may_request_for(a, person),
            "leave.approve": lambda a, obj: isinstance(obj, LeaveRequest) and may_decide(a, obj),
            "leave.confirm_overtime": lambda a, obj: isinstance(obj, OvertimeRecord) and may_decide(a, obj),
            "leave.cancel": lambda a, obj: isinstance(obj, LeaveRequest) and may_cancel(a, obj),
            "leave.adjust": lambda a, person: person is not None and may_adjust(a, person),
            "leave.read_note": lambda a, obj: isinstance(obj, LeaveRequest) and may_read_note(a, obj),
            "leave.sync": lambda a, _o=None: may_sync(a),
            # Anyone signed in (and API clients with a leave scope) reads the calendar and leave types.
            "leave.calendar": lambda a, _o=None: (
                a.user is not None or a.has_scope(Scope.LEAVE_READ) or a.has_scope(Scope.LEAVE_WRITE)
            ),
        }
    )
