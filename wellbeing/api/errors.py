"""One JSON error shape for the whole API: ``{"message": ..., "errors": {field: [...]}}``.

Inside DRF views ``exception_handler`` produces it. Outside them - a URL under /api/ that matches no
view (an unknown path, an id the route refuses such as ``1.5``), or an error no view handled - Django
calls its handlers, which config/urls.py points at the views at the end of this module: JSON in the
same shape under /api/, Django's own pages (templates/404.html etc. when present) everywhere else.
"""

import sys

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from wellbeing import etags
from wellbeing.middleware import (
    DATABASE_RETRY_AFTER,
    database_fault,
    database_fault_message,
    database_fault_response,
    log_database_fault,
)
from wellbeing.services import sync


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as one level of ``{field: [messages]}``.

    Nested fields are joined with dots (``referral.urgency``), items of a list by their index
    (``actions.1.due_date``); an error about a nested value as a whole (its ``non_field_errors``, e.g.
    too many ``actions``) is reported on that field itself."""
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    out: dict[str, list[str]] = {}

    def walk(node, key: str) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                name = str(name)
                walk(value, key if key and name == non_field else f"{key}.{name}" if key else name)
        elif isinstance(node, list) and any(isinstance(v, dict | list) for v in node):
            for index, value in enumerate(node):
                if value:  # a valid item of a list has an empty entry
                    walk(value, f"{key}.{index}" if key else str(index))
        else:
            messages = node if isinstance(node, list) else [node]
            out.setdefault(key or non_field, []).extend(str(m) for m in messages)

    walk(detail, "")
    return out


class Busy(exceptions.APIException):
    """503: a batch kept meeting other calls' writes; send the same request again in a moment."""

    status_code = 503
    default_detail = _lazy("Other changes kept getting in the way of this batch; nothing was applied. Send it again.")
    default_code = "busy"


class PreconditionFailed(exceptions.APIException):
    """412: ``If-Match`` named a version of the record that is no longer current."""

    status_code = 412
    default_detail = _lazy(
        "The record has changed since you read it (If-Match does not match its ETag). Read it again, then retry."
    )
    default_code = "precondition_failed"


def exception_handler(exc, context):
    fault = database_fault(exc)
    if fault is not None:
        # The database went away or cannot take writes: 503, to be retried (nothing was applied).
        log_database_fault(context["request"], fault, exc)
        set_rollback()
        return Response(
            {"message": database_fault_message(fault), "errors": {}},
            status=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=serializers.as_serializer_error(exc)  # dict of field -> [messages]
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, etags.PreconditionFailed):
        exc = PreconditionFailed()
    elif isinstance(exc, sync.Busy):
        exc = Busy()
    elif isinstance(exc, DjangoPermissionDenied):
        # A service's refusal says why ("Only the person's supervisor can decide ..."); a bare one
        # gets DRF's generic message.
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Busy):
        response["Retry-After"] = "2"
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        message = _("The request was not valid; see the field errors.")
    else:
        errors = {}
        detail = getattr(exc, "detail", None)
        message = str(detail) if detail is not None else _("Error.")
    response.data = {"message": message, "errors": errors}
    return response


class ErrorSerializer(serializers.Serializer):
    """The shape of every error response (documented in the OpenAPI schema)."""

    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


# --- Django's error handlers (config/urls.py): JSON under /api/, the site's pages elsewhere -----------

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _error_response(message, status: int) -> JsonResponse:
    return JsonResponse({"message": str(message), "errors": {}}, status=status)


def bad_request(request, exception):
    if _is_api(request) and isinstance(exception, RequestDataTooBig):
        return _error_response(_("The request body is too large."), 413)
    if _is_api(request):
        return _error_response(exceptions.ParseError.default_detail, 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return _error_response(exceptions.PermissionDenied.default_detail, 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return _error_response(exceptions.NotFound.default_detail, 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Django calls this inside its ``except``: a database fault met outside a view (loading the
    # session, claiming an idempotency key) is a 503 like one met inside it.
    response = database_fault_response(request, sys.exc_info()[1]) if sys.exc_info()[1] else None
    if response is not None:
        return response
    if _is_api(request):
        return _error_response(exceptions.APIException.default_detail, 500)
    return defaults.server_error(request)
