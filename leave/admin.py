"""The leave configuration an administrator manages: leave types and the holiday calendar (a year
entered or corrected when the State Council announces it). Every change is audited through the core's
configuration service. Requests and the ledger are records, not configuration: not in the admin."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from leave.calendar import library_days
from leave.models import CalendarDay, HolidayYear, LeaveType
from wellbeing import services
from wellbeing.admin.base import AuditedConfigurationAdmin


@admin.register(LeaveType)
class LeaveTypeAdmin(AuditedConfigurationAdmin):
    list_display = ["code", "name_zh", "name_en", "category", "unit", "paid", "needs_balance", "is_active"]
    list_filter = ["category", "unit", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]

    def has_delete_permission(self, request, obj=None):
        return False  # requests and the ledger point at types: retire one by unticking "can be requested"


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 3
    fields = ["date", "kind", "name"]


@admin.register(HolidayYear)
class HolidayYearAdmin(AuditedConfigurationAdmin):
    list_display = ["year", "announced", "note", "day_count"]
    inlines = [CalendarDayInline]
    actions = ["prefill_from_library"]

    @admin.display(description=_("days"))
    def day_count(self, obj):
        return obj.days.count()

    def save_formset(self, request, form, formset, change):
        """The days go through the configuration service too (validated and audited one by one)."""
        with transaction.atomic():
            for obj in formset.deleted_objects:
                services.configuration_delete(actor=request.user, instance=obj)
            for inline_form in formset.forms:
                if inline_form in formset.deleted_forms or not inline_form.has_changed():
                    continue
                obj = inline_form.instance
                obj.holiday_year = form.instance
                services.configuration_save(
                    actor=request.user, instance=obj, changed_fields=inline_form.changed_data if obj.pk else None
                )
        formset.save_m2m()

    @admin.action(description=_("Fill empty years with the chinesecalendar library's days"))
    def prefill_from_library(self, request, queryset):
        filled = 0
        for year in queryset:
            if year.days.exists():
                continue
            known = library_days(year.year)
            if known is None:
                self.message_user(
                    request,
                    _("The library has no data for %(year)s: enter its days by hand.") % {"year": year.year},
                    messages.WARNING,
                )
                continue
            with transaction.atomic():
                for day, name in known.holidays.items():
                    services.configuration_save(
                        actor=request.user,
                        instance=CalendarDay(holiday_year=year, date=day, kind=CalendarDay.Kind.HOLIDAY, name=name),
                    )
                for day, name in known.workdays.items():
                    services.configuration_save(
                        actor=request.user,
                        instance=CalendarDay(holiday_year=year, date=day, kind=CalendarDay.Kind.WORKDAY, name=name),
                    )
            filled += 1
        if filled:
            self.message_user(request, ngettext("%d year filled.", "%d years filled.", filled) % filled)
