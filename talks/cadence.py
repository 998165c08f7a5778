"""The talk cadence: which "talk due" follow-ups each supervisor owes (design/domain.md: each
supervisor with each report every 90 days by default, per unit or per person in the admin).

One set of functions keeps the obligations true to who supervises whom, whatever changed it: a talk
logged (``after_talk``), a person moving or getting a new manager (``sync_person``), a supervisor
role beginning or ending (``sync_supervisor``), and the daily reconciliation (``ensure_cadence``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from talks.models import CadencePolicy, Talk, TalkRequest
from wellbeing import messages, policy, services
from wellbeing.models import FollowUp, OrgUnit, Person, Role

#: A report never talked to (or newly under this supervisor) is due this long after it is noticed.
FIRST_TALK_WITHIN = timedelta(days=14)


def cadence_days(person: Person) -> int:
    """The person's own cadence, else the nearest unit's (the unit or one above it), else the default."""
    own = CadencePolicy.objects.filter(person=person).values_list("interval_days", flat=True).first()
    if own:
        return own
    paths = [person.unit.path[:i] for i in range(len(person.unit.path), 0, -OrgUnit.steplen)]
    by_path = dict(CadencePolicy.objects.filter(unit__path__in=paths).values_list("unit__path", "interval_days"))
    for path in paths:
        if path in by_path:
            return by_path[path]
    return settings.TALK_CADENCE_DAYS


def _at_nine(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _seen_by(supervisor) -> Q:
    """Talks a supervisor's schedule may count from: normal ones, and restricted ones they led (a
    restricted talk's date reaches nobody else, not even as a due date)."""
    return Q(confidentiality=Talk.Confidentiality.NORMAL) | Q(led_by=supervisor)


def _open_talk_dues():
    return FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, status__in=FollowUp.ACTIVE_STATUSES)


def _schedule(*, actor, supervisor, person: Person, due_at: datetime, confidential: bool = False) -> bool:
    """One open cadence follow-up per (supervisor, person): the database refuses a second."""
    try:
        with transaction.atomic():
            services.followup_create(
                actor=actor,
                owner=supervisor,
                # Worded when shown, in the reader's language ("Heart-to-heart talk with ...").
                title_key=messages.TALK_DUE,
                title_params={"name": person.full_name},
                due_at=due_at,
                kind=FollowUp.Kind.TALK_DUE,
                subject=person,
                person=person,
                confidential=confidential,
            )
    except IntegrityError:
        return False  # another run scheduled it a moment ago
    return True


def _end(*, actor, followup: FollowUp, reason: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        services.followup_cancel(actor=actor, followup=followup, reason=_(reason))


def after_talk(*, actor, person: Person, talk: Talk) -> None:
    """A talk was logged: the leader's open "talk due" follow-ups for this person (including ones
    other apps asked for, e.g. a return-to-work talk) are done, and the next one is scheduled from
    the latest talk with the person. After a restricted talk the next one is confidential too, so
    its date does not give the talk away."""
    # Locked, so that a second talk with the person logged at the same moment waits for this one and
    # then finds the follow-up done (PostgreSQL re-reads a locked row's status) instead of completing
    # it again and failing.
    for f in _open_talk_dues().filter(owner=actor, person=person).select_for_update(of=("self",)):
        # Completed by a restricted talk, the follow-up's completion time would give the talk away.
        services.followup_complete(
            actor=actor,
            followup=f,
            outcome=_("Talk logged."),
            confidential=talk.is_restricted or None,
            by_record=True,
        )
    # A talk answers the person's request for one, whoever led it; a restricted one does not, or other
    # supervisors would see the request vanish and know a talk took place.
    if not talk.is_restricted:
        TalkRequest.objects.filter(person=person, answered_at__isnull=True).update(
            answered_at=timezone.now(), answered_by_talk=talk
        )
    latest = (
        Talk.objects.filter(participations__person=person)
        .filter(_seen_by(actor))
        .order_by("-held_at")
        .values_list("held_at", flat=True)
        .first()
    )
    next_day = timezone.localdate(max(talk.held_at, latest or talk.held_at)) + timedelta(days=cadence_days(person))
    _schedule(actor=actor, supervisor=actor, person=person, due_at=_at_nine(next_day), confidential=talk.is_restricted)


def after_amend(*, actor, person: Person, talk: Talk, old_held_at: datetime) -> None:
    """The talk's author amended it: a next talk due counted from its old date moves with the new
    one, and after a talk made restricted the next one is confidential too."""
    person_ct = ContentType.objects.get_for_model(Person)
    days = cadence_days(person)
    for f in _open_talk_dues().filter(owner=talk.led_by, person=person, subject_type=person_ct):
        counted_from_old = f.due_at == _at_nine(timezone.localdate(old_held_at) + timedelta(days=days))
        if talk.held_at != old_held_at and counted_from_old:
            latest = (
                Talk.objects.filter(participations__person=person)
                .filter(_seen_by(talk.led_by))
                .aggregate(last=Max("held_at"))["last"]
            )
            due = _at_nine(timezone.localdate(latest or talk.held_at) + timedelta(days=days))
            if due != f.due_at:
                services.followup_reschedule(actor=actor, followup=f, due_at=due, authorized=True)
        if talk.is_restricted:
            services.followup_make_confidential(actor=actor, followup=f, authorized=True)


def sync_person(*, actor, person: Person, first_due: datetime | None = None) -> None:
    """Make the talks owed to ``person`` match who supervises them now: an obligation of someone
    who no longer supervises them ends (one another app asked for goes to the nearest current
    supervisor instead), and each current supervisor without one is given one, due within
    FIRST_TALK_WITHIN (a change of post is a reason for a talk)."""
    supervisors = [] if person.status == Person.Status.LEFT else policy.supervisors_of(person)
    current = {u.pk: u for u in supervisors}
    person_ct = ContentType.objects.get_for_model(Person)
    owed = set()
    for f in _open_talk_dues().filter(person=person).select_related("owner"):
        if f.owner_id in current:
            if f.subject_type_id == person_ct.pk:
                owed.add(f.owner_id)
            continue
        if f.subject_type_id != person_ct.pk and supervisors:
            services.followup_reassign(actor=actor, followup=f, owner=supervisors[0])
        else:
            _end(actor=actor, followup=f, reason="The person no longer reports to this supervisor.")
    due = first_due or timezone.now() + FIRST_TALK_WITHIN
    for user_id, user in current.items():
        if user_id not in owed:
            _schedule(actor=actor, supervisor=user, person=person, due_at=due)


def sync_supervisor(*, actor, supervisor, now: datetime | None = None) -> int:
    """Make the talks ``supervisor`` owes match their reports now: obligations for people who are no
    longer their reports end; each report without one gets one (the last talk plus the cadence, or
    within FIRST_TALK_WITHIN if never talked to). Returns how many it scheduled."""
    now = now or timezone.now()
    policy.forget(supervisor)
    is_supervisor = supervisor.is_active and policy.can(supervisor, "talk.log")
    reports = list(policy.reports_of(supervisor).select_related("unit")) if is_supervisor else []
    by_id = {p.pk: p for p in reports}
    person_ct = ContentType.objects.get_for_model(Person)
    scheduled = set()
    for f in _open_talk_dues().filter(owner=supervisor):
        if f.person_id in by_id:
            if f.subject_type_id == person_ct.pk:
                scheduled.add(f.person_id)
            continue
        reason = (
            "The supervisor role ended." if not is_supervisor else "The person no longer reports to this supervisor."
        )
        _end(actor=actor, followup=f, reason=reason)
    missing = [p for p in reports if p.pk not in scheduled]
    last = dict(
        Talk.objects.filter(participations__person__in=missing)
        .filter(_seen_by(supervisor))
        .values_list("participations__person")
        .annotate(last=Max("held_at"))
        .values_list("participations__person", "last")
    )
    created = 0
    for person in missing:
        if person.pk in last:
            due = _at_nine(timezone.localdate(last[person.pk]) + timedelta(days=cadence_days(person)))
        else:
            due = now + FIRST_TALK_WITHIN
        created += _schedule(actor=actor, supervisor=supervisor, person=person, due_at=due)
    return created


def ensure_cadence(*, actor, now: datetime | None = None) -> int:
    """The daily reconciliation: every current supervisor owes each report one open "talk due", and
    nobody owes talks to people who are no longer theirs (roles that ended, people who moved while a
    receiver was failing). Idempotent. Returns how many follow-ups it scheduled."""
    supervisors = {u.pk: u for u in policy.holders_of_anywhere(Role.SUPERVISOR)}
    stale = _open_talk_dues().exclude(owner_id__in=supervisors).values_list("owner_id", flat=True)
    for owner in get_user_model().objects.filter(pk__in=set(stale)):
        sync_supervisor(actor=actor, supervisor=owner, now=now)
    return sum(sync_supervisor(actor=actor, supervisor=u, now=now) for u in supervisors.values())


# --- A talk due ends with a talk (issue: never by a bare "done") ---------------------------------------


def _log_url(followup: FollowUp) -> str | None:
    if followup.person_id is None:
        return None
    return f"{reverse('talks:new')}?{urlencode({'person': followup.person.external_id})}"


def after_set_aside(*, actor, followup: FollowUp, reason: str) -> None:
    """A talk due set aside (long leave, talked to outside the system, ...) comes back one cadence
    later; for someone who left, it does not (their obligations end with the lifecycle)."""
    if reason == FollowUp.SetAsideReason.LEFT or followup.person_id is None:
        return
    person = Person.objects.select_related("unit").get(pk=followup.person_id)
    if person.status == Person.Status.LEFT or not policy.supervises(followup.owner, person):
        return
    due = _at_nine(timezone.localdate() + timedelta(days=cadence_days(person)))
    _schedule(actor=actor, supervisor=followup.owner, person=person, due_at=due, confidential=followup.confidential)


TALK_DUE_CLOSURE = services.RecordClosure(
    action_label=lambda: _("Log the talk"), action_url=_log_url, after_set_aside=after_set_aside
)
