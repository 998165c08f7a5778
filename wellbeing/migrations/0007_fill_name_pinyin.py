from django.db import migrations


def fill(apps, schema_editor):
    from wellbeing.models.org import name_to_pinyin

    Person = apps.get_model("wellbeing", "Person")
    batch = []
    for person in Person.objects.only("id", "full_name").iterator(chunk_size=2000):
        person.name_pinyin = name_to_pinyin(person.full_name)
        batch.append(person)
        if len(batch) >= 2000:
            Person.objects.bulk_update(batch, ["name_pinyin"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["name_pinyin"])


class Migration(migrations.Migration):
    dependencies = [("wellbeing", "0006_referrals_and_pinyin")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
