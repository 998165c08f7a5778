"""Screening questionnaires and crisis contacts: audited configuration an administrator changes
without code (design/domain.md: instruments are data). An instrument is offered only when complete
(``Instrument.problems()``); once people have answered it, its items and options stay as they were
answered (a result is only meaningful against the questions asked), while its bands and tier rules
(the organisation's cut-offs) may still change."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from wellbeing import services
from wellbeing.admin.base import AuditedConfigurationAdmin
from wellbeing.models import (
    CrisisContact,
    Instrument,
    InstrumentItem,
    InstrumentOption,
    ScoreBand,
    TierRule,
)


class _AnsweredLocks:
    """Inlines that cannot change once the instrument has been answered."""

    def _answered(self, obj) -> bool:
        return obj is not None and obj.pk is not None and obj.screenings.exists()

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self._answered(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._answered(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._answered(obj)


class ItemInline(_AnsweredLocks, admin.TabularInline):
    model = InstrumentItem
    extra = 0
    fields = ["position", "text_zh", "text_en", "reversed", "critical_from"]


class OptionInline(_AnsweredLocks, admin.TabularInline):
    model = InstrumentOption
    extra = 0
    fields = ["value", "label_zh", "label_en"]


class BandInline(admin.StackedInline):
    model = ScoreBand
    extra = 0
    fields = [("code", "min_score", "max_score"), ("label_zh", "label_en"), "explanation_zh", "explanation_en"]


class TierRuleInline(admin.TabularInline):
    model = TierRule
    extra = 0
    fields = ["tier", "min_score", "max_score"]


@admin.register(Instrument)
class InstrumentAdmin(AuditedConfigurationAdmin):
    list_display = ["code", "name_zh", "name_en", "is_active", "position"]
    list_editable = []
    inlines = [ItemInline, OptionInline, BandInline, TierRuleInline]
    fieldsets = [
        (None, {"fields": ["code", "name_zh", "name_en", "is_active", "position", "minutes", "licence_note"]}),
        (_("Instructions"), {"fields": ["instructions_zh", "instructions_en"]}),
        (_("Scoring"), {"fields": ["multiplier"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The code is how the API and stored reminders name it; answered, its scoring stays too.
        if obj is not None and obj.pk and obj.screenings.exists():
            return ["code", "multiplier"]
        return []

    def save_formset(self, request, form, formset, change):
        """Each inline row through the audited configuration service."""
        changed = formset.save(commit=False)  # fills deleted_objects too
        for obj in formset.deleted_objects:
            services.configuration_delete(actor=request.user, instance=obj)
        for obj in changed:
            services.configuration_save(actor=request.user, instance=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        instrument = form.instance
        problems = instrument.problems()
        if instrument.is_active and problems:
            instrument.is_active = False
            services.configuration_save(actor=request.user, instance=instrument, changed_fields=["is_active"])
            messages.error(
                request,
                _("Saved but not offered until it is complete: %(problems)s") % {"problems": " ".join(problems)},
            )

    def has_delete_permission(self, request, obj=None):
        # An instrument people have answered is kept (their results refer to it); take it out of use.
        if obj is not None and obj.screenings.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CrisisContact)
class CrisisContactAdmin(AuditedConfigurationAdmin):
    list_display = ["name_zh", "name_en", "phone", "position"]
    list_editable = []
