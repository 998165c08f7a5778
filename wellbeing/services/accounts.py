"""Login accounts changed by administrators: audited, and a clinical account's takeover is visible.

An administrator may reset a password (a colleague locked out); on an account that holds a clinical
role that would let the administrator sign in as a counsellor, so the lead counsellors are told at
once, and the audit trail records who did it (never the password).
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from wellbeing import messages, policy
from wellbeing.audit import REDACTED, audit_record
from wellbeing.models import AuditEvent, Notification, Person, Role, RoleAssignment
from wellbeing.models.roles import CLINICAL_ROLES


@transaction.atomic
def account_password_reset(*, actor, user) -> None:
    """Record that ``actor`` set ``user``'s password, and tell the lead counsellors when the account
    holds (or waits for) a clinical role."""
    person = Person.objects.filter(user=user).first()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=user,
        subject_person=person,
        changes={"password": REDACTED},
        target_label=user.get_username(),
    )
    clinical = RoleAssignment.objects.filter(user=user, role__in=CLINICAL_ROLES).exclude(
        status=RoleAssignment.Status.REFUSED
    )
    if not clinical.exists():
        return
    name = person.full_name if person is not None else user.get_username()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=lead,
                message_key=messages.CLINICAL_PASSWORD_RESET,
                params={"name": name},
                url=reverse("home"),
            )
            for lead in policy.holders_of_anywhere(Role.LEAD_COUNSELLOR)
            if lead.pk != user.pk
        ]
    )
