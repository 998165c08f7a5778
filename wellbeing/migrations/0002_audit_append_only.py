"""Make the audit trail append-only in the database itself (PostgreSQL).

A trigger refuses every UPDATE and DELETE on wellbeing_auditevent, whoever runs it - including the
application's own database role, which owns the table. (TRUNCATE, a maintenance operation that the
test runner uses to reset its database, is not blocked; production roles should not be granted it:
see docs/security.md.) SQLite, the embedded default, relies on the application-level guards.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tanxin_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'wellbeing_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS wellbeing_auditevent_append_only ON wellbeing_auditevent;
CREATE TRIGGER wellbeing_auditevent_append_only
    BEFORE UPDATE OR DELETE ON wellbeing_auditevent
    FOR EACH ROW EXECUTE FUNCTION tanxin_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS wellbeing_auditevent_append_only ON wellbeing_auditevent;
DROP FUNCTION IF EXISTS tanxin_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("wellbeing", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
