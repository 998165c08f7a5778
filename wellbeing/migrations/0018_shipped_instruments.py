"""Ship PHQ-9, GAD-7, WHO-5, K10 and PSS-10 and the default crisis contacts (12356, 120, 110)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from wellbeing.screening import shipped

    shipped.load(apps)


class Migration(migrations.Migration):
    dependencies = [("wellbeing", "0017_screening")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
