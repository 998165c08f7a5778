"""Check-ups (心理体检 campaigns): set one up, invite its people when it opens, end the open
invitations when it closes; and the reads of who has completed (never a result).

- ``campaign_create``: the lead counsellor or the leading group names the units (with everything
  below them), the questionnaires and the dates. A check-up that opens today invites as the
  transaction commits; later ones are invited by the daily task on their first day.
- ``campaign_invite``: every active person of the check-up's units with a login, who has not
  withdrawn their consent to screening and has no invitation yet, gets one: a personal follow-up
  (a reminder only they see, which never escalates) due at the end of the closing day. The unit of
  sending is unique in the database (one invitation per check-up and person), so a second run sends
  nothing twice; each person is handled on their own, so one bad row never blocks the others.
- ``campaign_close``: after the closing day, the invitations still open are cancelled.
- Supervisors see which of their reports have completed, the lead counsellor everyone; declining
  shows as "not completed" (taking part is voluntary, and declining is nobody else's business).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wellbeing import messages, policy
from wellbeing.actors import is_system, user_of
from wellbeing.audit import audit_record, diff
from wellbeing.models import (
    AuditEvent,
    CampaignInvitation,
    FollowUp,
    Instrument,
    OrgUnit,
    Person,
    Role,
    ScreeningCampaign,
    ScreeningConsent,
    Tier,
)
from wellbeing.services.followups import followup_cancel, followup_create

logger = logging.getLogger(__name__)


# --- Writes ------------------------------------------------------------------------------------------


def _may_manage(actor) -> None:
    if actor is None:
        raise TypeError("Say who acts: a user, an API principal or a SystemActor.")
    if not is_system(actor) and not policy.can(actor, "campaign.manage"):
        raise PermissionDenied(_("Only the lead counsellor or the leading group sets up a check-up."))


def invitation_due_at(campaign: ScreeningCampaign) -> datetime:
    """The end of the closing day, in the organisation's time zone."""
    return timezone.make_aware(datetime.combine(campaign.closes_on, time(23, 59)))


def campaign_errors(
    *, name: str, units: list[OrgUnit], instruments: list[Instrument], opens_on: date | None, closes_on: date | None
) -> dict[str, list[str]]:
    """What is wrong with a check-up's values, one list per field (empty: nothing). The form shows
    these next to its fields before the service is asked; the service refuses the same."""
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the check-up a name.")]
    elif len(name) > 120:
        errors["name"] = [_("Keep the name under 120 characters.")]
    if not units:
        errors["units"] = [_("Choose at least one unit.")]
    if not instruments:
        errors["instruments"] = [_("Choose at least one questionnaire.")]
    elif any(not i.is_active for i in instruments):
        errors["instruments"] = [_("Choose questionnaires that are in use.")]
    if opens_on is None:
        errors["opens_on"] = [_("Give the opening day.")]
    elif opens_on < today:
        errors["opens_on"] = [_("The opening day cannot be in the past.")]
    if closes_on is None:
        errors["closes_on"] = [_("Give the closing day.")]
    elif opens_on is not None and closes_on < opens_on:
        errors["closes_on"] = [_("The closing day cannot be before the opening day.")]
    elif closes_on > today + timedelta(days=366):
        errors["closes_on"] = [_("A check-up closes within a year.")]
    if opens_on is not None and opens_on > today + timedelta(days=366):
        errors["opens_on"] = [_("A check-up opens within a year.")]
    return errors


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    units: list[OrgUnit],
    instruments: list[Instrument],
    opens_on: date | None,
    closes_on: date | None,
) -> ScreeningCampaign:
    """Set up a check-up. Errors (one list per field): no name, no unit, no questionnaire in use, an
    opening day in the past, a closing day before the opening day. A check-up that opens today sends
    its invitations as soon as this transaction commits."""
    _may_manage(actor)
    creator = user_of(actor)
    if creator is None:
        raise PermissionDenied(_("A check-up is set up by a person signed in."))
    name = (name or "").strip()
    units = list(units or [])
    instruments = list(instruments or [])
    errors = campaign_errors(name=name, units=units, instruments=instruments, opens_on=opens_on, closes_on=closes_on)
    if errors:
        raise ValidationError(errors)
    campaign = ScreeningCampaign.objects.create(
        name=name,
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=creator,
    )
    campaign.units.set(units)
    campaign.instruments.set(instruments)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=campaign,
        changes=diff(
            {},
            {
                "name": name,
                "units": sorted(u.pk for u in units),
                "instruments": sorted(i.code for i in instruments),
                "opens_on": opens_on,
                "closes_on": closes_on,
            },
        ),
    )
    if campaign.is_open_on(timezone.localdate()):
        campaign_id = campaign.pk
        # Queued by name: the task module wraps this one (tasks -> campaigns, never back).
        transaction.on_commit(lambda: current_app.tasks[INVITE_TASK].delay(campaign_id))
    return campaign


#: The task that sends a check-up's invitations (wellbeing/screening/tasks.py).
INVITE_TASK = "wellbeing.screening_invite_campaign"


@dataclass(frozen=True)
class InviteResult:
    invited: int = 0
    already: int = 0  # invited by another run meanwhile (the database kept one)
    failed: int = 0  # set aside (logged); tried again on the next run


def withdrawn_consent_q(prefix: str = "") -> Q:
    """People who withdrew their consent to screening and have not given it again."""
    withdrawn = ScreeningConsent.objects.filter(withdrawn_at__isnull=False).values("person_id")
    current = ScreeningConsent.objects.filter(withdrawn_at__isnull=True).values("person_id")
    return Q(**{f"{prefix}pk__in": withdrawn}) & ~Q(**{f"{prefix}pk__in": current})


def people_to_invite(campaign: ScreeningCampaign) -> QuerySet[Person]:
    """Active people of the check-up's units (and below) with an active login, not invited yet, who
    have not withdrawn their consent to screening."""
    return (
        Person.objects.active()
        .filter(policy.subtree_q(list(campaign.units.all())))
        .filter(user__isnull=False, user__is_active=True)
        .exclude(campaign_invitations__campaign=campaign)
        .exclude(withdrawn_consent_q())
        .select_related("user")
        .order_by("pk")
    )


def _invite_one(actor, campaign: ScreeningCampaign, person: Person) -> CampaignInvitation:
    invitation = CampaignInvitation.objects.create(campaign=campaign, person=person)
    invitation.followup = followup_create(
        actor=actor,
        owner=person.user,
        title_key=messages.SCREENING_INVITED,
        title_params={"campaign": campaign.name},
        due_at=invitation_due_at(campaign),
        kind=FollowUp.Kind.SCREENING_INVITATION,
        tier=Tier.ROUTINE,
        subject=campaign,
        person=person,
        escalation=FollowUp.Escalation.NONE,
        confidential=True,
    )
    invitation.save(update_fields=["followup", "updated_at"])
    return invitation


def campaign_invite(*, actor, campaign: ScreeningCampaign) -> InviteResult:
    """Invite everyone of an open check-up who is not invited yet (idempotent: the daily task runs it
    while the check-up is open, so people who join its units are invited too). Nothing happens
    before the opening day or after the closing day."""
    _may_manage(actor)
    today = timezone.localdate()
    if not campaign.is_open_on(today):
        return InviteResult()
    invited = already = failed = 0
    for person in people_to_invite(campaign):
        try:
            with transaction.atomic():
                _invite_one(actor, campaign, person)
            invited += 1
        except IntegrityError:
            already += 1  # another run invited them meanwhile: the database kept one
        except Exception as exc:
            failed += 1
            logger.error(
                "check-up %s: inviting person %s failed (%s); tried again on the next run",
                campaign.pk,
                person.pk,
                type(exc).__name__,
            )
    if campaign.invited_at is None:
        campaign.invited_at = timezone.now()
        campaign.save(update_fields=["invited_at", "updated_at"])
    if invited or failed:
        logger.info("check-up %s: %s invited, %s set aside", campaign.pk, invited, failed)
    return InviteResult(invited=invited, already=already, failed=failed)


def campaign_close(*, actor, campaign: ScreeningCampaign) -> int:
    """After the closing day, cancel the invitations still open (each on its own). Returns how many."""
    _may_manage(actor)
    if campaign.closes_on >= timezone.localdate():
        return 0
    cancelled = 0
    for followup in FollowUp.objects.filter(
        campaign_invitation__campaign=campaign, status__in=FollowUp.ACTIVE_STATUSES
    ).order_by("pk"):
        try:
            with transaction.atomic():
                followup_cancel(actor=actor, followup=followup, reason="check-up closed", authorized=True)
            cancelled += 1
        except Exception as exc:
            logger.error(
                "check-up %s: closing invitation follow-up %s failed (%s)", campaign.pk, followup.pk, type(exc).__name__
            )
    return cancelled


@dataclass(frozen=True)
class DailyResult:
    invited: int = 0
    failed: int = 0
    closed: int = 0


def campaigns_daily(*, actor) -> DailyResult:
    """The daily run: invite for every open check-up, cancel what is left open of closed ones. One
    check-up failing never stops the others."""
    today = timezone.localdate()
    invited = failed = closed = 0
    for campaign in ScreeningCampaign.objects.filter(opens_on__lte=today, closes_on__gte=today).order_by("pk"):
        try:
            result = campaign_invite(actor=actor, campaign=campaign)
            invited += result.invited
            failed += result.failed
        except Exception as exc:
            failed += 1
            logger.error("check-up %s: invitations failed (%s)", campaign.pk, type(exc).__name__)
    ended = ScreeningCampaign.objects.filter(
        closes_on__lt=today,
        pk__in=CampaignInvitation.objects.filter(followup__status__in=FollowUp.ACTIVE_STATUSES).values("campaign_id"),
    )
    for campaign in ended.order_by("pk"):
        try:
            closed += campaign_close(actor=actor, campaign=campaign)
        except Exception as exc:
            logger.error("check-up %s: closing failed (%s)", campaign.pk, type(exc).__name__)
    return DailyResult(invited=invited, failed=failed, closed=closed)


# --- Reads -------------------------------------------------------------------------------------------


def _ancestor_paths(unit: OrgUnit) -> list[str]:
    step = OrgUnit.steplen
    return [unit.path[:end] for end in range(step, len(unit.path) + 1, step)]


def campaigns_visible_to(user) -> QuerySet[ScreeningCampaign]:
    """The check-ups a user may open: all of them for the lead counsellor and the leading group; for
    a supervisor, those that reach their units (above or below) or invite one of their reports."""
    access = policy.access_for(user)
    if not policy.can(user, "campaign.list"):
        return ScreeningCampaign.objects.none()
    if access.has(Role.LEAD_COUNSELLOR, Role.LEADING_GROUP):
        return ScreeningCampaign.objects.all()
    supervised = access.units_for(Role.SUPERVISOR)
    q = Q(invitations__person__in=policy.reports_of(access))
    for unit in supervised:
        q |= Q(units__path__startswith=unit.path) | Q(units__path__in=_ancestor_paths(unit))
    return ScreeningCampaign.objects.filter(pk__in=ScreeningCampaign.objects.filter(q).values("pk"))


def campaign_list_for_user(*, user) -> list[ScreeningCampaign]:
    if not policy.can(user, "campaign.list"):
        raise PermissionDenied
    return list(campaigns_visible_to(user).prefetch_related("instruments").order_by("-opens_on", "-pk"))


def campaign_get_for_user(*, user, campaign_id: int) -> ScreeningCampaign:
    """One check-up, or not found (also when the user may not see it)."""
    try:
        return campaigns_visible_to(user).prefetch_related("units", "instruments").get(pk=campaign_id)
    except (ScreeningCampaign.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class CompletionRow:
    person: Person
    completed: bool  # False also when declined: declining is never shown


def _completion_invitations(*, user, campaign: ScreeningCampaign) -> QuerySet[CampaignInvitation]:
    if not policy.can(user, "campaign.completion", campaign):
        raise PermissionDenied
    qs = CampaignInvitation.objects.filter(campaign=campaign)
    if not policy.access_for(user).has(Role.LEAD_COUNSELLOR):
        qs = qs.filter(person__in=policy.reports_of(user))
    return qs


def campaign_completion_for_user(*, user, campaign: ScreeningCampaign) -> list[CompletionRow]:
    """Who of the people invited has completed: a supervisor's reports, or everyone for the lead
    counsellor. Only completed / not completed (declining shows as not completed), never a result."""
    invitations = (
        _completion_invitations(user=user, campaign=campaign)
        .select_related("person__unit")
        .order_by("person__unit__path", "person__full_name", "person_id")
    )
    return [CompletionRow(person=i.person, completed=i.completed_at is not None) for i in invitations]


def campaign_not_completed_count(*, user, campaign: ScreeningCampaign) -> int:
    """How many of the people whose completion the user sees have not completed (a count)."""
    return _completion_invitations(user=user, campaign=campaign).filter(completed_at__isnull=True).count()


def open_campaigns(*, user, on: date | None = None) -> list[ScreeningCampaign]:
    on = on or timezone.localdate()
    return list(campaigns_visible_to(user).filter(opens_on__lte=on, closes_on__gte=on).order_by("closes_on", "pk"))


def reports_completion_counts(*, user, campaigns: list[ScreeningCampaign]) -> dict[int, tuple[int, int]]:
    """For a supervisor: per check-up, (reports invited, reports who have not completed yet), counts
    only (declining counts as not completed). One query."""
    if not policy.access_for(user).has(Role.SUPERVISOR) or not campaigns:
        return {}
    rows = (
        CampaignInvitation.objects.filter(campaign__in=campaigns, person__in=policy.reports_of(user))
        .values("campaign_id")
        .annotate(total=Count("id"), pending=Count("id", filter=Q(completed_at__isnull=True)))
        .order_by()
    )
    return {r["campaign_id"]: (r["total"], r["pending"]) for r in rows}
