"""Writes for a member of staff asking for a talk, and for the talk that answers it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from talks import cadence
from talks.models import TalkRequest
from wellbeing import policy, services
from wellbeing.audit import audit_record
from wellbeing.messages import TALK_REQUESTED
from wellbeing.models import AuditEvent, FollowUp, Notification, Person


def talk_request_create(*, actor) -> TalkRequest:
    """The signed-in person asks for a talk: each of their supervisors is told in their inbox, and the
    talk each owes comes forward to within TALK_REQUEST_WITHIN_DAYS (or is scheduled then). Asking
    again while a request is open changes nothing and tells nobody twice."""
    if not policy.can(actor, "talk.request"):
        raise PermissionDenied(_("Only staff with a staff record can ask for a talk."))
    person = policy.access_for(actor).person
    supervisors = policy.supervisors_of(person)
    if not supervisors:
        raise ValidationError({"__all__": [_("Nobody supervises you in Tanxin yet: ask your unit's HR officer.")]})
    existing = TalkRequest.objects.filter(person=person, answered_at__isnull=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            request = TalkRequest.objects.create(person=person, requested_by=actor)
            _bring_forward(actor=actor, person=person, supervisors=supervisors)
            url = f"{reverse('talks:new')}?{urlencode({'person': person.external_id})}"
            Notification.objects.bulk_create(
                [
                    Notification(recipient=u, message_key=TALK_REQUESTED, params={"name": person.full_name}, url=url)
                    for u in supervisors
                ]
            )
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, target=request, subject_person=person)
    except IntegrityError:  # asked twice at the same moment: the first request stands
        return TalkRequest.objects.get(person=person, answered_at__isnull=True)
    return request


def _bring_forward(*, actor, person: Person, supervisors) -> None:
    due = timezone.now() + timedelta(days=settings.TALK_REQUEST_WITHIN_DAYS)
    owed = {
        f.owner_id: f
        for f in FollowUp.objects.filter(
            kind=FollowUp.Kind.TALK_DUE, status__in=FollowUp.ACTIVE_STATUSES, person=person
        )
    }
    if any(s.pk not in owed for s in supervisors):
        cadence.sync_person(actor=actor, person=person, first_due=due)  # schedules the missing ones
    for supervisor in supervisors:
        f = owed.get(supervisor.pk)
        if f is not None and (f.due_at > due or f.status == FollowUp.Status.SNOOZED):
            # The person asked: the rule is theirs to invoke, not the owner's to grant.
            services.followup_reschedule(
                actor=actor, followup=f, due_at=min(f.due_at, due), reason="talk requested", authorized=True
            )
