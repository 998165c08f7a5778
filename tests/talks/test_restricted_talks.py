"""Security findings around restricted talks and messages (each failed before its fix): a restricted
talk's agreed actions and its date reach only its leader and the action's owner; the audit browser
holds no agreed-action text; messages carry only what their channel may carry."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from talks.models import Talk
from talks.services import ActionInput, TalkInput, talk_create
from tests.conftest import ROLE_FROM, verified_login
from tests.factories import ACTOR, UserFactory, make_person
from wellbeing import services, tasks
from wellbeing.models import AuditEvent, FollowUp, Notification, Reminder, WebhookEndpoint

TZ = ZoneInfo("Asia/Shanghai")
SECRET_ACTION = "安排心理科复诊陪同"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def county_supervisor(org):
    """A supervisor of the whole county: above the town whose supervisor leads the restricted talk."""
    user = UserFactory(username="county_head")
    make_person(org.county, full_name="县领导", user=user)
    services.role_assign(actor=ACTOR, user=user, role="supervisor", unit=org.county, valid_from=ROLE_FROM)
    org.people["supervisor"].manager = user.person
    org.people["supervisor"].save(update_fields=["manager"])
    client = Client()
    verified_login(client, user)
    return client


@pytest.fixture
def restricted(org):
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["colleague"]],
            # Three days ago: never the same local day as the fixture's talk (held a day ago), whatever
            # the hour, so the other talk due on that day cannot look like this one's.
            held_at=timezone.now() - timedelta(days=3),
            confidentiality=Talk.Confidentiality.RESTRICTED,
            main_content="x",
            actions=[ActionInput(SECRET_ACTION, timezone.localdate() + timedelta(days=2))],
        ),
    )
    return talk, talk.actions.get().followup


def test_a_restricted_talks_actions_do_not_reach_other_supervisors(org, county_supervisor, restricted):
    _talk, action = restricted
    api = county_supervisor.get("/api/v1/follow-ups/", {"team": "true", "page_size": 500})
    assert api.status_code == 200
    assert action.pk not in {row["id"] for row in api.json()["results"]}
    assert SECRET_ACTION not in api.content.decode()
    page = county_supervisor.get("/follow-ups/team/", {"bucket": "upcoming"})
    assert page.status_code == 200 and SECRET_ACTION not in page.content.decode()
    assert county_supervisor.get(f"/follow-ups/{action.pk}/").status_code == 404
    assert county_supervisor.get(f"/api/v1/follow-ups/{action.pk}/").status_code == 404
    # Its leader still sees it.
    leader = Client()
    verified_login(leader, org.users["supervisor"])
    assert leader.get(f"/follow-ups/{action.pk}/").status_code == 200


def test_a_restricted_talks_date_cannot_be_worked_out_from_the_next_talk_due(org, county_supervisor, restricted):
    talk, _action = restricted
    next_due = FollowUp.objects.get(
        kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], owner=org.users["supervisor"], status="open"
    )
    assert next_due.confidential
    rows = county_supervisor.get("/api/v1/follow-ups/", {"team": "true", "page_size": 500}).json()["results"]
    assert next_due.pk not in {row["id"] for row in rows}
    expected = (timezone.localdate(talk.held_at) + timedelta(days=90)).isoformat()
    assert all(not row["due_at"].startswith(expected) for row in rows)


def test_the_audit_browser_holds_no_agreed_action_text(org, restricted, as_principal):
    assert not AuditEvent.objects.filter(target_label__contains=SECRET_ACTION).exists()
    changes = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)), ensure_ascii=False)
    assert SECRET_ACTION not in changes
    admin = as_principal("administrator")
    response = admin.get("/admin/wellbeing/auditevent/", {"q": SECRET_ACTION})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0  # (the search box echoes the query; no row holds it)
    listing = admin.get("/admin/wellbeing/auditevent/").content.decode()
    assert SECRET_ACTION not in listing


def test_agreed_action_text_is_not_stored_in_clear(org, restricted):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM talks_talkaction")
        stored = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT location FROM talks_talk")
        stored += [row[0] for row in cursor.fetchall()]
    assert stored and all(SECRET_ACTION not in (value or "") for value in stored)


def test_an_escalated_restricted_action_is_neutral_and_never_posted_to_a_group(
    org, county_supervisor, django_capture_on_commit_callbacks
):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as clock:
        talk = talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(
                main_content="谈了近况",
                participants=[org.people["colleague"]],
                held_at=at("2026-03-02 08:00"),
                confidentiality=Talk.Confidentiality.RESTRICTED,
                actions=[ActionInput(SECRET_ACTION, timezone.localdate())],
            ),
        )
        action = talk.actions.get().followup
        WebhookEndpoint.objects.create(name="group", url="http://127.0.0.1:9/", format="wecom")
        for day in ("2026-03-02 18:00", "2026-03-03 18:00", "2026-03-06 18:00"):
            clock.move_to(at(day))
            with django_capture_on_commit_callbacks(execute=True):
                tasks.scan_followups()
    escalated = Reminder.objects.get(followup=action, stage="escalated")
    assert escalated.recipient.username == "county_head"
    note = Notification.objects.get(reminder=escalated)
    assert SECRET_ACTION not in note.display_title and "李明" not in note.display_title
    assert f"#{action.pk}" in note.display_title and "张主任" in note.display_title  # what kind, which one, whose
    to_head = [m for m in mail.outbox if "county_head@" in m.to[0]]
    assert to_head and all(SECRET_ACTION not in m.body and "李明" not in m.body for m in to_head)
    # The owner's own message names their own item.
    to_owner = [m for m in mail.outbox if "supervisor@" in m.to[0]]
    assert any(SECRET_ACTION in m.body for m in to_owner)
    # The group robot carries counts and a link only.
    from wellbeing.models import Delivery
    from wellbeing.reminders.delivery import webhook_payload

    for delivery in Delivery.objects.filter(channel="webhook"):
        text = json.dumps(webhook_payload(delivery, list(Reminder.objects.all())), ensure_ascii=False)
        assert SECRET_ACTION not in text and "李明" not in text and "张主任" not in text


def test_a_new_supervisors_talk_due_does_not_count_from_a_restricted_talk(
    org, restricted, django_capture_on_commit_callbacks
):
    talk, _action = restricted
    newcomer = UserFactory(username="new_head")
    make_person(org.county, full_name="新主任", user=newcomer)
    with django_capture_on_commit_callbacks(execute=True):
        services.role_assign(actor=ACTOR, user=newcomer, role="supervisor", unit=org.town_a, valid_from=ROLE_FROM)
    due = FollowUp.objects.get(owner=newcomer, person=org.people["colleague"], kind=FollowUp.Kind.TALK_DUE)
    restricted_based = timezone.localdate(talk.held_at) + timedelta(days=90)
    assert timezone.localdate(due.due_at) != restricted_based
    assert timezone.localdate(due.due_at) <= timezone.localdate() + timedelta(days=14)  # "never talked to"


def test_the_talk_due_a_restricted_talk_completes_is_hidden_too(org, county_supervisor):
    before = FollowUp.objects.get(
        kind=FollowUp.Kind.TALK_DUE, person=org.people["staff"], owner=org.users["supervisor"], status="open"
    )
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["staff"]],
            held_at=timezone.now() - timedelta(hours=1),
            confidentiality=Talk.Confidentiality.RESTRICTED,
            main_content="x",
        ),
    )
    before.refresh_from_db()
    assert before.status == "done" and before.confidential
    done = county_supervisor.get("/api/v1/follow-ups/", {"team": "true", "bucket": "done", "page_size": 500})
    assert before.pk not in {row["id"] for row in done.json()["results"]}


def test_the_audit_trail_says_neither_who_nor_when_of_a_talk(org, restricted):
    talk, action = restricted
    row = AuditEvent.objects.get(target_type__model="talk", target_id=str(talk.pk), action=AuditEvent.Action.CREATE)
    assert row.changes["held_at"] == row.changes["participants"] == "[sensitive text changed]"
    assert str(timezone.localdate(talk.held_at)) not in row.target_label and row.subject_person is None
    created = AuditEvent.objects.get(target_type__model="followup", target_id=str(action.pk))
    assert created.changes["due_at"] == "[sensitive text changed]" and created.subject_person is None


def test_a_participant_of_a_restricted_group_talk_sees_only_the_actions_they_own(org, as_principal):
    from talks.selectors import actions_for_talk

    services.role_assign(
        actor=ACTOR, user=org.users["staff"], role="supervisor", unit=org.section_a1, valid_from=ROLE_FROM
    )
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            main_content="谈了近况",
            participants=[org.people["staff"], org.people["colleague"]],
            kind=Talk.Kind.GROUP,
            held_at=timezone.now() - timedelta(hours=1),
            confidentiality=Talk.Confidentiality.RESTRICTED,
            actions=[ActionInput(SECRET_ACTION, timezone.localdate(), person=org.people["colleague"])],
        ),
    )
    from wellbeing import policy

    policy.forget(org.users["staff"])
    assert actions_for_talk(user=org.users["staff"], talk=talk) == []


def test_an_escalated_confidential_item_carries_no_date(org, county_supervisor, django_capture_on_commit_callbacks):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as clock:
        talk = talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(
                main_content="谈了近况",
                participants=[org.people["colleague"]],
                held_at=at("2026-03-02 08:00"),
                confidentiality=Talk.Confidentiality.RESTRICTED,
                actions=[ActionInput(SECRET_ACTION, timezone.localdate())],
            ),
        )
        for day in ("2026-03-02 18:00", "2026-03-03 18:00", "2026-03-06 18:00"):
            clock.move_to(at(day))
            with django_capture_on_commit_callbacks(execute=True):
                tasks.scan_followups()
    assert talk.actions.get().followup.reminders.filter(stage="escalated").exists()
    to_head = [m for m in mail.outbox if "county_head@" in m.to[0]]
    assert to_head and all("2026-03-02" not in m.body for m in to_head)
