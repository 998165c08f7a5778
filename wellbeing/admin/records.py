"""API clients, the audit trail and message deliveries: shown, never rewritten."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from wellbeing import services
from wellbeing.models import (
    ApiClient,
    AuditEvent,
    Delivery,
)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "token_hint", "scopes", "rate_limit", "revoked_at", "last_used_at"]
    fields = [
        "name",
        "token_hint",
        "scopes",
        "rate_limit",
        "previous_token_expires_at",
        "revoked_at",
        "last_used_at",
        "created_at",
    ]
    readonly_fields = [
        "name",
        "token_hint",
        "scopes",
        "previous_token_expires_at",
        "revoked_at",
        "last_used_at",
        "created_at",
    ]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        # Only the rate limit is editable here; the service validates and audits it.
        services.api_client_set_rate_limit(actor=request.user, client=obj, rate_limit=obj.rate_limit)

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
