"""``manage.py retention [--dry-run] [--kind KEY ...]``: delete or anonymise what is past retention
now (what the daily task ``wellbeing.apply_retention`` does), or with ``--dry-run`` only say how many
rows of each kind would go (docs/data-lifecycle.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wellbeing import retention
from wellbeing.actors import command_actor


class Command(BaseCommand):
    help = (
        "Delete or anonymise the records past their retention period, per record kind (RETENTION, "
        "docs/data-lifecycle.md). With --dry-run, print how many rows of each kind would be removed "
        "and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only print what would be removed.")
        parser.add_argument(
            "--kind", action="append", default=[], metavar="KEY", help="Only this record kind (repeatable)."
        )

    def handle(self, *args, dry_run=False, kind=(), **options):
        known = {k.key for k in retention.kinds()}
        unknown = sorted(set(kind) - known)
        if unknown:
            raise CommandError(f"Unknown record kind(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        if dry_run:
            results = [r for r in retention.preview() if not kind or r.kind.key in kind]
        else:
            results = retention.run(actor=command_actor("retention"), only=kind)
        verb = "would be" if dry_run else "were"
        self.stdout.write(f"{'kind':<20} {'action':<10} {'days':>6}  {'older than':<10}  rows")
        for r in results:
            outcome = f"FAILED ({r.error})" if r.failed else f"{r.count} {verb} {r.kind.action}d"
            older = timezone.localdate(r.cutoff).isoformat()
            self.stdout.write(f"{r.kind.key:<20} {r.kind.action:<10} {r.days:>6}  {older:<10}  {outcome}")
        if any(r.failed for r in results):
            done = "counted" if dry_run else "applied"
            raise CommandError(f"Some record kinds failed (see above and the log); the others were {done}.")
