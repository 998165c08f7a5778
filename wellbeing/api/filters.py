import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from wellbeing.models import OrgUnit, Person


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
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    search = django_filters.CharFilter(method="filter_search", max_length=100, label=_("Name or external ID"))

    class Meta:
        model = Person
        fields = ["unit", "status", "updated_since", "search"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path)

    def filter_search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(full_name__icontains=value) | Q(external_id__iexact=value))
