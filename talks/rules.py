"""Talk rules, registered with the core access policy from TalksConfig.ready() (design/access.md,
"talk" rows).

- who/when/kind: the leader; supervisors of a participant's unit (normal confidentiality); the
  participants themselves (their own talks).
- the recorded text (content, difficulties, suggestions), the state of mind, the concerns and the
  trigger: the leader only, every read of text audited.
- the shared summary: the leader and the participants.
- amending: the leader, within TALK_AMEND_DAYS of saving; after that, annotating (the leader). Earlier
  versions show the same fields as the talk; annotations, whoever reads the recorded text.
- HR officers, administrators, the leading group and API clients: nothing (the leading group: counts).
"""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from talks.models import Talk
from wellbeing import policy
from wellbeing.models import Person, Role
from wellbeing.policy import Access

#: Fields anyone who may see a talk sees: who, when, what kind.
BASE_FIELDS = frozenset(
    {"id", "kind", "occasion", "held_at", "duration_minutes", "participants", "led_by", "confidentiality", "created_at"}
)
#: What the participants also see.
PARTICIPANT_FIELDS = BASE_FIELDS | {"shared_summary"}
#: The leader sees everything they recorded.
LEADER_FIELDS = PARTICIPANT_FIELDS | {
    "trigger",
    "location",
    "mood",
    "mood_tags",
    "main_content",
    "difficulties",
    "suggestions",
}
#: Recorded text: reading it is audited.
TEXT_FIELDS = ("main_content", "difficulties", "suggestions", "shared_summary")


def talks_visible_to(principal):
    access = policy.access_for(principal)
    if access.user is None or access.api_client is not None:
        return Talk.objects.none()
    q = Q(led_by=access.user)
    if access.person is not None and access.has(Role.STAFF):
        q |= Q(participations__person=access.person)
    if access.has(Role.SUPERVISOR):
        q |= policy.reports_q(access, prefix="participations__person__") & Q(
            confidentiality=Talk.Confidentiality.NORMAL
        )
    return Talk.objects.filter(pk__in=Talk.objects.filter(q).values("pk"))


def talk_fields(access: Access, talk) -> frozenset[str]:
    """The one decision of which fields of a talk a principal sees (pages, templates and the API)."""
    if access.user is None:
        return frozenset()
    if talk.led_by_id == access.user.pk:
        return LEADER_FIELDS
    if access.person is not None and any(p.person_id == access.person.pk for p in talk.participations.all()):
        return PARTICIPANT_FIELDS
    return BASE_FIELDS


def talk_view(access: Access, obj) -> bool:
    """Reading talk records at all: people with a role, never an API client (no scope reaches talks);
    which talks, the visibility above decides."""
    return access.api_client is None and bool(access.roles)


def talk_log(access: Access, obj) -> bool:
    return access.has(Role.SUPERVISOR)


def talk_read_text(access: Access, talk) -> bool:
    return talk is not None and "main_content" in talk_fields(access, talk)


def talk_read_summary(access: Access, talk) -> bool:
    return talk is not None and "shared_summary" in talk_fields(access, talk)


def _is_author(access: Access, talk) -> bool:
    return (
        talk is not None and access.user is not None and access.api_client is None and talk.led_by_id == access.user.pk
    )


def talk_amend(access: Access, talk) -> bool:
    """Amending a talk: its author only, within TALK_AMEND_DAYS of saving it."""
    return _is_author(access, talk) and talk.is_amendable(timezone.now())


def talk_annotate(access: Access, talk) -> bool:
    """Adding an annotation: its author only, once the talk can no longer be amended."""
    return _is_author(access, talk) and not talk.is_amendable(timezone.now())


def talk_overview(access: Access, obj) -> bool:
    return access.has(Role.SUPERVISOR)


def talk_request(access: Access, obj) -> bool:
    """Asking for a talk (and seeing one's next talk on the home page): staff with an active record."""
    return (
        access.api_client is None
        and access.person is not None
        and access.person.status != Person.Status.LEFT
        and access.has(Role.STAFF)
    )


def talk_coverage(access: Access, obj) -> bool:
    """Talk coverage and talks overdue by unit, counts only (k-suppressed): HR officers for their
    units, the leading group for the organisation (access.md: "talk ... counts")."""
    return access.has(Role.HR_OFFICER, Role.LEADING_GROUP)


def talk_history(access: Access, person) -> bool:
    """A person's talk history: their supervisors."""
    return person is not None and policy.supervises(access, person)


RULES = {
    "talk.view": talk_view,
    "talk.log": talk_log,
    "talk.request": talk_request,
    "talk.coverage": talk_coverage,
    "talk.read_text": talk_read_text,
    "talk.read_summary": talk_read_summary,
    "talk.amend": talk_amend,
    "talk.annotate": talk_annotate,
    "talk.overview": talk_overview,
    "talk.history": talk_history,
}


def person_page_links(user, person) -> list[tuple[str, str, str]]:
    """ "Log a talk" and "Talk history" on the profile of one of the supervisor's reports."""
    if not (policy.can(user, "talk.log") and policy.can(user, "talk.history", person)):
        return []
    return [
        (_("Log a talk"), f"{reverse('talks:new')}?{urlencode({'person': person.external_id})}", "primary"),
        (_("Talk history"), reverse("talks:person", args=[person.external_id]), "outline-primary"),
    ]


def register() -> None:
    policy.register_rules(RULES)
    policy.register_field_visibility("talks.talk", talk_fields)
