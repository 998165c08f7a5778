from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Crisis and intervention cases: intake, the caseload, notes, safety plans, interventions."""

    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases import catalogue, figures, home, receivers, rules
        from cases.demo import seed_cases
        from wellbeing import services
        from wellbeing.context_processors import NAV_EXTENSIONS
        from wellbeing.demo import DEMO_EXTENSIONS
        from wellbeing.home import HOME_SECTIONS
        from wellbeing.models import FollowUp
        from wellbeing.views.pages import PERSON_PAGE_LINKS
        from wellbeing.views.referrals import TRIAGE_PAGES

        rules.register()
        catalogue.register()
        figures.register()
        services.register_record_closure(FollowUp.Kind.CASE_CONTACT, catalogue.CASE_CONTACT_CLOSURE)
        receivers.connect()
        TRIAGE_PAGES.append(catalogue.triage_page)
        PERSON_PAGE_LINKS.append(catalogue.person_page_links)
        HOME_SECTIONS.extend(home.SECTIONS)
        DEMO_EXTENSIONS.append(seed_cases)
        NAV_EXTENSIONS.append(catalogue.navigation)
        from cases import records as my_records
        from wellbeing.records import MY_RECORDS_SECTIONS

        MY_RECORDS_SECTIONS.append(my_records.my_record_sections)  # "My records" and access requests
        from cases import retention  # noqa: F401 (registers its record kinds for retention)
