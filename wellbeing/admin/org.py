"""The org tree and people. Changes go through the services (a person leaving, moving or getting a new
manager announces the lifecycle signals)."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from wellbeing import services
from wellbeing.audit import audit_record, diff
from wellbeing.models import (
    AuditEvent,
    OrgUnit,
    Person,
)
from wellbeing.services import PERSON_FIELDS


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit, fields=["code", "name", "kind", "is_active"])
    list_display = ["name", "code", "kind", "is_active"]
    search_fields = ["name", "code"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # treebeard's form places the node in the tree; the change is audited here, inside the
        # transaction the admin opens for each save.
        def snapshot(unit: OrgUnit) -> dict:
            parent = OrgUnit.objects.get_parent(unit)
            return {
                "code": unit.code,
                "name": unit.name,
                "kind": unit.kind,
                "is_active": unit.is_active,
                "parent": parent.code if parent else None,
            }

        old = snapshot(OrgUnit.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        changes = diff(old, snapshot(OrgUnit.objects.get(pk=obj.pk)))
        if changes:
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE,
                target=obj,
                changes=changes,
            )


class PersonAdminForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["external_id", *PERSON_FIELDS]

    def clean(self):
        data = super().clean()
        # Marking someone as left without a date means "as of today" (the service does the same).
        if data.get("status") == Person.Status.LEFT and not data.get("left_on"):
            data["left_on"] = timezone.localdate()
        return data


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    form = PersonAdminForm
    list_display = ["full_name", "external_id", "unit", "position", "status"]
    list_filter = ["status", "gender"]
    search_fields = ["full_name", "external_id"]
    list_select_related = ["unit"]
    autocomplete_fields = ["manager", "user"]
    raw_id_fields = ["unit"]
    fields = ["external_id", *PERSON_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["external_id"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete only: set the status to "left"

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in PERSON_FIELDS if f in form.cleaned_data}
        if change:
            # One service for every change: leaving, moving and a new manager follow from the data.
            services.person_update(actor=request.user, person=obj, **data)
        else:
            created = services.person_create(
                actor=request.user,
                external_id=form.cleaned_data["external_id"],
                **data,
            )
            obj.pk = created.pk
