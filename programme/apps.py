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
        from programme import records as my_records
        from wellbeing.records import MY_RECORDS_SECTIONS

        MY_RECORDS_SECTIONS.append(my_records.my_record_sections)  # "My records" and access requests
        from programme import retention  # noqa: F401 (registers its record kinds for retention)
