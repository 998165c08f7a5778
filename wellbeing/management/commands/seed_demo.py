from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone
from wcwidth import wcswidth

from wellbeing import demo
from wellbeing.models import Notification, OrgUnit, Person
from wellbeing.reminders.timing import in_quiet_hours


def pad(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (a Chinese character takes two)."""
    width = wcswidth(text)
    return text + " " * (columns - (width if width >= 0 else len(text)))


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as lines of aligned columns, two spaces apart, each indented by two."""
    widths = [max(max(wcswidth(cell), len(cell)) for cell in column) for column in zip(*rows, strict=True)]
    return ["  " + "  ".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


class Command(BaseCommand):
    help = "Load the demo county organisation (idempotent: running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=demo.DEFAULT_PASSWORD,
            help=f"Password for demo logins created by this run (default: {demo.DEFAULT_PASSWORD}).",
        )

    def handle(self, *args, password, **options):
        logins = demo.seed(password=password)
        self.stdout.write(f"Demo organisation: {OrgUnit.objects.count()} units, {Person.objects.count()} people.")
        self.stdout.write(f"Password for every demo login: {password}")
        unread = dict(
            Notification.objects.filter(recipient__username__in=[x.username for x in logins], read_at__isnull=True)
            .values_list("recipient__username")
            .annotate(n=Count("id"))
            .values_list("recipient__username", "n")
        )
        rows = [("Login", "Role", "Name", "Unread in inbox")]
        for login in logins:
            name = login.full_name if login.has_password else f"{login.full_name} *"
            rows.append((login.username, login.role_label, name, str(unread.get(login.username, 0))))
        self.stdout.write("\n".join(table(rows)))
        if not all(x.has_password for x in logins):
            self.stdout.write("  * created earlier with another password: this one does not open it.")
        if in_quiet_hours(timezone.now()):
            self.stdout.write(
                f"Quiet hours now ({settings.FOLLOWUP_QUIET_HOURS}): the beat holds new non-red reminders until "
                "they end; the demo's inboxes are filled already."
            )
