from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WellbeingConfig(AppConfig):
    name = "wellbeing"
    verbose_name = _("Wellbeing core")

    def ready(self) -> None:
        from wellbeing import figures_core, i18n_third_party, receivers, rules, services, workload
        from wellbeing.api import tasks as sync_tasks
        from wellbeing.demo import DEMO_EXTENSIONS
        from wellbeing.home import HOME_SECTIONS
        from wellbeing.models import FollowUp
        from wellbeing.screening import home_campaigns, home_counsel, home_staff
        from wellbeing.screening import rules as screening_rules
        from wellbeing.screening import tasks as screening_tasks
        from wellbeing.screening.demo import seed_screening
        from wellbeing.screening.services import SCREENING_INVITATION_CLOSURE
        from wellbeing.services.referrals import REFERRAL_INTAKE_CLOSURE
        from wellbeing.views.pages import PERSON_PAGE_LINKS

        rules.register()
        screening_rules.register()
        services.register_record_closure(FollowUp.Kind.REFERRAL_INTAKE, REFERRAL_INTAKE_CLOSURE)
        services.register_record_closure(FollowUp.Kind.SCREENING_INVITATION, SCREENING_INVITATION_CLOSURE)
        receivers.connect()
        i18n_third_party.apply()
        figures_core.register()
        from wellbeing import retention_core  # noqa: F401 (registers the core's record kinds for retention)

        workload.register()
        # Screening's home page sections (staff, counselling team, check-ups) and demo data.
        for module in (home_staff, home_counsel, home_campaigns):
            HOME_SECTIONS.extend(module.SECTIONS)
        DEMO_EXTENSIONS.append(seed_screening)
        PERSON_PAGE_LINKS.append(screening_rules.person_page_links)
        del screening_tasks, sync_tasks  # imported to register their Celery tasks in every process
        from wellbeing import service_checks  # noqa: F401 (connects the Celery worker's start-up checks)
