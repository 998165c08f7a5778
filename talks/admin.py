"""Talk configuration in the admin: cadences and agenda templates. Talk records themselves are not
in the admin: administrators see no talk content (design/access.md). Changes are audited through the
core's configuration service (``AuditedConfigurationAdmin``)."""

from django.contrib import admin

from talks.models import AgendaTemplate, CadencePolicy
from wellbeing.admin import AuditedConfigurationAdmin


@admin.register(CadencePolicy)
class CadencePolicyAdmin(AuditedConfigurationAdmin):
    list_display = ["__str__", "unit", "person", "interval_days", "reason"]
    raw_id_fields = ["unit", "person"]


@admin.register(AgendaTemplate)
class AgendaTemplateAdmin(AuditedConfigurationAdmin):
    list_display = ["title", "trigger", "language"]
    list_filter = ["trigger", "language"]
