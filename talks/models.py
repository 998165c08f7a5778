"""Heart-to-heart talk records (谈心谈话), the actions agreed in them, and the talk cadence.

Wellbeing talks only: 提醒谈话 and 诫勉谈话 are disciplinary measures of the Party's supervision rules
and do not belong here (design/domain.md); the system offers no such kind.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wellbeing.encryption import EncryptedTextField
from wellbeing.models import TimeStampedModel

TEXT_MAX = 5000
#: Agreed actions in one talk: one limit for the form, the API and the service.
MAX_ACTIONS = 20


class Talk(TimeStampedModel):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("individual talk")
        GROUP = "group", _("group talk (集体座谈)")

    class Occasion(models.TextChoices):
        ROUTINE = "routine", _("routine")
        TRIGGERED = "triggered", _("triggered by an event")

    class Trigger(models.TextChoices):
        POST_CHANGE = "post_change", _("change of post")
        PRAISE_DISCIPLINE = "praise_discipline", _("praise or discipline")
        FAMILY_ILLNESS = "family_illness", _("family difficulty or illness")
        CONFLICT = "conflict", _("conflict")
        RETURN_FROM_LEAVE = "return_from_leave", _("return from long leave")
        SCREENING = "screening", _("screening follow-up")
        OWN_REQUEST = "own_request", _("the person's own request")
        OTHER = "other", _("other")

    class MoodTag(models.TextChoices):
        WORK_PRESSURE = "work_pressure", _("work pressure")
        WORKLOAD = "workload", _("workload")
        FAMILY = "family", _("family")
        HEALTH = "health", _("health")
        CAREER = "career", _("career")
        RELATIONSHIPS = "relationships", _("relationships")
        FINANCES = "finances", _("finances")
        LIVING = "living", _("living conditions")
        OTHER = "other", _("other")

    class Confidentiality(models.TextChoices):
        NORMAL = "normal", _("normal: the leader and supervisors of the person's unit")
        RESTRICTED = "restricted", _("restricted: the leader only")

    led_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("led by"), on_delete=models.PROTECT, related_name="talks_led"
    )
    participants = models.ManyToManyField(
        "wellbeing.Person", through="TalkParticipant", related_name="talks", verbose_name=_("participants")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INDIVIDUAL)
    occasion = models.CharField(_("occasion"), max_length=16, choices=Occasion.choices, default=Occasion.ROUTINE)
    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger.choices, blank=True)
    held_at = models.DateTimeField(_("held at"), db_index=True)
    location = EncryptedTextField(_("where"), max_length=100, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    mood = models.PositiveSmallIntegerField(
        _("state of mind (1 = very low, 5 = very good)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    mood_tags = models.JSONField(_("concerns"), default=list, blank=True)
    main_content = EncryptedTextField(_("main content"), blank=True)
    difficulties = EncryptedTextField(_("difficulties and requests"), blank=True)
    suggestions = EncryptedTextField(_("suggestions"), blank=True)
    shared_summary = EncryptedTextField(
        _("summary shared with the person"), blank=True, help_text=_("The person can read this in 'My talks'.")
    )
    confidentiality = models.CharField(
        _("confidentiality"), max_length=16, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    #: 1 as first saved; each amendment by the author keeps the version it replaces (TalkVersion).
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    amended_at = models.DateTimeField(_("last amended"), null=True, blank=True)
    # Set by retention (docs/data-lifecycle.md) once the recorded text is cleared.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("heart-to-heart talk")
        verbose_name_plural = _("heart-to-heart talks")
        ordering = ["-held_at", "-id"]
        indexes = [models.Index(fields=["led_by", "-held_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(occasion="triggered") & ~Q(trigger="")) | (Q(occasion="routine") & Q(trigger="")),
                name="talk_trigger_iff_triggered",
            ),
            models.CheckConstraint(
                condition=Q(mood__isnull=True) | Q(mood__gte=1, mood__lte=5), name="talk_mood_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__gte=1, duration_minutes__lte=600),
                name="talk_duration_range",
            ),
        ]

    def __str__(self) -> str:
        # Neutral: shown in the audit trail, where administrators see no talk (access.md), not even
        # who or when.
        return f"{self._meta.verbose_name} #{self.pk}"

    @property
    def is_restricted(self) -> bool:
        return self.confidentiality == self.Confidentiality.RESTRICTED

    #: What the author may amend within TALK_AMEND_DAYS (never who took part, the kind, the occasion
    #: or the agreed actions); each amendment keeps the version it replaces.
    AMENDABLE_FIELDS = (
        "held_at",
        "location",
        "duration_minutes",
        "mood",
        "mood_tags",
        "main_content",
        "difficulties",
        "suggestions",
        "shared_summary",
        "confidentiality",
    )

    @property
    def amendable_until(self) -> datetime:
        """The end of the author's window to amend the talk; after it, only annotations."""
        return self.created_at + timedelta(days=settings.TALK_AMEND_DAYS)

    def is_amendable(self, now: datetime) -> bool:
        return now < self.amendable_until

    def get_mood_tags_display(self) -> list[str]:
        labels = dict(self.MoodTag.choices)
        return [str(labels.get(tag, tag)) for tag in self.mood_tags]


class TalkVersion(models.Model):
    """A talk as it was before an amendment by its author, kept encrypted like the talk. The audit
    trail names the fields an amendment changed and the version numbers, never the text."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    held_at = models.DateTimeField(_("held at"))
    location = EncryptedTextField(_("where"), max_length=100, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True, blank=True)
    mood = models.PositiveSmallIntegerField(_("state of mind"), null=True, blank=True)
    mood_tags = models.JSONField(_("concerns"), default=list, blank=True)
    main_content = EncryptedTextField(_("main content"), blank=True)
    difficulties = EncryptedTextField(_("difficulties and requests"), blank=True)
    suggestions = EncryptedTextField(_("suggestions"), blank=True)
    shared_summary = EncryptedTextField(_("summary shared with the person"), blank=True)
    confidentiality = models.CharField(_("confidentiality"), max_length=16, choices=Talk.Confidentiality.choices)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    #: When this version was written (the talk's creation for version 1).
    edited_at = models.DateTimeField(_("written at"))
    #: When the next amendment replaced it.
    replaced_at = models.DateTimeField(_("replaced at"))

    class Meta:
        verbose_name = _("earlier version of a talk")
        verbose_name_plural = _("earlier versions of talks")
        ordering = ["talk", "-number"]
        constraints = [models.UniqueConstraint(fields=["talk", "number"], name="talk_version_once")]

    def __str__(self) -> str:
        # Neutral: shown in the audit trail.
        return f"{self._meta.verbose_name} #{self.talk_id}.{self.number}"

    def get_mood_tags_display(self) -> list[str]:
        labels = dict(Talk.MoodTag.choices)
        return [str(labels.get(tag, tag)) for tag in self.mood_tags]


class TalkAnnotation(models.Model):
    """A dated note the author adds to a talk once it can no longer be amended. Appended, never edited;
    readable by whoever may read the talk's recorded text."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="annotations")
    text = EncryptedTextField(_("annotation"), max_length=2000)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        ordering = ["talk", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


class TalkParticipant(models.Model):
    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="participations")
    person = models.ForeignKey("wellbeing.Person", on_delete=models.PROTECT, related_name="talk_participations")

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["talk", "person"], name="talk_participant_once")]
        indexes = [models.Index(fields=["person", "talk"])]

    def __str__(self) -> str:
        return str(self.person)


class TalkAction(TimeStampedModel):
    """An action agreed in a talk. It is a follow-up of its owner; completing that records the outcome."""

    class OwnerKind(models.TextChoices):
        SUPERVISOR = "supervisor", _("me (the supervisor)")
        PERSON = "person", _("the person")
        HR = "hr", _("HR")
        COLLEAGUE = "colleague", _("another colleague")

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="actions")
    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("for"), on_delete=models.PROTECT, related_name="talk_actions"
    )
    description = EncryptedTextField(
        _("action"), max_length=200, help_text=_("Shown in reminders: keep it free of health details.")
    )
    owner_kind = models.CharField(_("who"), max_length=16, choices=OwnerKind.choices, default=OwnerKind.SUPERVISOR)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("by"))
    followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.PROTECT, null=True, blank=True, related_name="talk_action"
    )

    class Meta:
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["person", "due_date"])]

    def __str__(self) -> str:
        # Neutral: shown in the audit trail, where the action's text must not appear.
        return f"{self._meta.verbose_name} #{self.pk}"


class CadencePolicy(TimeStampedModel):
    """How often a supervisor should talk with each report: per unit (and below) or per person (e.g.
    monthly for someone under strain). Without one, TALK_CADENCE_DAYS (90) applies."""

    unit = models.OneToOneField(
        "wellbeing.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True
    )
    person = models.OneToOneField(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, null=True, blank=True
    )
    interval_days = models.PositiveSmallIntegerField(
        _("every (days)"), validators=[MinValueValidator(7), MaxValueValidator(730)]
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("talk cadence")
        verbose_name_plural = _("talk cadences")
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(person__isnull=True))
                | (Q(unit__isnull=True) & Q(person__isnull=False)),
                name="cadence_unit_xor_person",
            ),
            models.CheckConstraint(
                condition=Q(interval_days__gte=7, interval_days__lte=730), name="cadence_interval_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit or self.person}: {self.interval_days}"


class AgendaTemplate(TimeStampedModel):
    """A common agenda for a kind of talk, offered when logging one."""

    trigger = models.CharField(
        _("for"), max_length=32, choices=[("routine", _("routine")), *Talk.Trigger.choices], default="routine"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("agenda"), max_length=2000)

    class Meta:
        verbose_name = _("agenda template")
        verbose_name_plural = _("agenda templates")
        ordering = ["trigger", "title"]

    def __str__(self) -> str:
        return self.title


class TalkRequest(models.Model):
    """A member of staff asked for a talk (from their home page). Their supervisors are told, the talk
    they owe comes forward to within TALK_REQUEST_WITHIN_DAYS, and the request is answered by the next
    talk logged with the person. No free text: what it is about is for the talk itself."""

    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="talk_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by_talk = models.ForeignKey(
        Talk, verbose_name=_("answered by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("talk request")
        verbose_name_plural = _("talk requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per person: asking twice tells nobody twice.
            models.UniqueConstraint(
                fields=["person"], condition=Q(answered_at__isnull=True), name="talk_request_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"
