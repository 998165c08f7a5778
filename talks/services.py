"""Writes for talks: logging a talk (with its actions, the cadence and an optional referral)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from talks.models import TEXT_MAX, CadencePolicy, Talk, TalkAction, TalkParticipant
from wellbeing import policy, services
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Person, Referral, Role, RoleAssignment
from wellbeing.validation import full_clean

SENSITIVE = ("main_content", "difficulties", "suggestions", "shared_summary")


@dataclass
class ActionInput:
    description: str
    due_date: date
    owner_kind: str = TalkAction.OwnerKind.SUPERVISOR
    person: Person | None = None  # whom it is for (group talks: one of the participants)
    owner: object | None = None  # for "another colleague": that colleague's user


@dataclass
class ReferralInput:
    urgency: str
    reason: str
    note: str = ""
    person: Person | None = None


@dataclass
class TalkInput:
    participants: list[Person]
    held_at: datetime
    kind: str = Talk.Kind.INDIVIDUAL
    occasion: str = Talk.Occasion.ROUTINE
    trigger: str = ""
    location: str = ""
    duration_minutes: int | None = None
    mood: int | None = None
    mood_tags: list[str] = field(default_factory=list)
    main_content: str = ""
    difficulties: str = ""
    suggestions: str = ""
    shared_summary: str = ""
    confidentiality: str = Talk.Confidentiality.NORMAL
    actions: list[ActionInput] = field(default_factory=list)
    referral: ReferralInput | None = None


def cadence_days(person: Person) -> int:
    """The person's own cadence, else the nearest unit's (the unit or one above it), else the default."""
    own = CadencePolicy.objects.filter(person=person).values_list("interval_days", flat=True).first()
    if own:
        return own
    paths = [person.unit.path[:i] for i in range(len(person.unit.path), 0, -4)]
    by_path = dict(CadencePolicy.objects.filter(unit__path__in=paths).values_list("unit__path", "interval_days"))
    for path in paths:
        if path in by_path:
            return by_path[path]
    return settings.TALK_CADENCE_DAYS


def _validate_input(actor, data: TalkInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    people = list(dict.fromkeys(data.participants))
    if not people:
        errors["participants"] = [_("Choose who took part.")]
    elif data.kind == Talk.Kind.INDIVIDUAL and len(people) != 1:
        errors["participants"] = [_("An individual talk has exactly one person; use a group talk for more.")]
    elif data.kind == Talk.Kind.GROUP and len(people) < 2:
        errors["participants"] = [_("A group talk has at least two people.")]
    access = policy.access_for(actor)
    outside = [p for p in people if not policy.person_in_supervised_units(access, p) or p.status == Person.Status.LEFT]
    if outside:
        errors.setdefault("participants", []).append(_("You can log talks only with people in your units."))
    if data.held_at is None:
        errors["held_at"] = [_("Give the date and time of the talk.")]
    elif timezone.localdate(data.held_at) > timezone.localdate():
        errors["held_at"] = [_("A talk cannot be logged for a future date.")]
    elif data.held_at < timezone.now() - timedelta(days=366):
        errors["held_at"] = [_("That is more than a year ago.")]
    for tag in data.mood_tags:
        if tag not in Talk.MoodTag.values:
            errors.setdefault("mood_tags", []).append(_("Unknown concern: %(tag)s.") % {"tag": str(tag)[:50]})
    for name in SENSITIVE:
        if len(getattr(data, name)) > TEXT_MAX:
            errors[name] = [_("At most %(max)s characters.") % {"max": TEXT_MAX}]
    return errors


def _action_owner(actor, a: ActionInput, person: Person):
    if a.owner_kind == TalkAction.OwnerKind.SUPERVISOR:
        return actor
    if a.owner_kind == TalkAction.OwnerKind.PERSON:
        if person.user_id is None or not person.user.is_active:
            raise ValidationError(
                {"actions": [_("%(name)s has no login, so cannot own an action.") % {"name": person.full_name}]}
            )
        return person.user
    if a.owner_kind == TalkAction.OwnerKind.HR:
        hr = [
            ra.user
            for ra in RoleAssignment.objects.current()
            .filter(role=Role.HR_OFFICER, user__is_active=True)
            .select_related("user", "unit")
            .order_by("-unit__depth", "user_id")
            if person.unit.path.startswith(ra.unit.path)
        ]
        if not hr:
            raise ValidationError(
                {"actions": [_("No HR officer covers %(name)s's unit.") % {"name": person.full_name}]}
            )
        return hr[0]
    owner = a.owner
    colleague = Person.objects.filter(user=owner).select_related("unit").first() if owner is not None else None
    if (
        colleague is None
        or not owner.is_active
        or not policy.person_in_supervised_units(policy.access_for(actor), colleague)
    ):
        raise ValidationError({"actions": [_("Choose a colleague in your units to own the action.")]})
    return owner


def _due(day: date) -> datetime:
    """Actions are due at the end of the working day."""
    return timezone.make_aware(datetime.combine(day, time(18, 0)))


@transaction.atomic
def talk_create(*, actor, data: TalkInput) -> Talk:
    """Log a talk: the record, its participants, the agreed actions (each a follow-up), the next
    "talk due" follow-up for each participant, and an optional referral. All or nothing."""
    if not policy.can(actor, "talk.log"):
        raise PermissionDenied(_("Only supervisors log heart-to-heart talks."))
    errors = _validate_input(actor, data)
    if errors:
        raise ValidationError(errors)
    people = list(dict.fromkeys(data.participants))
    talk = Talk(
        led_by=actor,
        kind=data.kind,
        occasion=data.occasion,
        trigger=data.trigger if data.occasion == Talk.Occasion.TRIGGERED else "",
        held_at=data.held_at,
        location=data.location,
        duration_minutes=data.duration_minutes,
        mood=data.mood,
        mood_tags=sorted(set(data.mood_tags)),
        main_content=data.main_content,
        difficulties=data.difficulties,
        suggestions=data.suggestions,
        shared_summary=data.shared_summary,
        confidentiality=data.confidentiality,
    )
    full_clean(talk)
    talk.save()
    TalkParticipant.objects.bulk_create([TalkParticipant(talk=talk, person=p) for p in people])

    for a in data.actions:
        person = a.person or people[0]
        if person not in people:
            raise ValidationError({"actions": [_("An action must be for someone who took part.")]})
        action = TalkAction(
            talk=talk,
            person=person,
            description=a.description,
            owner_kind=a.owner_kind,
            owner=_action_owner(actor, a, person),
            due_date=a.due_date,
        )
        full_clean(action, exclude=["followup"])
        if a.due_date < timezone.localdate(data.held_at):
            raise ValidationError({"actions": [_("An action cannot be due before the talk.")]})
        if a.due_date > timezone.localdate(data.held_at) + timedelta(days=730):
            raise ValidationError({"actions": [_("An action is due within two years of the talk.")]})
        action.save()
        action.followup = services.followup_create(
            actor=actor,
            owner=action.owner,
            title=action.description,
            due_at=_due(action.due_date),
            kind=FollowUp.Kind.TALK_ACTION,
            subject=action,
            person=person,
        )
        action.save(update_fields=["followup", "updated_at"])

    for person in people:
        _reschedule_cadence(actor, person, data.held_at)

    if data.referral is not None:
        if data.referral.person is not None and data.referral.person not in people:
            raise ValidationError({"referral_person": [_("Refer someone who took part in the talk.")]})
        if data.referral.person is None and len(people) > 1:
            raise ValidationError({"referral_person": [_("Choose whom the referral is for.")]})
        services.referral_create(
            actor=actor,
            person=data.referral.person or people[0],
            urgency=data.referral.urgency,
            reason=data.referral.reason,
            note=data.referral.note,
            source=Referral.Source.TALK,
            source_object=talk,
        )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=talk,
        subject_person=people[0] if len(people) == 1 else None,
        changes=diff(
            {},
            {
                "kind": talk.kind,
                "held_at": talk.held_at,
                "participants": [p.external_id for p in people],
                **{name: getattr(talk, name) for name in SENSITIVE},
            },
            sensitive=SENSITIVE,
        ),
    )
    return talk


def _reschedule_cadence(actor, person: Person, held_at: datetime) -> None:
    """Complete the open "talk due" follow-ups the leader owes this person (including ones other
    apps asked for, e.g. a return-to-work talk), and schedule the next one."""
    for f in FollowUp.objects.filter(
        owner=actor, person=person, kind=FollowUp.Kind.TALK_DUE, status__in=FollowUp.ACTIVE_STATUSES
    ):
        services.followup_complete(actor=actor, followup=f, outcome=_("Talk logged."))
    latest = (
        Talk.objects.filter(participations__person=person)
        .order_by("-held_at")
        .values_list("held_at", flat=True)
        .first()
    )
    next_day = timezone.localdate(max(held_at, latest or held_at)) + timedelta(days=cadence_days(person))
    with translation.override(settings.LANGUAGE_CODE):  # stored titles use the organisation's language
        title = _("Heart-to-heart talk with %(name)s") % {"name": person.full_name}
    services.followup_create(
        actor=actor,
        owner=actor,
        title=title,
        due_at=timezone.make_aware(datetime.combine(next_day, time(9, 0))),
        kind=FollowUp.Kind.TALK_DUE,
        subject=person,
        person=person,
    )


#: A report never talked to is due this long after the cadence task first notices them.
FIRST_TALK_WITHIN = timedelta(days=14)


def ensure_cadence(*, now: datetime | None = None) -> int:
    """For each current supervisor and each active report (in their units, or reporting to them)
    without an open cadence follow-up, schedule the next talk: the last talk with that person plus
    their cadence, or - never talked to - two weeks from now. Returns how many it created."""
    from django.db import IntegrityError
    from django.db.models import Max

    from talks.selectors import supervised_people_q

    now = now or timezone.now()
    created = 0
    supervisors = {
        ra.user
        for ra in RoleAssignment.objects.current()
        .filter(role=Role.SUPERVISOR, user__is_active=True)
        .select_related("user")
    }
    from django.contrib.contenttypes.models import ContentType

    person_ct = ContentType.objects.get_for_model(Person)
    for supervisor in supervisors:
        access = policy.access_for(supervisor)
        reports = Person.objects.active().filter(supervised_people_q(access)).select_related("unit")
        if access.person is not None:
            reports = reports.exclude(pk=access.person.pk)
        scheduled = set(
            FollowUp.objects.filter(
                owner=supervisor,
                kind=FollowUp.Kind.TALK_DUE,
                status__in=FollowUp.ACTIVE_STATUSES,
                subject_type=person_ct,
            ).values_list("subject_id", flat=True)
        )
        missing = [p for p in reports if str(p.pk) not in scheduled]
        last = dict(
            Talk.objects.filter(participations__person__in=missing)
            .values_list("participations__person")
            .annotate(last=Max("held_at"))
            .values_list("participations__person", "last")
        )
        for person in missing:
            if person.pk in last:
                day = timezone.localdate(last[person.pk]) + timedelta(days=cadence_days(person))
                due = timezone.make_aware(datetime.combine(day, time(9, 0)))
            else:
                due = now + FIRST_TALK_WITHIN
            with translation.override(settings.LANGUAGE_CODE):
                title = _("Heart-to-heart talk with %(name)s") % {"name": person.full_name}
            try:
                with transaction.atomic():
                    services.followup_create(
                        actor=None,
                        owner=supervisor,
                        title=title,
                        due_at=due,
                        kind=FollowUp.Kind.TALK_DUE,
                        subject=person,
                        person=person,
                    )
            except IntegrityError:
                continue  # another run scheduled it a moment ago
            created += 1
    return created
