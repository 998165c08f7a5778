"""Admin for reference data and accounts. Writes with rules go through the services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from wellbeing import services
from wellbeing.models import ApiClient, AuditEvent, OrgUnit, Person, RoleAssignment, RoleSecurityPolicy
from wellbeing.services import PERSON_FIELDS


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit, fields=["code", "name", "kind", "is_active"])
    list_display = ["name", "code", "kind", "is_active"]
    search_fields = ["name", "code"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
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
            services.person_update(actor=request.user, person=obj, **data)
        else:
            created = services.person_create(
                actor=request.user,
                external_id=form.cleaned_data["external_id"],
                **data,
            )
            obj.pk = created.pk


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
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
