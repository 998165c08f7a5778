# Referrals: taken in and closed (with a reason), each status with exactly its own timestamps; the
# reminder stage "new item" (a new referral of any tier is announced by the next scan).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def date_taken_in(apps, schema_editor):
    """No service set "taken in" before; a row that has it anyway gets its last change as the time."""
    Referral = apps.get_model("wellbeing", "Referral")
    Referral.objects.filter(status="taken_in", taken_in_at__isnull=True).update(taken_in_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("wellbeing", "0014_work_message_ids"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="close_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("no_further_support", "no further support needed"),
                    ("support_elsewhere", "support arranged elsewhere"),
                    ("declined", "the person declined"),
                    ("duplicate", "duplicate referral"),
                ],
                max_length=32,
                verbose_name="reason for closing",
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="closed at"),
        ),
        migrations.AddField(
            model_name="referral",
            name="closed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="closed by",
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="taken_in_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="taken in at"),
        ),
        migrations.AddField(
            model_name="referral",
            name="taken_in_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="taken in by",
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="status",
            field=models.CharField(
                choices=[
                    ("received", "received"),
                    ("acknowledged", "acknowledged"),
                    ("taken_in", "taken in"),
                    ("closed", "closed"),
                ],
                default="received",
                max_length=16,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="stage",
            field=models.CharField(
                choices=[
                    ("alert", "new urgent item"),
                    ("due", "due"),
                    ("overdue", "overdue"),
                    ("escalated", "escalated"),
                    ("repeat", "still overdue"),
                    ("new", "new item"),
                ],
                max_length=16,
            ),
        ),
        migrations.RunPython(date_taken_in, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "received"), _negated=True), ("acknowledged_at__isnull", True), _connector="OR"
                ),
                name="referral_received_not_ack",
            ),
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "taken_in"), ("taken_in_at__isnull", False)),
                    models.Q(models.Q(("status", "taken_in"), _negated=True), ("taken_in_at__isnull", True)),
                    _connector="OR",
                ),
                name="referral_taken_in_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("closed_at__isnull", False),
                        ("status", "closed"),
                        models.Q(("close_reason", ""), _negated=True),
                    ),
                    models.Q(
                        models.Q(("status", "closed"), _negated=True), ("close_reason", ""), ("closed_at__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="referral_closed_has_time_and_reason",
            ),
        ),
    ]
