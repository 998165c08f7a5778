"""The programme's menu items, each shown when the policy allows it (no query: the policy's access
is cached per request)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.models import Role


def nav_items(user) -> list[tuple[str, str]]:
    access = policy.access_for(user)
    items = []
    if policy.can(user, "programme.dashboard"):
        items.append((_("Dashboard"), reverse("programme:dashboard")))
    if policy.can(user, "programme.manage"):
        items.append((_("Work plan"), reverse("programme:home")))
    elif access.roles - {Role.STAFF}:
        # Plan tasks and correction items go to officials (supervisors, counsellors, HR officers).
        items.append((_("My plan tasks"), reverse("programme:my_work")))
    if access.person is not None or policy.can(user, "programme.manage"):
        items.append((_("Activities"), reverse("programme:activities")))
    if access.has(Role.SUPERVISOR, Role.HR_OFFICER):
        items.append((_("Care"), reverse("programme:care")))
    return items
