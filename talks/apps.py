from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalksConfig(AppConfig):
    """Heart-to-heart talk records, agreed actions and the talk cadence."""

    name = "talks"
    verbose_name = _("Heart-to-heart talks")

    def ready(self) -> None:
        from talks import cadence, demo, figures, home, receivers, records, rules
        from wellbeing import selectors, services
        from wellbeing.demo import DEMO_EXTENSIONS
        from wellbeing.home import HOME_SECTIONS
        from wellbeing.models import FollowUp
        from wellbeing.records import MY_RECORDS_SECTIONS
        from wellbeing.views.pages import PERSON_PAGE_FACTS, PERSON_PAGE_LINKS

        rules.register()
        figures.register()
        services.register_record_closure(FollowUp.Kind.TALK_DUE, cadence.TALK_DUE_CLOSURE)
        receivers.connect()
        PERSON_PAGE_LINKS.append(rules.person_page_links)
        PERSON_PAGE_FACTS.append(home.person_facts)
        HOME_SECTIONS.extend([home.talks_due, home.open_actions, home.next_talk, home.coverage])
        selectors.FOLLOWUP_BADGES[FollowUp.Kind.TALK_DUE] = home.followup_badges
        MY_RECORDS_SECTIONS.append(records.my_record_sections)
        DEMO_EXTENSIONS.append(demo.seed_talks)
        from talks import retention  # noqa: F401 (registers its record kinds for retention)
