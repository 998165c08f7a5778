"""Session time-outs, two-factor enforcement and the audit context."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import user_has_device

from wellbeing import policy
from wellbeing.audit import audit_record, current_ip
from wellbeing.models import AuditEvent

logger = logging.getLogger(__name__)

SESSION_STARTED = "tanxin_started_at"
SESSION_LAST_SEEN = "tanxin_last_seen_at"
#: How stale the stored "last seen" time may get (seconds).
LAST_SEEN_PRECISION = 30


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _is_token_request(request) -> bool:
    """An API call authenticated by a Bearer token (DRF checks the token; the session is not used).
    Any other request - whatever headers it carries - is a session request and gets every check."""
    return _is_api(request) and request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer ")


class AuditContextMiddleware:
    """Makes the client address available to audit_record() for the length of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class SessionTimeoutMiddleware:
    """Ends a session after SESSION_IDLE_TIMEOUT without a request, and in any case after
    SESSION_ABSOLUTE_TIMEOUT since log-in (automatic log-off)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _is_token_request(request):
            now = timezone.now().timestamp()
            started = request.session.get(SESSION_STARTED)
            last_seen = request.session.get(SESSION_LAST_SEEN)
            if started is None:
                request.session[SESSION_STARTED] = started = now
            idle = last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT.total_seconds()
            too_old = now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if idle or too_old:
                audit_record(
                    actor=user,
                    action=AuditEvent.Action.SESSION_EXPIRED,
                    reason="idle" if idle else "absolute",
                )
                logout(request)
                if _is_api(request):
                    return JsonResponse(
                        {"message": _("Your session has expired. Please log in again."), "errors": {}}, status=403
                    )
                messages.info(request, _("Your session has expired. Please log in again."))
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
            # Saved at most every LAST_SEEN_PRECISION seconds: a session rewrite on every request would
            # cost each page and API call an UPDATE and a commit, and the idle timeout counts minutes.
            if last_seen is None or now - last_seen >= LAST_SEEN_PRECISION:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


#: Paths a user may reach before passing two-factor log-in.
TWO_FACTOR_EXEMPT_NAMES = {"accounts:login", "accounts:logout", "accounts:2fa_verify", "accounts:2fa_setup"}


class TwoFactorRequiredMiddleware:
    """Users whose roles require TOTP (or who enrolled a device) must verify before anything else.

    Runs after django_otp's OTPMiddleware, which sets ``user.is_verified()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not _is_token_request(request)
            and not user.is_verified()
            and not self._exempt(request)
            and policy.requires_two_factor(user)
        ):
            if _is_api(request):
                return JsonResponse({"message": _("Two-factor verification is required."), "errors": {}}, status=403)
            target = "accounts:2fa_verify" if user_has_device(user) else "accounts:2fa_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _exempt(request) -> bool:
        if request.path.startswith(settings.STATIC_URL) or request.path.startswith("/i18n/"):
            return True
        match = getattr(request, "resolver_match", None)
        if match is None:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return False
        return match.view_name in TWO_FACTOR_EXEMPT_NAMES


class AdminBadInputMiddleware:
    """Crafted values the Django admin's own widgets and filters do not survive (a NUL byte in a
    foreign key, a 20-digit id, year 99999999999 in a date filter) raise ValueError or OverflowError
    deep in Django's code. In the admin those are bad input: answer 400, never 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith("/admin/") and isinstance(exception, ValueError | OverflowError):
            logger.warning("admin: bad input on %s (%s)", request.path, type(exception).__name__)
            return HttpResponseBadRequest(_("That request holds a value the administration cannot use."))
        return None
