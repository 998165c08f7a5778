"""Activities: publishing, registration with a waiting list, the reminder the day before (a
follow-up for each registered person with a login), attendance, materials and anonymous feedback."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from programme.models import Activity, ActivityMaterial, Feedback, FeedbackReceipt, Registration
from programme.services.common import ACTOR, read_upload, require
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Person
from wellbeing.services import followup_cancel, followup_complete, followup_create
from wellbeing.validation import full_clean

logger = logging.getLogger(__name__)

REMINDER_TITLE = "programme.activity"
ACTIVITY_FIELDS = ("title", "kind", "description", "starts_at", "ends_at", "place", "capacity", "task")


def _reminder(*, actor, registration: Registration) -> FollowUp | None:
    """The reminder the day before: due 24 hours before the start (or now, for a late registration),
    never overdue before the activity ends; closed when it ends (``close_past_reminders``)."""
    activity, person = registration.activity, registration.person
    if person.user_id is None or not person.user.is_active:
        return None
    due_at = max(activity.starts_at - timedelta(days=1), timezone.now())
    return followup_create(
        actor=actor,
        owner=person.user,
        title_key=REMINDER_TITLE,
        title_params={"title": activity.title},
        due_at=due_at,
        grace=activity.ends_at - due_at + timedelta(hours=1),
        kind=FollowUp.Kind.ACTIVITY,
        subject=activity,
        person=person,
        escalation=FollowUp.Escalation.NONE,
    )


def _end_reminder(*, actor, registration: Registration, done: bool) -> None:
    f = registration.followup
    if f is None or not f.is_active:
        return
    if done:
        followup_complete(actor=actor, followup=f, authorized=True, by_record=True)
    else:
        followup_cancel(actor=actor, followup=f, reason=_("Registration cancelled."), authorized=True)


@transaction.atomic
def activity_create(*, actor, units=(), **fields) -> Activity:
    require(actor, "programme.activity.create")
    activity = Activity(
        organiser=fields.pop("organiser", None) or actor, **{k: v for k, v in fields.items() if k in ACTIVITY_FIELDS}
    )
    full_clean(activity)
    activity.save()
    activity.units.set(units)
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, target=activity, changes={"starts_at": activity.starts_at}
    )
    return activity


@transaction.atomic
def activity_edit(*, actor, activity: Activity, units=None, **fields) -> Activity:
    require(actor, "programme.activity.manage", activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    before = {k: getattr(activity, k) for k in ACTIVITY_FIELDS}
    for k, v in fields.items():
        if k in ACTIVITY_FIELDS:
            setattr(activity, k, v)
    full_clean(activity)
    activity.save()
    if units is not None:
        activity.units.set(units)
    if before["starts_at"] != activity.starts_at or before["ends_at"] != activity.ends_at:
        for r in activity.registrations.filter(status=Registration.Status.REGISTERED).select_related(
            "person__user", "followup"
        ):
            _end_reminder(actor=actor, registration=r, done=False)
            r.activity = activity
            r.followup = _reminder(actor=actor, registration=r) if activity.ends_at > timezone.now() else None
            r.save(update_fields=["followup", "updated_at"])
    _fill_places(actor=actor, activity=activity)
    after = {k: getattr(activity, k) for k in ACTIVITY_FIELDS}
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, target=activity, changes=diff(before, after))
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity: Activity) -> Activity:
    require(actor, "programme.activity.manage", activity)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == Activity.Status.CANCELLED:
        raise ValidationError({"status": [_("This activity is cancelled already.")]})
    activity.status = Activity.Status.CANCELLED
    activity.save(update_fields=["status", "updated_at"])
    for r in activity.registrations.exclude(status=Registration.Status.CANCELLED).select_related("followup"):
        _end_reminder(actor=actor, registration=r, done=False)
    audit_record(
        actor=actor, action=AuditEvent.Action.STATUS, target=activity, changes={"status": ["published", "cancelled"]}
    )
    return activity


def _registered_count(activity: Activity) -> int:
    return activity.registrations.filter(status=Registration.Status.REGISTERED).count()


def _fill_places(*, actor, activity: Activity) -> None:
    """Give free places to the waiting list, first come first served (the activity row is locked)."""
    if activity.status != Activity.Status.PUBLISHED or activity.starts_at <= timezone.now():
        return
    free = None if activity.capacity is None else activity.capacity - _registered_count(activity)
    if free is not None and free <= 0:
        return
    waiting = activity.registrations.filter(status=Registration.Status.WAITLISTED).select_related("person__user")
    for r in waiting.order_by("created_at", "id")[:free]:
        r.status = Registration.Status.REGISTERED
        r.followup = _reminder(actor=actor, registration=r)
        r.save(update_fields=["status", "followup", "updated_at"])


@transaction.atomic
def register(*, actor, activity: Activity, person: Person | None = None) -> Registration:
    """Register the signed-in person (a place, or the waiting list when it is full). Registering
    again after cancelling takes a new turn."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "programme.activity.register", activity)
    person = person or actor.person
    existing = Registration.objects.filter(activity=activity, person=person).select_related("followup").first()
    if existing is not None and existing.status != Registration.Status.CANCELLED:
        raise ValidationError({"activity": [_("You are registered already.")]})
    full = activity.capacity is not None and _registered_count(activity) >= activity.capacity
    status = Registration.Status.WAITLISTED if full else Registration.Status.REGISTERED
    if existing is None:
        registration = Registration.objects.create(activity=activity, person=person, status=status)
    else:
        registration = existing
        registration.status = status
        registration.created_at = timezone.now()  # the back of the queue
        registration.save(update_fields=["status", "created_at", "updated_at"])
    registration.activity = activity
    if status == Registration.Status.REGISTERED:
        registration.followup = _reminder(actor=actor, registration=registration)
        registration.save(update_fields=["followup"])
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, target=registration, changes={"status": status})
    return registration


@transaction.atomic
def unregister(*, actor, registration: Registration) -> Registration:
    activity = Activity.objects.select_for_update().get(pk=registration.activity_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    own = getattr(getattr(actor, "person", None), "pk", None) == registration.person_id
    if not own:
        require(actor, "programme.activity.manage", activity)
    if registration.status == Registration.Status.CANCELLED:
        raise ValidationError({"status": [_("This registration is cancelled already.")]})
    if activity.starts_at <= timezone.now():
        raise ValidationError({"status": [_("The activity has begun.")]})
    registration.status = Registration.Status.CANCELLED
    registration.save(update_fields=["status", "updated_at"])
    _end_reminder(actor=actor, registration=registration, done=False)
    _fill_places(actor=actor, activity=activity)
    audit_record(actor=actor, action=AuditEvent.Action.STATUS, target=registration, changes={"status": "cancelled"})
    return registration


@transaction.atomic
def record_attendance(*, actor, activity: Activity, attended_ids: set[int]) -> int:
    """The organiser ticks who came (registered people only), once the activity has begun."""
    require(actor, "programme.activity.manage", activity)
    if activity.starts_at > timezone.now():
        raise ValidationError({"attended": [_("Attendance is taken once the activity has begun.")]})
    registered = activity.registrations.filter(status=Registration.Status.REGISTERED)
    unknown = set(attended_ids) - set(registered.values_list("pk", flat=True))
    if unknown:
        raise ValidationError({"attended": [_("Tick only people registered for this activity.")]})
    registered.filter(pk__in=attended_ids).update(attended=True, updated_at=timezone.now())
    registered.exclude(pk__in=attended_ids).update(attended=False, updated_at=timezone.now())
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, target=activity, changes={"attended": len(attended_ids)})
    return len(attended_ids)


@transaction.atomic
def material_add(*, actor, activity: Activity, upload, title: str = "") -> ActivityMaterial:
    require(actor, "programme.activity.manage", activity)
    name, content_type, content = read_upload(upload)
    material = ActivityMaterial(
        activity=activity,
        title=title,
        file_name=name,
        content_type=content_type,
        size=len(content),
        content=content,
        uploaded_by=actor,
    )
    full_clean(material, exclude=["content"])
    material.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, target=material, changes={"activity": activity.pk})
    return material


@transaction.atomic
def feedback_give(*, actor, registration: Registration, rating: int, comment: str = "") -> None:
    """Anonymous: a receipt that the person answered (so they answer once), and the answer with no
    link to them (``Feedback``'s docstring)."""
    require(actor, "programme.activity.feedback", registration)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Give a rating from 1 to 5.")]})
    _receipt, created = FeedbackReceipt.objects.get_or_create(
        activity_id=registration.activity_id, person_id=registration.person_id
    )
    if not created:
        raise ValidationError({"rating": [_("You have given your feedback already. Thank you.")]})
    feedback = Feedback(activity_id=registration.activity_id, rating=rating, comment=comment.strip())
    full_clean(feedback)
    feedback.save()


def close_past_reminders(*, now=None) -> int:
    """Activity reminders whose activity has ended are done (a beat task, hourly; idempotent, one
    transaction per reminder)."""
    now = now or timezone.now()
    ended = Registration.objects.filter(
        followup__status__in=FollowUp.ACTIVE_STATUSES, activity__ends_at__lte=now
    ).select_related("followup")
    closed = 0
    for r in ended:
        try:
            with transaction.atomic():
                _end_reminder(actor=ACTOR, registration=r, done=True)
            closed += 1
        except Exception:  # one bad row never blocks the others (conventions.md, 15)
            logger.exception("closing the reminder of registration %s failed", r.pk)
    return closed
