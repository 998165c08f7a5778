from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WellbeingConfig(AppConfig):
    name = "wellbeing"
    verbose_name = _("Wellbeing core")

    def ready(self) -> None:
        from wellbeing import i18n_third_party, receivers, rules, services
        from wellbeing.models import FollowUp
        from wellbeing.services.referrals import REFERRAL_INTAKE_CLOSURE

        rules.register()
        services.register_record_closure(FollowUp.Kind.REFERRAL_INTAKE, REFERRAL_INTAKE_CLOSURE)
        receivers.connect()
        i18n_third_party.apply()
