"""Talk rules, registered with the core access policy (design/access.md, "talk" rows).

- who/when/kind: the leader; supervisors of a participant's unit (normal confidentiality); the
  participants themselves (their own talks).
- the recorded text (content, difficulties, suggestions): the leader only, every read audited.
- the shared summary: the leader and the participants.
- HR officers, administrators, the leading group and API clients: nothing (the leading group: counts).
"""

from django.db.models import Q

from wellbeing.models import Role
from wellbeing.policy import Access, _units_q, access_for, register_rule


def talks_visible_to(principal):
    from talks.models import Talk

    access = access_for(principal)
    if access.user is None or access.api_client is not None:
        return Talk.objects.none()
    q = Q(led_by=access.user)
    if access.person is not None and access.has(Role.STAFF):
        q |= Q(participations__person=access.person)
    if access.has(Role.SUPERVISOR):
        units = _units_q(access.units_for(Role.SUPERVISOR), prefix="participations__person__unit__")
        q |= units & Q(confidentiality=Talk.Confidentiality.NORMAL)
    return Talk.objects.filter(pk__in=Talk.objects.filter(q).values("pk"))


@register_rule("talk.log")
def _talk_log(access: Access, obj) -> bool:
    return access.has(Role.SUPERVISOR)


@register_rule("talk.read_text")
def _talk_read_text(access: Access, talk) -> bool:
    return talk is not None and access.user is not None and talk.led_by_id == access.user.pk


@register_rule("talk.read_summary")
def _talk_read_summary(access: Access, talk) -> bool:
    if talk is None or access.user is None:
        return False
    if talk.led_by_id == access.user.pk:
        return True
    return access.person is not None and talk.participations.filter(person=access.person).exists()


@register_rule("talk.overview")
def _talk_overview(access: Access, obj) -> bool:
    return access.has(Role.SUPERVISOR)


def person_page_links(user, person) -> list[tuple[str, str, str]]:
    """ "Log a talk" and "Talk history" on the profile of someone in the supervisor's units."""
    from django.urls import reverse
    from django.utils.http import urlencode
    from django.utils.translation import gettext as _

    from wellbeing.policy import can, person_in_supervised_units

    if not (can(user, "talk.log") and person_in_supervised_units(access_for(user), person)):
        return []
    return [
        (_("Log a talk"), f"{reverse('talks:new')}?{urlencode({'person': person.external_id})}", "primary"),
        (_("Talk history"), reverse("talks:person", args=[person.external_id]), "outline-primary"),
    ]
