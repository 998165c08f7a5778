from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wellbeing.encryption import EncryptedTextField
from wellbeing.models.base import TimeStampedModel
from wellbeing.models.followups import Tier

_URGENCY_TIERS = {"imminent": Tier.RED, "urgent": Tier.ORANGE, "soon": Tier.YELLOW, "routine": Tier.ROUTINE}


class Referral(TimeStampedModel):
    """A referral to the counselling team (转介): from a talk, a supervisor, a screening or the person.

    It lives in the core so the cases app can take it in at intake. Its status goes received ->
    acknowledged -> taken in (into the counselling team's caseload) or closed (with a reason, e.g. no
    further support needed); taken in and closed are final. The referrer sees the status and nothing
    else (access.md: "status only"): not the reason it was closed, not who handled it.
    """

    class Urgency(models.TextChoices):
        ROUTINE = "routine", _("routine")
        SOON = "soon", _("soon (within a week)")
        URGENT = "urgent", _("urgent (within a day)")
        IMMINENT = "imminent", _("imminent risk (now)")

        @property
        def rank(self) -> int:
            """0 for routine up to 3 for imminent risk."""
            return list(type(self)).index(self)

        @classmethod
        def most_urgent_first_expression(cls, field: str = "urgency") -> models.Case:
            """An ORDER BY term putting imminent risk first, then urgent, soon and routine."""
            return models.Case(
                *(models.When(**{field: u.value}, then=models.Value(-u.rank)) for u in cls),
                output_field=models.IntegerField(),
            )

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
        CLOSED = "closed", _("closed")

    class CloseReason(models.TextChoices):
        """Why the counselling team closed a referral without taking the person in. Only the team
        sees it; the referrer and the person see "closed"."""

        NO_FURTHER_SUPPORT = "no_further_support", _("no further support needed")
        SUPPORT_ELSEWHERE = "support_elsewhere", _("support arranged elsewhere")
        DECLINED = "declined", _("the person declined")
        DUPLICATE = "duplicate", _("duplicate referral")

    #: Open referrals: still the counselling team's to take in or close.
    OPEN_STATUSES = (Status.RECEIVED, Status.ACKNOWLEDGED)
    #: Where each status may go next; taken in and closed are final.
    TRANSITIONS = {
        Status.RECEIVED: (Status.ACKNOWLEDGED, Status.TAKEN_IN, Status.CLOSED),
        Status.ACKNOWLEDGED: (Status.TAKEN_IN, Status.CLOSED),
        Status.TAKEN_IN: (),
        Status.CLOSED: (),
    }

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
    taken_in_at = models.DateTimeField(_("taken in at"), null=True, blank=True)
    taken_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken in by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    close_reason = models.CharField(_("reason for closing"), max_length=32, choices=CloseReason.choices, blank=True)
    followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.PROTECT, null=True, blank=True, related_name="referral"
    )
    # Who in the counselling team must act on it first: the on-call counsellor for imminent risk
    # (design/domain.md: red items go to the on-call counsellor), otherwise the lead counsellor.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_referrals",
    )

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"]), models.Index(fields=["referred_by", "-created_at"])]
        # Each status has exactly its own timestamps: acknowledged from "acknowledged" on (taking in
        # or closing acknowledges too), taken in only when taken in, closed (with a reason) only
        # when closed.
        constraints = [
            models.CheckConstraint(
                condition=Q(status="received") | Q(acknowledged_at__isnull=False), name="referral_ack_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="received") | Q(acknowledged_at__isnull=True), name="referral_received_not_ack"
            ),
            models.CheckConstraint(
                condition=Q(status="taken_in", taken_in_at__isnull=False)
                | (~Q(status="taken_in") & Q(taken_in_at__isnull=True)),
                name="referral_taken_in_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) & ~Q(close_reason="")
                | (~Q(status="closed") & Q(closed_at__isnull=True, close_reason="")),
                name="referral_closed_has_time_and_reason",
            ),
        ]

    def __str__(self) -> str:
        # Shown in the audit trail (administrators): nothing about the urgency or the reason.
        return f"#{self.pk}"

    @property
    def tier(self) -> Tier:
        """The priority its urgency carries (design/domain.md "Risk tiers"): imminent risk is red."""
        return _URGENCY_TIERS[self.urgency]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]

    @property
    def status_at(self):
        """When it reached its current status."""
        return {
            self.Status.ACKNOWLEDGED: self.acknowledged_at,
            self.Status.TAKEN_IN: self.taken_in_at,
            self.Status.CLOSED: self.closed_at,
        }.get(self.status, self.created_at)
