"""Admin for reference data and accounts. Writes with rules go through the services; configuration
records go through the audited configuration service (``AuditedConfigurationAdmin``)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice
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
from wellbeing.services.roles import REASON_MAX_LENGTH


class AuditedConfigurationAdmin(admin.ModelAdmin):
    """For configuration models: every add, change and delete goes through
    ``services.configuration_save`` / ``configuration_delete``, which validate, write and audit (who,
    old and new values; sensitive fields only as "changed"). The service's validation runs inside the
    form, so a refusal shows as a form error, never as a server error. Other apps' admins use it too
    (talks/admin.py)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)

        class ConfigurationForm(base):
            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                try:
                    services.configuration_validate(instance=self.instance)
                except ValidationError as exc:
                    self._update_errors(exc)

        ConfigurationForm.__name__ = base.__name__
        return ConfigurationForm

    def save_model(self, request, obj, form, change):
        services.configuration_save(
            actor=request.user, instance=obj, changed_fields=form.changed_data if change else None
        )

    def delete_model(self, request, obj):
        services.configuration_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.configuration_delete(actor=request.user, instance=obj)


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


class RefuseRolesForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    form = RoleAssignmentAdminForm
    list_display = ["user", "role", "unit", "valid_from", "valid_until", "status", "assigned_by", "decided_by"]
    list_filter = ["status", "role"]
    search_fields = ["user__username", "user__person__full_name"]
    list_select_related = ["user", "unit", "assigned_by", "decided_by"]
    raw_id_fields = ["unit"]
    autocomplete_fields = ["user"]
    actions = ["confirm_selected", "refuse_selected"]

    def get_readonly_fields(self, request, obj=None):
        # A held role is never rewritten: end it and assign a new one, so the history stays true.
        if obj is None:
            return []
        return ["user", "role", "unit", "valid_from", "status", "assigned_by", "decided_by", "decided_at"]

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
            if created.is_pending:
                self.message_user(
                    request,
                    _(
                        "A clinical role is not in force until a second person confirms it: a lead counsellor "
                        "or another administrator. The lead counsellors have been told."
                    ),
                    messages.WARNING,
                )

    @admin.action(description=_("Confirm the selected clinical roles"))
    def confirm_selected(self, request, queryset):
        done = 0
        for assignment in queryset.select_related("user"):
            try:
                services.role_confirm(actor=request.user, assignment=assignment)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{assignment}: {_error_text(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d role confirmed.", "%(count)d roles confirmed.", done) % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Refuse the selected clinical roles"))
    def refuse_selected(self, request, queryset):
        form = RefuseRolesForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for assignment in queryset.select_related("user"):
                try:
                    services.role_refuse(actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"])
                except (PermissionDenied, ValidationError) as exc:
                    self.message_user(request, f"{assignment}: {_error_text(exc)}", messages.ERROR)
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    ngettext("%(count)d role refused.", "%(count)d roles refused.", done) % {"count": done},
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refuse clinical roles"),
            "opts": self.model._meta,
            "assignments": list(queryset.select_related("user", "assigned_by")),
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/wellbeing/roleassignment/refuse.html", context)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@admin.register(RoleSecurityPolicy)
class RoleSecurityPolicyAdmin(AuditedConfigurationAdmin):
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
class ReminderPolicyAdmin(AuditedConfigurationAdmin):
    list_display = ["__str__", "grace", "escalation_delay", "repeat_interval", "acknowledge_within"]


@admin.register(Unavailability)
class UnavailabilityAdmin(AuditedConfigurationAdmin):
    list_display = ["user", "starts_at", "ends_at", "delegate", "note"]
    autocomplete_fields = ["user", "delegate"]
    search_fields = ["user__username", "user__person__full_name"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedConfigurationAdmin):
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


# --- Two-factor devices ---------------------------------------------------------------------------
# django-otp's own admin shows any user's key and its QR code, and lets an administrator enrol a
# device for someone else. Ours lists devices and removes a lost one (audited); enrolment happens
# only on the user's own set-up page (/accounts/2fa/setup/).
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    """A user's authenticators: who, which, confirmed, last used. Never the key, never a QR code."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__person__full_name", "name"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # a user enrols their own device, with their own phone

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.two_factor_device_remove(actor=request.user, device=obj)

    def delete_queryset(self, request, queryset):
        for device in queryset:
            services.two_factor_device_remove(actor=request.user, device=device)


# --- Login accounts ------------------------------------------------------------------------------


class AccountAdmin(UserAdmin):
    """Login accounts. Access comes only from role assignments (the policy), so Django's superuser
    flag, staff flag, groups and raw permissions are not offered: an administrator cannot hand
    anyone (or themself) a way around the policy. Changes and password resets are audited."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "last_login"]
    list_filter = ["is_active"]
    filter_horizontal = []

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are disabled, never deleted (the audit trail points at them)

    def save_model(self, request, obj, form, change):
        services.configuration_save(
            actor=request.user, instance=obj, changed_fields=form.changed_data if change else None
        )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            services.account_password_reset(actor=request.user, user=self.get_object(request, id))
        return response


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AccountAdmin)
# Groups carry Django permissions, which grant nothing here (access comes from role assignments).
admin.site.unregister(Group)
