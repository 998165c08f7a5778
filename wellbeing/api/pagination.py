"""Cursor pagination for every API list, with the cursor treated as untrusted input.

A DRF cursor is base64 of a query string ``p=<position>&r=<0|1>&o=<offset>``; the position is the
value of the first ordering field on the page boundary. DRF puts the position straight into
``filter(<field>__gt=position)``, so a crafted one ("abc" for an id, a NUL byte, "2026-13-45T99:99"
for a date-time) reached the database and answered 500. Here the position is parsed as the type of
that field before it is used, and anything that does not parse is a 400 on ``cursor``:

- integer fields (ids): a whole number within the column's range;
- date-time fields: ISO 8601; a value without a zone is read in the organisation's zone
  (``settings.TIME_ZONE``), and every value is converted to UTC, so any offset Python accepts works;
- text fields (org unit paths): any text without a NUL byte.

The position is passed on in its canonical form (``str()`` of the parsed value, as DRF writes it),
so the next and previous links stay the same as for a cursor we issued.
"""

from __future__ import annotations

from datetime import UTC

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination

from wellbeing.api.serializers import to_utc


class StableCursorPagination(CursorPagination):
    """Cursor pagination: stable under concurrent inserts, cheap at any depth."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("id",)
    invalid_cursor_message = _("Invalid cursor: use the 'next' or 'previous' link as given.")

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model  # decode_cursor needs the type of the ordering field
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        # A malformed cursor is bad input (400 with a field message), not a missing page.
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is None or cursor.position is None:
            return cursor
        return Cursor(offset=cursor.offset, reverse=cursor.reverse, position=self._parse_position(cursor.position))

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [str(self.invalid_cursor_message)]})

    def _ordering_field(self) -> models.Field | None:
        model = getattr(self, "_model", None)
        if model is None:
            return None
        name = self.ordering[0].lstrip("-")
        try:
            return model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            return None

    def _parse_position(self, position: str) -> str:
        """The position in canonical form, or a 400 when it is not a value of the ordering field."""
        if "\x00" in position:
            raise self._invalid()
        field = self._ordering_field()
        if field is None:
            return position
        try:
            if isinstance(field, models.DateTimeField):
                value = to_utc(field.to_python(position))
                return str(value.astimezone(UTC))
            if isinstance(field, models.IntegerField):  # includes AutoField and BigAutoField
                value = int(position.strip())
                low, high = connection.ops.integer_field_range(field.get_internal_type())
                if (low is not None and value < low) or (high is not None and value > high):
                    raise ValueError(position)
                return str(value)
            return str(field.to_python(position))
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise self._invalid() from None
