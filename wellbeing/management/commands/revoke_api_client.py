from django.core.management.base import BaseCommand, CommandError

from wellbeing import services
from wellbeing.actors import command_actor
from wellbeing.models import ApiClient


class Command(BaseCommand):
    help = "Revoke an API client's token (it stops working at once)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"No API client is named {name!r}.")
        services.api_client_revoke(actor=command_actor("revoke_api_client"), client=client)
        self.stdout.write(f"Revoked {name!r}.")
