"""OpenAPI post-processing: the answers every operation can give, documented once for all.

The API client middleware and the throttle answer before or around any view (413 for a body too
large, 429 for too many requests); writes also take ``Idempotency-Key`` and can answer 409 (the same
key still running) and 422 (the key used for another request). All in the one error shape.
"""

from __future__ import annotations

WRITE_METHODS = ("post", "put", "patch")
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error(description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
    if headers:
        answer["headers"] = headers
    return answer


IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": (
        "API clients: a unique key (a UUID) for this write. Sent again with the same request, the stored "
        "answer comes back (header Idempotent-Replayed: true) and nothing is applied twice; with another "
        "request it is a 422; while the first is still running, a 409. Keys are kept 24 hours."
    ),
}


def add_common_answers(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if "Error" not in schemas:
        return result
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            answers = operation.setdefault("responses", {})
            answers.setdefault("413", _error("The request body is too large."))
            answers.setdefault(
                "429",
                _error(
                    "Too many requests from this API client; retry after the seconds in Retry-After.",
                    {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
                ),
            )
            if method in WRITE_METHODS:
                answers.setdefault("400", _error("Invalid input; field messages in `errors`."))
                answers.setdefault("409", _error("A request with the same Idempotency-Key is still running."))
                answers.setdefault("422", _error("The Idempotency-Key was used for a different request."))
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append(dict(IDEMPOTENCY_KEY))
    return result
