"""The talks app's reactions to the core's lifecycle signals (wellbeing/lifecycle.py). Each is
idempotent: an event that is announced again changes nothing more."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from talks import cadence
from talks.models import TalkAction
from wellbeing import lifecycle, policy, services
from wellbeing.actors import receiver_actor
from wellbeing.models import FollowUp, Role

TALK_KINDS = (FollowUp.Kind.TALK_DUE, FollowUp.Kind.TALK_ACTION)


def _reason(text: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # stored in the organisation's language
        return _(text)


@transaction.atomic
def person_left(sender, event, person, **kwargs):
    """Talks owed to someone who left, and actions about them, end. Actions they owed about others
    go to the talk's leader (or the person's nearest supervisor), so nothing agreed is lost."""
    actor = receiver_actor("person_left", "talks")
    active = FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES, kind__in=TALK_KINDS)
    owned = Q(owner_id=person.user_id) if person.user_id else Q(pk__in=[])
    for f in active.filter(Q(person=person) | (owned & Q(kind=FollowUp.Kind.TALK_DUE))):
        services.followup_cancel(actor=actor, followup=f, reason=_reason("The person left."))
    if not person.user_id:
        return
    for f in active.filter(owned, kind=FollowUp.Kind.TALK_ACTION).exclude(person=person):
        action = TalkAction.objects.select_related("talk__led_by", "person__unit", "person__manager").get(followup=f)
        leader = action.talk.led_by
        candidates = [leader] if leader.is_active and leader.pk != person.user_id else []
        candidates += policy.supervisors_of(action.person)
        successor = next((u for u in candidates if u.pk != person.user_id), None)
        if successor is None:
            services.followup_cancel(actor=actor, followup=f, reason=_reason("The owner left."))
        else:
            services.followup_reassign(actor=actor, followup=f, owner=successor)


@transaction.atomic
def person_moved(sender, event, person, **kwargs):
    """The old supervisors' talk obligations end; each new supervisor owes a talk soon."""
    cadence.sync_person(actor=receiver_actor("person_moved", "talks"), person=person)


@transaction.atomic
def manager_changed(sender, event, person, **kwargs):
    cadence.sync_person(actor=receiver_actor("manager_changed", "talks"), person=person)


@transaction.atomic
def role_assigned(sender, event, assignment, **kwargs):
    if assignment.role == Role.SUPERVISOR and assignment.valid_from <= timezone.localdate():
        cadence.sync_supervisor(actor=receiver_actor("role_assigned", "talks"), supervisor=assignment.user)


@transaction.atomic
def role_ended(sender, event, assignment, **kwargs):
    """A supervisor whose role has ended owes no more talks (one ending later is handled by the daily
    reconciliation on the day)."""
    if assignment.role == Role.SUPERVISOR:
        cadence.sync_supervisor(actor=receiver_actor("role_ended", "talks"), supervisor=assignment.user)


def connect() -> None:
    lifecycle.person_left.connect(person_left, dispatch_uid="talks.person_left")
    lifecycle.person_moved.connect(person_moved, dispatch_uid="talks.person_moved")
    lifecycle.manager_changed.connect(manager_changed, dispatch_uid="talks.manager_changed")
    lifecycle.role_assigned.connect(role_assigned, dispatch_uid="talks.role_assigned")
    lifecycle.role_ended.connect(role_ended, dispatch_uid="talks.role_ended")
