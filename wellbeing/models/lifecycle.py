from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LifecycleEvent(models.Model):
    """One change in a person's or a role's life (left, moved, new manager, role assigned or ended),
    written in the same transaction as the change and announced to the apps after commit
    (``wellbeing.lifecycle``). A receiver that fails leaves the event unhandled; a periodic task
    announces it again with back-off, and receivers are idempotent."""

    class Kind(models.TextChoices):
        PERSON_LEFT = "person_left", _("person left")
        PERSON_MOVED = "person_moved", _("person moved to another unit")
        MANAGER_CHANGED = "manager_changed", _("manager changed")
        ROLE_ASSIGNED = "role_assigned", _("role assigned")
        ROLE_ENDED = "role_ended", _("role ended")

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    person = models.ForeignKey(
        "wellbeing.Person", verbose_name=_("person"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assignment = models.ForeignKey(
        "wellbeing.RoleAssignment",
        verbose_name=_("role assignment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    #: Ids of what changed, e.g. {"old_unit": 3, "new_unit": 7}.
    payload = models.JSONField(default=dict, blank=True)
    actor_label = models.CharField(_("by"), max_length=150)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("lifecycle event")
        verbose_name_plural = _("lifecycle events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="lifecycle_unhandled_idx", condition=Q(handled_at__isnull=True)
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(assignment__isnull=False), name="lifecycle_event_has_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
