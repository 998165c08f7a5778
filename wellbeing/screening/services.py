"""Writes with rules for screening: consent, taking a questionnaire and what its tier triggers, a
counsellor's review of a tier.

What a tier triggers (design/domain.md, "Risk tiers and response"; issue 9):

- red (a critical item such as PHQ-9 item 9 > 0, whatever the total): a referral with imminent-risk
  urgency whose red follow-up goes to the on-call counsellor (else the lead counsellor) and is dispatched
  as the transaction commits, not at the next scan; the person is shown the crisis contacts at once;
- orange: a referral, urgent (a 24-hour follow-up for the lead counsellor);
- yellow: counsellor outreach offered to the person (``referral_ask``) and a reminder to take the
  questionnaire again in ``SCREENING_RESCREEN_DAYS``;
- green: self-help resources only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import messages, policy
from wellbeing.audit import audit_record, diff
from wellbeing.models import (
    AuditEvent,
    CampaignInvitation,
    FollowUp,
    Instrument,
    Person,
    Referral,
    Screening,
    ScreeningConsent,
    ScreeningTier,
    Tier,
)
from wellbeing.screening import scoring
from wellbeing.services.followups import RecordClosure, followup_cancel, followup_complete, followup_create
from wellbeing.services.referrals import referral_create
from wellbeing.validation import full_clean

logger = logging.getLogger(__name__)

#: The version of the consent notice (templates/wellbeing/screening/consent.html); a new
#: version of the text gets a new number, and each consent records the one the person read.
NOTICE_VERSION = "2026-11"

#: Tier -> the referral urgency it calls for (yellow and green call for none).
TIER_URGENCY = {ScreeningTier.RED: Referral.Urgency.IMMINENT, ScreeningTier.ORANGE: Referral.Urgency.URGENT}


def consent_current(person: Person) -> ScreeningConsent | None:
    return ScreeningConsent.objects.filter(person=person, withdrawn_at__isnull=True).first()


def _self(actor) -> Person:
    """The person acting for themself: screening is always one's own."""
    if actor is None:
        raise TypeError("Say who acts: a user, an API principal or a SystemActor.")
    access = policy.access_for(actor)
    if access.person is None or not policy.can(actor, "screening.take"):
        raise PermissionDenied(_("Only a member of staff with a profile can take a screening questionnaire."))
    return access.person


@transaction.atomic
def consent_give(*, actor) -> ScreeningConsent:
    """The person consents, separately, to screening (after reading the notice). Giving it again while
    it stands changes nothing."""
    person = _self(actor)
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one consent at a time per person
    current = consent_current(person)
    if current is not None:
        return current
    consent = ScreeningConsent.objects.create(person=person, notice_version=NOTICE_VERSION)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=consent,
        subject_person=person,
        changes=diff({}, {"consent": "given", "notice_version": NOTICE_VERSION}),
    )
    return consent


@transaction.atomic
def consent_withdraw(*, actor) -> ScreeningConsent | None:
    """Withdraw consent: no new screenings, and the person's results leave statistics from now on.
    Their invitations to take questionnaires end. Results already with the counselling team (a
    referral) stay under its duty of care (access.md)."""
    person = _self(actor)
    consent = ScreeningConsent.objects.select_for_update().filter(person=person, withdrawn_at__isnull=True).first()
    if consent is None:
        return None
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    for followup in FollowUp.objects.filter(
        owner=actor, kind=FollowUp.Kind.SCREENING_INVITATION, status__in=FollowUp.ACTIVE_STATUSES
    ):
        followup_cancel(actor=actor, followup=followup, reason="consent withdrawn", authorized=True)
    CampaignInvitation.objects.filter(person=person, completed_at__isnull=True, declined_at__isnull=True).update(
        declined_at=consent.withdrawn_at
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.STATUS,
        target=consent,
        subject_person=person,
        changes=diff({"consent": "given"}, {"consent": "withdrawn"}),
    )
    return consent


@dataclass(frozen=True)
class Submitted:
    screening: Screening
    #: False when the same submission (form token or Idempotency-Key) had been stored already.
    created: bool


def _instrument(code_or_instrument) -> Instrument:
    if isinstance(code_or_instrument, Instrument):
        instrument = code_or_instrument
    else:
        instrument = Instrument.objects.filter(code=str(code_or_instrument), is_active=True).first()
    if instrument is None or not instrument.is_active:
        raise ValidationError({"instrument": [_("Unknown questionnaire. Choose one of those offered.")]})
    return instrument


def screening_submit(*, actor, instrument, answers, consent: bool = False, submission_key: str = "") -> Submitted:
    """Store the actor's own answers to ``instrument`` (an Instrument or its code), scored, and start
    what the tier calls for, all in one transaction. Nothing is stored when anything is wrong: answers
    that do not fit (one message per item), an unknown questionnaire, no consent. ``consent=True``
    records the separate consent first when the person has not given it. The same ``submission_key``
    sent again (a double tap) returns the result stored the first time."""
    person = _self(actor)
    submission_key = (submission_key or "")[:64]
    if submission_key:
        earlier = Screening.objects.filter(person=person, submission_key=submission_key).first()
        if earlier is not None:
            return Submitted(earlier, created=False)
    try:
        with transaction.atomic():
            return Submitted(_submit(actor, person, instrument, answers, consent, submission_key), created=True)
    except IntegrityError:
        # The same submission, racing: the other request stored it.
        earlier = (
            Screening.objects.filter(person=person, submission_key=submission_key).first() if submission_key else None
        )
        if earlier is None:
            raise
        return Submitted(earlier, created=False)


def _submit(actor, person: Person, instrument, answers, consent: bool, submission_key: str) -> Screening:
    instrument = _instrument(instrument)
    instrument = Instrument.objects.prefetch_related("items", "options", "bands", "tier_rules").get(pk=instrument.pk)
    result = scoring.score(instrument, answers)  # ValidationError per item, before anything is written
    if consent_current(person) is None:
        if consent is not True:
            raise ValidationError(
                {
                    "consent": [
                        _(
                            "Consent to screening is needed first: read what is collected and who sees it, "
                            "then agree (consent: true)."
                        )
                    ]
                }
            )
        consent_give(actor=actor)
    invitation = _open_invitation(person, instrument)
    screening = Screening(
        person=person,
        instrument=instrument,
        campaign=invitation.campaign if invitation else None,
        answers=[int(a) for a in scoring.check_answers(instrument, answers)],
        score=result.score,
        band=result.band,
        tier=result.tier,
        submission_key=submission_key,
    )
    full_clean(screening, exclude=["answers", "referral"])
    screening.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=screening,
        subject_person=person,
        # Administrators read the audit trail but no clinical information: the result is recorded as
        # given, never its value; the answers never at all.
        changes=diff(
            {}, {"instrument": instrument.code, "score": result.score, "tier": result.tier}, sensitive=["score", "tier"]
        ),
    )
    _close_invitations(actor, person, screening, invitation)
    _respond(actor, screening, critical=bool(result.critical_items))
    return screening


def _open_invitation(person: Person, instrument: Instrument) -> CampaignInvitation | None:
    """The person's invitation to an open check-up that includes ``instrument``, if any."""
    today = timezone.localdate()
    return (
        CampaignInvitation.objects.filter(
            person=person,
            completed_at__isnull=True,
            declined_at__isnull=True,
            campaign__opens_on__lte=today,
            campaign__closes_on__gte=today,
            campaign__instruments=instrument,
        )
        .select_related("campaign", "followup")
        .order_by("campaign__closes_on", "pk")
        .first()
    )


def _close_invitations(actor, person: Person, screening: Screening, invitation: CampaignInvitation | None) -> None:
    """A re-screening reminder for this questionnaire ends; a check-up invitation ends when every
    questionnaire of the check-up has been taken."""
    for followup in _rescreen_reminders(actor, screening.instrument):
        followup_complete(actor=actor, followup=followup, authorized=True, by_record=True)
    if invitation is None:
        return
    needed = set(invitation.campaign.instruments.values_list("pk", flat=True))
    taken = set(
        Screening.objects.filter(person=person, campaign=invitation.campaign).values_list("instrument_id", flat=True)
    )
    if needed <= taken:
        invitation.completed_at = timezone.now()
        invitation.save(update_fields=["completed_at", "updated_at"])
        if invitation.followup_id and invitation.followup.is_active:
            followup_complete(actor=actor, followup=invitation.followup, authorized=True, by_record=True)


def _respond(actor, screening: Screening, *, critical: bool) -> None:
    """Start what the screening's tier calls for (see the module's docstring)."""
    tier = screening.effective_tier
    urgency = TIER_URGENCY.get(tier)
    if urgency is not None and screening.referral_id is None:
        try:
            with transaction.atomic():
                screening.referral = referral_create(
                    actor=actor,
                    person=screening.person,
                    urgency=urgency,
                    reason=Referral.Reason.SELF_HARM if critical else Referral.Reason.BEHAVIOUR,
                    source=Referral.Source.SCREENING,
                    source_object=screening,
                )
        except ValidationError:
            # Nobody in the counselling team can receive it (no lead counsellor in force): the result
            # is still kept and the person still sees the crisis contacts; operators are alerted.
            logger.error("screening %s: no counsellor can receive its referral (tier %s)", screening.pk, tier)
            return
        screening.save(update_fields=["referral", "updated_at"])
    elif tier == ScreeningTier.YELLOW and screening.person.user_id:
        _rescreen_reminder(actor, screening)


def _rescreen_reminders(owner, instrument: Instrument):
    """The open reminders of ``owner`` to take ``instrument`` again (their subject is the instrument)."""
    return FollowUp.objects.filter(
        owner=owner,
        kind=FollowUp.Kind.SCREENING_INVITATION,
        status__in=FollowUp.ACTIVE_STATUSES,
        title_key=messages.SCREENING_RESCREEN,
        subject_type=ContentType.objects.get_for_model(Instrument),
        subject_id=str(instrument.pk),
    )


def _rescreen_reminder(actor, screening: Screening) -> None:
    """Remind the person to take the questionnaire again in a few weeks (one open reminder per
    questionnaire). A personal reminder: it never escalates, and only they see it."""
    owner = screening.person.user
    if not owner.is_active:
        return
    if _rescreen_reminders(owner, screening.instrument).exists():
        return
    followup_create(
        actor=actor,
        owner=owner,
        title_key=messages.SCREENING_RESCREEN,
        title_params={"instrument": screening.instrument.code},
        due_at=timezone.now() + timedelta(days=settings.SCREENING_RESCREEN_DAYS),
        kind=FollowUp.Kind.SCREENING_INVITATION,
        tier=Tier.ROUTINE,
        subject=screening.instrument,
        person=screening.person,
        escalation=FollowUp.Escalation.NONE,
        confidential=True,
    )


@transaction.atomic
def referral_ask(*, actor, screening: Screening) -> Referral:
    """The person accepts the counsellor outreach offered with their result: a self-referral, soon
    (within a week). Asking again while one is open returns that one."""
    person = _self(actor)
    if screening.person_id != person.pk:
        raise PermissionDenied(_("This is not your result."))
    open_one = Referral.objects.filter(person=person, status__in=Referral.OPEN_STATUSES).order_by("-created_at").first()
    if open_one is not None:
        return open_one
    return referral_create(
        actor=actor,
        person=person,
        urgency=Referral.Urgency.SOON,
        reason=Referral.Reason.BEHAVIOUR,
        source=Referral.Source.SELF,
        source_object=screening,
    )


@transaction.atomic
def screening_review(*, actor, screening: Screening, tier: str, reason: str) -> Screening:
    """A counsellor confirms or overrides the computed tier, with a reason (encrypted; audited as
    given, never its text). Raising it to orange or red starts what that tier calls for when no
    referral was made yet; lowering it cancels nothing (the referral is the team's to close)."""
    if not policy.can(actor, "screening.review", screening):
        raise PermissionDenied(_("Only the counselling team reviews a result."))
    errors: dict[str, list[str]] = {}
    if tier not in ScreeningTier.values:
        errors["tier"] = [_("Choose a tier.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why: the reason is kept with the review.")]
    elif len(reason) > 2000:
        errors["reason"] = [_("Keep the reason under 2000 characters.")]
    if errors:
        raise ValidationError(errors)
    screening = Screening.objects.select_for_update().select_related("person", "instrument").get(pk=screening.pk)
    old = {"reviewed_tier": screening.reviewed_tier, "review_reason": screening.review_reason}
    screening.reviewed_tier = tier
    screening.review_reason = reason.strip()
    screening.reviewed_by = actor
    screening.reviewed_at = timezone.now()
    full_clean(screening, exclude=["answers", "referral"])
    screening.save(update_fields=["reviewed_tier", "review_reason", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=screening,
        subject_person=screening.person,
        changes=diff(
            old,
            {"reviewed_tier": tier, "review_reason": screening.review_reason},
            sensitive=["reviewed_tier", "review_reason"],
        ),
    )
    _respond(actor, screening, critical=False)
    return screening


@transaction.atomic
def screenings_purge_expired(*, actor) -> int:
    """Delete results kept longer than ``SCREENING_RETENTION_DAYS`` (PIPL §19), except those that led
    to a referral (they stay with the counselling team's record). Returns how many went."""
    cutoff = timezone.now() - timedelta(days=settings.SCREENING_RETENTION_DAYS)
    expired = Screening.objects.filter(created_at__lt=cutoff, referral__isnull=True)
    count = 0
    for screening in expired.select_related("person").iterator():
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            target=screening,
            subject_person=screening.person,
            changes={"deleted": ["", "retention period ended"]},
        )
        screening.delete()
        count += 1
    return count


@transaction.atomic
def screening_invitation_decline(*, actor, followup: FollowUp) -> FollowUp:
    """The person declines a reminder to take a questionnaire (a check-up invitation or a
    re-screening): taking part is voluntary. The check-up records it as declined (supervisors see only
    "not completed"). Someone else's reminder is not found."""
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.owner_id != getattr(actor, "pk", None) or followup.kind != FollowUp.Kind.SCREENING_INVITATION:
        raise PermissionDenied(_("This is not your reminder."))
    if not followup.is_active:
        return followup
    followup_cancel(actor=actor, followup=followup, reason="declined", authorized=True)
    CampaignInvitation.objects.filter(followup=followup, completed_at__isnull=True, declined_at__isnull=True).update(
        declined_at=timezone.now()
    )
    followup.refresh_from_db()
    return followup


def _invitation_url(followup: FollowUp) -> str | None:
    code = (followup.title_params or {}).get("instrument")
    return reverse("screening:take", args=[code]) if code else reverse("screening:home")


#: A reminder to take a questionnaire (a check-up invitation, a re-screening) ends when it is taken,
#: or when the person declines it on their screening page: never a bare "done" (registered in
#: WellbeingConfig.ready()).
SCREENING_INVITATION_CLOSURE = RecordClosure(
    action_label=lambda: _("Take the questionnaire"),
    action_url=_invitation_url,
    explanation=lambda: _(
        "This ends when you take the questionnaire. Taking part is voluntary: you can decline on your screening page."
    ),
    can_set_aside=False,
)
