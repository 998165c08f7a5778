"""Crisis and intervention cases (危机干预): the counsellor's caseload.

A case is one person's course of care. It is opened at intake from a referral (any source), carries
a current risk level and a status, is assigned to a counsellor (or waits, unassigned, with the lead
counsellor), and collects notes, safety plans, interventions and a timeline of everything that
happened to it. Free text is encrypted at rest; reading it is audited by the selectors.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wellbeing.encryption import EncryptedTextField
from wellbeing.models import Tier
from wellbeing.models.base import TimeStampedModel

USER = settings.AUTH_USER_MODEL


class Risk(models.TextChoices):
    """A case's current risk level (design/domain.md: cadence by risk)."""

    IMMINENT = "imminent", _("imminent")
    HIGH = "high", _("high")
    MODERATE = "moderate", _("moderate")
    LOW = "low", _("low")

    @property
    def rank(self) -> int:
        """3 for imminent down to 0 for low."""
        return {"imminent": 3, "high": 2, "moderate": 1, "low": 0}[self.value]

    @property
    def tier(self) -> str:
        """The priority of the case's contact follow-up: imminent risk is red."""
        return {"imminent": Tier.RED, "high": Tier.ORANGE, "moderate": Tier.YELLOW, "low": Tier.ROUTINE}[self.value]

    @property
    def cadence(self) -> timedelta:
        """How long until the next contact is due (CASE_CONTACT_CADENCE_DAYS)."""
        return timedelta(days=settings.CASE_CONTACT_CADENCE_DAYS[self.value])

    @classmethod
    def most_urgent_first_expression(cls, field: str = "risk") -> models.Case:
        return models.Case(
            *(models.When(**{field: r.value}, then=models.Value(-r.rank)) for r in cls),
            output_field=models.IntegerField(),
        )

    @classmethod
    def from_urgency(cls, urgency: str) -> Risk:
        """The risk a referral's urgency suggests at intake."""
        return {"imminent": cls.IMMINENT, "urgent": cls.HIGH, "soon": cls.MODERATE}.get(urgency, cls.LOW)


class Case(TimeStampedModel):
    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("case status", "new")
        ACTIVE = "active", pgettext_lazy("case status", "active")
        MONITORING = "monitoring", pgettext_lazy("case status", "monitoring")
        CLOSED = "closed", pgettext_lazy("case status", "closed")

    class Outcome(models.TextChoices):
        IMPROVED = "improved", _("risk resolved, wellbeing improved")
        STABLE = "stable", _("stable, routine support is enough")
        REFERRED_ON = "referred_on", _("care continues with an external service")
        DECLINED = "declined", _("the person declined further support")
        LEFT = "left", _("the person left the organisation")
        OTHER = "other", _("other (see the summary)")

    OPEN_STATUSES = (Status.NEW, Status.ACTIVE, Status.MONITORING)
    #: Where each status may go by hand (closing goes through approval, reopening through its service).
    MOVES = {
        Status.NEW: (Status.ACTIVE, Status.MONITORING),
        Status.ACTIVE: (Status.MONITORING,),
        Status.MONITORING: (Status.ACTIVE,),
        Status.CLOSED: (),
    }

    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="cases"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    risk = models.CharField(_("risk"), max_length=16, choices=Risk.choices, default=Risk.MODERATE)
    counsellor = models.ForeignKey(
        USER,
        verbose_name=_("counsellor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text=_("Empty: waiting in the lead counsellor's unassigned queue."),
    )
    opened_by = models.ForeignKey(USER, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+")
    # The follow-up for the next contact (a counsellor's "case contact"), replaced at every contact.
    contact_followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Closure: asked for by the counsellor (outcome and summary), approved by the lead counsellor.
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    closing_summary = EncryptedTextField(_("closing summary"), blank=True)
    closure_requested_at = models.DateTimeField(_("closure asked for at"), null=True, blank=True)
    closure_requested_by = models.ForeignKey(
        USER, verbose_name=_("closure asked for by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, verbose_name=_("closure approved by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set by retention (docs/data-lifecycle.md) once the case's text is cleared.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["counsellor", "status"]),
            models.Index(fields=["status", "risk"]),
        ]
        constraints = [
            # One open case per person: a second referral links to it instead.
            models.UniqueConstraint(fields=["person"], condition=~Q(status="closed"), name="case_one_open_per_person"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False, closed_by__isnull=False) & ~Q(outcome="")
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="case_closed_has_approval",
            ),
            models.CheckConstraint(
                condition=Q(closure_requested_at__isnull=True) | ~Q(outcome=""), name="case_closure_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        # Shown in reminders and the audit trail: a reference, never the person's name or the risk.
        return self.reference

    @property
    def reference(self) -> str:
        return f"C-{self.pk:06d}" if self.pk else "C-new"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def closure_pending(self) -> bool:
        return self.is_open and self.closure_requested_at is not None

    @property
    def risk_level(self) -> Risk:
        return Risk(self.risk)

    def can_move_to(self, status: str) -> bool:
        return status in self.MOVES[self.Status(self.status)]


class CaseReferral(models.Model):
    """A referral taken in to a case (a case may have several; a referral belongs to one case)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="case_referrals")
    referral = models.OneToOneField("wellbeing.Referral", on_delete=models.PROTECT, related_name="case_link")
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("case referral")
        verbose_name_plural = _("case referrals")
        ordering = ["linked_at", "id"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class CaseEvent(models.Model):
    """One step of a case's history, shown on its timeline: what happened, to what, by whom. The
    parameters hold choice values and references only; a stated reason is encrypted apart."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("case opened")
        REFERRAL_LINKED = "referral_linked", _("referral linked")
        STATUS = "status", _("status changed")
        RISK = "risk", _("risk changed")
        ASSIGNED = "assigned", _("assigned")
        UNASSIGNED = "unassigned", _("returned to the unassigned queue")
        TRANSFER_ASKED = "transfer_asked", _("transfer proposed")
        TRANSFER_ACCEPTED = "transfer_accepted", _("transfer accepted")
        TRANSFER_DECLINED = "transfer_declined", _("transfer declined")
        TRANSFER_CANCELLED = "transfer_cancelled", _("transfer withdrawn")
        FLAGGED = "flagged", _("flag raised")
        UNFLAGGED = "unflagged", _("flag cleared")
        CONTACT = "contact", _("contact made")
        NEXT_CONTACT = "next_contact", _("next contact scheduled")
        CLOSURE_ASKED = "closure_asked", _("closure asked for")
        CLOSURE_APPROVED = "closure_approved", _("closure approved")
        CLOSURE_REFUSED = "closure_refused", _("closure refused")
        REOPENED = "reopened", _("reopened")
        BREAK_GLASS = "break_glass", _("emergency access")
        RESCREEN_ASKED = "rescreen_asked", _("re-screening asked for")
        PERSON_LEFT = "person_left", _("the person left the organisation")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    params = models.JSONField(default=dict, blank=True)
    reason = EncryptedTextField(blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"#{self.pk}"


class CaseFlag(TimeStampedModel):
    """A flag on a case with the reason it was raised; clearing it needs a reason too."""

    class Kind(models.TextChoices):
        SELF_HARM = "self_harm", _("risk of self-harm")
        HARM_TO_OTHERS = "harm_to_others", _("risk of harm to others")
        SUBSTANCE = "substance", _("substance use")
        FAMILY = "family", _("family or domestic concern")
        MEDICAL = "medical", _("medical condition")
        DISENGAGED = "disengaged", _("not engaging")
        OTHER = "other", _("other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("flag"), max_length=24, choices=Kind.choices)
    reason = EncryptedTextField(_("reason"))
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    clear_reason = EncryptedTextField(_("reason for clearing"), blank=True)

    class Meta:
        verbose_name = _("case flag")
        verbose_name_plural = _("case flags")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"], condition=Q(cleared_at__isnull=True), name="case_flag_once"
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | Q(cleared_by__isnull=False), name="case_flag_cleared_by"
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None


class CaseNote(TimeStampedModel):
    """A counsellor's note: DAP (data, assessment, plan) or free form. Editable by its author for
    24 hours (every version kept); after that, only addenda."""

    class Form(models.TextChoices):
        DAP = "dap", _("DAP (data, assessment, plan)")
        FREE = "free", _("free form")

    class Contact(models.TextChoices):
        NONE = "", _("no contact (a note only)")
        IN_PERSON = "in_person", _("in person")
        PHONE = "phone", _("phone")
        VIDEO = "video", _("video call")
        MESSAGE = "message", _("message")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    form = models.CharField(_("form"), max_length=8, choices=Form.choices, default=Form.DAP)
    data = EncryptedTextField(_("data"), blank=True)
    assessment = EncryptedTextField(_("assessment"), blank=True)
    plan = EncryptedTextField(_("plan"), blank=True)
    body = EncryptedTextField(_("note"), blank=True)
    contact = models.CharField(_("contact"), max_length=16, choices=Contact.choices, blank=True)
    addendum_to = models.ForeignKey(
        "self", verbose_name=_("addendum to"), on_delete=models.PROTECT, null=True, blank=True, related_name="addenda"
    )
    edited_at = models.DateTimeField(null=True, blank=True)

    TEXT_FIELDS = ("data", "assessment", "plan", "body")

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def editable_until(self):
        return self.created_at + timedelta(hours=settings.CASE_NOTE_EDIT_HOURS)

    def is_editable(self, now=None) -> bool:
        return (now or timezone.now()) < self.editable_until()


class CaseNoteVersion(models.Model):
    """An earlier wording of a note, kept when its author corrects it within 24 hours."""

    note = models.ForeignKey(CaseNote, on_delete=models.CASCADE, related_name="versions")
    data = EncryptedTextField(blank=True)
    assessment = EncryptedTextField(blank=True)
    plan = EncryptedTextField(blank=True)
    body = EncryptedTextField(blank=True)
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["written_at", "id"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class SafetyPlan(models.Model):
    """One version of a case's safety plan (Stanley-Brown). Each save adds a version; the latest is
    the plan."""

    SECTIONS = (
        "warning_signs",
        "coping_strategies",
        "distractions",
        "people_to_ask",
        "professionals",
        "safe_environment",
        "reasons_for_living",
    )

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="safety_plans")
    version = models.PositiveIntegerField()
    warning_signs = EncryptedTextField(_("warning signs"), blank=True)
    coping_strategies = EncryptedTextField(_("internal coping strategies"), blank=True)
    distractions = EncryptedTextField(_("people and places for distraction"), blank=True)
    people_to_ask = EncryptedTextField(_("people to ask for help"), blank=True)
    professionals = EncryptedTextField(_("professionals and crisis lines"), blank=True)
    safe_environment = EncryptedTextField(_("making the environment safe"), blank=True)
    reasons_for_living = EncryptedTextField(_("reasons for living"), blank=True)
    written_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("safety plan")
        verbose_name_plural = _("safety plans")
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="safety_plan_version_once")]

    def __str__(self) -> str:
        return f"{self.case.reference} v{self.version}"


class Intervention(TimeStampedModel):
    """Something done for the person (分类干预)."""

    class Kind(models.TextChoices):
        COUNSELLING = "counselling", _("counselling session")
        GROUP = "group", _("group session")
        EXTERNAL_REFERRAL = "external_referral", _("referral to a hospital or external service")
        FAMILY_CONTACT = "family_contact", _("family contact")
        TIME_OFF = "time_off", _("time off recommended")
        CHANGE_OF_POST = "change_of_post", _("change of post or workload recommended (incl. job rotation)")
        CRISIS_RESPONSE = "crisis_response", _("crisis response")

    class Status(models.TextChoices):
        DONE = "done", _("done")
        PROPOSED = "proposed", _("proposed")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    #: Kinds that are sent to the person's supervisor as an action (the action text only).
    SUPERVISOR_KINDS = (Kind.TIME_OFF, Kind.CHANGE_OF_POST)
    #: An external referral goes proposed -> accepted / rejected -> done.
    STATUS_MOVES = {
        Status.PROPOSED: (Status.ACCEPTED, Status.REJECTED),
        Status.ACCEPTED: (Status.DONE,),
        Status.REJECTED: (),
        Status.DONE: (),
    }

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="interventions")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DONE)
    occurred_on = models.DateField(_("date"))
    details = EncryptedTextField(_("details"), blank=True)
    service = EncryptedTextField(_("hospital or service"), blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True)
    # What the supervisor is asked to do (shown to them as typed; no reason, no case).
    supervisor_action = EncryptedTextField(_("action for the supervisor"), blank=True)
    supervisor_followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Time off recommended: the leave request drafted for the person (leave app, issue 11 item 9).
    leave_request = models.OneToOneField(
        "leave.LeaveRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["occurred_on", "id"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Transfer(TimeStampedModel):
    """A case handed from one counsellor to another: it moves when the receiver accepts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for acceptance")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        CANCELLED = "cancelled", _("withdrawn")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    from_counsellor = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_counsellor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="incoming_transfers")
    handover_note = EncryptedTextField(_("handover note"))
    asked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = EncryptedTextField(blank=True)
    override_reason = EncryptedTextField(blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="transfer_one_pending"),
        ]


class BreakGlassGrant(models.Model):
    """Emergency access to a case by someone outside it, for a limited time, with a stated reason."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["user", "expires_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("granted_at")), name="break_glass_expires")
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()


class CaseloadLimit(TimeStampedModel):
    """A counsellor's own caseload limit (otherwise CASELOAD_LIMIT)."""

    counsellor = models.OneToOneField(USER, verbose_name=_("counsellor"), on_delete=models.CASCADE, related_name="+")
    limit = models.PositiveSmallIntegerField(_("open cases at most"))

    class Meta:
        verbose_name = _("caseload limit")
        verbose_name_plural = _("caseload limits")


__all__ = [
    "BreakGlassGrant",
    "Case",
    "CaseEvent",
    "CaseFlag",
    "CaseNote",
    "CaseNoteVersion",
    "CaseReferral",
    "CaseloadLimit",
    "Intervention",
    "Risk",
    "SafetyPlan",
    "Transfer",
]
