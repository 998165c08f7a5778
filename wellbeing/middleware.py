"""Session time-outs, two-factor enforcement, the audit context, and a clean 503 while the database
cannot answer or cannot take writes."""

from __future__ import annotations

import contextlib
import ipaddress
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
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


class TrustedProxyMiddleware:
    """Behind nginx every request comes from the proxy's address. When it comes from one of
    TRUSTED_PROXY_IPS, the client's address is the one the proxy put in X-Real-IP (nginx sets it,
    replacing whatever the client sent), so the audit trail and the log-in lock-out see the person's
    machine, not the proxy. From any other address the header is ignored: a client cannot choose it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = [ipaddress.ip_network(value, strict=False) for value in settings.TRUSTED_PROXY_IPS]

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def __call__(self, request):
        if self.proxies and self._trusted(request.META.get("REMOTE_ADDR", "")):
            forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
            with contextlib.suppress(ValueError):  # no usable header: the proxy's own address stays
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(forwarded))
        return self.get_response(request)


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


# --- The database is away or cannot take writes: 503, never a 500 with a traceback -----------------

#: Seconds a client is asked to wait before sending the request again (header ``Retry-After``).
DATABASE_RETRY_AFTER = 5
#: PostgreSQL error codes (SQLSTATE) of a database that answers but cannot take writes.
READ_ONLY_SQLSTATES = frozenset({"25006"})  # read_only_sql_transaction (a standby, or read-only by setting)
NO_SPACE_SQLSTATES = frozenset({"53100"})  # disk_full
#: SQLite says so in words (its errors carry no code Django keeps).
SQLITE_NO_WRITES = ("readonly database", "database or disk is full")
#: The server shutting down or restarting, too many connections, a lock that did not come in time
#: (besides class 08, the connection exceptions, and errors raised before any server answered).
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "55P03"})
SQLITE_UNAVAILABLE = ("database is locked", "unable to open database")


def database_fault(exc: BaseException) -> str | None:
    """What kind of database fault ``exc`` is - ``"unavailable"`` (the connection was lost or could
    not be made: a restart, a failover, a full pool, a lock that did not come), ``"read_only"``,
    ``"disk_full"`` - or None when it is not one (a bug stays a 500)."""
    if not isinstance(exc, OperationalError | InterfaceError | InternalError):
        return None
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)
    text = str(exc).lower()
    if sqlstate in READ_ONLY_SQLSTATES or SQLITE_NO_WRITES[0] in text:
        return "read_only"
    if sqlstate in NO_SPACE_SQLSTATES or SQLITE_NO_WRITES[1] in text:
        return "disk_full"
    if isinstance(exc, InternalError):
        return None  # any other internal error is not an outage
    if isinstance(exc, InterfaceError):
        return "unavailable"  # the connection is closed or broken
    if type(cause).__module__.startswith("sqlite3"):
        return "unavailable" if any(words in text for words in SQLITE_UNAVAILABLE) else None
    if sqlstate is None or sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES:
        return "unavailable"  # no answer from the server at all, or the server says it cannot serve
    # A deadlock, a serialization failure, a cancelled statement, a limit exceeded, a missing table:
    # errors of the request itself, not of the database's availability - a 500 with its traceback.
    return None


def database_fault_message(fault: str) -> str:
    if fault == "unavailable":
        return _("The database cannot be reached at the moment. Please try again in a minute.")
    return _("The database cannot take writes at the moment, so this could not be saved. Please try again later.")


def log_database_fault(request, fault: str, exc: BaseException) -> None:
    """One line for operators: the fault, the request, the error's type and SQLSTATE - never its text,
    which may quote the statement's values."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    logger.error(
        "database %s on %s %s (%s%s)",
        fault,
        request.method,
        request.path,
        type(cause or exc).__name__,
        f", SQLSTATE {sqlstate}" if sqlstate else "",
    )


def database_fault_response(request, exc: BaseException) -> HttpResponse | None:
    """The 503 for a database fault - the one JSON error shape under /api/, the 503 page elsewhere,
    both with ``Retry-After`` - or None when ``exc`` is no database fault. The page is rendered
    without the request's context (no user, no menu): those need the database."""
    fault = database_fault(exc)
    if fault is None:
        return None
    log_database_fault(request, fault, exc)
    message = database_fault_message(fault)
    if _is_api(request):
        response = JsonResponse({"message": message, "errors": {}}, status=503)
    else:
        response = HttpResponse(
            render_to_string("503.html", {"message": message, "retry_after": DATABASE_RETRY_AFTER}), status=503
        )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


class DatabaseUnavailableMiddleware:
    """A view that meets a database fault (the connection dropped by a restart, a read-only or full
    database) answers 503 with ``Retry-After``. Its transaction was rolled back, so nothing it began
    is half written; Django closes the broken connection at the end of the request (and the pool, with
    ``CONN_HEALTH_CHECKS``, checks a connection before handing it out), so the next request gets a
    working one. Faults outside a view (loading the session, the API's idempotency key) reach
    ``wellbeing.api.errors.server_error``, which answers the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_fault_response(request, exception)
