"""Case configuration in the admin: each counsellor's caseload limit. Cases themselves are not in the
admin: administrators see no case information (design/access.md). Changes are audited through the
core's configuration service (``AuditedConfigurationAdmin``)."""

from django.contrib import admin

from cases.models import CaseloadLimit
from wellbeing.admin import AuditedConfigurationAdmin


@admin.register(CaseloadLimit)
class CaseloadLimitAdmin(AuditedConfigurationAdmin):
    list_display = ["counsellor", "limit"]
    raw_id_fields = ["counsellor"]
