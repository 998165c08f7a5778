"""The overdue scan.

One run (a ``ScanRun``) claims the follow-ups whose next stage is due, batch by batch, each batch in
its own transaction: it records their reminders and in-app notifications and writes back each
follow-up's pipeline state. Then the run creates one digest per recipient (e-mail, and WeCom /
DingTalk work notifications) and per webhook endpoint; the task that ran the scan queues them for delivery.

A bad row never blocks the others: when a batch fails, it is processed again one follow-up at a
time; the one that fails is set aside with its error (``scan_failures``, ``scan_error``) and retried
with back-off, and is counted where operators look (``pipeline_status``).

Safe to run concurrently (two beats, overlapping scans, a re-delivered task): follow-ups are claimed
with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, a reminder is unique per (follow-up,
cycle, stage, repeat) in the database, and a run's digests are created once, under a row lock. A
run that dies between its batches and its digests is completed by a later scan (its reminders and
in-app notifications are already safe).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from wellbeing.actors import task_actor
from wellbeing.audit import audit_record
from wellbeing.models import (
    AuditEvent,
    Delivery,
    FollowUp,
    Notification,
    Person,
    Reminder,
    ScanRun,
    Tier,
    WebhookEndpoint,
)
from wellbeing.reminders import work_messages
from wellbeing.reminders.routing import RoleDirectory, Router
from wellbeing.reminders.timing import TimingTable, in_quiet_hours, plan

logger = logging.getLogger(__name__)

#: Who the scan's own writes are recorded under when it runs outside its task (tests, the shell).
SCAN_ACTOR = task_actor("wellbeing.scan_followups")
#: A run older than this cannot still be alive (the scan task's hard time limit is shorter).
ABANDONED_AFTER = timedelta(minutes=5)
#: A follow-up the scan could not process is retried after 1, 2, 4 ... minutes, at most hourly.
SET_ASIDE_BASE = timedelta(minutes=1)
SET_ASIDE_MAX = timedelta(hours=1)


def message_title(f: FollowUp, recipient_id: int, owner_name: str = "") -> str:
    """What a message about ``f`` may say to ``recipient_id``, in the active language: the owner's own
    title, anyone else a neutral line (``FollowUp.message_title``)."""
    return f.message_title(recipient_id, owner_name)


def owner_names(followups) -> dict[int, str]:
    owners = {f.owner_id for f in followups}
    return dict(Person.objects.filter(user_id__in=owners).values_list("user_id", "full_name"))


#: What planning and routing read (never the encrypted outcome).
CLAIM_FIELDS = (
    "id",
    "owner_id",
    "title",
    "kind",
    "tier",
    "due_at",
    "grace",
    "escalation",
    "escalate_to_id",
    "status",
    "snoozed_until",
    "acknowledged_at",
    "created_at",
    "cycle",
    "stages_sent",
    "repeats_sent",
    "next_action_at",
    "confidential",
    "escalation_unrouted",
)


def _claim(now: datetime, *, quiet: bool, batch: int, ids: list[int] | None) -> list[FollowUp]:
    qs = FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES, next_action_at__lte=now)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if quiet:
        qs = qs.filter(tier=Tier.RED)  # quiet hours hold everything else until morning
    qs = qs.only(*CLAIM_FIELDS).order_by("next_action_at")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:batch])


def _scan_batch(
    run: ScanRun, now: datetime, *, ids: list[int] | None = None, directory: RoleDirectory, actor=SCAN_ACTOR
) -> int:
    """Claim one batch of due follow-ups and record their reminders and in-app notifications, in one
    transaction. If anything in the batch fails, the batch is rolled back and processed again one
    follow-up at a time, so a bad row is set aside (``_set_aside``) and every other one still goes
    out in this run. Returns how many follow-ups it claimed."""
    try:
        with transaction.atomic():
            followups = _claim(now, quiet=run.quiet_hours, batch=settings.FOLLOWUP_SCAN_BATCH, ids=ids)
            if followups:
                _process(run, now, followups, directory)
            return len(followups)
    except Exception:
        logger.warning("follow-up scan: a batch failed; processing it one follow-up at a time")
    batch_ids = list(
        FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES, next_action_at__lte=now)
        .filter(**({"pk__in": ids} if ids is not None else {}))
        .filter(**({"tier": Tier.RED} if run.quiet_hours else {}))
        .order_by("next_action_at")
        .values_list("pk", flat=True)[: settings.FOLLOWUP_SCAN_BATCH]
    )
    for followup_id in batch_ids:
        try:
            with transaction.atomic():
                claimed = _claim(now, quiet=run.quiet_hours, batch=1, ids=[followup_id])
                if claimed:
                    _process(run, now, claimed, directory)
        except Exception as exc:
            _set_aside(followup_id, now, exc, actor=actor)
    return len(batch_ids)


def _process(run: ScanRun, now: datetime, followups: list[FollowUp], directory: RoleDirectory) -> None:
    timings = TimingTable()
    router = Router(followups, now, directory)
    reminders: list[Reminder] = []
    for f in followups:
        p = plan(f, timings.for_followup(f), now)
        for due in p.due_now:
            routed = router.recipient(f, due.stage)
            if routed is None:
                # Nobody can be told (nobody above the owner, no second line): shown to operators.
                f.escalation_unrouted = True
                continue
            recipient, routed_from = routed
            reminders.append(
                Reminder(
                    followup=f,
                    cycle=f.cycle,
                    stage=due.stage,
                    repeat=due.repeat,
                    recipient_id=recipient,
                    routed_from_id=routed_from,
                    scheduled_for=due.at,
                    scan=run,
                )
            )
        f.stages_sent, f.repeats_sent, f.next_action_at = p.stages_sent, p.repeats_sent, p.next_action_at
        if f.status == FollowUp.Status.SNOOZED and f.snoozed_until and f.snoozed_until <= now:
            f.status = FollowUp.Status.OPEN
        f.scan_failures, f.scan_error = 0, ""
    _save_plans(followups)
    # The unique constraint is the last line of defence: a row another scan already wrote is
    # skipped, and only the rows written here get notifications (and this run's digests).
    Reminder.objects.bulk_create(reminders, ignore_conflicts=True, batch_size=1000)
    # A follow-up is claimed once per run, so this run's rows for this batch are exactly the ones
    # written here (a conflicting row belongs to another run, which notifies for it).
    rows = list(
        Reminder.objects.filter(scan=run, followup_id__in=[f.pk for f in followups]).values_list(
            "id", "followup_id", "recipient_id", "stage"
        )
    )
    _notify_in_app(rows, {f.pk: f for f in followups})
    ScanRun.objects.filter(pk=run.pk).update(
        followups=F("followups") + len(followups), reminders=F("reminders") + len(rows)
    )


def _set_aside(followup_id: int, now: datetime, exc: Exception, *, actor) -> None:
    """Record why a follow-up could not be processed and try it again later, with back-off. The audit
    trail says which task set it aside; the error itself is for operators (followup_status)."""
    logger.error("follow-up scan: follow-up %s set aside", followup_id, exc_info=exc)
    f = FollowUp.objects.filter(pk=followup_id).only("id", "kind", "scan_failures", "person_id").first()
    if f is None:
        return
    failures = min(f.scan_failures + 1, 32767)
    delay = min(SET_ASIDE_BASE * 2 ** min(failures - 1, 10), SET_ASIDE_MAX)
    with transaction.atomic():
        FollowUp.objects.filter(pk=followup_id).update(
            scan_failures=failures, scan_error=f"{type(exc).__name__}: {exc}"[:300], next_action_at=now + delay
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            target=f,
            changes={"scan_failures": [f.scan_failures, failures], "retry_at": [None, (now + delay).isoformat()]},
            reason="set aside by the reminder scan",
        )


def _save_plans(followups: list[FollowUp]) -> None:
    """Write back each follow-up's pipeline state in one statement."""
    if connection.vendor != "postgresql":
        FollowUp.objects.bulk_update(
            followups,
            [
                "stages_sent",
                "repeats_sent",
                "next_action_at",
                "status",
                "escalation_unrouted",
                "scan_failures",
                "scan_error",
            ],
        )
        return
    # Django's bulk_update builds a CASE per field and row; UPDATE ... FROM (VALUES ...) is one cheap pass.
    rows = [(f.pk, f.stages_sent, f.repeats_sent, f.next_action_at, f.status, f.escalation_unrouted) for f in followups]
    values = ", ".join(
        ["(%s::bigint, %s::smallint, %s::integer, %s::timestamptz, %s::varchar, %s::boolean)"] * len(rows)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {FollowUp._meta.db_table} AS f
                SET stages_sent = v.stages_sent, repeats_sent = v.repeats_sent,
                    next_action_at = v.next_action_at, status = v.status,
                    escalation_unrouted = v.unrouted, scan_failures = 0, scan_error = ''
                FROM (VALUES {values}) AS v(id, stages_sent, repeats_sent, next_action_at, status, unrouted)
                WHERE f.id = v.id""",
            [value for row in rows for value in row],
        )


def _notify_in_app(rows: list[tuple[int, int, int, str]], followups: dict[int, FollowUp]) -> None:
    """One inbox item per reminder, in the reminder's own transaction: exactly once. It is worded when
    shown, in the reader's language, from its reminder (``Notification.display_title``, following
    ``message_title``); an item to someone other than the owner keeps whose follow-up it is."""
    link = reverse("followups:detail", args=[0]).removesuffix("0/")
    names = owner_names(
        followups[followup_id]
        for _r, followup_id, recipient_id, _s in rows
        if recipient_id != followups[followup_id].owner_id
    )
    notifications = []
    for reminder_id, followup_id, recipient_id, _stage in rows:
        f = followups[followup_id]
        owner = names.get(f.owner_id, "") if recipient_id != f.owner_id else ""
        notifications.append(
            Notification(
                recipient_id=recipient_id,
                reminder_id=reminder_id,
                params={"owner": owner} if owner else {},
                url=f"{link}{followup_id}/",
                tier=f.tier,
            )
        )
    Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=1000)


# --- Digests -------------------------------------------------------------------------------------------


def queue_digests(run: ScanRun) -> list[int]:
    """Create the run's digests - one e-mail per recipient with an address (and an active login), one
    WeCom / DingTalk work notification per recipient with an active login and a user id there (when
    that service is configured), one POST per webhook endpoint that wants any of its reminders -
    exactly once (unique keys). Returns the ids of the deliveries to send; the caller (a task) queues
    them."""
    with transaction.atomic():
        run = ScanRun.objects.select_for_update().get(pk=run.pk)
        if run.digested_at is not None:
            return []
        reminders = Reminder.objects.filter(scan=run)
        deliveries = [
            Delivery(key=f"{run.pk}:email:{recipient_id}", channel=Delivery.Channel.EMAIL, recipient_id=recipient_id)
            for recipient_id in reminders.exclude(recipient__email="")
            .filter(recipient__is_active=True)
            .order_by()
            .values_list("recipient_id", flat=True)
            .distinct()
        ]
        work_channels = [
            (Delivery.Channel.WECOM, "wecom_user_id", work_messages.wecom_configured()),
            (Delivery.Channel.DINGTALK, "dingtalk_user_id", work_messages.dingtalk_configured()),
        ]
        for channel, id_field, configured in work_channels:
            if not configured:
                continue
            deliveries += [
                Delivery(key=f"{run.pk}:{channel}:{recipient_id}", channel=channel, recipient_id=recipient_id)
                for recipient_id in reminders.filter(recipient__is_active=True)
                .exclude(**{f"recipient__person__{id_field}": ""})
                .filter(**{f"recipient__person__{id_field}__isnull": False})
                .order_by()
                .values_list("recipient_id", flat=True)
                .distinct()
            ]
        endpoints = list(WebhookEndpoint.objects.filter(is_active=True).select_related("unit"))
        if endpoints:
            rows = list(
                reminders.values_list("followup__tier", "followup__kind", "followup__owner__person__unit__path")
            )
            for endpoint in endpoints:
                if any(endpoint.accepts(tier=t, kind=k, owner_path=p or "") for t, k, p in rows):
                    deliveries.append(
                        Delivery(
                            key=f"{run.pk}:webhook:{endpoint.pk}", channel=Delivery.Channel.WEBHOOK, endpoint=endpoint
                        )
                    )
        # Queued after commit below; the retry sweep steps in only if no attempt was made by then.
        first_retry = timezone.now() + timedelta(seconds=settings.DELIVERY_RETRY_BASE_SECONDS)
        for delivery in deliveries:
            delivery.scan, delivery.next_attempt_at = run, first_retry
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        ids = list(Delivery.objects.filter(scan=run).values_list("pk", flat=True))
        ScanRun.objects.filter(pk=run.pk).update(digested_at=timezone.now(), deliveries=len(ids))
        return ids


def recover_abandoned_runs(now: datetime) -> list[int]:
    """Create the digests of runs that recorded reminders but died before creating them. Returns the
    ids of the deliveries to send."""
    abandoned = ScanRun.objects.filter(digested_at__isnull=True, reminders__gt=0, started_at__lt=now - ABANDONED_AFTER)
    ids: list[int] = []
    for run in abandoned.order_by("started_at")[:100]:
        ids += queue_digests(run)
    return ids


# --- Runs ------------------------------------------------------------------------------------------------


def run_scan(
    now: datetime | None = None,
    *,
    ids: list[int] | None = None,
    max_batches: int = 1000,
    actor=SCAN_ACTOR,
    quiet_hours: bool | None = None,
) -> ScanRun:
    """Process everything due (or only ``ids``), then create the run's digests; their ids are in
    ``run.delivery_ids`` for the caller to queue."""
    now = now or timezone.now()
    # ``quiet_hours=False``: the demo seeds its inboxes whatever the time; the beat always asks the clock.
    quiet = in_quiet_hours(now) if quiet_hours is None else quiet_hours
    run = ScanRun.objects.create(started_at=timezone.now(), quiet_hours=quiet)
    directory = RoleDirectory(now)
    for _batch in range(max_batches):
        if _scan_batch(run, now, ids=ids, directory=directory, actor=actor) < settings.FOLLOWUP_SCAN_BATCH:
            break
    run.refresh_from_db()
    delivery_ids = queue_digests(run) if run.reminders else []
    ScanRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    run.refresh_from_db()
    run.delivery_ids = delivery_ids
    logger.info(
        "follow-up scan: %s follow-ups, %s reminders, %s messages", run.followups, run.reminders, run.deliveries
    )
    return run


def prune_scan_runs(now: datetime) -> int:
    """Forget empty runs older than a day (the health check needs only the latest)."""
    deleted, _ = ScanRun.objects.filter(started_at__lt=now - timedelta(days=1), reminders=0).delete()
    return deleted


def due_for_retry(now: datetime) -> list[int]:
    """Deliveries waiting for a retry, or claimed by a worker that died (lease expired)."""
    return list(
        Delivery.objects.filter(
            Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Delivery.Status.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
