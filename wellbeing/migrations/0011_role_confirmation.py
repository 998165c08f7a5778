"""Clinical roles need a second person: a status on role assignments (pending / confirmed / refused),
who assigned the role and who confirmed or refused it, and constraints that keep them consistent.

Existing assignments were in force before this rule existed: they become confirmed, decided when they
were created, with no recorded assigner (the audit trail holds who assigned them).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def confirm_existing(apps, schema_editor):
    RoleAssignment = apps.get_model("wellbeing", "RoleAssignment")
    RoleAssignment.objects.update(status="confirmed", decided_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("wellbeing", "0010_lifecycle_and_safe_scan"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="roleassignment",
            name="assigned_by",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty when assigned from the command line (the audit trail names the command).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="assigned by",
            ),
        ),
        migrations.AddField(
            model_name="roleassignment",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="confirmed or refused at"),
        ),
        migrations.AddField(
            model_name="roleassignment",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="confirmed or refused by",
            ),
        ),
        migrations.AddField(
            model_name="roleassignment",
            name="status",
            field=models.CharField(
                choices=[("pending", "pending confirmation"), ("confirmed", "confirmed"), ("refused", "refused")],
                default="confirmed",
                max_length=16,
                verbose_name="status",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(confirm_existing, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "confirmed", "refused"])),
                name="role_assignment_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "confirmed"), ("role__in", ["counsellor", "lead_counsellor"]), _connector="OR"
                ),
                name="role_assignment_pending_is_clinical",
            ),
        ),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("status", "pending"),
                        ("assigned_by__isnull", False),
                        ("decided_by__isnull", True),
                        ("decided_at__isnull", True),
                    ),
                    models.Q(models.Q(("status", "pending"), _negated=True), ("decided_at__isnull", False)),
                    _connector="OR",
                ),
                name="role_assignment_decision_recorded",
            ),
        ),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "confirmed"), _negated=True),
                    models.Q(("role__in", ["counsellor", "lead_counsellor"]), _negated=True),
                    ("assigned_by__isnull", True),
                    models.Q(
                        ("decided_by__isnull", False),
                        models.Q(("decided_by", models.F("assigned_by")), _negated=True),
                        models.Q(("decided_by", models.F("user")), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="role_assignment_second_person",
            ),
        ),
    ]
