from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeaveConfig(AppConfig):
    """Leave types, entitlements, holiday calendars, requests and the leave ledger (later issues)."""

    name = "leave"
    verbose_name = _("Leave")
