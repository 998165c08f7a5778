"""Role assignments (clinical roles wait for a second person) and the per-role two-factor switch."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wellbeing import services
from wellbeing.admin.base import AuditedConfigurationAdmin
from wellbeing.models import (
    RoleAssignment,
    RoleSecurityPolicy,
)
from wellbeing.services.roles import REASON_MAX_LENGTH


class RoleAssignmentAdminForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "unit", "valid_from", "valid_until"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and not data.get("valid_until"):
            self.add_error("valid_until", _("To end this role, give its last day."))
        elif self.instance.pk and self.instance.valid_until and data["valid_until"] > self.instance.valid_until:
            self.add_error(
                "valid_until", _("A role's end can only move earlier. To hold the role again, assign it again.")
            )
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
