from django.core.management.base import BaseCommand

from wellbeing import selectors


class Command(BaseCommand):
    help = (
        "Show the reminder pipeline's state: follow-ups, messages, the last scan, follow-ups set aside, "
        "escalations with nobody to go to and configuration errors. Exit 1 if the scan is stale, 2 if "
        "something needs fixing."
    )

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
        self.stdout.write(f"set aside by the scan (retried with back-off): {s['failing']}")
        for item in s["failing_items"]:
            self.stdout.write(
                f"  #{item['id']} {item['kind']}: {item['scan_failures']} failure(s): {item['scan_error']}"
            )
        self.stdout.write(f"escalations with nobody to go to: {s['unrouted']}")
        self.stdout.write(f"lifecycle events whose receivers failed: {s['lifecycle_unhandled']}")
        for problem in s["problems"]:
            self.stdout.write(f"configuration error: {problem}")
        if not s["healthy"]:
            self.stderr.write("The scan is stale: check that Celery beat and a worker are running.")
            raise SystemExit(1)
        if s["failing"] or s["unrouted"] or s["lifecycle_unhandled"] or s["problems"]:
            raise SystemExit(2)
