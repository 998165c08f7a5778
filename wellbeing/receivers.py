"""The core's own reactions: log-ins go to the audit trail, and when a person leaves or a role ends
the core's own kinds of follow-up (general follow-ups, referrals to take in) are closed or handed
on. Other apps handle their own kinds in their receivers (talks/receivers.py, ...)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wellbeing import lifecycle, services
from wellbeing.actors import ANONYMOUS, receiver_actor
from wellbeing.audit import audit_record
from wellbeing.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from wellbeing.models import AuditEvent, FollowUp, OrgUnit, Person, Role
from wellbeing.services import changes
from wellbeing.services.referrals import intake_owner


def logged_in(sender, request, user, **kwargs):
    now = timezone.now().timestamp()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now
    audit_record(actor=user, action=AuditEvent.Action.LOGIN, target=user, target_label=user.get_username())


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditEvent.Action.LOGOUT, target=user, target_label=user.get_username())


def login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password; the user name as typed is kept for investigation.
    username = str(credentials.get("username", ""))[:150]
    audit_record(actor=ANONYMOUS, action=AuditEvent.Action.LOGIN_FAILED, target_label=username)


def _reason(text: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # stored in the organisation's language
        return _(text)


@transaction.atomic
def person_left(sender, event, person, **kwargs):
    """General follow-ups about or owed by someone who left are closed; referrals they were to take
    in go to another lead counsellor. Counselling work about them stays open (duty of care)."""
    actor = receiver_actor("person_left", "wellbeing")
    general = FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES, kind=FollowUp.Kind.GENERAL)
    owned = Q(owner_id=person.user_id) if person.user_id else Q(pk__in=[])
    for followup in general.filter(Q(person=person) | owned):
        services.followup_cancel(actor=actor, followup=followup, reason=_reason("The person left."))
    if person.user_id:
        _hand_on_intake(actor, person.user)


@transaction.atomic
def role_ended(sender, event, assignment, **kwargs):
    """A lead counsellor whose role has ended hands the referrals they were to take in to another."""
    if assignment.role == Role.LEAD_COUNSELLOR and assignment.valid_until < timezone.localdate():
        _hand_on_intake(receiver_actor("role_ended", "wellbeing"), assignment.user)


def _hand_on_intake(actor, user) -> None:
    pending = FollowUp.objects.filter(
        owner=user, kind=FollowUp.Kind.REFERRAL_INTAKE, status__in=FollowUp.ACTIVE_STATUSES
    )
    if not pending.exists():
        return
    successor = intake_owner(exclude=user)  # no lead counsellor left: raises, and the event is retried
    for followup in pending:
        services.followup_reassign(actor=actor, followup=followup, owner=successor)


# --- The change feed: every save of a person or a unit, whatever path made it ------------------------

#: Person fields the feed shows: a save that touches none of them (a login linked) writes no line.
FEED_PERSON_FIELDS = frozenset(changes.PERSON_FEED_FIELDS)


def person_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and not FEED_PERSON_FIELDS & set(update_fields)):
        return
    manager = (
        Person.objects.filter(pk=instance.manager_id).values_list("external_id", flat=True).first()
        if instance.manager_id
        else None
    )
    unit_code = OrgUnit.objects.filter(pk=instance.unit_id).values_list("code", flat=True).first() or ""
    changes.record_many([changes.person_line(instance, unit_code=unit_code, manager_external_id=manager)])


def unit_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    parent = None
    if instance.depth and instance.depth > 1:
        parent = OrgUnit.objects.filter(path=instance.path[: -OrgUnit.steplen]).values_list("code", flat=True).first()
    changes.record_many([changes.unit_line(instance, parent_code=parent)])


def connect() -> None:
    post_save.connect(person_saved, sender=Person, dispatch_uid="wellbeing.feed.person")
    post_save.connect(unit_saved, sender=OrgUnit, dispatch_uid="wellbeing.feed.unit")
    user_logged_in.connect(logged_in, dispatch_uid="wellbeing.logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="wellbeing.logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="wellbeing.login_failed")
    lifecycle.person_left.connect(person_left, dispatch_uid="wellbeing.person_left")
    lifecycle.role_ended.connect(role_ended, dispatch_uid="wellbeing.role_ended")
