"""The admin site: who may enter is decided by the access policy (``admin.access``).

Someone signed in without that access gets a plain 403 page from every admin URL (log-in page
included), never a redirect: the site has one log-in page, and sending a signed-in user there would
only send them back. Someone not signed in goes to that log-in page, and returns to the admin page
they asked for.
"""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from wellbeing import policy, selectors


class TanxinAdminSite(admin.AdminSite):
    site_header = _("Tanxin administration")
    site_title = _("Tanxin administration")
    index_title = _("Reference data and accounts")

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_authenticated and policy.can(user, "admin.access"))

    def admin_view(self, view, cacheable=False):
        """Every admin view: refused (403) to a signed-in user without admin access, and the log-in
        page for someone not signed in - before Django's own check, which would send both to the
        admin's log-in URL."""
        checked = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            if not self.has_permission(request):
                return self.refuse(request)
            return checked(request, *args, **kwargs)

        return update_wrapper(inner, view)

    def refuse(self, request, *, next_url: str | None = None):
        if not request.user.is_authenticated:
            return redirect_to_login(next_url or request.get_full_path())
        response = TemplateResponse(request, "admin/forbidden.html", {"title": _("Administration")}, status=403)
        add_never_cache_headers(response)
        return response

    def get_urls(self):
        return [
            path("pipeline/", self.admin_view(self.pipeline_view), name="pipeline"),
            *super().get_urls(),
        ]

    def pipeline_view(self, request):
        """The reminder pipeline at a glance (also: manage.py followup_status)."""
        context = {**self.each_context(request), "title": _("Reminder pipeline"), "status": selectors.pipeline_status()}
        return TemplateResponse(request, "admin/pipeline.html", context)

    def login(self, request, extra_context=None):
        # One log-in page for the whole site (lock-out and two-factor apply to it).
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = ""
        next_url = next_url or reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return redirect(next_url)
        return self.refuse(request, next_url=next_url)
