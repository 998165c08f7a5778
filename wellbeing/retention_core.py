"""The core's record kinds for retention (``wellbeing.retention``): the audit trail, API calls, log-in
records, outgoing messages, the change feed, sessions, and people who left. Registered on import
from WellbeingConfig.ready(); the reasons for each period are in docs/data-lifecycle.md."""

from __future__ import annotations

from datetime import datetime

from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wellbeing.models import (
    AuditEvent,
    ChangeEntry,
    Delivery,
    FollowUp,
    Notification,
    Person,
    Referral,
    Screening,
)
from wellbeing.retention import (
    ANONYMISE,
    AUDIT_MINIMUM_DAYS,
    DELETE,
    LOG_MINIMUM_DAYS,
    RecordKind,
    cutoff_date,
    people_on_hold_excluded,
    register_check,
    register_kind,
)

#: The audit trail's own rows are append-only; on PostgreSQL a trigger lets a DELETE through only for
#: rows older than the cutoff this transaction names, and never for rows younger than the legal floor
#: (wellbeing/migrations/0023_retention.py).
_PURGE_SETTING = "SELECT set_config('tanxin.audit_purge_before', %s, true)"


def delete_audit_rows(pks: list[int], cutoff: datetime) -> int:
    """Delete audit entries past retention. The model refuses deletes (the trail is append-only for
    the application); retention is the one writer allowed to remove whole rows, and only old ones."""
    if not pks:
        return 0
    # The table name is quoted by the database backend; every value goes as a parameter.
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    placeholders = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PURGE_SETTING, [cutoff.isoformat()])
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN ({placeholders}) AND created_at < %s",
            [*pks, cutoff],
        )
        return cursor.rowcount


def _deleter(model):
    def apply(pks: list, cutoff: datetime) -> int:
        deleted, _per_model = model.objects.filter(pk__in=pks).delete()
        return deleted

    return apply


#: What a person's record says once anonymised: a neutral reference, in no language.
ANONYMOUS_PREFIX = "anon-"


def anonymise_people(pks: list[int], cutoff: datetime) -> int:
    """People who left long ago: their name, contact details, work IDs, birth date and post are
    replaced or cleared, their login made unusable and renamed, the notes of referrals about them and
    the answers of their remaining screenings cleared. Kept: the unit, gender, hire and service dates,
    the leaving date and status, and every score, tier and date the figures count."""
    now = timezone.now()
    users = get_user_model()
    count = 0
    # Updated in place rather than saved: a save would put the anonymised record on the HR change
    # feed as if it were a new person (the feed told HR systems of the leaving long ago).
    for pk, user_id in Person.objects.filter(pk__in=pks).values_list("pk", "user_id"):
        reference = f"{ANONYMOUS_PREFIX}{pk:06d}"
        Person.objects.filter(pk=pk).update(
            full_name=reference,
            name_pinyin="",
            external_id=reference,
            email="",
            phone="",
            position="",
            wecom_user_id="",
            dingtalk_user_id="",
            date_of_birth=None,
            anonymised_at=now,
            updated_at=now,
        )
        if user_id is not None:
            user = users.objects.get(pk=user_id)
            user.username = f"{ANONYMOUS_PREFIX}{user.pk:06d}"
            user.first_name = user.last_name = user.email = ""
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["username", "first_name", "last_name", "email", "is_active", "password"])
        count += 1
    Referral.objects.filter(person_id__in=pks).update(note="")
    Screening.objects.filter(person_id__in=pks).update(answers=[], review_reason="")
    # Follow-ups about them: the name worded into their titles ("Heart-to-heart talk with ..."), and
    # the free words of how each went or why it was put off.
    for followup in FollowUp.objects.filter(person_id__in=pks).only("pk", "person_id", "title_params"):
        if "name" in (followup.title_params or {}):
            params = {**followup.title_params, "name": f"{ANONYMOUS_PREFIX}{followup.person_id:06d}"}
            FollowUp.objects.filter(pk=followup.pk).update(title_params=params)
    FollowUp.objects.filter(person_id__in=pks).update(outcome="", snooze_reason="")
    return count


def register() -> None:
    register_kind(
        RecordKind(
            key="audit",
            label=_("audit trail"),
            default_days=5 * 365,
            anchor=_("the entry's time"),
            action=DELETE,
            due=lambda cutoff: AuditEvent.objects.filter(created_at__lt=cutoff).exclude(
                action=AuditEvent.Action.API_CALL
            ),
            apply=delete_audit_rows,
            minimum_days=AUDIT_MINIMUM_DAYS,
            minimum_basis="PIPL §55-56",
            order=10,
        )
    )
    register_kind(
        RecordKind(
            key="api_calls",
            label=_("API calls (audit entries of HR systems' calls)"),
            default_days=365,
            anchor=_("the call's time"),
            action=DELETE,
            due=lambda cutoff: AuditEvent.objects.filter(created_at__lt=cutoff, action=AuditEvent.Action.API_CALL),
            apply=delete_audit_rows,
            minimum_days=LOG_MINIMUM_DAYS,
            minimum_basis="网络安全法 §21",
            order=11,
        )
    )
    register_kind(
        RecordKind(
            key="access_log",
            label=_("log-in records"),
            default_days=365,
            anchor=_("the log-in's time"),
            action=DELETE,
            due=lambda cutoff: AccessLog.objects.filter(attempt_time__lt=cutoff),
            apply=_deleter(AccessLog),
            minimum_days=LOG_MINIMUM_DAYS,
            minimum_basis="网络安全法 §21",
            order=12,
        )
    )
    register_kind(
        RecordKind(
            key="login_attempts",
            label=_("failed log-in attempts"),
            default_days=365,
            anchor=_("the last attempt's time"),
            action=DELETE,
            due=lambda cutoff: AccessAttempt.objects.filter(attempt_time__lt=cutoff),
            apply=_deleter(AccessAttempt),
            minimum_days=LOG_MINIMUM_DAYS,
            minimum_basis="网络安全法 §21",
            order=13,
        )
    )
    register_kind(
        RecordKind(
            key="deliveries",
            label=_("sent and failed messages (e-mail, work messages, webhooks)"),
            default_days=365,
            anchor=_("the message's time"),
            action=DELETE,
            due=lambda cutoff: Delivery.objects.filter(
                created_at__lt=cutoff, status__in=[Delivery.Status.SENT, Delivery.Status.FAILED]
            ),
            apply=_deleter(Delivery),
            minimum_days=LOG_MINIMUM_DAYS,
            minimum_basis="网络安全法 §21",
            order=20,
        )
    )
    register_kind(
        RecordKind(
            key="notifications",
            label=_("in-app notifications"),
            default_days=365,
            anchor=_("the notification's time"),
            action=DELETE,
            due=lambda cutoff: Notification.objects.filter(created_at__lt=cutoff),
            apply=_deleter(Notification),
            minimum_days=LOG_MINIMUM_DAYS,
            minimum_basis="网络安全法 §21",
            order=21,
        )
    )
    register_kind(
        RecordKind(
            key="change_feed",
            label=_("the HR change feed"),
            default_days=365,
            anchor=_("the change's time"),
            action=DELETE,
            due=lambda cutoff: ChangeEntry.objects.filter(created_at__lt=cutoff),
            apply=_deleter(ChangeEntry),
            minimum_days=LOG_MINIMUM_DAYS,
            minimum_basis="网络安全法 §21",
            order=22,
        )
    )
    register_kind(
        RecordKind(
            key="sessions",
            label=_("expired sessions"),
            default_days=0,
            anchor=_("the session's expiry"),
            action=DELETE,
            due=lambda cutoff: Session.objects.filter(expire_date__lt=cutoff),
            apply=_deleter(Session),
            order=30,
        )
    )
    register_kind(
        RecordKind(
            key="people",
            label=_("people who left: name, contact details and login"),
            default_days=5 * 365,
            anchor=_("the leaving date"),
            action=ANONYMISE,
            due=lambda cutoff: people_on_hold_excluded(
                Person.objects.filter(
                    Q(status=Person.Status.LEFT, left_on__lt=cutoff_date(cutoff), anonymised_at__isnull=True)
                )
            ),
            apply=anonymise_people,
            order=90,
        )
    )
    register_check()


register()
