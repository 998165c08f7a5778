from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination: stable under concurrent inserts, cheap at any depth."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("id",)
    invalid_cursor_message = _("Invalid cursor: use the 'next' or 'previous' link as given.")

    def decode_cursor(self, request):
        # A malformed cursor is bad input (400 with a field message), not a missing page.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [str(self.invalid_cursor_message)]}) from None
