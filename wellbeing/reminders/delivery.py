"""Delivering digests: e-mail through Django's e-mail backends, personal WeCom / DingTalk work
notifications (``work_messages``), webhooks as signed JSON POSTs or WeCom / DingTalk group-robot
messages. At least once, with exponential back-off.

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
from django.utils.translation import ngettext

from wellbeing.models import Delivery, Person, Reminder, Stage, Tier, WebhookEndpoint
from wellbeing.reminders import work_messages
from wellbeing.reminders.scan import message_title, owner_names

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A transient failure: the delivery is retried with back-off."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (the service does not know the recipient, the channel was switched off):
    the delivery is failed at once, for an administrator to retry once it is fixed."""


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
        elif delivery.channel == Delivery.Channel.WECOM:
            send_wecom(delivery, items)
        elif delivery.channel == Delivery.Channel.DINGTALK:
            send_dingtalk(delivery, items)
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
    if delivery.channel in Delivery.PERSONAL_CHANNELS:
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
    if attempts >= settings.DELIVERY_MAX_ATTEMPTS or isinstance(exc, PermanentDeliveryError):
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


# --- WeCom and DingTalk work notifications (personal channels) ----------------------------------------

#: The longest text a work notification carries (WeCom's markdown limit is 2,048 bytes); the items
#: that do not fit are counted at the end ("and 3 more").
WORK_MESSAGE_MAX_BYTES = 2000
#: Characters that would format, link or break a line in WeCom's and DingTalk's markdown: a title shows
#: them as their full-width forms, so it stays plain text. (A title never starts a line, so "#" and
#: "-" cannot make a heading or a list, and without "[" and "]" no "(...)" becomes a link.)
MARKDOWN_PLAIN = str.maketrans(
    {
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "~": "～",
        "|": "｜",
        "\\": "＼",
        "\r": " ",
        "\n": " ",
    }
)


def work_message(delivery: Delivery, reminders: list[Reminder]) -> tuple[str, list[str], str]:
    """A personal work notification's headline, one markdown block per item and the closing line.
    Like the e-mail: the recipient's own items by title (``message_title``: others' and clinical items
    neutrally), their priority, stage and due time, each with its link; never case details, talk text,
    screening results or notes."""
    with translation.override(settings.LANGUAGE_CODE):
        items = _items(reminders, delivery.recipient_id)
        headline = _("Tanxin: %(count)s follow-up(s) need your attention") % {"count": len(items)}
        if any(i["tier"] == Tier.RED for i in items):
            headline = _("[Urgent] ") + headline
        due_label, open_label = _("Due"), _("Open")
        blocks = []
        for item in items:
            title = str(item["title"]).translate(MARKDOWN_PLAIN)
            line = f"- **{item['tier_label']}** · {item['stage_label']}: {title}"
            due = f"{due_label}: {item['due_at']:%Y-%m-%d %H:%M} · " if item["due_at"] else ""
            blocks.append(f"{line}\n  {due}[{open_label}]({item['url']})")
        footer = _("Open Tanxin to see and act on them. This message leaves out all details on purpose.")
    return headline, blocks, footer


def work_message_text(headline: str, blocks: list[str], footer: str) -> str:
    """The markdown of a work notification, at most ``WORK_MESSAGE_MAX_BYTES``: the items that do not
    fit are counted at the end."""

    def size(parts: list[str]) -> int:
        return len("\n".join(parts).encode("utf-8"))

    def more(count: int) -> list[str]:
        if not count:
            return []
        text = ngettext(
            "… and %(count)s more follow-up in Tanxin.", "… and %(count)s more follow-ups in Tanxin.", count
        )
        return [text % {"count": count}]

    with translation.override(settings.LANGUAGE_CODE):
        kept: list[str] = []
        for block in blocks:
            rest = len(blocks) - len(kept) - 1
            if size([headline, *kept, block, *more(rest), footer]) > WORK_MESSAGE_MAX_BYTES:
                break
            kept.append(block)
        return "\n".join([headline, *kept, *more(len(blocks) - len(kept)), footer])


def _work_user_id(delivery: Delivery, field: str, service: str) -> str:
    person = Person.objects.filter(user_id=delivery.recipient_id).only(field).first()
    user_id = getattr(person, field, "") if person is not None else ""
    if not user_id:
        raise PermanentDeliveryError(f"the recipient has no {service} user ID any more")
    return user_id


def send_wecom(delivery: Delivery, reminders: list[Reminder]) -> None:
    """A WeCom application message (企业微信应用消息) to the recipient's WeCom user id."""
    if not work_messages.wecom_configured():
        raise PermanentDeliveryError("WeCom is not configured (WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET)")
    user_id = _work_user_id(delivery, "wecom_user_id", "WeCom")
    headline, blocks, footer = work_message(delivery, reminders)
    try:
        work_messages.send_wecom_markdown(user_id=user_id, content=work_message_text(f"**{headline}**", blocks, footer))
    except work_messages.RecipientRejected as exc:
        raise PermanentDeliveryError(str(exc)) from None
    except work_messages.WorkMessageError as exc:
        raise DeliveryError(str(exc)) from None


def send_dingtalk(delivery: Delivery, reminders: list[Reminder]) -> None:
    """A DingTalk work notification (钉钉工作通知) to the recipient's DingTalk user id."""
    if not work_messages.dingtalk_configured():
        raise PermanentDeliveryError(
            "DingTalk is not configured (DINGTALK_APP_KEY, DINGTALK_APP_SECRET, DINGTALK_AGENT_ID)"
        )
    user_id = _work_user_id(delivery, "dingtalk_user_id", "DingTalk")
    headline, blocks, footer = work_message(delivery, reminders)
    try:
        work_messages.send_dingtalk_markdown(
            user_id=user_id, title=headline, text=work_message_text(f"### {headline}", blocks, footer)
        )
    except work_messages.RecipientRejected as exc:
        raise PermanentDeliveryError(str(exc)) from None
    except work_messages.WorkMessageError as exc:
        raise DeliveryError(str(exc)) from None


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
