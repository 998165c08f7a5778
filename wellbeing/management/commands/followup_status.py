from django.core.management.base import BaseCommand

from wellbeing import selectors


class Command(BaseCommand):
    help = "Show the reminder pipeline's state: follow-ups, messages and the last scan. Exit 1 if stale."

    def handle(self, *args, **options):
        s = selectors.pipeline_status()
        d = s["deliveries"]
        self.stdout.write(
            f"follow-ups: open {s['open']}, due {s['due']}, overdue {s['overdue']}, escalated {s['escalated']}, "
            f"snoozed {s['snoozed']}"
        )
        self.stdout.write(
            f"messages: pending {d['pending']}, sending {d['sending']}, sent {d['sent']}, failed {d['failed']}"
        )
        if s["last_scan_at"] is None:
            self.stdout.write("last scan: never")
        else:
            self.stdout.write(
                f"last scan: {s['last_scan_at']:%Y-%m-%d %H:%M:%S} ({s['last_scan_age_seconds']:.0f} s ago)"
            )
        if not s["healthy"]:
            self.stderr.write("The scan is stale: check that Celery beat and a worker are running.")
            raise SystemExit(1)
