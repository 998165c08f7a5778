"""The programme's rules, registered with the core access policy from ProgrammeConfig.ready()
(design/access.md, "plan, responsibility list, activities" and "care record"):

- the leading group: the whole plan, its reviews and corrections, every activity (they manage them
  all) and the dashboard and work ledger - figures only, each over at least k people;
- everyone else: the plan tasks and correction items they own (they update them and attach
  evidence); the activities open to their unit (they register); the activities they organise
  (registrations, attendance, materials);
- care records: the person themself, their supervisors and the HR officers of their unit; the
  supervisors and HR officers record them. Nobody else, not the leading group (counts only), not
  the counselling team, not an administrator, never an API client.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from programme.models import Activity, CareRecord, Correction, PlanTask, Registration
from wellbeing import policy
from wellbeing.models import Person, Role
from wellbeing.policy import Access


def leads(access: Access) -> bool:
    """A member of the leading group, signed in (never an API client)."""
    return access.user is not None and access.has(Role.LEADING_GROUP)


def _user_id(access: Access):
    return getattr(access.user, "pk", None)


def _staff_person(access: Access) -> Person | None:
    """The signed-in person, if they are staff still working here."""
    person = access.person
    if access.user is None or person is None or person.status == Person.Status.LEFT or not access.has(Role.STAFF):
        return None
    return person


def task_view(access: Access, task) -> bool:
    return isinstance(task, PlanTask) and (leads(access) or task.owner_id == _user_id(access))


def correction_view(access: Access, item) -> bool:
    return isinstance(item, Correction) and (leads(access) or item.owner_id == _user_id(access))


def activity_open_to(activity: Activity, person: Person) -> bool:
    """Whether ``person``'s unit is in the activity's audience (empty: everyone). The activity's
    units are prefetched by every caller that asks about many."""
    units = list(activity.units.all())
    return not units or policy.in_subtree(person.unit, units)


def activity_view(access: Access, activity) -> bool:
    if not isinstance(activity, Activity):
        return False
    if leads(access) or activity.organiser_id == _user_id(access):
        return True
    person = _staff_person(access)
    return person is not None and activity_open_to(activity, person)


def activity_manage(access: Access, activity) -> bool:
    """Registrations, attendance, materials, cancelling: the organiser and the leading group."""
    return isinstance(activity, Activity) and (leads(access) or activity.organiser_id == _user_id(access))


def activity_register(access: Access, activity) -> bool:
    person = _staff_person(access)
    return (
        isinstance(activity, Activity)
        and person is not None
        and activity.status == Activity.Status.PUBLISHED
        and activity.starts_at > timezone.now()
        and activity_open_to(activity, person)
    )


def activity_feedback(access: Access, registration) -> bool:
    """Feedback on an activity: people who attended it, once it has begun."""
    person = _staff_person(access)
    return (
        isinstance(registration, Registration)
        and person is not None
        and registration.person_id == person.pk
        and registration.status == Registration.Status.REGISTERED
        and registration.activity.starts_at <= timezone.now()
        and registration.activity.status == Activity.Status.PUBLISHED
    )


def _hr_over(access: Access, person: Person) -> bool:
    return access.has(Role.HR_OFFICER) and policy.in_subtree(person.unit, access.units_for(Role.HR_OFFICER))


def care_record(access: Access, person) -> bool:
    """Recording support for ``person``: their supervisors and their unit's HR officers, never for
    themselves."""
    if access.user is None or not isinstance(person, Person) or person.status == Person.Status.LEFT:
        return False
    if access.person is not None and access.person.pk == person.pk:
        return False
    return policy.supervises(access, person) or _hr_over(access, person)


def care_view(access: Access, person) -> bool:
    """A person's care records: the person, their supervisors and their unit's HR officers."""
    if access.user is None or not isinstance(person, Person):
        return False
    if access.person is not None and access.person.pk == person.pk:
        return True
    return policy.supervises(access, person) or _hr_over(access, person)


def care_records_visible_to(principal) -> QuerySet[CareRecord]:
    """The care records a principal may see, as one queryset (the lists and the pages use it)."""
    access = policy.access_for(principal)
    if access.user is None:
        return CareRecord.objects.none()
    q = Q(pk__in=[])
    if access.person is not None:
        q |= Q(person=access.person)
    if access.has(Role.SUPERVISOR):
        q |= policy.reports_q(access, prefix="person__")
    if access.has(Role.HR_OFFICER):
        q |= policy.subtree_q(access.units_for(Role.HR_OFFICER), prefix="person__unit__")
    return CareRecord.objects.filter(q)


def activities_visible_to(principal) -> QuerySet[Activity]:
    """Activities a principal may see: all for the leading group; else the ones they organise and
    the ones open to their unit (everyone's, or one of their unit's ancestors)."""
    access = policy.access_for(principal)
    if access.user is None:
        return Activity.objects.none()
    if leads(access):
        return Activity.objects.all()
    q = Q(organiser_id=access.user.pk)
    person = _staff_person(access)
    if person is not None:
        ancestors = [
            person.unit.path[:i] for i in range(person.unit.steplen, len(person.unit.path) + 1, person.unit.steplen)
        ]
        q |= Q(units__isnull=True) | Q(units__path__in=ancestors)
    return Activity.objects.filter(pk__in=Activity.objects.filter(q).values("pk"))


def register() -> None:
    policy.register_rules(
        {
            "programme.manage": lambda a, _o=None: leads(a),
            "programme.dashboard": lambda a, _o=None: leads(a),
            "programme.my_work": lambda a, _o=None: a.user is not None,
            "programme.task.view": task_view,
            "programme.task.update": task_view,
            "programme.correction.view": correction_view,
            "programme.correction.update": correction_view,
            "programme.activity.view": activity_view,
            "programme.activity.manage": activity_manage,
            "programme.activity.register": activity_register,
            "programme.activity.feedback": activity_feedback,
            "programme.activity.create": lambda a, _o=None: leads(a),
            "programme.care.record": care_record,
            "programme.care.view": care_view,
        }
    )
