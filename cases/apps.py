from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Crisis and intervention cases: intake, the caseload, notes, safety plans, interventions."""

    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases import catalogue, receivers, rules
        from wellbeing import services
        from wellbeing.models import FollowUp

        rules.register()
        catalogue.register()
        services.register_record_closure(FollowUp.Kind.CASE_CONTACT, catalogue.CASE_CONTACT_CLOSURE)
        receivers.connect()
