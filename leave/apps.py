from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeaveConfig(AppConfig):
    """Leave: the holiday calendar, leave types, annual entitlements, the ledger, requests and their
    approval, time off in lieu, and nobody going years without rest."""

    name = "leave"
    verbose_name = _("Leave")

    def ready(self) -> None:
        from leave import catalogue, figures, home, receivers, rules
        from leave.demo import seed_leave
        from wellbeing import services
        from wellbeing.context_processors import NAV_EXTENSIONS
        from wellbeing.demo import DEMO_EXTENSIONS
        from wellbeing.home import HOME_SECTIONS
        from wellbeing.models import FollowUp

        rules.register()
        catalogue.register()
        figures.register()
        services.register_record_closure(FollowUp.Kind.LEAVE_APPROVAL, catalogue.LEAVE_APPROVAL_CLOSURE)
        receivers.connect()
        NAV_EXTENSIONS.append(catalogue.navigation)
        HOME_SECTIONS.extend(home.SECTIONS)
        DEMO_EXTENSIONS.append(seed_leave)
        from leave import records as my_records
        from wellbeing.records import MY_RECORDS_SECTIONS

        MY_RECORDS_SECTIONS.append(my_records.my_record_sections)  # "My records" and access requests
        from leave import retention  # noqa: F401 (registers its record kinds for retention)
