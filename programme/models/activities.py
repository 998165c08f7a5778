"""Activities open to staff: group activities, training sessions (mental-health education in cadre
training among them), lectures and counselling salons (团体沙龙), with registration, a waiting list,
attendance, materials and anonymous feedback."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from programme.models.files import StoredFile
from wellbeing.models.base import TimeStampedModel


class Activity(TimeStampedModel):
    class Kind(models.TextChoices):
        GROUP = "group_activity", _("group activity")
        TRAINING = "training", _("training session")
        CADRE_TRAINING = "cadre_training", _("mental-health education in cadre training")
        LECTURE = "lecture", _("lecture")
        SALON = "salon", _("counselling salon")

    class Status(models.TextChoices):
        PUBLISHED = "published", _("published")
        CANCELLED = "cancelled", _("cancelled")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GROUP)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200)
    units = models.ManyToManyField(
        "wellbeing.OrgUnit",
        verbose_name=_("open to"),
        blank=True,
        related_name="+",
        help_text=_("The units whose people may register (a unit includes its sub-units). Empty: everyone."),
    )
    capacity = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("Empty: no limit. Later registrations join the waiting list.")
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+"
    )
    task = models.ForeignKey(
        "programme.PlanTask",
        verbose_name=_("plan task"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PUBLISHED)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="activity_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Registration(TimeStampedModel):
    """A person's place (or place on the waiting list) at an activity; a reminder follow-up goes to
    them the day before."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("registered")
        WAITLISTED = "waitlisted", _("on the waiting list")
        CANCELLED = "cancelled", _("cancelled")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="registrations")
    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="registrations"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="registration"
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="one_registration_per_person"),
            models.CheckConstraint(
                condition=Q(attended__isnull=True) | Q(status="registered"), name="registration_attended_if_registered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity} / {self.person}"


class ActivityMaterial(StoredFile):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["created_at", "id"]
        constraints = [StoredFile.size_constraint("activitymaterial_size_positive")]

    def __str__(self) -> str:
        return self.title or self.file_name


class FeedbackReceipt(models.Model):
    """That a person gave feedback on an activity (so they give it once) - never which feedback: the
    two tables share no key and no time, and both have random keys, so their ids do not pair up."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("wellbeing.Person", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "person"], name="one_feedback_per_person")]

    def __str__(self) -> str:
        return f"{self.activity_id}/{self.person_id}"


class Feedback(models.Model):
    """Anonymous feedback: no person, no time; a random key, so neither its order nor its id ties it
    to a receipt. Shown only as a summary over at least k answers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True, max_length=1000)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5")]

    def __str__(self) -> str:
        return f"{self.activity} ({self.rating})"
