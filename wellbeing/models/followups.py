"""Follow-ups (any dated obligation on any record) and the reminder pipeline's records."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wellbeing import messages
from wellbeing.encryption import EncryptedJSONField, EncryptedTextField
from wellbeing.models.base import TimeStampedModel


class Tier(models.TextChoices):
    """Priority tiers (design/domain.md, "Risk tiers and response")."""

    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
    ROUTINE = "routine", _("routine")

    @property
    def rank(self) -> int:
        """0 for routine up to 3 for red: compare urgency with ``Tier(a).rank >= Tier(b).rank``."""
        return _TIER_RANKS[self.value]

    @classmethod
    def most_urgent_first(cls) -> list["Tier"]:
        return sorted(cls, key=lambda t: -t.rank)

    @classmethod
    def most_urgent_first_expression(cls, field: str = "tier") -> models.Case:
        """An ORDER BY term putting red first, then orange, yellow and routine."""
        return models.Case(
            *(models.When(**{field: t.value}, then=models.Value(-t.rank)) for t in cls),
            output_field=models.IntegerField(),
        )


_TIER_RANKS = {"routine": 0, "yellow": 1, "orange": 2, "red": 3}


class Stage(models.TextChoices):
    ALERT = "alert", _("new urgent item")
    DUE = "due", _("due")
    OVERDUE = "overdue", _("overdue")
    ESCALATED = "escalated", _("escalated")
    REPEAT = "repeat", _("still overdue")
    NEW = "new", _("new item")

    @property
    def message(self) -> str:
        """What a reminder at this stage says, in the active language."""
        return str(_STAGE_MESSAGES[self.value])

    @property
    def weight(self) -> int:
        """How far along the pipeline a stage is: a digest shows each follow-up's furthest stage."""
        return ["new", "alert", "due", "overdue", "repeat", "escalated"].index(self.value)


_STAGE_MESSAGES = {
    "alert": _("New urgent item"),
    "due": _("Due now"),
    "overdue": _("Overdue"),
    "escalated": _("Escalated to you: overdue"),
    "repeat": _("Still overdue"),
    "new": _("New item"),
}


#: Bit of each single-shot stage in FollowUp.stages_sent.
STAGE_BITS = {Stage.ALERT: 1, Stage.DUE: 2, Stage.OVERDUE: 4, Stage.ESCALATED: 8, Stage.NEW: 16}


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
        SCREENING_INVITATION = "screening_invitation", _("screening questionnaire to take")
        LEAVE_APPROVAL = "leave_approval", _("leave approval")
        TOIL_EXPIRY = "toil_expiry", _("time off in lieu expiring")
        PLAN_TASK = "plan_task", _("work plan task")
        PLAN_REVIEW = "plan_review", _("work plan review")
        CORRECTION = "correction", _("correction item")
        ACTIVITY = "activity", _("activity reminder")
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
        NONE = "none", _("nobody (a reminder to its owner only)")

    class SetAsideReason(models.TextChoices):
        """Why an obligation that ends with its own record (a talk due ends with a talk) is set aside."""

        LONG_LEAVE = "long_leave", _("the person is on long leave")
        LEFT = "left", _("the person has left")
        OUTSIDE = "outside", _("talked to outside the system")
        OTHER = "other", _("other (say why)")

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
    # What it is called. A system-made title is a message key and its parameters (a person's name),
    # rendered in the reader's language (``display_title``); free text a person typed (an agreed
    # action) is kept as typed in ``title``, which is empty for a system-made one. Encrypted at rest.
    title = EncryptedTextField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("Safe to show in reminders: no health or case details."),
    )
    title_key = models.CharField(_("title message"), max_length=64, blank=True)
    title_params = EncryptedJSONField(_("title parameters"), blank=True, default=dict)
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
    snooze_reason = EncryptedTextField(_("snooze reason"), max_length=200, blank=True)
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
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("A restricted talk's action: only its owner and its creator see it; others are told neutrally."),
    )
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
    # A follow-up the scan could not process is set aside with its error and retried with back-off,
    # so it never blocks the reminders behind it (docs/reminders.md, "A bad row").
    scan_failures = models.PositiveSmallIntegerField(default=0)
    scan_error = models.CharField(max_length=300, blank=True)
    # Its escalation found nobody to go to (nobody above the owner and no second line configured).
    escalation_unrouted = models.BooleanField(default=False)

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
            models.Index(fields=["id"], name="followup_failing_idx", condition=Q(scan_failures__gt=0)),
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
        # Neutral: shown in the audit trail and the admin, where the title (an agreed action's text,
        # a person's name) must not appear.
        return f"{self.get_kind_display()} #{self.pk}"

    def clean(self) -> None:
        super().clean()
        if not self.title_key and not (self.title or "").strip():
            raise ValidationError({"title": self._meta.get_field("title").error_messages["blank"]})

    @property
    def display_title(self) -> str:
        """Its title in the active language: the rendered message, or the text as typed. Everything
        that shows a follow-up's title goes through here."""
        if self.title_key:
            return messages.render_title(
                self.title_key, self.title_params, fallback=self.title or capfirst(self.get_kind_display())
            )
        return self.title

    def message_title(self, recipient_id: int, owner_name: str = "") -> str:
        """What a message about it may say to ``recipient_id`` (docs/security.md, "Messages"): the
        owner is told their own item's title, unless it is counselling work; anyone else (a delegate,
        an escalation target) gets a neutral line - the kind of item and its number, and whose it is -
        never the text of an agreed action or the name of the person it is about. In the active
        language."""
        if recipient_id == self.owner_id and not self.is_clinical:
            return self.display_title
        label = capfirst(str(self.Kind(self.kind).label))
        if owner_name and recipient_id != self.owner_id:
            return gettext("%(kind)s #%(id)s (owner: %(owner)s)") % {"kind": label, "id": self.pk, "owner": owner_name}
        return gettext("%(kind)s #%(id)s") % {"kind": label, "id": self.pk}

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
