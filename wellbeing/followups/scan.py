"""The overdue scan: claim follow-ups whose next stage is due, record their reminders, write the
in-app notifications, and queue one digest per recipient and channel for delivery after commit.

Safe to run concurrently (two beats, overlapping scans, a re-delivered task): follow-ups are claimed
with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, and a reminder is unique per (follow-up,
cycle, stage, repeat) in the database, so nothing is ever recorded - or sent - twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wellbeing.followups.routing import Router
from wellbeing.followups.timing import TimingTable, in_quiet_hours, plan
from wellbeing.models import Delivery, FollowUp, Notification, Person, Reminder, ScanRun, Stage, Tier, WebhookEndpoint

logger = logging.getLogger(__name__)

TIER_ORDER = [Tier.ROUTINE, Tier.YELLOW, Tier.ORANGE, Tier.RED]


@dataclass
class ScanResult:
    scan: ScanRun
    delivery_ids: list[int]


def stage_message(stage: str) -> str:
    return {
        Stage.ALERT: _("New urgent item"),
        Stage.DUE: _("Due now"),
        Stage.OVERDUE: _("Overdue"),
        Stage.ESCALATED: _("Escalated to you: overdue"),
        Stage.REPEAT: _("Still overdue"),
    }[stage]


def _claim(now: datetime, *, quiet: bool, batch: int, ids: list[int] | None) -> list[FollowUp]:
    qs = FollowUp.objects.filter(status__in=FollowUp.ACTIVE_STATUSES, next_action_at__lte=now)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if quiet:
        qs = qs.filter(tier=Tier.RED)  # quiet hours hold everything else until morning
    qs = qs.order_by("next_action_at")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:batch])


def _scan_batch(now: datetime, *, ids: list[int] | None = None) -> tuple[ScanRun, list[int], int]:
    quiet = in_quiet_hours(now)
    with transaction.atomic():
        scan = ScanRun.objects.create(started_at=timezone.now(), quiet_hours=quiet)
        followups = _claim(now, quiet=quiet, batch=settings.FOLLOWUP_SCAN_BATCH, ids=ids)
        if not followups:
            scan.finished_at = timezone.now()
            scan.save(update_fields=["finished_at"])
            return scan, [], 0
        timings = TimingTable()
        router = Router(followups, now)

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
                        scan=scan,
                    )
                )
            f.stages_sent, f.repeats_sent, f.next_action_at = p.stages_sent, p.repeats_sent, p.next_action_at
            if f.status == FollowUp.Status.SNOOZED and f.snoozed_until and f.snoozed_until <= now:
                f.status = FollowUp.Status.OPEN
        FollowUp.objects.bulk_update(followups, ["stages_sent", "repeats_sent", "next_action_at", "status"])
        # The unique constraint is the last line of defence: a row another scan already wrote is
        # skipped, and only this scan's rows go on to be delivered.
        Reminder.objects.bulk_create(reminders, ignore_conflicts=True)
        created = list(
            Reminder.objects.filter(scan=scan).select_related("followup", "recipient").order_by("recipient_id", "id")
        )
        deliveries = _notify(scan, created)
        scan.followups = len(followups)
        scan.reminders = len(created)
        scan.deliveries = len(deliveries)
        scan.finished_at = timezone.now()
        scan.save(update_fields=["followups", "reminders", "deliveries", "finished_at"])
        ids_to_send = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _enqueue(ids_to_send))
        return scan, ids_to_send, len(followups)


def _enqueue(delivery_ids: list[int]) -> None:
    from wellbeing.tasks import deliver

    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)


def _link(f: FollowUp) -> str:
    return reverse("followups:detail", args=[f.pk])


def _notify(scan: ScanRun, reminders: list[Reminder]) -> list[Delivery]:
    """In-app notifications (one per reminder) and digests (one per recipient per channel)."""
    if not reminders:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=r.recipient_id,
                    reminder=r,
                    title=r.followup.title,
                    body=stage_message(r.stage),
                    url=_link(r.followup),
                    tier=r.followup.tier,
                )
                for r in reminders
            ],
            ignore_conflicts=True,
        )
    by_recipient: dict[int, list[Reminder]] = defaultdict(list)
    for r in reminders:
        by_recipient[r.recipient_id].append(r)

    deliveries: list[Delivery] = []
    for recipient_id, items in by_recipient.items():
        if items[0].recipient.email:
            deliveries.append(
                Delivery(
                    key=f"{scan.pk}:email:{recipient_id}",
                    channel=Delivery.Channel.EMAIL,
                    recipient_id=recipient_id,
                    scan=scan,
                )
            )
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).select_related("unit"))
    webhook_items: dict[int, list[Reminder]] = defaultdict(list)
    if endpoints:
        owner_paths = dict(
            Person.objects.filter(user_id__in={r.followup.owner_id for r in reminders}).values_list(
                "user_id", "unit__path"
            )
        )
        for endpoint in endpoints:
            floor = TIER_ORDER.index(endpoint.min_tier)
            for r in reminders:
                f = r.followup
                if TIER_ORDER.index(f.tier) < floor or (f.is_clinical and not endpoint.include_clinical):
                    continue
                if endpoint.unit is not None and not owner_paths.get(f.owner_id, "").startswith(endpoint.unit.path):
                    continue
                webhook_items[endpoint.pk].append(r)
        for endpoint_id in webhook_items:
            deliveries.append(
                Delivery(
                    key=f"{scan.pk}:webhook:{endpoint_id}",
                    channel=Delivery.Channel.WEBHOOK,
                    endpoint_id=endpoint_id,
                    scan=scan,
                )
            )
    # Queued after commit below; the retry sweep only steps in if no attempt was made by then.
    first_retry = timezone.now() + timezone.timedelta(seconds=settings.DELIVERY_RETRY_BASE_SECONDS)
    for d in deliveries:
        d.next_attempt_at = first_retry
    Delivery.objects.bulk_create(deliveries)
    created = {d.key: d for d in Delivery.objects.filter(scan=scan)}
    through = Delivery.reminders.through
    links = []
    for recipient_id, items in by_recipient.items():
        d = created.get(f"{scan.pk}:email:{recipient_id}")
        if d is not None:
            links += [through(delivery_id=d.pk, reminder_id=r.pk) for r in items]
    for endpoint_id, items in webhook_items.items():
        d = created[f"{scan.pk}:webhook:{endpoint_id}"]
        links += [through(delivery_id=d.pk, reminder_id=r.pk) for r in items]
    through.objects.bulk_create(links)
    return list(created.values())


def run_scan(now: datetime | None = None, *, ids: list[int] | None = None, max_batches: int = 1000) -> list[ScanRun]:
    """Process everything due, batch by batch, each batch in its own transaction (one ScanRun each)."""
    now = now or timezone.now()
    runs: list[ScanRun] = []
    for _batch in range(max_batches):
        scan, _deliveries, claimed = _scan_batch(now, ids=ids)
        runs.append(scan)
        if claimed < settings.FOLLOWUP_SCAN_BATCH:
            break
    logger.info(
        "follow-up scan: %s follow-ups, %s reminders, %s messages",
        sum(r.followups for r in runs),
        sum(r.reminders for r in runs),
        sum(r.deliveries for r in runs),
    )
    return runs


def prune_scan_runs(now: datetime) -> int:
    """Forget empty scans older than a day (the health check needs only the latest)."""
    cutoff = now - timezone.timedelta(days=1)
    deleted, _ = ScanRun.objects.filter(started_at__lt=cutoff, reminders=0, deliveries=0).delete()
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
