"""``manage.py leave_allocate [--year YYYY]``: the annual allocation task, run by hand (idempotent)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leave import services
from wellbeing.actors import command_actor


class Command(BaseCommand):
    help = "Write (or bring up to date) everyone's annual leave allocation for a year. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="The leave year (default: this year).")

    def handle(self, *args, year=None, **options):
        year = year or timezone.localdate().year
        try:
            result = services.annual_allocate_year(actor=command_actor("leave_allocate"), year=year)
        except ValidationError as exc:
            raise CommandError("; ".join(m for msgs in exc.message_dict.values() for m in msgs)) from None
        self.stdout.write(
            f"{year}: {result.written} allocations written, {result.unchanged} already up to date, "
            f"{result.no_work_start} without a work start date (skipped), {len(result.failed)} failed"
        )
        if result.failed:
            raise CommandError(f"{len(result.failed)} people failed: see the log (person ids {result.failed[:10]})")
