from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammeConfig(AppConfig):
    """The leading group's programme: work plan, responsibility list, reviews and corrections,
    activities, care for people in difficulty, the dashboard and the work ledger."""

    name = "programme"
    verbose_name = _("Wellbeing programme")

    def ready(self) -> None:
        from programme import demo, figures, navigation, rules, services, tasks
        from wellbeing.context_processors import NAV_EXTENSIONS
        from wellbeing.demo import DEMO_EXTENSIONS

        rules.register()
        figures.register()
        services.register_hooks()
        NAV_EXTENSIONS.append(navigation.nav_items)
        DEMO_EXTENSIONS.append(demo.seed_programme)
        del tasks  # imported to register its Celery tasks in every process
