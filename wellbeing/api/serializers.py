"""Serializers of the core API, and the one date-time rule for API input.

Date-times in the API: a value with an offset means that instant (any offset Python accepts, e.g.
``+18:00``); a value without one is read in the organisation's zone (``settings.TIME_ZONE``,
Asia/Shanghai by default), never the server's. Values are converted before they reach a query, so
PostgreSQL never sees an offset it refuses ("time zone displacement out of range").
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from wellbeing.models import OrgUnit, Person


def org_timezone() -> ZoneInfo:
    """The organisation's zone: where a date-time given without an offset is read."""
    return ZoneInfo(settings.TIME_ZONE)


def to_utc(value: datetime) -> datetime:
    """An aware UTC date-time; a naive one is read in the organisation's zone.

    Raises OverflowError when the instant is outside what Python can represent (e.g.
    ``0001-01-01T00:00:00+18:00``)."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, org_timezone())
    return value.astimezone(UTC)


#: Appended to the help text of every date-time input (it shows in the OpenAPI schema).
DATETIME_HELP = _(
    "ISO 8601. With an offset (e.g. +08:00 or Z) it is that instant; without one it is read in the "
    "organisation's time zone."
)


class OrgDateTimeField(serializers.DateTimeField):
    """A date-time input: without an offset it is read in the organisation's zone (settings.TIME_ZONE),
    whatever zone the request runs in; with one it is converted to that zone. Out-of-range instants
    are a 400 on the field."""

    def default_timezone(self):
        return org_timezone()


@extend_schema_field({"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}]})
class OptionalEmailField(serializers.CharField):
    """An e-mail address, or "" when none is recorded (the schema says both; drf-spectacular would
    document an ``EmailField`` as ``format: email`` alone, which "" does not match)."""


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind", "is_active", "parent", "depth", "updated_at"]

    def get_parent(self, unit: OrgUnit) -> int | None:
        """The parent's id, resolved from a map the view loads once (no query per row)."""
        parents = self.context.get("parent_ids", {})
        return parents.get(unit.path[: -OrgUnit.steplen]) if unit.depth > 1 else None


class PersonSerializer(serializers.ModelSerializer):
    unit = serializers.PrimaryKeyRelatedField(read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    email = OptionalEmailField(read_only=True, help_text=_("E-mail address; empty when none is recorded"))
    manager = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=True, help_text=_("External ID; null when none is set")
    )

    class Meta:
        model = Person
        fields = [
            "external_id",
            "full_name",
            "gender",
            "date_of_birth",
            "work_start_date",
            "hire_date",
            "unit",
            "unit_code",
            "unit_name",
            "position",
            "status",
            "left_on",
            "email",
            "phone",
            "manager",
            "wecom_user_id",
            "dingtalk_user_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PersonWorkIdsInput(serializers.Serializer):
    """``PATCH /api/v1/people/{external_id}/``: a person's WeCom and DingTalk user ids, nothing else.
    An empty string (or null) removes one. The format and uniqueness are checked by the service."""

    wecom_user_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=True,
        help_text=_("The person's UserID in WeCom (企业微信); empty to remove it"),
    )
    dingtalk_user_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=True,
        help_text=_("The person's userid in DingTalk (钉钉); empty to remove it"),
    )

    def validate(self, attrs):
        others = sorted(set(self.initial_data) - set(self.fields))
        if others:
            raise serializers.ValidationError(
                {name: [_("Only wecom_user_id and dingtalk_user_id can be changed here.")] for name in others}
            )
        if not attrs:
            raise serializers.ValidationError(_("Give wecom_user_id, dingtalk_user_id or both."))
        return {name: value or "" for name, value in attrs.items()}
