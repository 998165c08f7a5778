"""Writes with rules in the core (HackSoft style: ``<entity>_<action>(*, ...)``).

Every function validates, writes and appends to the audit trail inside one transaction. Views, API
views, admin, tasks and commands call these; none re-implements a rule.
"""

from wellbeing.services.accounts import account_password_reset
from wellbeing.services.configuration import (
    configuration_delete,
    configuration_save,
    configuration_validate,
    two_factor_device_remove,
)
from wellbeing.services.followups import (
    RecordClosure,
    followup_acknowledge,
    followup_cancel,
    followup_complete,
    followup_create,
    followup_make_confidential,
    followup_reassign,
    followup_reschedule,
    followup_set_aside,
    followup_snooze,
    notification_mark_read,
    record_closure,
    register_record_closure,
)
from wellbeing.services.people import (
    PERSON_FIELDS,
    WORK_ID_FIELDS,
    api_client_create,
    api_client_revoke,
    api_client_rotate,
    api_client_set_rate_limit,
    org_unit_create,
    org_unit_update,
    parse_scopes,
    person_change_manager,
    person_create,
    person_leave,
    person_move,
    person_set_work_ids,
    person_update,
)
from wellbeing.services.referrals import (
    URGENCY_TIERS,
    referral_acknowledge,
    referral_close,
    referral_create,
    referral_take_in,
)
from wellbeing.services.reminders import delivery_retry
from wellbeing.services.roles import role_assign, role_confirm, role_end, role_refuse

__all__ = [
    "PERSON_FIELDS",
    "URGENCY_TIERS",
    "WORK_ID_FIELDS",
    "RecordClosure",
    "account_password_reset",
    "api_client_create",
    "api_client_revoke",
    "api_client_rotate",
    "api_client_set_rate_limit",
    "configuration_delete",
    "configuration_save",
    "configuration_validate",
    "delivery_retry",
    "followup_acknowledge",
    "followup_cancel",
    "followup_complete",
    "followup_create",
    "followup_make_confidential",
    "followup_reassign",
    "followup_reschedule",
    "followup_set_aside",
    "followup_snooze",
    "notification_mark_read",
    "org_unit_create",
    "org_unit_update",
    "parse_scopes",
    "person_change_manager",
    "person_create",
    "person_leave",
    "person_move",
    "person_set_work_ids",
    "person_update",
    "record_closure",
    "referral_acknowledge",
    "referral_close",
    "referral_create",
    "referral_take_in",
    "register_record_closure",
    "role_assign",
    "role_confirm",
    "role_end",
    "role_refuse",
    "two_factor_device_remove",
]
