"""Writes with rules in the core (HackSoft style: ``<entity>_<action>(*, ...)``).

Every function validates, writes and appends to the audit trail inside one transaction. Views, API
views, admin, tasks and commands call these; none re-implements a rule.
"""

from wellbeing.services.followups import (
    followup_acknowledge,
    followup_cancel,
    followup_complete,
    followup_create,
    followup_reassign,
    followup_reschedule,
    followup_snooze,
    notification_mark_read,
)
from wellbeing.services.people import (
    PERSON_FIELDS,
    api_client_create,
    api_client_revoke,
    org_unit_create,
    org_unit_update,
    parse_scopes,
    person_create,
    person_mark_left,
    person_update,
    role_assign,
    role_end,
)
from wellbeing.services.referrals import URGENCY_TIERS, referral_acknowledge, referral_create

__all__ = [
    "PERSON_FIELDS",
    "URGENCY_TIERS",
    "api_client_create",
    "api_client_revoke",
    "followup_acknowledge",
    "followup_cancel",
    "followup_complete",
    "followup_create",
    "followup_reassign",
    "followup_reschedule",
    "followup_snooze",
    "notification_mark_read",
    "org_unit_create",
    "org_unit_update",
    "parse_scopes",
    "person_create",
    "person_mark_left",
    "person_update",
    "referral_acknowledge",
    "referral_create",
    "role_assign",
    "role_end",
]
