"""The API's one request parser: JSON, refusing crafted bodies with a 400 instead of a server error.

DRF's own ``JSONParser`` turns a syntax error into a 400, but nesting deeper than Python's recursion
limit (``[[[[...`` a few thousand times, closed or not) raises ``RecursionError``: a 500. This parser
refuses it with a 400, and also any document nested deeper than ``MAX_DEPTH`` - no API input comes
close, and the limit keeps later recursive code (serializers, the error shape) safe.

Other crafted bodies are refused before a parser runs, in the same error shape: a body larger than
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (DRF reads it through ``request.body``; a 400 from the handler in
errors.py) and a ``charset`` that is not a text encoding (``zlib``, ``rot13``: a 400 from DRF).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: The deepest nesting of arrays and objects an API request may carry.
MAX_DEPTH = 32


def nesting_depth(value, *, stop_after: int = MAX_DEPTH) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0), without recursion.
    Stops counting once past ``stop_after``."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > stop_after:
            break
        # Scalars add no depth: only containers go on the stack (a sync body holds ~100,000 scalars).
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


class SafeJSONParser(JSONParser):
    """``application/json`` bodies (strict, as DRF's: no ``NaN`` or ``Infinity``), nested at most
    ``MAX_DEPTH`` deep."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(_("JSON parse error - the document is nested too deeply."))
        return data
