from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalksConfig(AppConfig):
    """Heart-to-heart talk records, agreed actions and the talk cadence."""

    name = "talks"
    verbose_name = _("Heart-to-heart talks")

    def ready(self) -> None:
        from talks import policy
        from wellbeing.views.pages import PERSON_PAGE_LINKS

        PERSON_PAGE_LINKS.append(policy.person_page_links)

        from talks.demo import seed_talks
        from wellbeing.demo import DEMO_EXTENSIONS

        DEMO_EXTENSIONS.append(seed_talks)
