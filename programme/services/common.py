"""What the programme's services share: the system actor, day ends as aware datetimes, files."""

from __future__ import annotations

from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.actors import SystemActor

ACTOR = SystemActor("task:programme")


def end_of_day(day: date) -> datetime:
    """A deadline day's reminders count from 18:00 that day (the organisation's time)."""
    return timezone.make_aware(datetime.combine(day, time(18, 0)))


def require(actor, action: str, obj=None) -> None:
    if not policy.can(actor, action, obj):
        raise PermissionDenied(_("You may not do this."))


def read_upload(upload, field: str = "file") -> tuple[str, str, bytes]:
    """(name, content type, content) of an uploaded file, refused when empty or too large."""
    if upload is None:
        raise ValidationError({field: [_("Choose a file.")]})
    limit = settings.PROGRAMME_MAX_FILE_BYTES
    if upload.size == 0:
        raise ValidationError({field: [_("The file is empty.")]})
    if upload.size > limit:
        raise ValidationError(
            {field: [_("The file is larger than %(mb)s MB.") % {"mb": round(limit / 1024 / 1024, 1)}]}
        )
    name = (upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:200] or "file"
    content_type = (getattr(upload, "content_type", "") or "application/octet-stream")[:100]
    return name, content_type, upload.read()
