"""Retention (docs/data-lifecycle.md): people who left long ago can be marked anonymised, and the audit
trail's trigger (migration 0002) lets retention delete old entries - and nothing else.

The trigger still refuses every UPDATE. A DELETE passes only when the transaction has named a cutoff
(``set_config('tanxin.audit_purge_before', ...)``, which wellbeing.retention_core does) and the row
is older than that cutoff *and* older than the legal floor by the database's own clock: 183 days for
an API call (网络安全法 §21), 1095 days for everything else (PIPL §55-56). So not even the
application's own role can remove a younger entry, whatever it sets.
"""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION tanxin_audit_append_only() RETURNS trigger AS $$
DECLARE
    purge_before timestamptz;
    floor_days integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        purge_before := NULLIF(current_setting('tanxin.audit_purge_before', true), '')::timestamptz;
        floor_days := CASE WHEN OLD.action = 'api.call' THEN 183 ELSE 1095 END;
        IF purge_before IS NOT NULL
           AND OLD.created_at < purge_before
           AND OLD.created_at < now() - make_interval(days => floor_days) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'wellbeing_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# As migration 0002 left it: every UPDATE and DELETE refused.
RESTORE = """
CREATE OR REPLACE FUNCTION tanxin_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'wellbeing_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESTORE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("wellbeing", "0022_followup_programme_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="anonymised"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
