"""What every call of an HR system (a Bearer-token API client) goes through, around the DRF views.

In order, for a request under /api/:

1. **Body size.** A body over ``SYNC_MAX_BODY_BYTES`` (the sync endpoints) or ``API_MAX_BODY_BYTES``
   (the rest of the API) is a 413 in the one error shape, before anything reads it (pages: over
   ``PAGE_MAX_BODY_BYTES``, a plain 413).
2. **Idempotency.** A POST, PUT or PATCH of an API client that carries ``Idempotency-Key`` is applied
   once. The key is claimed (a row in state "running", committed at once) before the view runs:
   the same key again while it runs is a 409; after it has answered, the same method, path, query and
   body get the stored answer (header ``Idempotent-Replayed: true``) without being applied again, and
   anything else under that key is a 422. Answers are kept ``IDEMPOTENCY_KEY_HOURS``; a 5xx or a 429
   is not kept (the key is released, so the client can retry with it).
3. **Audit.** Every call an API client makes is one audit row naming the client, the method, the path
   and the status (replays too); never the body or the query (they may carry personal data).

Rate limits are DRF throttles (wellbeing/api/throttling.py): they run inside the view, after the token
is checked.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import get_authorization_header

from wellbeing import policy
from wellbeing.api.authentication import client_for_token
from wellbeing.api.throttling import ApiClientRateThrottle
from wellbeing.audit import audit_record
from wellbeing.models import ApiClient, AuditEvent, IdempotencyKey

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
SYNC_PREFIX = "/api/v1/sync/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: Headers of an answer kept with it and sent again on a replay.
KEPT_HEADERS = ("Content-Type", "ETag", "Location", "Content-Language")
#: Answers never kept under a key: the client should retry them.
NOT_KEPT = frozenset({429})
MAX_KEY_LENGTH = 255


def error(message: str, status: int, errors: dict | None = None, retry_after: float | None = None) -> JsonResponse:
    response = JsonResponse({"message": str(message), "errors": errors or {}}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    return response


def body_limit(path: str) -> int:
    return settings.SYNC_MAX_BODY_BYTES if path.startswith(SYNC_PREFIX) else settings.API_MAX_BODY_BYTES


def too_large(limit: int) -> JsonResponse:
    return error(_("The request body is too large: at most %(size)s bytes here.") % {"size": limit}, 413)


def bearer_client(request) -> ApiClient | None:
    """The active client whose token the request carries (None: no token, or not a valid one - the
    view answers 401 then)."""
    # Split as DRF's authentication does (bytes, ASCII whitespace), so both see the same token.
    header = get_authorization_header(request).split()
    if len(header) != 2 or header[0].lower() != b"bearer":
        return None
    try:
        token = header[1].decode("ascii")
    except UnicodeDecodeError:
        return None
    client = client_for_token(token)
    client = client if client is not None and client.is_active else None
    request.tanxin_bearer = (token, client)  # the authentication class reuses it (one lookup a call)
    return client


def fingerprint(request, body: bytes) -> str:
    digest = hashlib.sha256()
    # If-Match too: a retry after a 412 with a fresh ETag is another request, not a replay.
    for part in (
        request.method,
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.META.get("HTTP_IF_MATCH", ""),
    ):
        digest.update(part.encode("utf-8", "backslashreplace") + b"\0")
    digest.update(body)
    return digest.hexdigest()


class ApiClientMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not request.path_info.startswith(API_PREFIX):
            if length > settings.PAGE_MAX_BODY_BYTES:
                return HttpResponse(_("The request is too large."), status=413, content_type="text/plain")
            return self.get_response(request)
        limit = body_limit(request.path_info)
        if length > limit:
            return too_large(limit)
        client = bearer_client(request) if "HTTP_AUTHORIZATION" in request.META else None
        key = request.META.get("HTTP_IDEMPOTENCY_KEY")
        if client is not None and key is not None and request.method in WRITE_METHODS:
            response = self.idempotent(request, client, key)
        else:
            response = self.get_response(request)
        if client is not None:
            self.audit(request, client, response)
        return response

    # --- Idempotency -------------------------------------------------------------------------------

    def idempotent(self, request, client: ApiClient, key: str):
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            return error(
                _("Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID is a good choice)."),
                400,
                {"Idempotency-Key": [_("Not a valid key.")]},
            )
        try:
            body = request.body
        except RequestDataTooBig:
            return too_large(body_limit(request.path_info))
        digest_ = fingerprint(request, body)
        claimed, existing = self.claim(client, key, digest_)
        if not claimed:
            if existing.fingerprint != digest_:
                return error(
                    _(
                        "This Idempotency-Key was used for a different request (method, path or body). "
                        "Use a new key for a new request."
                    ),
                    422,
                )
            if existing.state == IdempotencyKey.State.RUNNING:
                return error(_("A request with this Idempotency-Key is still being applied. Retry in a moment."), 409)
            if set(existing.scopes) - set(client.scopes):
                return error(_("This client no longer holds the scopes this answer was given under."), 403)
            wait = self.throttle_wait(client)
            if wait is not None:
                return error(_("Request was throttled."), 429, retry_after=wait)
            return self.replay(existing)
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=claimed.pk).delete()
            raise
        self.keep(claimed, response)
        return response

    def claim(self, client: ApiClient, key: str, digest_: str):
        """(the claimed row, None), or (None, the row another request holds)."""
        now = timezone.now()
        stale = now - timedelta(minutes=settings.IDEMPOTENCY_STALE_MINUTES)
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        client=client,
                        key=key,
                        scopes=list(client.scopes),
                        fingerprint=digest_,
                        expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS),
                    )
                return row, None
            except IntegrityError:
                existing = IdempotencyKey.objects.filter(client=client, key=key).first()
                if existing is None:
                    continue  # released a moment ago: claim it again
                expired = existing.expires_at <= now
                abandoned = existing.state == IdempotencyKey.State.RUNNING and existing.created_at < stale
                if not (expired or abandoned):
                    return None, existing
                # Gone past its time: free it (only if nobody else freed and claimed it meanwhile).
                IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
        return None, IdempotencyKey.objects.get(client=client, key=key)

    def keep(self, row: IdempotencyKey, response) -> None:
        if response.status_code >= 500 or response.status_code in NOT_KEPT or getattr(response, "streaming", False):
            IdempotencyKey.objects.filter(pk=row.pk).delete()
            return
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        IdempotencyKey.objects.filter(pk=row.pk).update(
            state=IdempotencyKey.State.DONE,
            status_code=response.status_code,
            response_body=bytes(response.content),
            response_headers=headers,
        )

    @staticmethod
    def throttle_wait(client: ApiClient) -> float | None:
        """A replay counts against the client's rate limit like any call (it never reaches the view's
        throttle): None when it may go on, else the seconds to wait."""
        throttle = ApiClientRateThrottle()
        if throttle.allow_request(SimpleNamespace(user=policy.ApiPrincipal(client)), None):
            return None
        return throttle.wait() or 1

    @staticmethod
    def replay(row: IdempotencyKey) -> HttpResponse:
        response = HttpResponse(bytes(row.response_body or b""), status=row.status_code)
        for name, value in (row.response_headers or {}).items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response

    # --- Audit -------------------------------------------------------------------------------------

    @staticmethod
    def audit(request, client: ApiClient, response) -> None:
        try:
            audit_record(
                actor=policy.ApiPrincipal(client),
                action=AuditEvent.Action.API_CALL,
                target=client,
                # Text the database can store (a crafted path may hold NUL or lone surrogates).
                target_label=f"{request.method} {request.path_info}"[:200]
                .replace("\x00", "")
                .encode("utf-8", "backslashreplace")
                .decode("utf-8"),
                changes={"status": response.status_code},
            )
        except Exception:  # the answer is decided already: a failed audit write is logged loudly, not a 500
            logger.exception("Could not audit an API call of client %s", client.pk)
