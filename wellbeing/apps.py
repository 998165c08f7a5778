from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WellbeingConfig(AppConfig):
    name = "wellbeing"
    verbose_name = _("Wellbeing core")

    def ready(self) -> None:
        from wellbeing import receivers, rules

        rules.register()
        receivers.connect()
