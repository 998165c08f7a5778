from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Crisis and intervention cases (later issues)."""

    name = "cases"
    verbose_name = _("Cases")
