from datetime import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.encoding import force_str
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from wellbeing.api.serializers import DATETIME_HELP, to_utc
from wellbeing.models import OrgUnit, Person


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC before it reaches a query (PostgreSQL refuses offsets
    beyond +-15:59 that Python accepts); without an offset it is read in the organisation's zone."""

    default_error_messages = {"overflow": _("That date and time is out of range.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = parse_datetime(force_str(value).strip())
            except ValueError:  # well-formed but impossible, e.g. 2026-02-30 or an offset of 24 hours
                parsed = None
            if parsed is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return to_utc(parsed)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["overflow"], code="overflow") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` on ``UtcIsoDateTimeField`` (see there)."""

    field_class = UtcIsoDateTimeField


@extend_schema_field(OpenApiTypes.INT)
class UnitIdFilter(django_filters.ModelChoiceFilter):
    """An org unit id; an unknown id is a 400 with a field message."""


class OrgUnitFilter(django_filters.FilterSet):
    under = UnitIdFilter(
        queryset=OrgUnit.objects.all(),
        method="filter_under",
        label=_("This unit and everything under it (unit id)"),
    )
    parent = UnitIdFilter(queryset=OrgUnit.objects.all(), method="filter_parent", label=_("Parent unit id"))
    kind = django_filters.ChoiceFilter(choices=OrgUnit.Kind.choices)

    class Meta:
        model = OrgUnit
        fields = ["under", "parent", "kind"]

    def filter_under(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path)

    def filter_parent(self, queryset, name, value):
        return queryset.filter(path__startswith=value.path, depth=value.depth + 1)


class PersonFilter(django_filters.FilterSet):
    unit = UnitIdFilter(
        queryset=OrgUnit.objects.all(), method="filter_unit", label=_("Unit id (includes units below it)")
    )
    status = django_filters.ChoiceFilter(choices=Person.Status.choices)
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=format_lazy("{} {}", _("Changed at or after this time."), DATETIME_HELP),
    )
    search = django_filters.CharFilter(method="filter_search", max_length=100, label=_("Name or external ID"))

    class Meta:
        model = Person
        fields = ["unit", "status", "updated_since", "search"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path)

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(full_name__icontains=value) | Q(external_id__iexact=value))
