"""Files kept in the database (evidence of a plan task, an activity's materials): every web server
sees them without shared storage, backups hold them, and they are served only through a view that
asks the policy."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wellbeing.models.base import TimeStampedModel


class StoredFile(TimeStampedModel):
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    content = models.BinaryField(_("content"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @classmethod
    def size_constraint(cls, name: str) -> models.CheckConstraint:
        return models.CheckConstraint(condition=Q(size__gt=0), name=name)
