from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit record."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit trail is append-only.")

    def delete(self):
        raise AppendOnlyError("The audit trail is append-only.")

    # bulk_update goes through update(); keep it explicit for readers.
    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """One entry of the append-only audit trail (PIPL §51/§55, 网络安全法 §21, HIPAA §164.312(b)).

    Written by services inside their own transaction, and by selectors when they return sensitive
    text. The application cannot change or delete it; on PostgreSQL a trigger refuses UPDATE and
    DELETE even to the application's own database role (migration 0002).
    """

    class Action(models.TextChoices):
        LOGIN = "auth.login", _("logged in")
        LOGIN_FAILED = "auth.login_failed", _("failed log-in")
        LOGOUT = "auth.logout", _("logged out")
        SESSION_EXPIRED = "auth.session_expired", _("session expired")
        TWO_FACTOR_ENROLLED = "auth.2fa_enrolled", _("two-factor device enrolled")
        TWO_FACTOR_FAILED = "auth.2fa_failed", _("two-factor code rejected")
        CREATE = "record.create", _("created")
        UPDATE = "record.update", _("changed")
        STATUS = "record.status", _("status changed")
        SENSITIVE_READ = "sensitive.read", _("sensitive text read")
        BREAK_GLASS = "access.break_glass", _("break-glass access")
        ROLE_ASSIGNED = "role.assigned", _("role assigned")
        ROLE_ENDED = "role.ended", _("role ended")
        API_CLIENT_CREATED = "api_client.created", _("API client created")
        API_CLIENT_REVOKED = "api_client.revoked", _("API client revoked")
        API_CLIENT_ROTATED = "api_client.rotated", _("API client token rotated")
        API_CALL = "api.call", _("API call")
        KEYS_ROTATED = "encryption.rotated", _("encryption keys rotated")

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_api_client = models.ForeignKey(
        "wellbeing.ApiClient", verbose_name=_("API client"), on_delete=models.PROTECT, null=True, blank=True
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices, db_index=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.PROTECT, null=True, blank=True
    )
    target_id = models.CharField(_("record ID"), max_length=64, blank=True)
    target_label = models.CharField(_("record"), max_length=200, blank=True)
    subject_person = models.ForeignKey(
        "wellbeing.Person",
        verbose_name=_("about person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Whose information this entry concerns (for a person's own access requests)."),
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["subject_person", "created_at"]),
            models.Index(fields=["actor", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit trail is append-only.")
