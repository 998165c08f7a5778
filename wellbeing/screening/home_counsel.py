"""Home page sections for screening (counsel): who receives red items today. The on-call counsellor's
home page says so first thing (issue 9, "Who is on call")."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.home import HomeSection
from wellbeing.screening import selectors


def on_call(request) -> list[HomeSection]:
    """Counsellors and the lead counsellor: whether they are on call today, else who is."""
    user = request.user
    if not policy.can(user, "oncall.view"):
        return []
    today = selectors.oncall_today(user=user)
    if today.is_on_call(user):
        note = _("You are on call today until %(date)s: red items come to you.") % {
            "date": today.shift.ends_on.isoformat()
        }
    elif today.shift is not None:
        note = _("On call today: %(name)s.") % {"name": selectors.user_name(today.counsellor)}
    elif today.fallback is not None:
        note = _("Nobody is on call: red items go to the lead counsellor, %(name)s.") % {
            "name": selectors.user_name(today.fallback)
        }
    else:
        note = _("Nobody is on call and no lead counsellor is set up: tell an administrator.")
    return [
        HomeSection(
            "on-call",
            _("On call"),
            5,
            note=note,
            links=((_("On-call rota"), reverse("screening:oncall")),),
        )
    ]


SECTIONS: list = [on_call]
