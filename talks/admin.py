"""Talk configuration in the admin: cadences and agenda templates. Talk records themselves are not
in the admin: administrators see no talk content (design/access.md)."""

from django.contrib import admin

from talks.models import AgendaTemplate, CadencePolicy


@admin.register(CadencePolicy)
class CadencePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "unit", "person", "interval_days", "reason"]
    raw_id_fields = ["unit", "person"]


@admin.register(AgendaTemplate)
class AgendaTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "trigger", "language"]
    list_filter = ["trigger", "language"]
