"""Every referral reaches the counselling intake at creation (issue 8, item 5): imminent risk (red) by
every channel at once; urgent, soon and routine referrals in the next scan's digest, exactly once; and
reminders follow when nobody acknowledges it within its tier's deadline."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from tests.factories import ACTOR, UserFactory
from wellbeing import services
from wellbeing.models import Notification, Referral, Reminder, Role, WebhookEndpoint
from wellbeing.tasks import scan_followups

TZ = ZoneInfo("Asia/Shanghai")
NOTE = "最近常说活着没意思"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


class Receiver(BaseHTTPRequestHandler):
    """A local stand-in for the counselling team's group robot (and for another unit's)."""

    requests: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).requests.append((self.path, self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0}')

    def log_message(self, *args):
        pass


@pytest.fixture
def hooks(org):
    """Two group channels: the counselling team's (takes counselling work) and a town's (does not)."""
    Receiver.requests = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    WebhookEndpoint.objects.create(name="counselling", url=f"{base}/team", include_clinical=True)
    WebhookEndpoint.objects.create(name="town", url=f"{base}/town", include_clinical=False)
    yield
    server.shutdown()


def posts_to(path: str) -> list[dict]:
    return [json.loads(body) for p, body in Receiver.requests if p == path]


@pytest.fixture
def clock(org):
    # After the org fixture (whose own referral was made at the real time, long after this clock).
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield traveller


def refer(org, urgency: str, capture) -> Referral:
    with capture(execute=True):
        return services.referral_create(
            actor=org.users["supervisor"], person=org.people["staff"], urgency=urgency, reason="family", note=NOTE
        )


def scan(clock, when: str, capture) -> list[tuple[str, int, str]]:
    """Run the beat's scan at ``when`` (deliveries eagerly after commit); the reminders it recorded."""
    clock.move_to(at(when))
    before = set(Reminder.objects.values_list("pk", flat=True))
    with capture(execute=True):
        scan_followups()
    return [
        (r.stage, r.repeat, r.recipient.username)
        for r in Reminder.objects.exclude(pk__in=before).select_related("recipient").order_by("id")
    ]


def lead_mail() -> list:
    return [m for m in mail.outbox if m.to == ["lead_counsellor@example.gov.cn"]]


def test_it_alerts_the_intake_by_every_channel_at_once_for_imminent_risk(
    org, clock, hooks, django_capture_on_commit_callbacks
):
    referral = refer(org, "imminent", django_capture_on_commit_callbacks)
    # No scan has run: the alert went out on commit.
    reminders = list(Reminder.objects.filter(followup=referral.followup))
    assert [(r.stage, r.recipient.username) for r in reminders] == [("alert", "lead_counsellor")]
    assert Notification.objects.filter(recipient=org.users["lead_counsellor"], reminder__in=reminders).count() == 1
    [message] = lead_mail()
    assert message.subject.startswith("[Urgent]")
    [team] = posts_to("/team")
    assert team["tiers"]["red"] == 1
    assert posts_to("/town") == []  # a unit's group channel never carries counselling work
    # Nothing clinical in any of it: not the person, not the reason, not the note.
    sent = message.body + message.alternatives[0][0] + json.dumps(team, ensure_ascii=False)
    for secret in ("王静", NOTE, "family difficulty", "家庭"):
        assert secret not in sent


def test_it_alerts_at_once_even_in_quiet_hours(org, clock, settings, django_capture_on_commit_callbacks):
    settings.FOLLOWUP_QUIET_HOURS = "22:00-07:00"
    clock.move_to(at("2026-03-02 23:30"))
    referral = refer(org, "imminent", django_capture_on_commit_callbacks)
    assert Reminder.objects.filter(followup=referral.followup, stage="alert").exists()
    assert len(lead_mail()) == 1


@pytest.mark.parametrize("urgency", ["urgent", "soon", "routine"])
def test_other_tiers_are_announced_in_the_next_digest_exactly_once(
    org, clock, hooks, urgency, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    referral = refer(org, urgency, cap)
    # Nothing before a scan...
    assert not Reminder.objects.filter(followup=referral.followup).exists()
    assert not Notification.objects.filter(recipient=org.users["lead_counsellor"]).exists()
    assert lead_mail() == [] and Receiver.requests == []
    # ...the next regular scan announces it (in-app, the e-mail digest, the team's channel)...
    assert scan(clock, "2026-03-02 09:01", cap) == [("new", 0, "lead_counsellor")]
    assert Notification.objects.filter(recipient=org.users["lead_counsellor"]).count() == 1
    [message] = lead_mail()
    assert not message.subject.startswith("[Urgent]")
    assert "/follow-ups/" in message.body and "王静" not in message.body and NOTE not in message.body
    [team] = posts_to("/team")
    assert team["stages"]["new"] == 1
    assert posts_to("/town") == []
    # ...and never again, however many scans follow before it is due.
    assert scan(clock, "2026-03-02 09:02", cap) == []
    assert scan(clock, "2026-03-02 12:00", cap) == []
    assert Notification.objects.filter(recipient=org.users["lead_counsellor"]).count() == 1
    assert len(lead_mail()) == 1 and len(posts_to("/team")) == 1


def test_quiet_hours_hold_a_non_urgent_announcement_until_morning(
    org, clock, settings, django_capture_on_commit_callbacks
):
    settings.FOLLOWUP_QUIET_HOURS = "22:00-07:00"
    cap = django_capture_on_commit_callbacks
    clock.move_to(at("2026-03-02 23:00"))
    refer(org, "urgent", cap)
    assert scan(clock, "2026-03-02 23:01", cap) == []
    assert scan(clock, "2026-03-03 06:59", cap) == []
    assert scan(clock, "2026-03-03 07:00", cap) == [("new", 0, "lead_counsellor")]


def test_an_urgent_referral_nobody_acknowledges_within_24_hours_is_overdue_then_escalates(
    org, clock, settings, django_capture_on_commit_callbacks
):
    settings.ESCALATION_SECOND_LINE_CLINICAL = ["counsellor"]  # the deputy in the counselling team
    cap = django_capture_on_commit_callbacks
    refer(org, "urgent", cap)
    assert scan(clock, "2026-03-02 09:01", cap) == [("new", 0, "lead_counsellor")]
    assert scan(clock, "2026-03-03 08:59", cap) == []
    assert scan(clock, "2026-03-03 09:00", cap) == [("due", 0, "lead_counsellor")]  # the 24 hours are up
    assert scan(clock, "2026-03-03 11:00", cap) == [("overdue", 0, "lead_counsellor")]  # orange: 2 h grace
    assert scan(clock, "2026-03-04 11:00", cap) == [("escalated", 0, "counsellor"), ("repeat", 1, "lead_counsellor")]


def test_acknowledging_stops_the_reminders(org, clock, as_principal, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    referral = refer(org, "urgent", cap)
    assert scan(clock, "2026-03-02 09:01", cap) == [("new", 0, "lead_counsellor")]
    clock.move_to(at("2026-03-02 10:00"))
    as_principal("lead_counsellor").post(f"/referrals/{referral.pk}/acknowledge/")
    for when in ("2026-03-03 09:00", "2026-03-03 11:00", "2026-03-05 11:00"):
        assert scan(clock, when, cap) == []


def test_acknowledged_before_the_next_scan_it_is_not_announced(org, clock, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    referral = refer(org, "soon", cap)
    services.referral_acknowledge(actor=org.users["lead_counsellor"], referral=referral)
    assert scan(clock, "2026-03-02 09:01", cap) == []
    assert lead_mail() == []


def test_an_unacknowledged_imminent_referral_escalates_to_another_lead_counsellor_within_the_hour(
    org, clock, django_capture_on_commit_callbacks
):
    """The alert goes to the intake owner (one person answers for it; the team's group channel tells the
    rest); if they do not acknowledge within the hour it escalates to the next lead counsellor."""
    deputy = UserFactory(username="deputy_lead", email="deputy@example.gov.cn")
    services.role_assign(actor=ACTOR, user=deputy, role=Role.LEAD_COUNSELLOR)
    cap = django_capture_on_commit_callbacks
    referral = refer(org, "imminent", cap)
    owner = referral.followup.owner.username
    assert [(r.stage, r.recipient.username) for r in Reminder.objects.filter(followup=referral.followup)] == [
        ("alert", owner)
    ]
    other = "deputy_lead" if owner == "lead_counsellor" else "lead_counsellor"
    assert scan(clock, "2026-03-02 09:59", cap) == []
    got = scan(clock, "2026-03-02 10:00", cap)
    assert ("escalated", 0, other) in got
    assert {who for _stage, _n, who in got} == {owner, other}  # the other lead counsellor hears only now
