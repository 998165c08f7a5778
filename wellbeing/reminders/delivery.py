"""Delivering digests: e-mail through Django's e-mail backends, webhooks as signed JSON POSTs or
WeCom / DingTalk group-robot messages. At least once, with exponential back-off.

A delivery is claimed with a conditional UPDATE (compare-and-swap) that takes a lease, so two
workers never send it at the same time; a worker killed mid-send leaves the lease to expire, and the
next scan queues the delivery again. Messages carry titles (safe by design) and links, never case
details, screening results or talk content.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wellbeing.models import Delivery, Person, Reminder, Stage, Tier, WebhookEndpoint
from wellbeing.reminders.scan import message_title, owner_names

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A transient failure: the delivery is retried with back-off."""


def backoff(attempt: int) -> timedelta:
    seconds = settings.DELIVERY_RETRY_BASE_SECONDS * (2 ** max(attempt - 1, 0))
    return timedelta(seconds=min(seconds, settings.DELIVERY_RETRY_MAX_SECONDS))


def claim(delivery_id: int) -> Delivery | None:
    """Take the delivery if it is waiting (or its previous worker's lease ran out)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    claimed = Delivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=Delivery.Status.SENDING, lease_until=lease, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("recipient", "endpoint", "endpoint__unit").get(pk=delivery_id)


def _claimable(now) -> Q:
    return Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING, lease_until__lt=now)


def deliver(delivery_id: int) -> str:
    """Send one delivery. Returns its final status for this attempt."""
    delivery = claim(delivery_id)
    if delivery is None:
        return "skipped"
    items = digest_items(delivery)
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            send_email(delivery, items)
        else:
            send_webhook(delivery, items)
    except Exception as exc:
        return _failed(delivery, exc)
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), last_error="", lease_until=None, next_attempt_at=None
    )
    return Delivery.Status.SENT


def digest_items(delivery: Delivery) -> list[Reminder]:
    """The reminders a delivery carries: its digest run's, for its recipient or its endpoint."""
    qs = (
        Reminder.objects.filter(scan_id=delivery.scan_id)
        .select_related("followup", "recipient")
        .defer("followup__outcome")
        .order_by("scheduled_for", "id")
    )
    if delivery.channel == Delivery.Channel.EMAIL:
        return list(qs.filter(recipient_id=delivery.recipient_id))
    reminders = list(qs)
    paths = dict(
        Person.objects.filter(user_id__in={r.followup.owner_id for r in reminders}).values_list("user_id", "unit__path")
    )
    return [
        r
        for r in reminders
        if delivery.endpoint.accepts(
            tier=r.followup.tier, kind=r.followup.kind, owner_path=paths.get(r.followup.owner_id, "")
        )
    ]


def _failed(delivery: Delivery, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:500]
    attempts = delivery.attempts  # already incremented by the claim
    if attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        status, next_at = Delivery.Status.FAILED, None
    else:
        status, next_at = Delivery.Status.PENDING, timezone.now() + backoff(attempts)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, next_attempt_at=next_at, last_error=error, lease_until=None
    )
    logger.warning("delivery %s attempt %s failed: %s", delivery.key, attempts, type(exc).__name__)
    return status


# --- Content ------------------------------------------------------------------------------------------


def _items(reminders: list[Reminder], recipient_id: int | None) -> list[dict]:
    """One line per follow-up (its furthest stage in this digest), most urgent first. The title
    follows ``message_title``: the recipient's own non-clinical items by name, others neutrally."""
    best: dict[int, Reminder] = {}
    for r in reminders:
        kept = best.get(r.followup_id)
        if kept is None or Stage(r.stage).weight > Stage(kept.stage).weight:
            best[r.followup_id] = r
    names = owner_names(r.followup for r in best.values() if r.followup.owner_id != recipient_id)
    rows = []
    for r in best.values():
        f = r.followup
        rows.append(
            {
                "id": f.pk,
                "title": message_title(f, recipient_id, names.get(f.owner_id, "")),
                "stage": r.stage,
                "stage_label": Stage(r.stage).message,
                "tier": f.tier,
                "tier_label": Tier(f.tier).label,
                # A confidential item's date is its owner's alone (a next talk's date gives a
                # restricted talk away).
                "due_at": timezone.localtime(f.due_at) if not f.confidential or recipient_id == f.owner_id else None,
                "url": f"{settings.SITE_URL}/follow-ups/{f.pk}/",
            }
        )
    return sorted(rows, key=lambda row: (-Tier(row["tier"]).rank, row["due_at"] or timezone.now()))


def send_email(delivery: Delivery, reminders: list[Reminder]) -> None:
    """A personal channel: the recipient's own items by title and due date, nothing clinical."""
    with translation.override(settings.LANGUAGE_CODE):
        items = _items(reminders, delivery.recipient_id)
        context = {"items": items, "recipient": delivery.recipient, "site_url": settings.SITE_URL}
        subject = _("Tanxin: %(count)s follow-up(s) need your attention") % {"count": len(items)}
        if any(i["tier"] == Tier.RED for i in items):
            subject = _("[Urgent] ") + subject
        text = render_to_string("wellbeing/email/digest.txt", context)
        html = render_to_string("wellbeing/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[delivery.recipient.email],
        headers={
            "Message-ID": f"<delivery-{delivery.key.replace(':', '-')}@tanxin>",
            "X-Tanxin-Delivery": delivery.key,
        },
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)


def digest_counts(reminders: list[Reminder]) -> dict[str, dict[str, int]]:
    """How many follow-ups of each priority, and at each stage, a digest is about (each follow-up
    counted once, at its furthest stage)."""
    best: dict[int, Reminder] = {}
    for r in reminders:
        kept = best.get(r.followup_id)
        if kept is None or Stage(r.stage).weight > Stage(kept.stage).weight:
            best[r.followup_id] = r
    tiers = {t.value: 0 for t in Tier.most_urgent_first()}
    stages = {s.value: 0 for s in Stage}
    for r in best.values():
        tiers[r.followup.tier] += 1
        stages[r.stage] += 1
    return {"tiers": tiers, "stages": stages, "total": len(best)}


def webhook_payload(delivery: Delivery, reminders: list[Reminder]) -> dict:
    """A group channel (a chat group's robot, or a system we do not control): counts by priority and
    stage and a link, never a title, a name or anything clinical."""
    endpoint: WebhookEndpoint = delivery.endpoint
    counts = digest_counts(reminders)
    link = f"{settings.SITE_URL}/follow-ups/"
    with translation.override(settings.LANGUAGE_CODE):
        headline = _("Tanxin: %(count)s follow-up(s) need attention") % {"count": counts["total"]}
        lines = [f"- {Tier(tier).label}: {n}" for tier, n in counts["tiers"].items() if n] + [
            _("Open Tanxin to see them: %(url)s") % {"url": link}
        ]
    if endpoint.format == WebhookEndpoint.Format.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": "\n".join([f"**{headline}**", *lines])}}
    if endpoint.format == WebhookEndpoint.Format.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": headline, "text": "\n".join([f"### {headline}", *lines])}}
    return {
        "id": delivery.key,
        "event": "followups.digest",
        "created_at": timezone.now().isoformat(),
        "total": counts["total"],
        "tiers": counts["tiers"],
        "stages": counts["stages"],
        "url": link,
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_webhook(delivery: Delivery, reminders: list[Reminder]) -> None:
    endpoint = delivery.endpoint
    body = json.dumps(webhook_payload(delivery, reminders), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Tanxin-Delivery": delivery.key}
    url = endpoint.url
    timestamp = str(int(time.time()))
    if endpoint.format == WebhookEndpoint.Format.JSON:
        headers["X-Tanxin-Timestamp"] = timestamp
        if endpoint.secret:
            headers["X-Tanxin-Signature"] = "sha256=" + sign(endpoint.secret, timestamp, body)
    elif endpoint.format == WebhookEndpoint.Format.DINGTALK and endpoint.secret:
        # DingTalk robots' "加签": HMAC-SHA256 of "timestamp\nsecret", base64, in the query string.
        millis = str(int(time.time() * 1000))
        digest = hmac.new(endpoint.secret.encode(), f"{millis}\n{endpoint.secret}".encode(), hashlib.sha256).digest()
        sign_param = urllib.parse.quote_plus(base64.b64encode(digest))
        url = f"{url}{'&' if '?' in url else '?'}timestamp={millis}&sign={sign_param}"
    response = httpx.post(url, content=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}")
    if endpoint.format in (WebhookEndpoint.Format.WECOM, WebhookEndpoint.Format.DINGTALK):
        try:
            errcode = response.json().get("errcode", 0)
        except ValueError:
            errcode = 0
        if errcode:
            raise DeliveryError(f"robot errcode {errcode}")
