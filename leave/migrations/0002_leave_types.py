"""The statutory leave types (domain.md "Annual paid leave", "Other leave"). An administrator changes
their settings or adds others in the admin; these rows are only created when missing."""

from decimal import Decimal

from django.db import migrations

TYPES = [
    # code, Chinese, English, category, unit, paid, needs balance, max days per request, affects annual
    ("annual", "年休假", "Annual leave", "annual", "working_days", True, True, None, False),
    ("in_lieu", "调休", "Time off in lieu", "in_lieu", "working_days", True, True, None, False),
    ("sick", "病假", "Sick leave", "sick", "working_days", True, False, None, True),
    ("personal", "事假", "Personal leave", "personal", "working_days", True, False, None, True),
    # 婚丧假: 1-3 days on pay nationally; provinces often add more (configurable).
    ("marriage", "婚假", "Marriage leave", "other", "working_days", True, False, Decimal(3), False),
    ("bereavement", "丧假", "Bereavement leave", "other", "working_days", True, False, Decimal(3), False),
    # 产假: 98 days (+15 for a difficult birth, +15 per extra baby; provinces add more): calendar days.
    ("maternity", "产假", "Maternity leave", "other", "calendar_days", True, False, None, False),
    # 探亲假: 20 / 30 / 45 days by case, calendar days (weekends and holidays included).
    ("family_visit", "探亲假", "Family visit leave", "other", "calendar_days", True, False, Decimal(45), False),
]


def create(apps, schema_editor):
    LeaveType = apps.get_model("leave", "LeaveType")
    for order, (code, zh, en, category, unit, paid, needs_balance, most, affects) in enumerate(TYPES):
        LeaveType.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "category": category,
                "unit": unit,
                "paid": paid,
                "needs_balance": needs_balance,
                "max_days_per_request": most,
                "affects_annual": affects,
                "sort_order": (order + 1) * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("leave", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
