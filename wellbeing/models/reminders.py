"""The reminder pipeline's records: scan runs, reminders, in-app notifications, webhook endpoints
and deliveries (the follow-ups themselves live in ``followups.py``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wellbeing import messages
from wellbeing.encryption import EncryptedJSONField, EncryptedTextField
from wellbeing.models.base import TimeStampedModel
from wellbeing.models.followups import FollowUp, Stage, Tier


class ScanRun(models.Model):
    """One run of the overdue scan (for the health endpoint and the operations view)."""

    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    followups = models.PositiveIntegerField(_("follow-ups processed"), default=0)
    reminders = models.PositiveIntegerField(_("reminders recorded"), default=0)
    deliveries = models.PositiveIntegerField(_("messages queued"), default=0)
    quiet_hours = models.BooleanField(_("quiet hours"), default=False)
    digested_at = models.DateTimeField(_("digests queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("scan run")
        verbose_name_plural = _("scan runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S}"


class Reminder(models.Model):
    """One stage of one follow-up, sent to one recipient. Unique per (follow-up, cycle, stage,
    repeat), so two beats, overlapping scans or a re-delivered task can never send it twice."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="reminders")
    cycle = models.PositiveIntegerField()
    stage = models.CharField(max_length=16, choices=Stage.choices)
    repeat = models.PositiveIntegerField(default=0)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reminders")
    routed_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The intended recipient, when they were unavailable."),
    )
    scheduled_for = models.DateTimeField()
    scan = models.ForeignKey(ScanRun, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["followup", "cycle", "stage", "repeat"], name="reminder_once_per_stage")
        ]
        indexes = [
            models.Index(fields=["scan", "recipient"]),
        ]

    def __str__(self) -> str:
        return f"{self.followup_id}:{self.cycle}:{self.stage}:{self.repeat}"


class Notification(models.Model):
    """An item in a user's in-app inbox. Delivered exactly once (unique per reminder, written in the
    same transaction as the reminder).

    It stores what it is, and is worded when shown, in the reader's language (``display_title``,
    ``display_body``): a reminder's item from its reminder (the follow-up's title and the stage), a
    system message from its key and parameters (``wellbeing.messages``). ``title`` and ``body`` hold
    free text only (empty for the other two)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="notifications"
    )
    reminder = models.OneToOneField(Reminder, on_delete=models.CASCADE, null=True, blank=True)
    title = EncryptedTextField(_("title"), max_length=200, blank=True)
    body = models.CharField(_("message"), max_length=500, blank=True)
    message_key = models.CharField(_("message kind"), max_length=64, blank=True)
    # Names (a colleague's, the owner of a follow-up told about neutrally): encrypted at rest.
    params = EncryptedJSONField(_("message parameters"), blank=True, default=dict)
    url = models.CharField(_("link"), max_length=300, blank=True)
    tier = models.CharField(_("priority"), max_length=16, choices=Tier.choices, default=Tier.ROUTINE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient"], name="notification_unread_idx", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """What the item says, in the active language (follows ``FollowUp.message_title`` for a
        reminder). Load the reminder's follow-up with it (``select_related``) for a list."""
        if self.reminder_id is not None:
            return self.reminder.followup.message_title(self.recipient_id, (self.params or {}).get("owner", ""))
        if self.message_key:
            return messages.render_title(self.message_key, self.params, fallback=self.title or None)
        return self.title

    @property
    def display_body(self) -> str:
        """Its second line in the active language: a reminder's stage ("Overdue"), or the message's."""
        if self.reminder_id is not None:
            return Stage(self.reminder.stage).message
        if self.message_key and messages.exists(self.message_key):
            return messages.render_body(self.message_key, self.params)
        return self.body


class WebhookEndpoint(TimeStampedModel):
    """Where webhook digests go: a JSON receiver signed with HMAC, or a WeCom / DingTalk group robot.
    Scoped to the reminders of owners in a unit (and below), from a minimum priority."""

    class Format(models.TextChoices):
        JSON = "json", _("JSON (HMAC-signed)")
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk group robot")

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    secret = EncryptedTextField(_("signing secret"), blank=True)
    format = models.CharField(_("format"), max_length=16, choices=Format.choices, default=Format.JSON)
    unit = models.ForeignKey(
        "wellbeing.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Only reminders for owners in this unit (and below). Empty: all."),
    )
    min_tier = models.CharField(_("from priority"), max_length=16, choices=Tier.choices, default=Tier.ROUTINE)
    include_clinical = models.BooleanField(
        _("include counselling work"), default=False, help_text=_("Only for the counselling team's own channel.")
    )
    is_active = models.BooleanField(pgettext_lazy("webhook", "enabled"), default=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def accepts(self, *, tier: str, kind: str, owner_path: str) -> bool:
        """Whether this endpoint wants a reminder: its priority floor, counselling work only where
        allowed, and owners in its unit (and below)."""
        if Tier(tier).rank < Tier(self.min_tier).rank:
            return False
        if kind in FollowUp.CLINICAL_KINDS and not self.include_clinical:
            return False
        return self.unit is None or owner_path.startswith(self.unit.path)


class Delivery(models.Model):
    """One outgoing message (an e-mail or a WeCom / DingTalk work notification to a person, or a
    webhook POST) carrying a digest of the reminders one scan produced for that recipient. Delivered
    at least once, with retries."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        WEBHOOK = "webhook", _("webhook")
        WECOM = "wecom", _("WeCom message")
        DINGTALK = "dingtalk", _("DingTalk message")

    #: Channels to one person (their own items by title); the others go to a group (counts only).
    PERSONAL_CHANNELS = (Channel.EMAIL, Channel.WECOM, Channel.DINGTALK)

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(_("key"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("webhook"), on_delete=models.PROTECT, null=True, blank=True
    )
    scan = models.ForeignKey(
        ScanRun,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The digest run: its reminders are the content."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_retry_idx",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(channel__in=["email", "wecom", "dingtalk"]) & Q(recipient__isnull=False))
                | (Q(channel="webhook") & Q(endpoint__isnull=False)),
                name="delivery_has_destination",
            )
        ]

    def __str__(self) -> str:
        return self.key
