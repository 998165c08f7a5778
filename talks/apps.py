from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalksConfig(AppConfig):
    """Heart-to-heart talk records, agreed actions and the talk cadence."""

    name = "talks"
    verbose_name = _("Heart-to-heart talks")

    def ready(self) -> None:
        from talks import demo, receivers, rules
        from wellbeing.demo import DEMO_EXTENSIONS
        from wellbeing.views.pages import PERSON_PAGE_LINKS

        rules.register()
        receivers.connect()
        PERSON_PAGE_LINKS.append(rules.person_page_links)
        DEMO_EXTENSIONS.append(demo.seed_talks)
