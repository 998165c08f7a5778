"""``manage.py restore FILE [--target NAME] [--force-clean] [--create-if-missing]``: restore a
backup into an empty database and check it against its manifest (docs/backups.md)."""

from django.core.management.base import BaseCommand, CommandError

from wellbeing.services.backup import BackupError, restore_run


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty database (PostgreSQL: a database name; "
        "SQLite: a file), then check every table's row count against the manifest and that the configured "
        "encryption keys decrypt the encrypted fields. Exits non-zero on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file (its .manifest.json next to it).")
        parser.add_argument(
            "--target",
            default=None,
            help="PostgreSQL: the database to restore into; SQLite: the file. Default: the configured database.",
        )
        parser.add_argument(
            "--force-clean",
            "--force",
            dest="force",
            action="store_true",
            help="Replace the contents of a database that is not empty (SQLite: overwrite the file).",
        )
        parser.add_argument(
            "--create-if-missing",
            dest="create",
            action="store_true",
            help="PostgreSQL: create the target database when it does not exist.",
        )
        parser.add_argument("--database", default="default", help="Database alias giving the connection.")

    def handle(self, *args, path, target=None, force=False, create=False, database="default", **options):
        try:
            result = restore_run(path=path, using=database, target=target, force=force, create=create)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        self.stdout.write(f"Restored {manifest['file']} (made {manifest['created_at']}) into {result.target}")
        self.stdout.write(f"{result.tables} tables, {result.rows} rows")
        self.stdout.write(f"Encrypted values decrypted with the configured keys: {result.decrypted}")
        for note in result.notes:
            self.stdout.write(f"Note: {note}")
        if not result.ok:
            for m in result.mismatches:
                found = "table missing" if m.found is None else f"{m.found} rows"
                self.stderr.write(f"Mismatch: {m.model} ({m.table}): manifest {m.expected} rows, restored {found}")
            raise CommandError(f"{len(result.mismatches)} tables do not match the manifest: the restore is incomplete.")
        self.stdout.write("Every table's row count matches the manifest.")
