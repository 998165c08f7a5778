"""Personal work notifications through WeCom (企业微信应用消息) and DingTalk (钉钉工作通知), against local
fakes of both services (tests/support/work_services.py, real HTTP on 127.0.0.1): one message per
digest, retried on failure, failed after the last attempt or at once for an unknown user, the access
token cached and refreshed, never anything sensitive; the ids set by HR and the people API."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from talks.models import TalkAction
from talks.services import ActionInput, TalkInput, talk_create
from tests.factories import ACTOR
from tests.support.work_services import DINGTALK, WECOM, running
from wellbeing import selectors, services
from wellbeing.models import AuditEvent, Delivery, FollowUp, Person, Reminder, ScanRun
from wellbeing.reminders import delivery as delivery_mod
from wellbeing.reminders.scan import queue_digests, run_scan
from wellbeing.tasks import deliver, retry_deliveries, scan_followups

TZ = ZoneInfo("Asia/Shanghai")
WECOM_AGENT, DINGTALK_AGENT = 1000002, 2000003


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def no_cached_tokens():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def wecom(settings):
    with running(WECOM, client_id="ww-corp-1", secret="wecom-app-secret", agent_id=WECOM_AGENT) as fake:
        settings.WECOM_CORP_ID, settings.WECOM_SECRET = "ww-corp-1", "wecom-app-secret"
        settings.WECOM_AGENT_ID, settings.WECOM_API_BASE = str(WECOM_AGENT), fake.url
        yield fake


@pytest.fixture
def dingtalk(settings):
    with running(DINGTALK, client_id="ding-app-key", secret="ding-app-secret", agent_id=DINGTALK_AGENT) as fake:
        settings.DINGTALK_APP_KEY, settings.DINGTALK_APP_SECRET = "ding-app-key", "ding-app-secret"
        settings.DINGTALK_AGENT_ID, settings.DINGTALK_API_BASE = str(DINGTALK_AGENT), fake.url
        yield fake


def set_ids(person: Person, wecom: str = "", dingtalk: str = "") -> None:
    services.person_set_work_ids(actor=ACTOR, person=person, wecom_user_id=wecom, dingtalk_user_id=dingtalk)


def scan(clock, when: str, capture) -> list[Reminder]:
    """Move the clock and run the beat's scan task; its deliveries run after commit (eagerly)."""
    clock.move_to(at(when))
    before = set(Reminder.objects.values_list("pk", flat=True))
    with capture(execute=True):
        scan_followups()
    return list(Reminder.objects.exclude(pk__in=before))


def retry(clock, when: datetime, capture) -> None:
    clock.move_to(when)
    with capture(execute=True):
        retry_deliveries()


def work_deliveries(channel: str) -> list[Delivery]:
    return list(Delivery.objects.filter(channel=channel).order_by("id"))


# --- Delivered once ----------------------------------------------------------------------------------


def test_it_sends_one_wecom_and_one_dingtalk_message_per_digest(
    org, clock, wecom, dingtalk, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    set_ids(org.people["staff"], wecom="wangjing", dingtalk="ding-wangjing")
    tasks = [
        services.followup_create(
            actor=ACTOR, owner=org.users["staff"], title=f"整理台账{i}", due_at=at("2026-03-02 10:00")
        )
        for i in range(2)
    ]
    assert len(scan(clock, "2026-03-02 10:00", cap)) == 2
    channels = dict(Delivery.objects.values_list("channel", "status"))
    assert channels == {"email": "sent", "wecom": "sent", "dingtalk": "sent"}

    [wecom_text] = wecom.texts_to("wangjing")
    [dingtalk_text] = dingtalk.texts_to("ding-wangjing")
    for text in (wecom_text, dingtalk_text):
        assert "2 follow-up(s) need your attention" in text
        for f in tasks:
            assert f.title in text  # their own items, by title, with the due time and the link
            assert f"{django_settings.SITE_URL}/follow-ups/{f.pk}/" in text
        assert "Due: 2026-03-02 10:00" in text
    assert dingtalk.messages[0]["msg"]["markdown"]["title"] == "Tanxin: 2 follow-up(s) need your attention"
    assert wecom.messages[0]["enable_duplicate_check"] == 1  # WeCom also drops a resend within 4 hours

    # Nothing twice: the same scan again, the run's digests queued again, every task re-delivered.
    assert scan(clock, "2026-03-02 10:00", cap) == []
    run = ScanRun.objects.exclude(reminders=0).get()
    assert queue_digests(run) == []
    for d in Delivery.objects.all():
        deliver(d.pk)
        assert delivery_mod.deliver(d.pk) == "skipped"
    assert (len(wecom.messages), len(dingtalk.messages)) == (1, 1)
    assert Delivery.objects.filter(channel__in=["wecom", "dingtalk"]).count() == 2


def test_only_people_with_an_id_get_a_work_message_and_only_on_configured_channels(
    org, clock, wecom, settings, django_capture_on_commit_callbacks
):
    settings.DINGTALK_APP_KEY = settings.DINGTALK_APP_SECRET = settings.DINGTALK_AGENT_ID = ""
    set_ids(org.people["staff"], wecom="wangjing", dingtalk="ding-wangjing")  # DingTalk is off
    for owner in ("staff", "outsider"):  # the outsider has no ids
        services.followup_create(actor=ACTOR, owner=org.users[owner], title="整理台账", due_at=at("2026-03-02 10:00"))
    scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    got = sorted(Delivery.objects.values_list("channel", "recipient__username"))
    assert got == [("email", "outsider"), ("email", "staff"), ("wecom", "staff")]
    assert [m["touser"] for m in wecom.messages] == ["wangjing"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ("id", "PermanentDeliveryError: the recipient has no WeCom user ID any more"),
        ("settings", "PermanentDeliveryError: WeCom is not configured (WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET)"),
    ],
)
def test_a_message_whose_destination_went_away_meanwhile_fails_at_once(org, clock, wecom, settings, change, error):
    set_ids(org.people["staff"], wecom="wangjing")
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="整理台账", due_at=at("2026-03-02 10:00"))
    clock.move_to(at("2026-03-02 10:00"))
    run = services_run_scan()  # queued, not sent yet
    if change == "id":
        set_ids(org.people["staff"])  # HR removed the id
    else:
        settings.WECOM_SECRET = ""  # the channel was switched off
    [d] = work_deliveries("wecom")
    assert delivery_mod.deliver(d.pk) == "failed"
    d.refresh_from_db()
    assert (d.attempts, d.last_error) == (1, error)
    assert wecom.messages == [] and run.deliveries == 2


def services_run_scan() -> ScanRun:
    """A scan without running its queued deliveries."""
    return run_scan(timezone.now())


# --- Retried, failed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["errcode", "http"])
def test_a_failed_send_is_retried_with_backoff_then_sent(
    org, clock, wecom, dingtalk, settings, mode, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    settings.DELIVERY_RETRY_BASE_SECONDS = 60
    set_ids(org.people["staff"], wecom="wangjing", dingtalk="ding-wangjing")
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="整理台账", due_at=at("2026-03-02 10:00"))
    wecom.fail(2, mode)
    dingtalk.fail(1, mode)
    scan(clock, "2026-03-02 10:00", cap)
    [w], [d] = work_deliveries("wecom"), work_deliveries("dingtalk")
    for delivery, service in ((w, "wecom"), (d, "dingtalk")):
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at == at("2026-03-02 10:01")
        expected = "errcode -1: system busy" if mode == "errcode" else "HTTP 502"
        assert delivery.last_error == f"DeliveryError: {service}: {expected}"
    retry(clock, at("2026-03-02 10:01"), cap)
    w.refresh_from_db(), d.refresh_from_db()
    assert (w.status, w.attempts, w.next_attempt_at) == ("pending", 2, at("2026-03-02 10:03"))
    assert (d.status, d.attempts, d.last_error) == ("sent", 2, "")
    retry(clock, at("2026-03-02 10:03"), cap)
    w.refresh_from_db()
    assert (w.status, w.attempts) == ("sent", 3)
    assert (len(wecom.messages), len(dingtalk.messages)) == (1, 1)


def test_a_send_that_keeps_failing_is_marked_failed_and_an_administrator_can_retry_it(
    org, clock, wecom, dingtalk, settings, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    settings.DELIVERY_MAX_ATTEMPTS = 3
    set_ids(org.people["staff"], dingtalk="ding-wangjing")
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="整理台账", due_at=at("2026-03-02 10:00"))
    dingtalk.fail(100)
    scan(clock, "2026-03-02 10:00", cap)
    [d] = work_deliveries("dingtalk")
    for _attempt in range(2):
        d.refresh_from_db()
        retry(clock, d.next_attempt_at, cap)
    d.refresh_from_db()
    assert (d.status, d.attempts, d.next_attempt_at) == ("failed", 3, None)
    assert selectors.pipeline_status()["deliveries"]["failed"] == 1
    retry(clock, at("2026-03-03 10:00"), cap)  # failed is final for the sweep
    assert dingtalk.messages == []
    dingtalk.fail(0)
    with cap(execute=True):
        assert services.delivery_retry(actor=org.users["administrator"], delivery=d)
    d.refresh_from_db()
    assert d.status == "sent" and len(dingtalk.messages) == 1


@pytest.mark.parametrize(("channel", "errcode"), [("wecom", 81013), ("dingtalk", 33012)])
def test_a_user_the_service_does_not_know_fails_at_once(
    org, clock, wecom, dingtalk, channel, errcode, django_capture_on_commit_callbacks
):
    set_ids(org.people["staff"], wecom="nobody-here", dingtalk="nobody-here")
    {"wecom": wecom, "dingtalk": dingtalk}[channel].reject("nobody-here")
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="整理台账", due_at=at("2026-03-02 10:00"))
    scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    [d] = work_deliveries(channel)
    assert (d.status, d.attempts, d.next_attempt_at) == ("failed", 1, None)  # retrying cannot help
    assert d.last_error.startswith(f"PermanentDeliveryError: {channel}: errcode {errcode}")
    other = "dingtalk" if channel == "wecom" else "wecom"
    assert work_deliveries(other)[0].status == "sent"


# --- The access token ----------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["wecom", "dingtalk"])
def test_the_access_token_is_cached_and_fetched_again_when_it_expires(
    org, clock, wecom, dingtalk, channel, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    fake = {"wecom": wecom, "dingtalk": dingtalk}[channel]
    for name, user_id in (("staff", "wangjing"), ("supervisor", "zhangzhuren")):
        set_ids(org.people[name], **{channel: user_id})
        services.followup_create(actor=ACTOR, owner=org.users[name], title="整理台账", due_at=at("2026-03-02 10:00"))
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="第二件事", due_at=at("2026-03-02 11:00"))
    scan(clock, "2026-03-02 10:00", cap)
    assert len(fake.messages) == 2 and fake.token_requests == 1  # one token for both messages

    fake.expire_token()  # the service ends the token early (WeCom 42001; DingTalk 88 / sub_code 42001)
    scan(clock, "2026-03-02 11:00", cap)
    assert fake.token_requests == 2
    assert len(fake.messages) == 3 and "第二件事" in fake.texts_to("wangjing")[-1]
    [later] = [d for d in work_deliveries(channel) if d.scan.started_at >= at("2026-03-02 11:00")]
    assert (later.status, later.attempts) == ("sent", 1)  # refreshed within the same attempt
    sends = [path for method, path, _body in fake.raw if method == "POST"]
    assert fake.tokens[0] in sends[-2] and fake.tokens[1] in sends[-1]


def test_wrong_credentials_are_a_retried_failure_that_never_shows_the_secret(
    org, clock, wecom, settings, django_capture_on_commit_callbacks
):
    settings.WECOM_SECRET = "a-wrong-secret"
    set_ids(org.people["staff"], wecom="wangjing")
    services.followup_create(actor=ACTOR, owner=org.users["staff"], title="整理台账", due_at=at("2026-03-02 10:00"))
    scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    [d] = work_deliveries("wecom")
    assert (d.status, d.last_error) == ("pending", "DeliveryError: wecom: gettoken errcode 40001: invalid credential")
    assert "a-wrong-secret" not in d.last_error


# --- Nothing sensitive -----------------------------------------------------------------------------------


def test_work_messages_carry_no_sensitive_text(org, clock, wecom, dingtalk, django_capture_on_commit_callbacks):
    for name in ("staff", "supervisor", "counsellor", "lead_counsellor"):
        set_ids(org.people[name], wecom=f"wx-{name}", dingtalk=f"dd-{name}")
    # A restricted talk with an action the person owns: it escalates to their manager.
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["staff"]],
            held_at=at("2026-03-02 08:00"),
            main_content="SECRET-TALK-TEXT 家里的事",
            shared_summary="SECRET-SUMMARY",
            confidentiality="restricted",
            actions=[
                ActionInput(description="戒酒计划", due_date=date(2026, 3, 3), owner_kind=TalkAction.OwnerKind.PERSON)
            ],
        ),
    )
    restricted = talk.actions.get().followup
    assert restricted.confidential
    # An agreed action (not confidential) owned by the staff member: escalates to their manager too.
    other = services.followup_create(
        actor=org.users["supervisor"],
        owner=org.users["staff"],
        title="与同事谈家庭矛盾",
        kind=FollowUp.Kind.TALK_ACTION,
        person=org.people["colleague"],
        due_at=at("2026-03-03 18:00"),
    )
    # Counselling work: named by its kind only, even to its own counsellor; escalates to the lead.
    case = services.followup_create(
        actor=ACTOR,
        owner=org.users["counsellor"],
        title="SECRET-CASE 筛查结果高危",
        kind=FollowUp.Kind.CASE_CONTACT,
        person=org.people["colleague"],
        due_at=at("2026-03-03 18:00"),
    )
    # Long enough for every stage: due, overdue, the latest repeat, and the escalations.
    scan(clock, "2026-03-12 10:00", django_capture_on_commit_callbacks)
    assert Reminder.objects.filter(stage="escalated").count() == 3

    for fake, prefix in ((wecom, "wx"), (dingtalk, "dd")):
        sent = fake.received_text()
        for secret in ("SECRET-TALK-TEXT", "SECRET-SUMMARY", "SECRET-CASE", "筛查", "李明", "家里的事"):
            assert secret not in sent, (fake.kind, secret)
        # The owner is told their own items (not counselling work) by title.
        [own] = fake.texts_to(f"{prefix}-staff")
        assert "戒酒计划" in own and "与同事谈家庭矛盾" in own
        # Their manager: neutral lines, and no due time for the restricted talk's action.
        [manager] = fake.texts_to(f"{prefix}-supervisor")
        assert "戒酒计划" not in manager and "家庭矛盾" not in manager
        blocks = manager.split("\n- ")
        [restricted_block] = [b for b in blocks if f"#{restricted.pk} (owner: 王静)" in b]
        assert "Due" not in restricted_block
        [other_block] = [b for b in blocks if f"#{other.pk} (owner: 王静)" in b]
        assert "Due: 2026-03-03 18:00" in other_block
        for name in ("counsellor", "lead_counsellor"):
            [text] = fake.texts_to(f"{prefix}-{name}")
            assert f"Case contact #{case.pk}" in text


def test_a_long_digest_is_cut_to_fit_and_counts_the_rest(org, clock, wecom, django_capture_on_commit_callbacks):
    set_ids(org.people["staff"], wecom="wangjing")
    for i in range(40):
        services.followup_create(
            actor=ACTOR,
            owner=org.users["staff"],
            title=f"第{i}项 整理本单位全年的台账与报表",
            due_at=at("2026-03-02 10:00"),
        )
    scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    [text] = wecom.texts_to("wangjing")
    assert len(text.encode("utf-8")) <= delivery_mod.WORK_MESSAGE_MAX_BYTES
    shown = text.count("\n- ")
    assert 0 < shown < 40
    assert f"… and {40 - shown} more follow-ups in Tanxin." in text


def test_a_title_cannot_format_or_link_in_markdown(org, clock, wecom, django_capture_on_commit_callbacks):
    set_ids(org.people["staff"], wecom="wangjing")
    services.followup_create(
        actor=ACTOR,
        owner=org.users["staff"],
        title="**看这里** [点我](http://evil.example/)",
        due_at=at("2026-03-02 10:00"),
    )
    scan(clock, "2026-03-02 10:00", django_capture_on_commit_callbacks)
    [text] = wecom.texts_to("wangjing")
    assert "＊＊看这里＊＊ ［点我］(http://evil.example/)" in text
    assert "](http://evil" not in text


# --- Configuration -----------------------------------------------------------------------------------


def test_half_configured_credentials_are_reported(db, settings):
    settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID, settings.WECOM_SECRET = "ww-corp-1", "", ""
    settings.DINGTALK_APP_KEY = settings.DINGTALK_APP_SECRET = settings.DINGTALK_AGENT_ID = "x"
    problems = selectors.configuration_problems()
    assert "WeCom messages are half configured: set WECOM_AGENT_ID, WECOM_SECRET too, or unset the others." in problems
    assert not [p for p in problems if "DingTalk" in p]
    settings.WECOM_CORP_ID = ""
    assert not [p for p in selectors.configuration_problems() if "WeCom" in p]


# --- Setting the ids: HR officers, administrators, the people API ----------------------------------------


def person_url(person: Person) -> str:
    return f"/api/v1/people/{person.external_id}/"


def writer_client(scopes: str = "people:read,people:write") -> APIClient:
    _, token = services.api_client_create(actor=ACTOR, name=f"hr-sync-{scopes}", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_an_hr_officer_sets_the_ids_through_the_api_audited(org, as_principal):
    colleague = org.people["colleague"]
    response = as_principal("hr_officer", api=True).patch(
        person_url(colleague), {"wecom_user_id": " LiMing ", "dingtalk_user_id": "ding-liming"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["wecom_user_id"], response.json()["dingtalk_user_id"]) == ("LiMing", "ding-liming")
    colleague.refresh_from_db()
    assert (colleague.wecom_user_id, colleague.dingtalk_user_id) == ("LiMing", "ding-liming")
    event = AuditEvent.objects.filter(target_type__model="person", target_id=str(colleague.pk)).latest("id")
    assert event.actor_label == "hr_officer"
    assert event.changes["wecom_user_id"] == ["", "LiMing"]


def test_an_hr_system_with_people_write_sets_and_clears_an_id(org):
    colleague = org.people["colleague"]
    set_ids(colleague, wecom="LiMing", dingtalk="ding-liming")
    client = writer_client()
    response = client.patch(person_url(colleague), {"dingtalk_user_id": ""}, format="json")
    assert response.status_code == 200, response.json()
    colleague.refresh_from_db()
    assert (colleague.wecom_user_id, colleague.dingtalk_user_id) == ("LiMing", "")  # only what was sent
    assert client.get(person_url(colleague)).json()["wecom_user_id"] == "LiMing"


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("anonymous", 401),
        ("staff", 403),
        ("supervisor", 403),  # sees the person, may not change them
        ("lead_counsellor", 403),
        ("outsider_supervisor", 403),
        ("leading_group", 403),
        ("api_client", 403),  # people:read only
        ("api_client_no_scope", 403),
    ],
)
def test_nobody_else_may_set_the_ids(org, as_principal, principal, status):
    colleague = org.people["colleague"]
    response = as_principal(principal, api=True).patch(person_url(colleague), {"wecom_user_id": "x1"}, format="json")
    assert response.status_code == status
    assert set(response.json()) == {"message", "errors"}
    colleague.refresh_from_db()
    assert colleague.wecom_user_id == ""


def test_an_hr_officer_cannot_reach_people_outside_their_units(org, as_principal):
    outsider = org.people["outsider"]  # town B: not the HR officer's
    response = as_principal("hr_officer", api=True).patch(person_url(outsider), {"wecom_user_id": "x1"}, format="json")
    assert response.status_code == 404
    outsider.refresh_from_db()
    assert outsider.wecom_user_id == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"wecom_user_id": "wangjing"}, "wecom_user_id"),  # the staff member's already
        ({"dingtalk_user_id": "ding-wangjing"}, "dingtalk_user_id"),
        ({"wecom_user_id": "a|b"}, "wecom_user_id"),  # would reach two people
        ({"dingtalk_user_id": "a,b"}, "dingtalk_user_id"),
        ({"wecom_user_id": "-starts-with-dash"}, "wecom_user_id"),
        ({"wecom_user_id": "x" * 65}, "wecom_user_id"),
        ({"wecom_user_id": "王静"}, "wecom_user_id"),
        ({"wecom_user_id": "ok", "full_name": "改名"}, "full_name"),  # nothing else of the record
        ({}, "non_field_errors"),
    ],
)
def test_bad_or_taken_ids_are_refused_on_their_field(org, as_principal, body, field):
    set_ids(org.people["staff"], wecom="wangjing", dingtalk="ding-wangjing")
    colleague = org.people["colleague"]
    response = as_principal("hr_officer", api=True).patch(person_url(colleague), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    colleague.refresh_from_db()
    assert (colleague.wecom_user_id, colleague.full_name) == ("", "李明")


def test_a_taken_id_says_so(org, as_principal):
    set_ids(org.people["staff"], wecom="wangjing")
    response = as_principal("hr_officer", api=True).patch(
        person_url(org.people["colleague"]), {"wecom_user_id": "wangjing"}, format="json"
    )
    assert response.json()["errors"] == {"wecom_user_id": ["Another person already has this WeCom user ID."]}
    # Setting one's own id again is no conflict.
    response = as_principal("hr_officer", api=True).patch(
        person_url(org.people["staff"]), {"wecom_user_id": "wangjing"}, format="json"
    )
    assert response.status_code == 200


def test_an_id_taken_at_the_same_moment_is_a_field_error_too(org, monkeypatch):
    """Two requests pass validation together; the database's constraint refuses the second."""
    set_ids(org.people["staff"], wecom="wangjing")
    monkeypatch.setattr("wellbeing.services.people._validate", lambda instance, exclude=None: None)
    with pytest.raises(ValidationError) as refused:
        set_ids(org.people["colleague"], wecom="wangjing")
    assert refused.value.message_dict == {"wecom_user_id": ["Another person already has this user ID."]}


def test_put_takes_the_whole_hr_record(org, as_principal):
    # PUT is the HR sync's single-record write (issue 12): the record's name and unit are required.
    response = writer_client().put(person_url(org.people["colleague"]), {"wecom_user_id": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"full_name", "unit"}


def test_an_hr_officer_sets_the_ids_on_the_person_page(org, as_principal):
    client = as_principal("hr_officer")
    colleague = org.people["colleague"]
    page = client.get(f"/people/{colleague.external_id}/")
    assert f"/people/{colleague.external_id}/work-ids/" in page.content.decode()
    response = client.post(
        f"/people/{colleague.external_id}/work-ids/", {"wecom_user_id": "LiMing", "dingtalk_user_id": ""}
    )
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.wecom_user_id == "LiMing"
    assert "LiMing" in client.get(f"/people/{colleague.external_id}/").content.decode()
    # Someone else's id: the form says so and keeps what was typed.
    set_ids(org.people["staff"], dingtalk="ding-wangjing")
    response = client.post(
        f"/people/{colleague.external_id}/work-ids/", {"wecom_user_id": "LiMing", "dingtalk_user_id": "ding-wangjing"}
    )
    assert response.status_code == 400
    assert "Another person already has this DingTalk user ID." in response.content.decode()
    colleague.refresh_from_db()
    assert colleague.dingtalk_user_id == ""


def test_a_supervisor_sees_no_link_to_change_the_ids(org, as_principal):
    colleague = org.people["colleague"]
    page = as_principal("supervisor").get(f"/people/{colleague.external_id}/")
    assert page.status_code == 200
    assert "/work-ids/" not in page.content.decode()


def test_administrators_set_the_ids_in_the_admin_person_form(org, as_principal):
    page = as_principal("administrator").get(f"/admin/wellbeing/person/{org.people['colleague'].pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="wecom_user_id"' in content and 'name="dingtalk_user_id"' in content
