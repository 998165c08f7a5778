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

    def get_urls(self):
        from django.urls import path

        return [
            path("pipeline/", self.admin_view(self.pipeline_view), name="pipeline"),
            *super().get_urls(),
        ]

    def pipeline_view(self, request):
        """The reminder pipeline at a glance (also: manage.py followup_status)."""
        from django.template.response import TemplateResponse

        from wellbeing import selectors

        context = {**self.each_context(request), "title": _("Reminder pipeline"), "status": selectors.pipeline_status()}
        return TemplateResponse(request, "admin/pipeline.html", context)

    def login(self, request, extra_context=None):
        # One log-in page for the whole site (lock-out and two-factor apply to it).
        return redirect_to_login(request.get_full_path())
