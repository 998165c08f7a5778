"""Every reminder and escalation about a case carries no clinical text (issue 10, "Done when"): the
in-app notifications, the e-mails, the webhook payloads and the WeCom / DingTalk messages of an
overdue case contact (and its escalation to the lead counsellor), a red contact and a break-glass
alert say "Case contact due: C-000001" (or the like), the tier and a link - never the person's
name, a note, the safety plan, a reason or the risk level."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.utils import translation

from cases import services
from tests.cases.test_services import add_counsellor, fresh, open_case
from tests.factories import ACTOR
from tests.support.work_services import WECOM, running
from wellbeing import services as core
from wellbeing.models import Delivery, FollowUp, Notification, Reminder, WebhookEndpoint
from wellbeing.reminders import delivery as delivery_mod
from wellbeing.tasks import scan_followups

TZ = ZoneInfo("Asia/Shanghai")
WECOM_AGENT = 1000002

NOTE = "自述与配偶争吵后整夜未眠"
ASSESSMENT = "存在轻生念头，暂无具体计划"
PLAN_TEXT = "把药品交由姐姐保管"
RISK_REASON = "昨晚发来告别信息"
FLAG_REASON = "曾有自伤史"
BG_REASON = "家属报告其失联"
SECRETS = (NOTE, ASSESSMENT, PLAN_TEXT, RISK_REASON, FLAG_REASON, BG_REASON)
RISK_RE = re.compile(r"\b(imminent|high|moderate|low)\b|危急|高风险|中风险|低风险", re.IGNORECASE)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(at("2027-03-01 09:00"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def wecom(settings):
    cache.clear()
    with running(WECOM, client_id="ww-corp-1", secret="wecom-app-secret", agent_id=WECOM_AGENT) as fake:
        settings.WECOM_CORP_ID, settings.WECOM_SECRET = "ww-corp-1", "wecom-app-secret"
        settings.WECOM_AGENT_ID, settings.WECOM_API_BASE = str(WECOM_AGENT), fake.url
        yield fake
    cache.clear()


@pytest.fixture
def channels(org, wecom):
    """Every channel on: a clinical webhook, WeCom ids for the counselling team."""
    WebhookEndpoint.objects.create(name="team", url="http://127.0.0.1:9/", include_clinical=True)
    for name in ("counsellor", "lead_counsellor"):
        core.person_set_work_ids(actor=ACTOR, person=org.people[name], wecom_user_id=f"wx-{name}")
    return wecom


def scan(clock, when: str, capture) -> list[tuple[str, str]]:
    clock.move_to(at(when))
    before = set(Reminder.objects.values_list("pk", flat=True))
    with capture(execute=True):
        scan_followups()
    return [(r.stage, r.recipient.username) for r in Reminder.objects.exclude(pk__in=before).order_by("id")]


def everything_sent(org, wecom) -> list[tuple[str, str]]:
    """(where, text) for every message the pipeline produced about a case (the fixture's own talks
    and actions aside), rendered in English and Chinese."""
    about_cases = FollowUp.objects.filter(subject_type__model="case")
    reminders = list(Reminder.objects.filter(followup__in=about_cases))
    team = {u.email for u in get_user_model().objects.filter(reminders__in=reminders)}
    out = []
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            for n in Notification.objects.filter(reminder__in=reminders).select_related("reminder__followup"):
                text = f"{n.display_title}\n{n.display_body}\n{n.url}\n{n.params}"
                out.append((f"notification {n.pk} {lang}", text))
    for m in mail.outbox:
        if set(m.to) & team:
            html = "".join(body for body, _ in getattr(m, "alternatives", []))
            out.append((f"mail to {m.to}", f"{m.subject}\n{m.body}\n{html}"))
    for d in Delivery.objects.filter(channel="webhook"):
        payload = delivery_mod.webhook_payload(d, reminders)
        out.append((f"webhook {d.pk}", json.dumps(payload, ensure_ascii=False)))
    out += [("wecom", json.dumps(m, ensure_ascii=False)) for m in wecom.messages]
    return out


def assert_clean(sent, *names):
    assert sent
    for where, text in sent:
        for secret in (*SECRETS, *names):
            assert secret not in text, (where, secret, text)
        assert not RISK_RE.search(text), (where, RISK_RE.search(text).group(0), text)


def test_an_overdue_case_contact_and_its_escalation_carry_no_clinical_text(
    org, clock, channels, django_capture_on_commit_callbacks
):
    counsellor, lead = org.users["counsellor"], org.users["lead_counsellor"]
    case = open_case(org, "colleague", risk="moderate")
    services.note_add(
        actor=counsellor,
        case=case,
        data=services.NoteInput(data=NOTE, assessment=ASSESSMENT, plan="每周联系", contact="in_person"),
    )
    services.safety_plan_save(actor=counsellor, case=case, sections={"safe_environment": PLAN_TEXT})
    services.flag_raise(actor=counsellor, case=case, kind="self_harm", reason=FLAG_REASON)
    services.risk_change(actor=counsellor, case=case, risk="high", reason=RISK_REASON)
    contact = fresh(case).contact_followup
    assert contact.due_at == at("2027-03-04 09:00") and contact.tier == "orange"

    cap = django_capture_on_commit_callbacks
    assert ("due", "counsellor") in scan(clock, "2027-03-04 09:00", cap)
    assert ("overdue", "counsellor") in scan(clock, "2027-03-04 11:00", cap)
    assert ("escalated", "lead_counsellor") in scan(clock, "2027-03-05 11:00", cap)
    assert Notification.objects.filter(recipient=lead).exists()
    assert Notification.objects.filter(recipient=counsellor).exists()
    assert any(lead.email in m.to for m in mail.outbox) and any(counsellor.email in m.to for m in mail.outbox)
    assert channels.texts_to("wx-lead_counsellor")

    sent = everything_sent(org, channels)
    # (The lead counsellor is told whose item it is - a colleague's name, not the person's.)
    assert_clean(sent, "李明", case.person.external_id)
    # What they do say: the kind of item and its number (counselling work is never named by more in a
    # message, docs/security.md "Messages"; the case's reference shows on the follow-up page), whose
    # it is for an escalation, the tier and a link.
    with translation.override("en"):
        titles = {n.display_title for n in Notification.objects.filter(reminder__followup=contact)}
        assert f"Case contact due: {case.reference}" == contact.display_title
    assert titles == {f"Case contact #{contact.pk}", f"Case contact #{contact.pk} (owner: 刘咨询)"}
    assert all(n.url for n in Notification.objects.filter(reminder__followup=contact))
    assert any(f"/follow-ups/{contact.pk}/" in text or f"/cases/{case.pk}/" in text for _, text in sent)
    assert {n.tier for n in Notification.objects.filter(reminder__followup=contact)} == {"orange"}


def test_a_red_contact_and_a_break_glass_alert_carry_no_clinical_text(
    org, clock, channels, django_capture_on_commit_callbacks
):
    counsellor = org.users["counsellor"]
    outsider = add_counsellor(org)
    case = open_case(org, "staff", risk="high")
    services.note_add(actor=counsellor, case=case, data=services.NoteInput(data=NOTE, assessment=ASSESSMENT))
    services.safety_plan_save(actor=counsellor, case=case, sections={"warning_signs": PLAN_TEXT})
    with django_capture_on_commit_callbacks(execute=True):
        services.risk_change(actor=counsellor, case=fresh(case), risk="imminent", reason=RISK_REASON)
    with django_capture_on_commit_callbacks(execute=True):
        services.break_glass(actor=outsider, case=fresh(case), reason=BG_REASON)
    red = fresh(case).contact_followup
    alert = FollowUp.objects.get(kind=FollowUp.Kind.CASE_ACTION, title_key="case.break_glass")
    assert Notification.objects.filter(reminder__followup=red, recipient=counsellor).exists()
    assert Notification.objects.filter(reminder__followup=alert, recipient=org.users["lead_counsellor"]).exists()
    assert any(m.subject.startswith("[Urgent]") for m in mail.outbox)
    # The red alert is escalated unacknowledged an hour later, still without clinical text.
    scan(clock, "2027-03-01 10:01", django_capture_on_commit_callbacks)

    sent = everything_sent(org, channels)
    assert_clean(sent, "王静", case.person.external_id)
    with translation.override("en"):
        assert {n.display_title for n in Notification.objects.filter(reminder__followup=red)} <= {
            f"Case contact #{red.pk}",
            f"Case contact #{red.pk} (owner: 刘咨询)",
        }
        assert {n.display_title for n in Notification.objects.filter(reminder__followup=alert)} == {
            f"Case action #{alert.pk}"
        }
        # On the follow-up page the lead reads which case and who opened it - nothing else.
        who = outsider.get_full_name() or outsider.username
        assert alert.display_title == f"Emergency access to case {case.reference} by {who}: review it"
    assert {n.tier for n in Notification.objects.filter(reminder__followup__in=[red, alert])} == {"red"}


def test_case_follow_up_titles_are_a_reference_only(org):
    """The follow-ups themselves (what every channel renders from) hold a message key and the case's
    reference - no free text."""
    case = open_case(org, "colleague", risk="high")
    services.closure_request(actor=org.users["counsellor"], case=case, outcome="stable", summary=NOTE)
    for f in FollowUp.objects.filter(subject_type__model="case"):
        assert f.title == "" and f.title_key.startswith("case.")
        assert set(f.title_params) <= {"ref", "name"} and f.title_params["ref"] == case.reference
