"""Writes for the actions carried into a talk: open actions agreed in earlier talks with the same
people, ticked off as done in the new talk. Called by the talk page inside the same transaction as
``talks.services.talk_create``, so the talk and the ticks are saved together or not at all."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from talks import selectors
from talks.models import Talk, TalkAction
from wellbeing import policy, services


def carried_action_may_be_ticked(*, actor, action: TalkAction) -> bool:
    """Whether ``actor`` may mark an earlier action done in their talk: the policy's
    ``followup.manage`` on its follow-up (its owner; a supervisor of the owner for work that is not
    confidential)."""
    return action.followup is not None and policy.can(actor, "followup.manage", action.followup)


def _outcome(talk: Talk) -> str:
    # Stored in the organisation's language, like the follow-up titles the talks app writes.
    with translation.override(settings.LANGUAGE_CODE):
        day = formats.date_format(timezone.localdate(talk.held_at), "DATE_FORMAT")
        return _("Confirmed done in the talk of %(date)s.") % {"date": day}


@transaction.atomic
def carried_actions_complete(*, actor, talk: Talk, action_ids: list[int]) -> list[TalkAction]:
    """Complete the follow-ups of the earlier actions ``action_ids`` (open, about someone who took
    part in ``talk``, visible to ``actor`` and theirs to complete), with the talk as the outcome."""
    if not action_ids:
        return []
    carried: dict[int, TalkAction] = {}
    for participation in talk.participations.select_related("person"):
        for action in selectors.open_actions_for_person(user=actor, person=participation.person):
            if action.talk_id != talk.pk:
                carried[action.pk] = action
    if any(pk not in carried for pk in action_ids):
        raise ValidationError({"complete_actions": [_("Tick only open actions of the people in this talk.")]})
    done = []
    for pk in action_ids:
        action = carried[pk]
        if not carried_action_may_be_ticked(actor=actor, action=action):
            raise ValidationError(
                {
                    "complete_actions": [
                        _("%(owner)s marks “%(action)s” done, not you.")
                        % {"owner": _owner_name(action), "action": action.description}
                    ]
                }
            )
        services.followup_complete(
            actor=actor,
            followup=action.followup,
            outcome=_outcome(talk),
            # Completed by a restricted talk, the completion time would give the talk away.
            confidential=talk.is_restricted or None,
        )
        done.append(action)
    return done


def _owner_name(action: TalkAction) -> str:
    person = getattr(action.owner, "person", None)
    return person.full_name if person is not None else action.owner.get_username()
