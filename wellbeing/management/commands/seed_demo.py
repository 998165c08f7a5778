from django.core.management.base import BaseCommand

from wellbeing import demo
from wellbeing.models import OrgUnit, Person


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
        self.stdout.write("Demo logins (password: the one set when they were first created):")
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {login.role_label:<24} {login.full_name}")
