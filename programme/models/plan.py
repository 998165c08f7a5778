"""The year's work plan and its responsibility list (责任清单: 到人、到时间、到指标), the periodic review
and its corrections (整改)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programme.models.files import StoredFile
from wellbeing.models.base import TimeStampedModel


class WorkPlan(TimeStampedModel):
    """The leading group's plan for one year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible for the reviews"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="workplan_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.title}"


class PlanTask(TimeStampedModel):
    """One line of the responsibility list: a task with its owner, unit, deadline and indicator. Its
    follow-up reminds the owner and escalates like any other."""

    class Category(models.TextChoices):
        TRAINING = "training", _("training")
        LECTURE = "lecture", _("lecture")
        THEME_MONTH = "theme_month", _("theme month")
        GROUP_ACTIVITY = "group_activity", _("group activities")
        CHECKUP = "checkup", _("check-up campaign")
        TALK_COVERAGE = "talk_coverage", _("talk coverage")
        LEAVE_UPTAKE = "leave_uptake", _("leave uptake")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    plan = models.ForeignKey(WorkPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.OTHER)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="plan_tasks"
    )
    unit = models.ForeignKey(
        "wellbeing.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the whole organisation."),
    )
    due_on = models.DateField(_("due"))
    indicator = models.CharField(_("indicator"), max_length=200, help_text=_("What shows it is done."))
    metric = models.CharField(
        _("measured by the system"),
        max_length=40,
        blank=True,
        help_text=_("Empty: the owner enters the actual value."),
    )
    target_value = models.DecimalField(_("target"), max_digits=10, decimal_places=2, null=True, blank=True)
    actual_value = models.DecimalField(_("actual"), max_digits=10, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    progress_note = models.CharField(_("latest progress note"), max_length=500, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_task"
    )

    class Meta:
        verbose_name = _("plan task")
        verbose_name_plural = _("plan tasks")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "status"]), models.Index(fields=["plan", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False), name="plantask_done_has_time"
            ),
            models.CheckConstraint(
                condition=Q(target_value__isnull=True) | Q(target_value__gte=0), name="plantask_target_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(actual_value__isnull=True) | Q(actual_value__gte=0), name="plantask_actual_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TaskEvidence(StoredFile):
    """A file showing a task's work (minutes, a sign-in sheet, photos of a lecture)."""

    task = models.ForeignKey(PlanTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="evidence")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at", "id"]
        constraints = [StoredFile.size_constraint("taskevidence_size_positive")]

    def __str__(self) -> str:
        return self.file_name


class PlanReview(TimeStampedModel):
    """A periodic review of the plan (quarterly by default): findings per task, and corrections."""

    plan = models.ForeignKey(WorkPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="reviews")
    held_on = models.DateField(_("held on"))
    summary = models.TextField(_("summary"), blank=True, max_length=4000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.year} / {self.held_on.isoformat()}"


class ReviewFinding(models.Model):
    """What a review found about one task."""

    class Assessment(models.TextChoices):
        ON_TRACK = "on_track", _("on track")
        AT_RISK = "at_risk", _("at risk")
        LATE = "late", _("late")
        DONE = "done", _("done")

    review = models.ForeignKey(PlanReview, on_delete=models.CASCADE, related_name="findings")
    task = models.ForeignKey(PlanTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="findings")
    assessment = models.CharField(_("assessment"), max_length=16, choices=Assessment.choices)
    finding = models.TextField(_("finding"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("review finding")
        verbose_name_plural = _("review findings")
        constraints = [models.UniqueConstraint(fields=["review", "task"], name="one_finding_per_task_and_review")]

    def __str__(self) -> str:
        return f"{self.task} ({self.get_assessment_display()})"


class Correction(TimeStampedModel):
    """A correction item (整改) a review ordered: an owner and a deadline, followed up like a task."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("corrected")
        CANCELLED = "cancelled", _("cancelled")

    review = models.ForeignKey(
        PlanReview, verbose_name=_("review"), on_delete=models.CASCADE, related_name="corrections"
    )
    task = models.ForeignKey(
        PlanTask,
        verbose_name=_("task"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="corrections",
    )
    title = models.CharField(_("correction"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="corrections"
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(_("what was done"), blank=True, max_length=2000)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    followup = models.OneToOneField(
        "wellbeing.FollowUp", on_delete=models.SET_NULL, null=True, blank=True, related_name="correction"
    )

    class Meta:
        verbose_name = _("correction item")
        verbose_name_plural = _("correction items")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False), name="correction_done_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.title
