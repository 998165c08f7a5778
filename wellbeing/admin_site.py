from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext_lazy as _

from wellbeing import policy


class TanxinAdminSite(admin.AdminSite):
    site_header = _("Tanxin administration")
    site_title = _("Tanxin administration")
    index_title = _("Reference data and accounts")

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_authenticated and policy.can(user, "admin.access"))

    def login(self, request, extra_context=None):
        # One log-in page for the whole site (lock-out and two-factor apply to it).
        return redirect_to_login(request.get_full_path())
