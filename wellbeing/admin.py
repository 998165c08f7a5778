"""Admin for reference data and accounts. Writes with rules go through the services."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from wellbeing import services
from wellbeing.audit import audit_record, diff
from wellbeing.models import (
    ApiClient,
    AuditEvent,
    Delivery,
    OrgUnit,
    Person,
    ReminderPolicy,
    RoleAssignment,
    RoleSecurityPolicy,
    Unavailability,
    WebhookEndpoint,
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


class RoleAssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "unit", "valid_from", "valid_until"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and not data.get("valid_until"):
            self.add_error("valid_until", _("To end this role, give its last day."))
        return data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    form = RoleAssignmentAdminForm
    list_display = ["user", "role", "unit", "valid_from", "valid_until"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__person__full_name"]
    list_select_related = ["user", "unit"]
    raw_id_fields = ["unit"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # A held role is never rewritten: end it and assign a new one, so the history stays true.
        return ["user", "role", "unit", "valid_from"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            services.role_end(actor=request.user, assignment=obj, on=form.cleaned_data["valid_until"])
        else:
            created = services.role_assign(
                actor=request.user,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
                unit=form.cleaned_data.get("unit"),
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data.get("valid_until"),
            )
            obj.pk = created.pk


@admin.register(RoleSecurityPolicy)
class RoleSecurityPolicyAdmin(admin.ModelAdmin):
    list_display = ["role", "require_two_factor", "updated_at"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "token_hint", "scopes", "revoked_at", "last_used_at"]
    readonly_fields = ["name", "token_hint", "scopes", "revoked_at", "last_used_at", "created_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # created with `manage.py create_api_client`, which shows the token once

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected API clients"))
    def revoke(self, request, queryset):
        for client in queryset:
            services.api_client_revoke(actor=request.user, client=client)
        self.message_user(request, _("Revoked."), messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_label", "action", "target_type", "target_label", "ip_address"]
    list_filter = ["action", "target_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "target_label", "target_id"]
    date_hierarchy = "created_at"
    list_select_related = ["target_type"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "grace", "escalation_delay", "repeat_interval", "acknowledge_within"]


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    list_display = ["user", "starts_at", "ends_at", "delegate", "note"]
    autocomplete_fields = ["user", "delegate"]
    search_fields = ["user__username", "user__person__full_name"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "format", "unit", "min_tier", "include_clinical", "is_active"]
    raw_id_fields = ["unit"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Messages sent and failed. Shows where and whether, never what (titles stay in the inbox)."""

    list_display = ["created_at", "channel", "recipient", "endpoint", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel"]
    readonly_fields = [
        "key",
        "channel",
        "recipient",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    exclude = ["scan", "lease_until"]
    list_select_related = ["recipient", "endpoint"]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry the selected failed deliveries"))
    def retry(self, request, queryset):
        count = sum(
            services.delivery_retry(actor=request.user, delivery=d)
            for d in queryset.filter(status=Delivery.Status.FAILED)
        )
        self.message_user(request, _("%(count)s deliveries queued again.") % {"count": count}, messages.SUCCESS)
