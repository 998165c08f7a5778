"""Access rules for screening (design/access.md, "screening result"), registered from
WellbeingConfig.ready() with the core's other rules."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from wellbeing import policy
from wellbeing.models import Role
from wellbeing.policy import Access


def screening_take(access: Access, obj) -> bool:
    """Take a questionnaire (always one's own): a member of staff with a profile, signed in."""
    return access.api_client is None and access.person is not None and access.has(Role.STAFF)


def screening_view(access: Access, screening) -> bool:
    return screening is not None and policy.screenings_visible_to(access).filter(pk=screening.pk).exists()


def _counsels(access: Access, person) -> bool:
    if person is None or access.user is None:
        return False
    if access.has(Role.LEAD_COUNSELLOR):
        return True
    return access.has(Role.COUNSELLOR) and policy.on_caseload(access, person)


def screening_list(access: Access, obj) -> bool:
    """Reading screening results at all (the API's list and detail): people signed in with a role,
    never an API client; which results, ``policy.screenings_visible_to`` decides."""
    return access.api_client is None and access.user is not None and bool(access.roles)


def screening_review(access: Access, screening) -> bool:
    """Confirm or override a tier: the lead counsellor, or a counsellor for someone on their caseload
    (never their own result)."""
    if screening is None or (access.person is not None and screening.person_id == access.person.pk):
        return False
    return _counsels(access, screening.person) and screening_view(access, screening)


def screening_trajectory(access: Access, person) -> bool:
    """A person's results over time: the counselling team for people on its caseload (not their own
    record: that is the "my results" page)."""
    if person is None or (access.person is not None and person.pk == access.person.pk):
        return False
    return _counsels(access, person)


def oncall_view(access: Access, obj) -> bool:
    return access.has(Role.COUNSELLOR, Role.LEAD_COUNSELLOR)


def oncall_manage(access: Access, obj) -> bool:
    return access.has(Role.LEAD_COUNSELLOR)


def campaign_manage(access: Access, obj) -> bool:
    """Set up a check-up: the lead counsellor or the leading group."""
    return access.has(Role.LEAD_COUNSELLOR, Role.LEADING_GROUP)


def campaign_completion(access: Access, obj) -> bool:
    """Who has completed a check-up (never a result): supervisors for their reports, the lead
    counsellor for everyone."""
    return access.has(Role.SUPERVISOR, Role.LEAD_COUNSELLOR)


def campaign_stats(access: Access, obj) -> bool:
    """A check-up's figures by unit (counts, k >= 5): the leading group and the lead counsellor."""
    return access.has(Role.LEADING_GROUP, Role.LEAD_COUNSELLOR)


def campaign_list(access: Access, obj) -> bool:
    return access.has(Role.SUPERVISOR, Role.LEAD_COUNSELLOR, Role.LEADING_GROUP)


def person_page_links(user, person) -> list[tuple[str, str, str]]:
    """ "Screening results" on the profile of someone the counselling team may follow (registered in
    WellbeingConfig.ready())."""
    if not policy.can(user, "screening.trajectory", person):
        return []
    return [(_("Screening results"), reverse("screening:person", args=[person.external_id]), "outline-primary")]


RULES = {
    "screening.take": screening_take,
    "screening.view": screening_view,
    "screening.list": screening_list,
    "screening.review": screening_review,
    "screening.trajectory": screening_trajectory,
    "oncall.view": oncall_view,
    "oncall.manage": oncall_manage,
    "campaign.manage": campaign_manage,
    "campaign.list": campaign_list,
    "campaign.completion": campaign_completion,
    "campaign.stats": campaign_stats,
}


def register() -> None:
    policy.register_rules(RULES)
