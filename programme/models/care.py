"""Care for people in difficulty (排忧解难): practical support for a colleague facing serious illness,
bereavement or a family crisis. Seen by the person, their supervisor chain and HR for their unit;
the leading group sees counts only (k >= 5)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wellbeing.encryption import EncryptedTextField
from wellbeing.models.base import TimeStampedModel


class CareRecord(TimeStampedModel):
    class Situation(models.TextChoices):
        ILLNESS = "illness", _("serious illness")
        BEREAVEMENT = "bereavement", _("bereavement")
        FAMILY = "family", _("family crisis")
        OTHER = "other", _("other difficulty")

    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="care_records"
    )
    situation = models.CharField(_("situation"), max_length=16, choices=Situation.choices)
    occurred_on = models.DateField(_("date"))
    visited = models.BooleanField(_("visited"), default=False)
    help_arranged = models.BooleanField(_("practical help arranged"), default=False)
    leave_suggested = models.BooleanField(_("leave suggested"), default=False)
    # What happened and what was arranged: encrypted at rest, reads audited, never in logs or messages.
    note = EncryptedTextField(_("what was done"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    # Set by retention (docs/data-lifecycle.md) once the note is cleared.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("care record")
        verbose_name_plural = _("care records")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["person", "occurred_on"])]

    def __str__(self) -> str:
        # Neutral: shown in the audit trail.
        return f"{self._meta.verbose_name} #{self.pk}"
