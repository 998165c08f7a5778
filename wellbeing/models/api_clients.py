import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wellbeing.models.base import TimeStampedModel


class Scope(models.TextChoices):
    """What an HR system's token may do. Nothing clinical is ever reachable by any scope."""

    PEOPLE_READ = "people:read", _("read people")
    PEOPLE_WRITE = "people:write", _("write people")
    ORG_READ = "org:read", _("read org units")
    ORG_WRITE = "org:write", _("write org units")
    LEAVE_READ = "leave:read", _("read leave")
    LEAVE_WRITE = "leave:write", _("write leave")


TOKEN_PREFIX = "tx_"  # noqa: S105 (a prefix, not a secret)


def hash_token(token: str) -> str:
    """Tokens carry 256 bits of randomness, so a plain SHA-256 is a safe, fast lookup hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiClient(TimeStampedModel):
    """A machine client (an HR system) with scopes. Only the hash of its token is stored."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token hint"), max_length=12, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Rotation without downtime: after a rotation the old token keeps working until this time, so
    # the HR system can switch over (both tokens are valid meanwhile).
    previous_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    previous_token_expires_at = models.DateTimeField(_("old token valid until"), null=True, blank=True)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"),
        null=True,
        blank=True,
        help_text=_("Empty: the default (API_CLIENT_RATE_PER_MINUTE). Beyond it the client gets 429 with Retry-After."),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def previous_token_valid(self, now=None) -> bool:
        return (
            self.previous_token_hash is not None
            and self.previous_token_expires_at is not None
            and self.previous_token_expires_at > (now or timezone.now())
        )

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes

    def touch(self) -> None:
        """Record use at most once a minute, so busy clients do not write on every request."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() > 60:
            ApiClient.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
