"""Follow-up services: the only writers of follow-ups. Other apps use these and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import messages, policy, tasks
from wellbeing.actors import is_system, user_of
from wellbeing.audit import REDACTED, audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Notification, Person, Tier
from wellbeing.reminders.timing import TimingTable, initial_next_action
from wellbeing.validation import full_clean


@dataclass(frozen=True)
class RecordClosure:
    """A kind of follow-up that ends with its own record, offered by the app that owns the kind: a
    "talk due" ends when the talk is logged (talks app), never by a bare "done". The owner may set it
    aside with a reason instead; the app then decides what follows (e.g. the next talk due)."""

    action_label: Callable[[], str]
    action_url: Callable[[FollowUp], str | None]
    after_set_aside: Callable[..., None] | None = None  # (*, actor, followup, reason) -> None
    #: What ends it, in a sentence for its page and for a refused "done".
    explanation: Callable[[], str] = lambda: _(
        "This ends when the talk is logged. Log it, or set it aside with a reason."
    )
    #: Whether the owner may set it aside with a reason (a referral to take in may not).
    can_set_aside: bool = True


_closures: dict[str, RecordClosure] = {}


def register_record_closure(kind: str, closure: RecordClosure) -> None:
    """Called from an app's AppConfig.ready()."""
    if kind in _closures:
        raise ValueError(f"A record closure for {kind!r} is registered already.")
    _closures[kind] = closure


def record_closure(kind: str) -> RecordClosure | None:
    return _closures.get(kind)


def _validate(f: FollowUp) -> None:
    full_clean(f, exclude=["subject_type"])


def _restart(f: FollowUp, **changes) -> None:
    """Apply ``changes`` and start a new reminder cycle: every stage may be sent again, from the new
    anchor (the due time, or the end of a snooze)."""
    for name, value in changes.items():
        setattr(f, name, value)
    f.cycle += 1
    f.stages_sent = 0
    f.repeats_sent = 0
    f.next_action_at = initial_next_action(f, TimingTable().for_followup(f))
    _validate(f)
    f.save(update_fields=[*changes, "cycle", "stages_sent", "repeats_sent", "next_action_at", "updated_at"])


def _locked(followup: FollowUp) -> FollowUp:
    return FollowUp.objects.select_for_update().get(pk=followup.pk)


def _require_active(f: FollowUp) -> None:
    if not f.is_active:
        raise ValidationError(
            {"status": [_("This follow-up is already %(status)s.") % {"status": f.get_status_display()}]}
        )


def _may_act(actor, f: FollowUp, authorized: bool) -> None:
    """The owner acts on it; anyone else needs the policy's ``followup.manage``. A system actor (a
    rule applied by the code) and a caller that has checked permission itself (``authorized=True``)
    say so explicitly."""
    if actor is None:
        raise TypeError("Say who acts: a user, an API principal or a SystemActor.")
    if authorized or is_system(actor) or getattr(actor, "pk", None) == f.owner_id:
        return
    if not policy.can(actor, "followup.manage", f):
        raise PermissionDenied(_("Only the owner can do this."))


@transaction.atomic
def followup_create(
    *,
    actor,
    owner,
    title: str = "",
    title_key: str = "",
    title_params: dict | None = None,
    due_at: datetime,
    kind: str = FollowUp.Kind.GENERAL,
    tier: str = Tier.ROUTINE,
    subject: models.Model | None = None,
    person: Person | None = None,
    grace: timedelta | None = None,
    escalation: str | None = None,
    escalate_to=None,
    confidential: bool = False,
) -> FollowUp:
    """Create a follow-up. A red one is dispatched as soon as the transaction commits.

    ``confidential``: only its owner and its creator see it (a restricted talk's action); reminders
    to anyone else say neutrally what kind of item it is.

    The title: free text a person typed (``title``, kept as typed), or a system message
    (``title_key`` from ``wellbeing.messages`` and its ``title_params``), worded when shown in the
    reader's language."""
    if actor is None:
        raise TypeError("Say who acts: a user, an API principal or a SystemActor.")
    if title_key and not messages.exists(title_key):
        raise ValueError(f"Unknown message key {title_key!r}: add it to wellbeing.messages.")
    if escalation is None:
        escalation = (
            FollowUp.Escalation.LEAD_COUNSELLOR if kind in FollowUp.CLINICAL_KINDS else FollowUp.Escalation.MANAGER
        )
    f = FollowUp(
        owner=owner,
        title=title,
        title_key=title_key,
        title_params=title_params or {},
        due_at=due_at,
        kind=kind,
        tier=tier,
        person=person,
        grace=grace,
        escalation=escalation,
        escalate_to=escalate_to,
        confidential=confidential,
        created_by=user_of(actor),
    )
    if subject is not None:
        f.subject = subject
    if not owner.is_active:
        raise ValidationError({"owner": [_("The owner's account is not active.")]})
    if due_at is not None and abs(due_at - timezone.now()) > timedelta(days=3660):
        raise ValidationError({"due_at": [_("Give a due time within ten years.")]})
    _validate(f)
    f.created_at = timezone.now()  # the red alert counts from here
    f.next_action_at = initial_next_action(f, TimingTable().for_followup(f))
    f.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=f,
        # A confidential item's audit row does not say whom it is about (the restricted talk's person).
        subject_person=None if confidential else person,
        # Administrators read the audit trail but see neither agreed actions nor case information
        # (access.md): the title is never recorded, and for counselling work neither is the priority.
        changes=diff(
            {},
            {"owner": owner, "kind": kind, "tier": tier, "due_at": due_at, "title": title},
            sensitive=(
                ["tier", "title", "due_at"]
                if kind in FollowUp.CLINICAL_KINDS
                else ["title", "due_at"]
                if confidential
                else ["title"]
            ),
        ),
    )
    if tier == Tier.RED:
        transaction.on_commit(lambda: tasks.dispatch_followup.delay(f.pk))
    return f


@transaction.atomic
def followup_complete(
    *,
    actor,
    followup: FollowUp,
    outcome: str = "",
    authorized: bool = False,
    confidential: bool | None = None,
    by_record: bool = False,
) -> FollowUp:
    """Mark it done. ``confidential=True`` also hides it from everyone but its owner and creator
    (done by a restricted talk: its completion time would give the talk away). A kind that ends with
    its own record (``register_record_closure``) is done only by that record (``by_record=True``)."""
    f = _locked(followup)
    _may_act(actor, f, authorized)
    _require_active(f)
    closure = record_closure(f.kind)
    if not by_record and closure is not None:
        raise ValidationError({"status": [closure.explanation()]})
    old_status = f.status
    f.status = FollowUp.Status.DONE
    f.completed_at = timezone.now()
    f.completed_by = user_of(actor)
    f.outcome = outcome
    f.next_action_at = None
    if confidential is not None:
        f.confidential = confidential
    _validate(f)
    f.save(
        update_fields=[
            "status",
            "completed_at",
            "completed_by",
            "outcome",
            "next_action_at",
            "confidential",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=f,
        subject_person=None if f.confidential else f.person,
        changes=diff(
            {"status": old_status, "outcome": ""}, {"status": f.status, "outcome": outcome}, sensitive=["outcome"]
        ),
    )
    return f


@transaction.atomic
def followup_cancel(*, actor, followup: FollowUp, reason: str, authorized: bool = False) -> FollowUp:
    f = _locked(followup)
    _may_act(actor, f, authorized)
    _require_active(f)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why it is cancelled.")]})
    old = f.status
    f.status = FollowUp.Status.CANCELLED
    f.next_action_at = None
    f.save(update_fields=["status", "next_action_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=f,
        subject_person=None if f.confidential else f.person,
        changes=diff({"status": old}, {"status": f.status}),
        # A confidential item's reason is not recorded in words (a declined questionnaire says
        # nothing about the person to whoever reads the audit trail).
        reason="" if f.confidential else reason[:500],
    )
    return f


@transaction.atomic
def followup_set_aside(*, actor, followup: FollowUp, reason: str, note: str = "", authorized: bool = False) -> FollowUp:
    """Set aside an obligation that ends with its own record (a talk due), with a reason: recorded
    (the note encrypted, in the outcome) and audited (the reason's code; never the note). The app
    that owns the kind then decides what follows (``RecordClosure.after_set_aside``)."""
    f = _locked(followup)
    _may_act(actor, f, authorized)
    _require_active(f)
    closure = record_closure(f.kind)
    errors: dict[str, list[str]] = {}
    if closure is None:
        errors["status"] = [_("Mark this one done instead.")]
    elif not closure.can_set_aside:
        errors["status"] = [closure.explanation()]
    if reason not in FollowUp.SetAsideReason.values:
        errors["reason"] = [_("Choose why it is set aside.")]
    note = (note or "").strip()
    if reason == FollowUp.SetAsideReason.OTHER and not note:
        errors["note"] = [_("Say why it is set aside.")]
    if len(note) > 500:
        errors["note"] = [_("At most %(max)s characters.") % {"max": 500}]
    if "\x00" in note:
        errors["note"] = [_("Null characters are not allowed.")]
    if errors:
        raise ValidationError(errors)
    old = f.status
    f.status = FollowUp.Status.CANCELLED
    f.outcome = note
    f.next_action_at = None
    f.save(update_fields=["status", "outcome", "next_action_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=f,
        subject_person=None if f.confidential else f.person,
        changes={**diff({"status": old}, {"status": f.status}), "set_aside": reason, "note": REDACTED if note else ""},
    )
    if closure.after_set_aside is not None:
        closure.after_set_aside(actor=actor, followup=f, reason=reason)
    return f


@transaction.atomic
def followup_snooze(*, actor, followup: FollowUp, until: datetime, reason: str, authorized: bool = False) -> FollowUp:
    """Hold reminders until ``until`` (then they start again from there). Not for red items."""
    f = _locked(followup)
    _may_act(actor, f, authorized)
    _require_active(f)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if f.tier == Tier.RED:
        errors["tier"] = [_("Red items cannot be snoozed.")]
    if until <= now:
        errors["until"] = [_("Snooze to a time in the future.")]
    elif until - now > timedelta(days=settings.FOLLOWUP_MAX_SNOOZE_DAYS):
        errors["until"] = [
            _("Snooze for at most %(days)s days; reschedule it instead.") % {"days": settings.FOLLOWUP_MAX_SNOOZE_DAYS}
        ]
    if not reason.strip():
        errors["reason"] = [_("Give a reason for snoozing.")]
    if errors:
        raise ValidationError(errors)
    old = {"status": f.status, "snoozed_until": f.snoozed_until, "snooze_reason": f.snooze_reason}
    _restart(f, status=FollowUp.Status.SNOOZED, snoozed_until=until, snooze_reason=reason)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=f,
        subject_person=None if f.confidential else f.person,
        # The reason is the owner's own words (it may be about someone's health): recorded as given,
        # never copied into the audit trail.
        changes=diff(
            old, {"status": f.status, "snoozed_until": until, "snooze_reason": reason}, sensitive=["snooze_reason"]
        ),
    )
    return f


@transaction.atomic
def followup_reschedule(
    *, actor, followup: FollowUp, due_at: datetime, reason: str = "", authorized: bool = False
) -> FollowUp:
    """Move the due time; the reminder stages start over from the new time."""
    f = _locked(followup)
    _may_act(actor, f, authorized)
    _require_active(f)
    if abs(due_at - timezone.now()) > timedelta(days=3660):
        raise ValidationError({"due_at": [_("Give a due time within ten years.")]})
    old = {"due_at": f.due_at}
    _restart(f, due_at=due_at, status=FollowUp.Status.OPEN, snoozed_until=None, snooze_reason="")
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=f,
        subject_person=None if f.confidential else f.person,
        changes=diff(old, {"due_at": due_at}),
        reason=reason[:500],
    )
    return f


@transaction.atomic
def followup_reassign(*, actor, followup: FollowUp, owner, authorized: bool = False) -> FollowUp:
    f = _locked(followup)
    _may_act(actor, f, authorized)
    _require_active(f)
    if not owner.is_active:
        raise ValidationError({"owner": [_("The new owner's account is not active.")]})
    old = {"owner": f.owner}
    f.owner = owner
    f.save(update_fields=["owner", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=f,
        subject_person=None if f.confidential else f.person,
        changes=diff(old, {"owner": owner}),
    )
    return f


@transaction.atomic
def followup_make_confidential(*, actor, followup: FollowUp, authorized: bool = False) -> FollowUp:
    """From now on only its owner and its creator see it (the talk it came from was made restricted).
    Never the other way: what was confidential stays so."""
    f = _locked(followup)
    _may_act(actor, f, authorized)
    if f.confidential:
        return f
    f.confidential = True
    f.save(update_fields=["confidential", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, target=f, changes={"confidential": [False, True]})
    return f


@transaction.atomic
def followup_acknowledge(*, actor, followup: FollowUp, authorized: bool = False) -> FollowUp:
    """The owner has seen an urgent item: it no longer escalates for want of acknowledgement."""
    f = _locked(followup)
    _may_act(actor, f, authorized)
    _require_active(f)
    if f.acknowledged_at is not None:
        return f
    f.acknowledged_at = timezone.now()
    f.next_action_at = f.acknowledged_at  # the next scan re-plans it without the acknowledgement deadline
    f.save(update_fields=["acknowledged_at", "next_action_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=f,
        subject_person=None if f.confidential else f.person,
        changes={"acknowledged": [False, True]},
    )
    return f


def notification_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when no ids are given)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
