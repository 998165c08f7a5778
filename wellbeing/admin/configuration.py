"""Reminder policies, unavailability and webhook endpoints: audited configuration."""

from django.contrib import admin
from django.db import models

from wellbeing.admin.base import AuditedConfigurationAdmin
from wellbeing.models import (
    ReminderPolicy,
    Unavailability,
    WebhookEndpoint,
)


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
