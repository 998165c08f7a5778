"""Core data: the org tree, people, roles, API clients and the audit trail."""

from wellbeing.models.api_clients import ApiClient, Scope
from wellbeing.models.audit import AuditEvent
from wellbeing.models.base import TimeStampedModel
from wellbeing.models.followups import (
    Delivery,
    FollowUp,
    Notification,
    Reminder,
    ReminderPolicy,
    ScanRun,
    Stage,
    Tier,
    Unavailability,
    WebhookEndpoint,
)
from wellbeing.models.org import OrgUnit, Person
from wellbeing.models.referrals import Referral
from wellbeing.models.roles import Role, RoleAssignment, RoleSecurityPolicy

__all__ = [
    "ApiClient",
    "AuditEvent",
    "Delivery",
    "FollowUp",
    "Notification",
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
    "Stage",
    "Tier",
    "TimeStampedModel",
    "Unavailability",
    "WebhookEndpoint",
]
