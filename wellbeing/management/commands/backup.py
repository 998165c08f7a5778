"""``manage.py backup [--dir DIR] [--keep N] [--database ALIAS]``: a backup of the whole database
with its manifest (docs/backups.md)."""

from django.core.management.base import BaseCommand, CommandError

from wellbeing.services.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump custom format; SQLite: the online backup API) into "
        "BACKUP_DIR, with a manifest of migrations, row counts and encryption key fingerprints (never "
        "the keys). Files are readable by their owner only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", dest="directory", default=None, help="Directory to write to (default: BACKUP_DIR)."
        )
        parser.add_argument(
            "--keep", type=int, default=None, help="Then keep only the N newest backups in the directory (N >= 1)."
        )
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, directory=None, keep=None, database="default", **options):
        try:
            result = backup_create(using=database, directory=directory, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        tables = manifest["tables"]
        rows = sum(entry["rows"] for entry in tables.values())
        self.stdout.write(f"Backup written: {result.path} ({manifest['size']} bytes, {manifest['engine']})")
        self.stdout.write(f"Manifest: {result.manifest_path}")
        self.stdout.write(f"{len(tables)} tables, {rows} rows")
        in_use = ", ".join(manifest["encryption"]["keys_in_use"]) or "none (no encrypted text yet)"
        self.stdout.write(f"Encryption keys needed to read it (fingerprints): {in_use}")
        for path in result.pruned:
            self.stdout.write(f"Pruned: {path.name}")
        for warning in result.warnings:
            self.stderr.write(f"Warning: {warning}")
