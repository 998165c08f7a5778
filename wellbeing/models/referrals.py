from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wellbeing.encryption import EncryptedTextField
from wellbeing.models.base import TimeStampedModel


class Referral(TimeStampedModel):
    """A referral to the counselling team (转介): from a talk, a supervisor, a screening or the person.

    It lives in the core so the cases app can take it in at intake. The referrer sees only that it
    was received and acknowledged, never what follows.
    """

    class Urgency(models.TextChoices):
        ROUTINE = "routine", _("routine")
        SOON = "soon", _("soon (within a week)")
        URGENT = "urgent", _("urgent (within a day)")
        IMMINENT = "imminent", _("imminent risk (now)")

    class Reason(models.TextChoices):
        WORK_PRESSURE = "work_pressure", _("work pressure or burnout")
        FAMILY = "family", _("family difficulty")
        HEALTH = "health", _("health or illness")
        CONFLICT = "conflict", _("conflict at work")
        BEHAVIOUR = "behaviour", _("change in behaviour or mood")
        SELF_HARM = "self_harm", _("thoughts of self-harm")
        OTHER = "other", _("other")

    class Source(models.TextChoices):
        TALK = "talk", _("heart-to-heart talk")
        SUPERVISOR = "supervisor", _("supervisor")
        SCREENING = "screening", _("screening")
        SELF = "self", _("self-referral")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        TAKEN_IN = "taken_in", _("taken in")

    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="referrals"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referred by"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SUPERVISOR)
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    source_object = GenericForeignKey("source_type", "source_id")
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    note = EncryptedTextField(_("note for the counselling team"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.PROTECT, null=True, blank=True, related_name="referral"
    )

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"]), models.Index(fields=["referred_by", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="received") | Q(acknowledged_at__isnull=False), name="referral_ack_has_time"
            )
        ]

    def __str__(self) -> str:
        # Shown in the audit trail (administrators): nothing about the urgency or the reason.
        return f"#{self.pk}"
