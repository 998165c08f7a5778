"""What the leave services share: the policy check and the per-person lock."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from wellbeing import policy
from wellbeing.actors import is_system
from wellbeing.models import Person


def check(actor, rule: str, obj, message: str) -> None:
    """Refuse unless ``actor`` may (system actors apply the code's own rules)."""
    if is_system(actor):
        return
    if not policy.can(actor, rule, obj):
        raise PermissionDenied(message)


def lock_person(person: Person) -> Person:
    """Every write to one person's leave takes this lock first: two requests, approvals or
    allocations for the same person run one after the other (the balance is re-read under it)."""
    return Person.objects.select_for_update().get(pk=person.pk)
