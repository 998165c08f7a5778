from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from wellbeing import services
from wellbeing.actors import command_actor
from wellbeing.models import ApiClient


class Command(BaseCommand):
    help = (
        "Give an API client a new token (printed once). The old token keeps working for the grace "
        "period, so the HR system can switch without downtime."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--grace-hours",
            type=int,
            default=None,
            help="How long the old token stays valid (default: API_TOKEN_ROTATION_GRACE_HOURS; 0 ends it now).",
        )

    def handle(self, *args, name, grace_hours, **options):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"No API client is named {name!r}.")
        try:
            client, token = services.api_client_rotate(
                actor=command_actor("rotate_api_client_token"), client=client, grace_hours=grace_hours
            )
        except ValidationError as exc:
            raise CommandError(" ".join(m for ms in exc.message_dict.values() for m in ms)) from None
        until = client.previous_token_expires_at
        self.stdout.write(f"New token for {name!r} (shown once): {token}")
        self.stdout.write(
            f"The old token works until {until.isoformat()}." if until else "The old token no longer works."
        )
