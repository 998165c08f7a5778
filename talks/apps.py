from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalksConfig(AppConfig):
    """Heart-to-heart talk records (later issues)."""

    name = "talks"
    verbose_name = _("Heart-to-heart talks")
