"""Screenings: a person's answers to a questionnaire and what they call for; the separate consent
screening needs (PIPL §29); the crisis contacts shown with a red result; who is on call for red items;
check-up campaigns (心理体检)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wellbeing.encryption import EncryptedJSONListField, EncryptedTextField
from wellbeing.models.base import TimeStampedModel
from wellbeing.models.instruments import Bilingual, Instrument, ScoreBand, ScreeningTier


class CrisisContact(Bilingual, models.Model):
    """A number shown at once to a person whose result is red (configurable; the default is the
    national psychological assistance hotline 12356, 120 and 110)."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    phone = models.CharField(_("phone"), max_length=30)
    note_zh = models.CharField(_("note (Chinese)"), max_length=200, blank=True)
    note_en = models.CharField(_("note (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("crisis contact")
        verbose_name_plural = _("crisis contacts")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.localized('name')} {self.phone}"

    @property
    def name(self) -> str:
        return self.localized("name")

    @property
    def note(self) -> str:
        return self.localized("note")


class ScreeningConsent(models.Model):
    """A person's separate consent to screening (PIPL §29), given after reading the notice (which
    version is kept), until withdrawn. Withdrawing stops new screenings and takes their results out
    of statistics from then on; giving it again is a new record."""

    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="screening_consents"
    )
    notice_version = models.CharField(_("notice version"), max_length=20)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("screening consent")
        verbose_name_plural = _("screening consents")
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(withdrawn_at__isnull=True), name="one_current_screening_consent"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class ScreeningQuerySet(models.QuerySet):
    def consented(self) -> ScreeningQuerySet:
        """Results of people whose consent stands today (statistics leave the others out)."""
        return self.filter(person__screening_consents__withdrawn_at__isnull=True).distinct()


class Screening(TimeStampedModel):
    """One completed questionnaire. The answers are encrypted; the score, band and tier stay in clear
    for queries and statistics, and the policy decides who sees them (access.md)."""

    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="screenings"
    )
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("questionnaire"), on_delete=models.PROTECT, related_name="screenings"
    )
    campaign = models.ForeignKey(
        "wellbeing.ScreeningCampaign",
        verbose_name=_("check-up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="screenings",
    )
    answers = EncryptedJSONListField(_("answers"))
    score = models.SmallIntegerField(_("score"))
    band = models.ForeignKey(ScoreBand, verbose_name=_("band"), on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(_("tier"), max_length=8, choices=ScreeningTier.choices)
    # A counsellor's review: the tier confirmed or overridden, with the reason (encrypted).
    reviewed_tier = models.CharField(_("reviewed tier"), max_length=8, choices=ScreeningTier.choices, blank=True)
    review_reason = EncryptedTextField(_("reason"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    referral = models.OneToOneField(
        "wellbeing.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="screening"
    )
    # The form token or Idempotency-Key a double tap repeats: the same submission stores one result.
    submission_key = models.CharField(max_length=64, blank=True)

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "instrument", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "submission_key"], condition=~Q(submission_key=""), name="screening_submitted_once"
            ),
            models.CheckConstraint(
                condition=Q(reviewed_tier="") | Q(reviewed_at__isnull=False), name="screening_review_has_time"
            ),
        ]

    def __str__(self) -> str:
        # Shown in the audit trail: nothing about the result.
        return f"#{self.pk}"

    @property
    def effective_tier(self) -> ScreeningTier:
        """The counsellor's reviewed tier if there is one, else the computed one."""
        return ScreeningTier(self.reviewed_tier or self.tier)


class OnCallShift(TimeStampedModel):
    """A counsellor on call for red items from ``starts_on`` to ``ends_on`` (whole days in the
    organisation's zone: one day, or a week). With nobody on call, red items go to the lead counsellor."""

    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("counsellor"), on_delete=models.PROTECT, related_name="on_call_shifts"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))

    class Meta:
        verbose_name = _("on-call shift")
        verbose_name_plural = _("on-call rota")
        ordering = ["starts_on", "id"]
        indexes = [models.Index(fields=["starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="on_call_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.counsellor} {self.starts_on}-{self.ends_on}"


class ScreeningCampaign(TimeStampedModel):
    """A psychological check-up (心理体检): the people of some units (with everything below them) are
    invited to take some questionnaires between two dates."""

    name = models.CharField(_("name"), max_length=120)
    units = models.ManyToManyField("wellbeing.OrgUnit", verbose_name=_("units"), related_name="+")
    instruments = models.ManyToManyField(Instrument, verbose_name=_("questionnaires"), related_name="campaigns")
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(_("invitations sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-up")
        verbose_name_plural = _("check-ups")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="campaign_closes_after_open")
        ]

    def __str__(self) -> str:
        return self.name

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on


class CampaignInvitation(TimeStampedModel):
    """One person invited to a check-up; the invitation is a follow-up they own (reminded through the
    pipeline) that ends when they have taken every questionnaire of the check-up, or decline."""

    campaign = models.ForeignKey(ScreeningCampaign, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey("wellbeing.Person", on_delete=models.PROTECT, related_name="campaign_invitations")
    followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.PROTECT, null=True, blank=True, related_name="campaign_invitation"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-up invitation")
        verbose_name_plural = _("check-up invitations")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="one_invitation_per_campaign"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(declined_at__isnull=True), name="invitation_one_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"
