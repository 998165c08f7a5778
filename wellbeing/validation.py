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
