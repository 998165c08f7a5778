"""Follow-ups (any dated obligation on any record) and the reminder pipeline's records."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wellbeing.encryption import EncryptedTextField
from wellbeing.models.base import TimeStampedModel


class Tier(models.TextChoices):
    """Priority tiers (design/domain.md, "Risk tiers and response")."""

    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
    ROUTINE = "routine", _("routine")


class Stage(models.TextChoices):
    ALERT = "alert", _("new urgent item")
    DUE = "due", _("due")
    OVERDUE = "overdue", _("overdue")
    ESCALATED = "escalated", _("escalated")
    REPEAT = "repeat", _("still overdue")


#: Bit of each single-shot stage in FollowUp.stages_sent.
STAGE_BITS = {Stage.ALERT: 1, Stage.DUE: 2, Stage.OVERDUE: 4, Stage.ESCALATED: 8}


class FollowUp(TimeStampedModel):
    """A dated obligation: the next talk owed, an agreed action, a counsellor's next contact, a leave
    request awaiting approval. One indexed table serves every app (generic relation to the subject)."""

    class Kind(models.TextChoices):
        TALK_DUE = "talk_due", _("talk due")
        TALK_ACTION = "talk_action", _("agreed action")
        REFERRAL_INTAKE = "referral_intake", _("referral to take in")
        CASE_CONTACT = "case_contact", _("case contact")
        CASE_ACTION = "case_action", _("case action")
        SCREENING_FOLLOWUP = "screening_followup", _("screening follow-up")
        LEAVE_APPROVAL = "leave_approval", _("leave approval")
        TOIL_EXPIRY = "toil_expiry", _("time off in lieu expiring")
        GENERAL = "general", _("follow-up")

    #: Counselling work: never shown to supervisors or HR, escalated to the lead counsellor.
    CLINICAL_KINDS = frozenset({Kind.REFERRAL_INTAKE, Kind.CASE_CONTACT, Kind.CASE_ACTION, Kind.SCREENING_FOLLOWUP})

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SNOOZED = "snoozed", _("snoozed")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    class Escalation(models.TextChoices):
        MANAGER = "manager", _("the owner's manager")
        LEAD_COUNSELLOR = "lead_counsellor", _("the lead counsellor")
        USER = "user", _("a named person")

    ACTIVE_STATUSES = (Status.OPEN, Status.SNOOZED)

    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), on_delete=models.PROTECT, null=True, blank=True
    )
    subject_id = models.CharField(_("subject ID"), max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    person = models.ForeignKey(
        "wellbeing.Person",
        verbose_name=_("about"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="followups"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.GENERAL)
    title = models.CharField(
        _("title"), max_length=200, help_text=_("Safe to show in reminders: no health or case details.")
    )
    due_at = models.DateTimeField(_("due"))
    grace = models.DurationField(_("grace period"), null=True, blank=True, help_text=_("Empty: the policy's."))
    tier = models.CharField(_("priority"), max_length=16, choices=Tier.choices, default=Tier.ROUTINE)
    escalation = models.CharField(
        _("escalate to"), max_length=20, choices=Escalation.choices, default=Escalation.MANAGER
    )
    escalate_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalate to person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    snooze_reason = models.CharField(_("snooze reason"), max_length=200, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = EncryptedTextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The pipeline's state: which reminders this cycle has sent, and when it next needs attention.
    cycle = models.PositiveIntegerField(default=1)
    stages_sent = models.PositiveSmallIntegerField(default=0)
    repeats_sent = models.PositiveIntegerField(default=0)
    next_action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "id"]
        indexes = [
            # The scan's one query: open work whose next stage is due.
            models.Index(
                fields=["next_action_at"],
                name="followup_scan_idx",
                condition=Q(status__in=["open", "snoozed"]),
            ),
            models.Index(fields=["owner", "status", "due_at"]),
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["person", "kind", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False), name="followup_snooze_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False), name="followup_done_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(escalation="user") | Q(escalate_to__isnull=False), name="followup_escalate_user_set"
            ),
            models.CheckConstraint(
                condition=Q(grace__isnull=True) | Q(grace__gte=timedelta(0)),
                name="followup_grace_not_negative",
            ),
            # One open "talk due" per owner and subject, so the cadence task and a logged talk (or two
            # beats) cannot schedule the same talk twice.
            models.UniqueConstraint(
                fields=["owner", "subject_type", "subject_id"],
                condition=Q(kind="talk_due", status__in=["open", "snoozed"]),
                name="followup_one_open_talk_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_clinical(self) -> bool:
        return self.kind in self.CLINICAL_KINDS

    @property
    def anchor_at(self):
        """The time the current cycle's stages count from: the due time, or the end of a snooze."""
        if self.snoozed_until is not None and self.snoozed_until > self.due_at:
            return self.snoozed_until
        return self.due_at


class ReminderPolicy(TimeStampedModel):
    """The organisation's timings for a kind and/or tier (empty = any). The most specific row wins;
    without one, the FOLLOWUP_TIMINGS setting applies."""

    kind = models.CharField(_("kind"), max_length=32, choices=FollowUp.Kind.choices, blank=True)
    tier = models.CharField(_("priority"), max_length=16, choices=Tier.choices, blank=True)
    grace = models.DurationField(_("grace after due"))
    escalation_delay = models.DurationField(_("escalate after overdue"))
    repeat_interval = models.DurationField(_("repeat while overdue"))
    acknowledge_within = models.DurationField(
        _("acknowledge within (red)"), null=True, blank=True, help_text=_("Red items escalate if not acknowledged.")
    )

    class Meta:
        verbose_name = _("reminder policy")
        verbose_name_plural = _("reminder policies")
        constraints = [
            models.UniqueConstraint(fields=["kind", "tier"], name="reminder_policy_unique"),
            models.CheckConstraint(
                condition=Q(repeat_interval__gte=timedelta(minutes=1)),
                name="reminder_policy_repeat_min_1_minute",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display() or '*'} / {self.get_tier_display() or '*'}"


class Unavailability(TimeStampedModel):
    """A period when a user cannot act on reminders (away, on leave). Reminders go to the delegate,
    else to the escalation target. The leave app plugs approved leave into the same routing hook."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="unavailability"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unavailability")
        verbose_name_plural = _("unavailability")
        indexes = [models.Index(fields=["user", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="unavailability_period"),
            models.CheckConstraint(condition=~Q(delegate=models.F("user")), name="unavailability_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"


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
    same transaction as the reminder)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="notifications"
    )
    reminder = models.OneToOneField(Reminder, on_delete=models.CASCADE, null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.CharField(_("message"), max_length=500, blank=True)
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
        return self.title


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


class Delivery(models.Model):
    """One outgoing message (an e-mail to a person, or a webhook POST) carrying a digest of the
    reminders one scan produced for that recipient. Delivered at least once, with retries."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        WEBHOOK = "webhook", _("webhook")

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
                condition=(Q(channel="email") & Q(recipient__isnull=False))
                | (Q(channel="webhook") & Q(endpoint__isnull=False)),
                name="delivery_has_destination",
            )
        ]

    def __str__(self) -> str:
        return self.key
