from rest_framework import serializers

from wellbeing.models import OrgUnit, Person


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
    manager = serializers.SlugRelatedField(slug_field="external_id", read_only=True)

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
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
