"""Reads of the care pages (design/access.md, "care record"): the records a user may see (the person
themself, their supervisors, HR for their unit), never their note in a list; one record with its
note, the read audited here; and the people a user may record support for.

A record or a person the reader may not see raises Http404, exactly like a missing one."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from programme.models import CareRecord
from programme.rules import care_records_visible_to
from wellbeing import policy
from wellbeing.audit import audit_sensitive_read
from wellbeing.models import Person, Role
from wellbeing.validation import database_id

#: People offered by the picker before "narrow it down by name".
PICKER_LIMIT = 50
#: Records in the list before "narrow it down by name".
LIST_LIMIT = 200


def care_list_for_user(*, user, q: str = "") -> QuerySet[CareRecord]:
    """The records the user may see, newest first, the note never loaded (one query)."""
    qs = (
        care_records_visible_to(user)
        .select_related("person__unit", "recorded_by__person")
        .defer("note")
        .order_by("-occurred_on", "-id")
    )
    if q:
        qs = qs.filter(person__full_name__icontains=q)
    return qs


def care_get_for_user(*, user, pk) -> CareRecord:
    """One record with its note, for who may see the person's care records; the read is audited."""
    pk = database_id(pk)
    record = (
        care_records_visible_to(user).select_related("person__unit", "recorded_by__person").filter(pk=pk).first()
        if pk
        else None
    )
    if record is None or not policy.can(user, "programme.care.view", record.person):
        raise Http404
    audit_sensitive_read(actor=user, target=record, fields=["note"], subject_person=record.person)
    return record


def people_to_record_for(*, user, q: str = "") -> tuple[list[Person], bool]:
    """The people the user may record support for (a supervisor's reports, the people of an HR
    officer's units), by name; and whether there are more than the picker shows."""
    access = policy.access_for(user)
    people = policy.reports_of(access)
    if access.has(Role.HR_OFFICER):
        people = people | Person.objects.active().filter(policy.subtree_q(access.units_for(Role.HR_OFFICER)))
    if access.person is not None:
        people = people.exclude(pk=access.person.pk)
    if q:
        people = people.filter(full_name__icontains=q)
    rows = list(people.select_related("unit").distinct().order_by("full_name", "id")[: PICKER_LIMIT + 1])
    rows = [p for p in rows if policy.can(access, "programme.care.record", p)]
    return rows[:PICKER_LIMIT], len(rows) > PICKER_LIMIT


def person_to_record_for(*, user, person_id) -> Person:
    """A person the user may record support for; 404 for anyone else."""
    pk = database_id(person_id)
    person = Person.objects.select_related("unit").filter(pk=pk).first() if pk else None
    if person is None or not policy.can(user, "programme.care.record", person):
        raise Http404
    return person
