"""Model validation shared by the services: field limits, choices, constraints, and no NUL bytes
(PostgreSQL refuses them in text, and they are never meaningful input)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _


def full_clean(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    errors: dict[str, list[str]] = {}
    for field in instance._meta.concrete_fields:
        if exclude and field.name in exclude:
            continue
        value = getattr(instance, field.attname, None)
        if isinstance(value, str) and "\x00" in value:
            errors[field.name] = [_("Null characters are not allowed.")]
    try:
        instance.full_clean(exclude=exclude, validate_constraints=True)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def database_id(value) -> int | None:
    """A row id taken from user input: a positive integer PostgreSQL's bigint holds, else None (a
    crafted id is "not found", never a 500 from an overflowing query)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number < 2**63 else None


def add_errors(form, exc: ValidationError) -> None:
    """A service's errors next to the form's fields ("__all__" and unknown fields at the top)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errs in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errs)
