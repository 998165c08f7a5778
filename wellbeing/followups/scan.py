"""The overdue scan.

One run (a ``ScanRun``) claims the follow-ups whose next stage is due, batch by batch, each batch in
its own transaction: it records their reminders and in-app notifications and writes back each
follow-up's pipeline state. Then the run queues one digest per recipient (e-mail) and per webhook
endpoint, for delivery after commit.

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
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wellbeing.followups.routing import RoleDirectory, Router
from wellbeing.followups.timing import TimingTable, in_quiet_hours, plan
from wellbeing.models import Delivery, FollowUp, Notification, Reminder, ScanRun, Stage, Tier, WebhookEndpoint

logger = logging.getLogger(__name__)

TIER_ORDER = [Tier.ROUTINE, Tier.YELLOW, Tier.ORANGE, Tier.RED]
#: A run older than this cannot still be alive (the scan task's hard time limit is shorter).
ABANDONED_AFTER = timedelta(minutes=5)


def stage_message(stage: str) -> str:
    return {
        Stage.ALERT: _("New urgent item"),
        Stage.DUE: _("Due now"),
        Stage.OVERDUE: _("Overdue"),
        Stage.ESCALATED: _("Escalated to you: overdue"),
        Stage.REPEAT: _("Still overdue"),
    }[stage]


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
    run: ScanRun, now: datetime, *, ids: list[int] | None = None, directory: RoleDirectory | None = None
) -> int:
    """Claim one batch of due follow-ups; record their reminders and in-app notifications.
    Returns how many follow-ups it claimed."""
    with transaction.atomic():
        followups = _claim(now, quiet=run.quiet_hours, batch=settings.FOLLOWUP_SCAN_BATCH, ids=ids)
        if not followups:
            return 0
        timings = TimingTable()
        router = Router(followups, now, directory)
        reminders: list[Reminder] = []
        for f in followups:
            p = plan(f, timings.for_followup(f), now)
            for due in p.due_now:
                recipient, routed_from = router.recipient(f, due.stage)
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
        return len(followups)


def _save_plans(followups: list[FollowUp]) -> None:
    """Write back each follow-up's pipeline state in one statement."""
    if connection.vendor != "postgresql":
        FollowUp.objects.bulk_update(followups, ["stages_sent", "repeats_sent", "next_action_at", "status"])
        return
    # Django's bulk_update builds a CASE per field and row; UPDATE ... FROM (VALUES ...) is one cheap pass.
    rows = [(f.pk, f.stages_sent, f.repeats_sent, f.next_action_at, f.status) for f in followups]
    values = ", ".join(["(%s::bigint, %s::smallint, %s::integer, %s::timestamptz, %s::varchar)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {FollowUp._meta.db_table} AS f
                SET stages_sent = v.stages_sent, repeats_sent = v.repeats_sent,
                    next_action_at = v.next_action_at, status = v.status
                FROM (VALUES {values}) AS v(id, stages_sent, repeats_sent, next_action_at, status)
                WHERE f.id = v.id""",
            [value for row in rows for value in row],
        )


def _notify_in_app(rows: list[tuple[int, int, int, str]], followups: dict[int, FollowUp]) -> None:
    """One inbox item per reminder, in the reminder's own transaction: exactly once."""
    link = reverse("followups:detail", args=[0]).removesuffix("0/")
    with translation.override(settings.LANGUAGE_CODE):
        messages = {stage: stage_message(stage) for stage in Stage.values}
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=recipient_id,
                reminder_id=reminder_id,
                title=followups[followup_id].title,
                body=messages[stage],
                url=f"{link}{followup_id}/",
                tier=followups[followup_id].tier,
            )
            for reminder_id, followup_id, recipient_id, stage in rows
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


# --- Digests -------------------------------------------------------------------------------------------


def endpoint_accepts(endpoint: WebhookEndpoint, *, tier: str, kind: str, owner_path: str) -> bool:
    """Whether a webhook endpoint wants a reminder: its priority floor, counselling work only where
    allowed, and owners in its unit (and below)."""
    if TIER_ORDER.index(tier) < TIER_ORDER.index(endpoint.min_tier):
        return False
    if kind in FollowUp.CLINICAL_KINDS and not endpoint.include_clinical:
        return False
    return endpoint.unit is None or owner_path.startswith(endpoint.unit.path)


def queue_digests(run: ScanRun) -> list[int]:
    """Create the run's digests - one e-mail per recipient with an address, one POST per webhook
    endpoint that wants any of its reminders - exactly once, and queue them after commit."""
    with transaction.atomic():
        run = ScanRun.objects.select_for_update().get(pk=run.pk)
        if run.digested_at is not None:
            return []
        reminders = Reminder.objects.filter(scan=run)
        deliveries = [
            Delivery(key=f"{run.pk}:email:{recipient_id}", channel=Delivery.Channel.EMAIL, recipient_id=recipient_id)
            for recipient_id in reminders.exclude(recipient__email="")
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
                if any(endpoint_accepts(endpoint, tier=t, kind=k, owner_path=p or "") for t, k, p in rows):
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
        transaction.on_commit(lambda: _enqueue(ids))
        return ids


def _enqueue(delivery_ids: list[int]) -> None:
    from wellbeing.tasks import deliver

    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)


def recover_abandoned_runs(now: datetime) -> int:
    """Queue the digests of runs that recorded reminders but died before queueing them."""
    abandoned = ScanRun.objects.filter(digested_at__isnull=True, reminders__gt=0, started_at__lt=now - ABANDONED_AFTER)
    count = 0
    for run in abandoned.order_by("started_at")[:100]:
        if queue_digests(run):
            count += 1
    return count


# --- Runs ------------------------------------------------------------------------------------------------


def run_scan(now: datetime | None = None, *, ids: list[int] | None = None, max_batches: int = 1000) -> ScanRun:
    """Process everything due (or only ``ids``), then queue the run's digests."""
    now = now or timezone.now()
    run = ScanRun.objects.create(started_at=timezone.now(), quiet_hours=in_quiet_hours(now))
    directory = RoleDirectory(now)
    for _batch in range(max_batches):
        if _scan_batch(run, now, ids=ids, directory=directory) < settings.FOLLOWUP_SCAN_BATCH:
            break
    run.refresh_from_db()
    if run.reminders:
        queue_digests(run)
    ScanRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    run.refresh_from_db()
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
