"""Core data: the org tree, people, roles, lifecycle events, follow-ups and the reminder pipeline,
referrals, screening questionnaires and results, check-ups, API clients and the audit trail."""

from wellbeing.models.api_clients import ApiClient, Scope
from wellbeing.models.audit import AuditEvent
from wellbeing.models.base import TimeStampedModel
from wellbeing.models.followups import FollowUp, ReminderPolicy, Stage, Tier, Unavailability
from wellbeing.models.instruments import (
    Instrument,
    InstrumentItem,
    InstrumentOption,
    ScoreBand,
    ScreeningTier,
    TierRule,
)
from wellbeing.models.lifecycle import LifecycleEvent
from wellbeing.models.org import OrgUnit, Person
from wellbeing.models.referrals import Referral
from wellbeing.models.reminders import Delivery, Notification, Reminder, ScanRun, WebhookEndpoint
from wellbeing.models.roles import Role, RoleAssignment, RoleSecurityPolicy
from wellbeing.models.screening import (
    CampaignInvitation,
    CrisisContact,
    OnCallShift,
    Screening,
    ScreeningCampaign,
    ScreeningConsent,
)
from wellbeing.models.sync import ChangeEntry, IdempotencyKey, SyncRunPart

__all__ = [
    "ApiClient",
    "AuditEvent",
    "CampaignInvitation",
    "ChangeEntry",
    "CrisisContact",
    "Delivery",
    "FollowUp",
    "IdempotencyKey",
    "Instrument",
    "InstrumentItem",
    "InstrumentOption",
    "LifecycleEvent",
    "Notification",
    "OnCallShift",
    "OrgUnit",
    "Person",
    "Referral",
    "Reminder",
    "ReminderPolicy",
    "Role",
    "RoleAssignment",
    "RoleSecurityPolicy",
    "ScanRun",
    "Scope",
    "ScoreBand",
    "Screening",
    "ScreeningCampaign",
    "ScreeningConsent",
    "ScreeningTier",
    "Stage",
    "SyncRunPart",
    "Tier",
    "TierRule",
    "TimeStampedModel",
    "Unavailability",
    "WebhookEndpoint",
]
