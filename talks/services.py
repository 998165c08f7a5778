"""Writes for talks: logging a talk (with its actions, the next talk due and an optional referral),
amending it within TALK_AMEND_DAYS (each earlier version kept, encrypted) and annotating it after."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from talks import cadence
from talks.models import MAX_ACTIONS, TEXT_MAX, Talk, TalkAction, TalkAnnotation, TalkParticipant, TalkVersion
from wellbeing import policy, services
from wellbeing.actors import user_of
from wellbeing.audit import REDACTED, audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Person, Referral, Role
from wellbeing.validation import full_clean

SENSITIVE = ("main_content", "difficulties", "suggestions", "shared_summary")
#: An annotation's length limit (the form, the API and the service).
ANNOTATION_MAX = 2000


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


def _held_at_errors(held_at: datetime | None) -> dict[str, list[str]]:
    if held_at is None:
        return {"held_at": [_("Give the date and time of the talk.")]}
    if timezone.localdate(held_at) > timezone.localdate():
        return {"held_at": [_("A talk cannot be logged for a future date.")]}
    if held_at < timezone.now() - timedelta(days=366):
        return {"held_at": [_("That is more than a year ago.")]}
    return {}


def _content_errors(data) -> dict[str, list[str]]:
    """The recorded content of a new talk or an amendment: known concerns, text within its limit, and
    something in it - a talk with no note, no state of mind and no concern is refused."""
    errors: dict[str, list[str]] = {}
    for tag in data.mood_tags:
        if tag not in Talk.MoodTag.values:
            errors.setdefault("mood_tags", []).append(_("Unknown concern: %(tag)s.") % {"tag": str(tag)[:50]})
    for name in SENSITIVE:
        if len(getattr(data, name)) > TEXT_MAX:
            errors[name] = [_("At most %(max)s characters.") % {"max": TEXT_MAX}]
    if not (data.main_content.strip() or data.mood or data.mood_tags):
        errors.setdefault("main_content", []).append(
            _("Write a short note, or choose a state of mind or a concern: a talk with no content is not saved.")
        )
    return errors


def _validate_input(actor, data: TalkInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    people = list(dict.fromkeys(data.participants))
    if not people:
        errors["participants"] = [_("Choose who took part.")]
    elif data.kind == Talk.Kind.INDIVIDUAL and len(people) != 1:
        errors["participants"] = [_("An individual talk has exactly one person; use a group talk for more.")]
    elif data.kind == Talk.Kind.GROUP and len(people) < 2:
        errors["participants"] = [_("A group talk has at least two people.")]
    outside = [p for p in people if not policy.supervises(actor, p) or p.status == Person.Status.LEFT]
    if outside:
        errors.setdefault("participants", []).append(_("You can log talks only with people in your units."))
    errors.update(_held_at_errors(data.held_at))
    if data.occasion == Talk.Occasion.ROUTINE and data.trigger:
        errors["trigger"] = [_("A routine talk has no trigger: choose 'triggered by an event' or leave it empty.")]
    elif data.occasion == Talk.Occasion.TRIGGERED and not data.trigger:
        errors["trigger"] = [_("Say what triggered the talk.")]
    if len(data.actions) > MAX_ACTIONS:
        errors["actions"] = [_("At most %(max)s actions in one talk.") % {"max": MAX_ACTIONS}]
    errors.update(_content_errors(data))
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
        hr = policy.holders_of(Role.HR_OFFICER, person.unit)
        if not hr:
            raise ValidationError(
                {"actions": [_("No HR officer covers %(name)s's unit.") % {"name": person.full_name}]}
            )
        return hr[0]
    owner = a.owner
    colleague = Person.objects.filter(user=owner).select_related("unit").first() if owner is not None else None
    if colleague is None or not owner.is_active or not policy.supervises(actor, colleague):
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
        trigger=data.trigger,
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
            confidential=talk.is_restricted,
        )
        action.save(update_fields=["followup", "updated_at"])

    for person in people:
        cadence.after_talk(actor=actor, person=person, talk=talk)

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
        # Who and when stay out of the audit trail's text (administrators see no talks); the person
        # is linked for their own access requests, except after a restricted talk.
        subject_person=people[0] if len(people) == 1 and not talk.is_restricted else None,
        changes=diff(
            {},
            {
                "kind": talk.kind,
                "held_at": talk.held_at,
                "participants": [p.external_id for p in people],
                **{name: getattr(talk, name) for name in SENSITIVE},
            },
            sensitive=[*SENSITIVE, "held_at", "participants"],
        ),
    )
    return talk


# --- Amending a talk (its author, within TALK_AMEND_DAYS) and annotating it after -----------------------


@dataclass
class TalkAmendment:
    """The content of a talk its author may amend (Talk.AMENDABLE_FIELDS): never who took part, the
    kind, the occasion or the agreed actions."""

    held_at: datetime
    location: str = ""
    duration_minutes: int | None = None
    mood: int | None = None
    mood_tags: list[str] = field(default_factory=list)
    main_content: str = ""
    difficulties: str = ""
    suggestions: str = ""
    shared_summary: str = ""
    confidentiality: str = Talk.Confidentiality.NORMAL

    @classmethod
    def of(cls, talk: Talk) -> TalkAmendment:
        """The talk as it stands: the starting point of an amendment."""
        return cls(**{name: getattr(talk, name) for name in Talk.AMENDABLE_FIELDS})


def _subject(talk: Talk, people: list[Person]) -> Person | None:
    """Whom the talk's audit rows are about: the one person of an individual talk, never after a
    restricted one (see talk_create)."""
    return people[0] if len(people) == 1 and not talk.is_restricted else None


def _window_closed_message() -> str:
    return _("The %(days)s days to amend this talk are over: add an annotation instead.") % {
        "days": settings.TALK_AMEND_DAYS
    }


@transaction.atomic
def talk_amend(*, actor, talk: Talk, data: TalkAmendment) -> Talk:
    """The author amends their talk within TALK_AMEND_DAYS of saving it. The version it replaces is
    kept (TalkVersion, encrypted); the audit trail names the fields changed and the version numbers,
    never their content. Confidentiality may only become stricter. Nothing changed: nothing saved.

    Someone else: PermissionDenied. The author after the window: ValidationError (annotate instead)."""
    talk = Talk.objects.select_for_update().get(pk=talk.pk)
    if not policy.can(actor, "talk.amend", talk):
        if policy.can(actor, "talk.annotate", talk):
            raise ValidationError({NON_FIELD_ERRORS: [_window_closed_message()]})
        raise PermissionDenied(_("Only the person who logged a talk can amend it."))
    old = {name: getattr(talk, name) for name in Talk.AMENDABLE_FIELDS}
    new = {name: getattr(data, name) for name in Talk.AMENDABLE_FIELDS}
    new["mood_tags"] = sorted(set(new["mood_tags"]))
    errors = _content_errors(data)
    if new["held_at"] != old["held_at"]:
        errors.update(_held_at_errors(new["held_at"]))
        first_due = talk.actions.order_by("due_date").values_list("due_date", flat=True).first()
        if "held_at" not in errors and first_due is not None and timezone.localdate(new["held_at"]) > first_due:
            errors["held_at"] = [_("An agreed action of this talk is due before that date.")]
    if new["confidentiality"] not in Talk.Confidentiality.values:
        errors["confidentiality"] = [_("Choose a valid confidentiality.")]
    elif talk.is_restricted and new["confidentiality"] != Talk.Confidentiality.RESTRICTED:
        errors["confidentiality"] = [_("A restricted talk stays restricted: confidentiality can only become stricter.")]
    if errors:
        raise ValidationError(errors)
    changed = [name for name in Talk.AMENDABLE_FIELDS if new[name] != old[name]]
    if not changed:
        return talk

    now = timezone.now()
    kept = TalkVersion(
        talk=talk,
        number=talk.version,
        edited_by_id=talk.led_by_id,
        edited_at=talk.amended_at or talk.created_at,
        replaced_at=now,
        **old,
    )
    was_restricted = talk.is_restricted
    for name in changed:
        setattr(talk, name, new[name])
    talk.version += 1
    talk.amended_at = now
    full_clean(talk)
    kept.save()
    talk.save(update_fields=[*changed, "version", "amended_at", "updated_at"])

    people = [p.person for p in talk.participations.select_related("person__unit")]
    if talk.is_restricted and not was_restricted:
        # The talk reaches its leader only now: so do its actions (their owners keep theirs).
        for action in talk.actions.select_related("followup").exclude(followup=None):
            services.followup_make_confidential(actor=actor, followup=action.followup, authorized=True)
    if "held_at" in changed or "confidentiality" in changed:
        for person in people:
            cadence.after_amend(actor=actor, person=person, talk=talk, old_held_at=old["held_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=talk,
        subject_person=_subject(talk, people),
        # Field names only: the text, the state of mind and even the time stay in the kept version.
        changes={
            **{name: REDACTED for name in changed if name != "confidentiality"},
            **(
                {"confidentiality": [old["confidentiality"], talk.confidentiality]}
                if "confidentiality" in changed
                else {}
            ),
            "version": [talk.version - 1, talk.version],
        },
    )
    return talk


@transaction.atomic
def talk_annotate(*, actor, talk: Talk, text: str) -> TalkAnnotation:
    """The author adds a dated annotation to a talk that can no longer be amended. Appended, never
    edited; encrypted like the talk; the audit trail records that it was written, not what it says.

    Someone else: PermissionDenied. The author while the talk may still be amended: ValidationError."""
    talk = Talk.objects.select_for_update().get(pk=talk.pk)
    if not policy.can(actor, "talk.annotate", talk):
        if policy.can(actor, "talk.amend", talk):
            raise ValidationError({"text": [_("This talk can still be amended: amend it instead.")]})
        raise PermissionDenied(_("Only the person who logged a talk can annotate it."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the annotation.")]})
    if len(text) > ANNOTATION_MAX:
        raise ValidationError({"text": [_("At most %(max)s characters.") % {"max": ANNOTATION_MAX}]})
    annotation = TalkAnnotation(talk=talk, text=text, written_by=user_of(actor))
    full_clean(annotation)
    annotation.save()
    people = [p.person for p in talk.participations.select_related("person")]
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=annotation,
        subject_person=_subject(talk, people),
        changes=diff({}, {"talk": talk.pk, "text": text}, sensitive=["text"]),
    )
    return annotation
