"""Referrals to the counselling team (转介)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import messages, policy
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Notification, Person, Referral, Role, Tier
from wellbeing.services.followups import RecordClosure, followup_cancel, followup_complete, followup_create
from wellbeing.services.oncall import on_call_counsellor
from wellbeing.validation import full_clean

#: Urgency -> (priority tier of the lead counsellor's follow-up, time to respond). design/domain.md
#: "Risk tiers": imminent risk is red (dispatched at once), urgent orange (24 h), soon yellow (7 days).
URGENCY_TIERS = {
    Referral.Urgency.IMMINENT: (Tier.RED, timedelta(hours=1)),
    Referral.Urgency.URGENT: (Tier.ORANGE, timedelta(hours=24)),
    Referral.Urgency.SOON: (Tier.YELLOW, timedelta(days=7)),
    Referral.Urgency.ROUTINE: (Tier.ROUTINE, timedelta(days=14)),
}


def red_owner(*, exclude=None):
    """Who receives a red item: the on-call counsellor, else the lead counsellor - never ``exclude``
    (the person the item is about, when they are in the counselling team themself)."""
    on_call = on_call_counsellor()
    if on_call is not None and (exclude is None or on_call.pk != exclude.pk):
        return on_call
    return intake_owner(exclude=exclude)


def intake_owner(*, exclude=None):
    """The lead counsellor who takes referrals in (the first active one, other than ``exclude``)."""
    holders = [u for u in policy.holders_of(Role.LEAD_COUNSELLOR) if exclude is None or u.pk != exclude.pk]
    if not holders:
        raise ValidationError(
            {"__all__": [_("No lead counsellor is set up to receive referrals. Tell an administrator.")]}
        )
    return holders[0]


@transaction.atomic
def referral_create(
    *,
    actor,
    person: Person,
    urgency: str,
    reason: str,
    note: str = "",
    source: str = Referral.Source.SUPERVISOR,
    source_object: models.Model | None = None,
) -> Referral:
    """Refer ``person`` to the counselling team. Someone in the team gets a follow-up whose tier
    follows the urgency: imminent risk is red, goes to the on-call counsellor (else the lead
    counsellor) and is alerted by every channel as this commits; the others go to the lead counsellor,
    are announced by the next scan (the "new" stage) and remind until acknowledged."""
    if not policy.can(actor, "referral.create", person):
        raise PermissionDenied(_("You cannot refer this person."))
    referral = Referral(person=person, referred_by=actor, urgency=urgency, reason=reason, note=note, source=source)
    if source_object is not None:
        referral.source_object = source_object
    full_clean(referral, exclude=["source_type", "followup"])
    referral.save()
    tier, respond_within = URGENCY_TIERS[Referral.Urgency(urgency)]
    # Never the person it is about (a counsellor referred, or screened red, goes to a colleague).
    about = person.user if person.user_id else None
    owner = red_owner(exclude=about) if urgency == Referral.Urgency.IMMINENT else intake_owner(exclude=about)
    referral.assigned_to = owner
    referral.followup = followup_create(
        actor=actor,
        owner=owner,
        # Worded when shown, in the reader's language ("Referral to take in (urgent)").
        title_key=messages.REFERRAL_INTAKE,
        title_params={"urgency": referral.urgency},
        due_at=timezone.now() + respond_within,
        kind=FollowUp.Kind.REFERRAL_INTAKE,
        tier=tier,
        subject=referral,
        person=person,
    )
    referral.save(update_fields=["followup", "assigned_to", "updated_at"])
    if urgency == Referral.Urgency.IMMINENT:
        _tell_lead_counsellors(referral, owner, exclude=about)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=referral,
        subject_person=person,
        changes=diff(
            {},
            {"urgency": urgency, "reason": reason, "source": source, "note": note},
            sensitive=["urgency", "reason", "note", "source"],
        ),
    )
    return referral


def _tell_lead_counsellors(referral: Referral, owner, *, exclude) -> None:
    """Imminent risk goes to the on-call counsellor *and* the lead counsellor: every lead counsellor
    who is not already its owner (nor the person it is about) gets a red inbox item at once, naming
    the on-call counsellor who has it - never the person or the reason."""
    leads = [
        u
        for u in policy.holders_of(Role.LEAD_COUNSELLOR)
        if u.pk != owner.pk and (exclude is None or u.pk != exclude.pk)
    ]
    if not leads:
        return
    owner_person = Person.objects.filter(user=owner).only("full_name").first()
    name = owner_person.full_name if owner_person is not None else owner.get_username()
    url = reverse("referral-detail", args=[referral.pk])
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=u, message_key=messages.REFERRAL_IMMINENT, params={"name": name}, url=url, tier=Tier.RED
            )
            for u in leads
        ]
    )


def _locked(
    *, actor, referral: Referral, denied: str, rule: str = "referral.intake", authorized: bool = False
) -> Referral:
    """The referral, locked, after checking that ``actor`` may do this (intake work by default) -
    unless the caller checked a rule of its own (``authorized``: the cases app's triage, which the
    on-call counsellor may do for imminent risk)."""
    if not authorized and not policy.can(actor, rule, referral):
        raise PermissionDenied(denied)
    return Referral.objects.select_for_update(of=("self",)).select_related("person", "followup").get(pk=referral.pk)


def _require_transition(referral: Referral, to: str) -> None:
    """Taken in and closed are final; nothing goes back to "received"."""
    if not referral.can_become(to):
        raise ValidationError(
            {"status": [_("This referral is already %(status)s.") % {"status": referral.get_status_display()}]}
        )


def _acknowledge_on_the_way(referral: Referral, actor, now) -> list[str]:
    """Taking in or closing a referral nobody acknowledged yet acknowledges it as well."""
    if referral.acknowledged_at is not None:
        return []
    referral.acknowledged_at, referral.acknowledged_by = now, actor
    return ["acknowledged_at", "acknowledged_by"]


def _complete_intake(referral: Referral, actor) -> None:
    """The intake follow-up is done: no more reminders. The lead counsellor acting may not own it;
    the rule (``referral.intake``) was checked by the caller."""
    if referral.followup_id and referral.followup.is_active:
        followup_complete(actor=actor, followup=referral.followup, authorized=True, by_record=True)


@transaction.atomic
def referral_acknowledge(*, actor, referral: Referral) -> Referral:
    """The counselling team has received it and takes responsibility: the referrer sees this, and
    the intake reminders stop. Acknowledging it again changes nothing."""
    referral = _locked(
        actor=actor,
        referral=referral,
        denied=_("Only the counselling team acknowledges referrals."),
        rule="referral.acknowledge",
    )
    if referral.status == Referral.Status.ACKNOWLEDGED:
        return referral
    _require_transition(referral, Referral.Status.ACKNOWLEDGED)
    old = referral.status
    referral.status = Referral.Status.ACKNOWLEDGED
    referral.acknowledged_at = timezone.now()
    referral.acknowledged_by = actor
    full_clean(referral, exclude=["source_type", "followup"])
    referral.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    _complete_intake(referral, actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=referral,
        subject_person=referral.person,
        changes=diff({"status": old}, {"status": referral.status}),
    )
    return referral


@transaction.atomic
def referral_take_in(*, actor, referral: Referral, authorized: bool = False) -> Referral:
    """The counselling team takes the person into its caseload (the cases app calls this when it
    opens a case for the referral). Acknowledges it if nobody had; the intake follow-up is done."""
    referral = _locked(
        actor=actor, referral=referral, denied=_("Only the counselling team takes referrals in."), authorized=authorized
    )
    _require_transition(referral, Referral.Status.TAKEN_IN)
    old = referral.status
    now = timezone.now()
    fields = _acknowledge_on_the_way(referral, actor, now)
    referral.status = Referral.Status.TAKEN_IN
    referral.taken_in_at, referral.taken_in_by = now, actor
    full_clean(referral, exclude=["source_type", "followup"])
    referral.save(update_fields=["status", "taken_in_at", "taken_in_by", *fields, "updated_at"])
    _complete_intake(referral, actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=referral,
        subject_person=referral.person,
        changes=diff({"status": old}, {"status": referral.status}),
    )
    return referral


@transaction.atomic
def referral_close(*, actor, referral: Referral, reason: str, authorized: bool = False) -> Referral:
    """Close a referral without taking the person in, for one of ``Referral.CloseReason``. The
    referrer sees "closed", never the reason. The intake follow-up is done, or cancelled for a
    duplicate (nothing was owed)."""
    if reason not in Referral.CloseReason.values:
        raise ValidationError({"reason": [_("Choose why the referral is closed.")]})
    referral = _locked(
        actor=actor, referral=referral, denied=_("Only the counselling team closes referrals."), authorized=authorized
    )
    _require_transition(referral, Referral.Status.CLOSED)
    old = referral.status
    now = timezone.now()
    fields = _acknowledge_on_the_way(referral, actor, now)
    referral.status = Referral.Status.CLOSED
    referral.closed_at, referral.closed_by, referral.close_reason = now, actor, reason
    full_clean(referral, exclude=["source_type", "followup"])
    referral.save(update_fields=["status", "closed_at", "closed_by", "close_reason", *fields, "updated_at"])
    if reason == Referral.CloseReason.DUPLICATE and referral.followup_id and referral.followup.is_active:
        followup_cancel(actor=actor, followup=referral.followup, reason="duplicate referral", authorized=True)
    else:
        _complete_intake(referral, actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=referral,
        subject_person=referral.person,
        # Administrators read the audit trail but no case information (access.md): the reason is
        # recorded as changed, never as given.
        changes=diff(
            {"status": old, "close_reason": ""},
            {"status": referral.status, "close_reason": reason},
            sensitive=["close_reason"],
        ),
    )
    return referral


def _referral_url(followup: FollowUp) -> str | None:
    return reverse("referral-detail", args=[followup.subject_id]) if followup.subject_id else None


#: A referral's intake follow-up ends with the referral itself (acknowledged, taken in or closed on its
#: page), never with a bare "done" that would leave the referral "received" (registered in
#: WellbeingConfig.ready()).
REFERRAL_INTAKE_CLOSURE = RecordClosure(
    action_label=lambda: _("Open the referral"),
    action_url=_referral_url,
    explanation=lambda: _("This ends when the referral is acknowledged, taken in or closed on its page."),
    can_set_aside=False,
)
