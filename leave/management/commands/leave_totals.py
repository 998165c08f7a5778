"""``manage.py leave_totals --check | --rebuild``: the yearly totals the HR report reads
(``LeaveYearTotal``), compared with or recomputed from the ledger."""

from django.core.management.base import BaseCommand, CommandError

from leave.services import ledger


class Command(BaseCommand):
    help = (
        "Compare the yearly leave totals with the ledger (--check, exits 1 when they differ) or recompute them "
        "from it (--rebuild: after lines were loaded in bulk, or to repair). The ledger is never changed."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--check", action="store_true", help="Report where the totals differ from the ledger.")
        action.add_argument("--rebuild", action="store_true", help="Recompute every total from the ledger.")

    def handle(self, *args, check=False, rebuild=False, **options):
        if rebuild:
            written = ledger.rebuild_totals()
            self.stdout.write(f"{written} yearly totals recomputed from the ledger.")
            return
        wrong = ledger.total_mismatches()
        if not wrong:
            self.stdout.write("The yearly totals agree with the ledger.")
            return
        for person_id, leave_type_id, year, held, summed in wrong:
            self.stderr.write(
                f"person {person_id}, leave type {leave_type_id}, {year}: held {held}, the ledger sums to {summed}"
            )
        raise CommandError(
            f"{len(wrong)} yearly totals differ from the ledger (at most 20 listed): run leave_totals --rebuild."
        )
