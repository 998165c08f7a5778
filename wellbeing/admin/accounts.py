"""Login accounts and two-factor devices."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from wellbeing import services

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
