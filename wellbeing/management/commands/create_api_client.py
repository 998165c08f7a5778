from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from wellbeing import services
from wellbeing.actors import command_actor
from wellbeing.models import Scope


class Command(BaseCommand):
    help = "Create an API client (an HR system) with scopes. Prints its token once, on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A unique name, e.g. 'hr-sync'.")
        parser.add_argument("--scopes", required=True, help=f"Comma-separated scopes from: {', '.join(Scope.values)}.")

    def handle(self, *args, name, scopes, **options):
        try:
            client, token = services.api_client_create(
                actor=command_actor("create_api_client"), name=name, scopes=scopes
            )
        except ValidationError as exc:
            messages = [f"{field}: {' '.join(errs)}" for field, errs in exc.message_dict.items()]
            raise CommandError("; ".join(messages)) from None
        self.stdout.write(f"Created API client {client.name!r} with scopes {', '.join(client.scopes)}.")
        self.stdout.write("Store this token now: it is shown only once. Send it as 'Authorization: Bearer <token>'.")
        self.stdout.write(token)
