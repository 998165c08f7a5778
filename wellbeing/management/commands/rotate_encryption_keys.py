from django.core.management.base import BaseCommand
from django.db import connection, transaction

from wellbeing.actors import command_actor
from wellbeing.audit import audit_record
from wellbeing.encryption import encrypted_fields, rotate_token
from wellbeing.models import AuditEvent

BATCH = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored sensitive value with the first key of FIELD_ENCRYPTION_KEYS. "
        "Run it after putting a new key first; then the old keys can be removed."
    )

    def handle(self, *args, **options):
        total = 0
        qn = connection.ops.quote_name
        for model, fields in encrypted_fields():
            table, pk = model._meta.db_table, model._meta.pk.column
            columns = [model._meta.get_field(f).column for f in fields]
            last = None
            count = 0
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    where = f"WHERE {qn(pk)} > %s " if last is not None else ""
                    cursor.execute(
                        f"SELECT {qn(pk)}, {', '.join(qn(c) for c in columns)} FROM {qn(table)} "
                        f"{where}ORDER BY {qn(pk)} LIMIT {BATCH}",
                        [last] if last is not None else [],
                    )
                    rows = cursor.fetchall()
                    for row in rows:
                        values = [rotate_token(v) if v is not None else None for v in row[1:]]
                        cursor.execute(
                            f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} WHERE {qn(pk)} = %s",
                            [*values, row[0]],
                        )
                    count += len(rows)
                if len(rows) < BATCH:
                    break
                last = rows[-1][0]
            if count:
                self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted.")
            total += count
        audit_record(
            actor=command_actor("rotate_encryption_keys"),
            action=AuditEvent.Action.KEYS_ROTATED,
            changes={"rows": total},
        )
        self.stdout.write(f"Done: {total} rows re-encrypted with the newest key.")
