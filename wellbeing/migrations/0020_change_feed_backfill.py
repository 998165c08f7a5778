"""The change feed starts complete: one line for every person and unit that exists already, so an HR
system that reads the feed from the start sees everyone (later changes add their own lines)."""

from django.db import migrations
from django.utils import timezone


def _iso(value):
    if value is None:
        return None
    if hasattr(value, "hour"):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def backfill(apps, schema_editor):
    ChangeEntry = apps.get_model("wellbeing", "ChangeEntry")
    OrgUnit = apps.get_model("wellbeing", "OrgUnit")
    Person = apps.get_model("wellbeing", "Person")
    txid = 0
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            txid = cursor.fetchone()[0]
    units = list(OrgUnit.objects.order_by("path"))
    by_path = {u.path: u for u in units}
    codes = {u.pk: u.code for u in units}
    lines = []
    for unit in units:
        parent = by_path.get(unit.path[:-4]) if unit.depth > 1 else None
        data = {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent": parent.code if parent else None,
            "is_active": unit.is_active,
            "updated_at": _iso(unit.updated_at),
        }
        op = "upsert" if unit.is_active else "tombstone"
        lines.append(ChangeEntry(txid=txid, stream="org-units", type="org_unit", key=unit.code, op=op, data=data))
    externals = dict(Person.objects.values_list("pk", "external_id"))
    for person in Person.objects.order_by("pk").iterator(chunk_size=2000):
        data = {
            "external_id": person.external_id,
            "full_name": person.full_name,
            "gender": person.gender,
            "date_of_birth": _iso(person.date_of_birth),
            "work_start_date": _iso(person.work_start_date),
            "hire_date": _iso(person.hire_date),
            "unit": codes.get(person.unit_id, ""),
            "manager": externals.get(person.manager_id),
            "position": person.position,
            "status": person.status,
            "left_on": _iso(person.left_on),
            "email": person.email,
            "phone": person.phone,
            "wecom_user_id": person.wecom_user_id,
            "dingtalk_user_id": person.dingtalk_user_id,
            "updated_at": _iso(person.updated_at),
        }
        op = "tombstone" if person.status == "left" else "upsert"
        lines.append(ChangeEntry(txid=txid, stream="people", type="person", key=person.external_id, op=op, data=data))
    ChangeEntry.objects.bulk_create(lines, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("wellbeing", "0019_hr_sync")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
