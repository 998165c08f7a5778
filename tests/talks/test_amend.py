"""Amending a saved talk (its author, within TALK_AMEND_DAYS) and annotating it after that (issue 8,
item 4): every version is kept, encrypted, and the audit trail names the fields, never the text."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from talks.models import Talk, TalkAnnotation, TalkVersion
from talks.services import ActionInput, TalkInput, talk_create
from talks.views_amend import talk_saved_message
from tests.conftest import ROLE_FROM, client_for, verified_login
from tests.factories import ACTOR
from wellbeing import services
from wellbeing.audit import REDACTED
from wellbeing.models import AuditEvent, FollowUp, Role

OLD_NOTE = "最近加班多，睡眠不好"  # the org fixture's talk (tests/conftest.py)
OLD_SUMMARY = "已约定下月调整值班"
NEW_NOTE = "加班减少了，睡眠仍不太好"


def _form(talk: Talk, **changes) -> dict:
    """The amend form as the page fills it, with ``changes``."""
    data = {
        "held_at": timezone.localtime(talk.held_at).strftime("%Y-%m-%dT%H:%M"),
        "mood": talk.mood or "",
        "mood_tags": talk.mood_tags,
        "main_content": talk.main_content,
        "difficulties": talk.difficulties,
        "suggestions": talk.suggestions,
        "shared_summary": talk.shared_summary,
        "location": talk.location,
        "duration_minutes": talk.duration_minutes or "",
        "confidentiality": talk.confidentiality,
    }
    data.update(changes)
    return data


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _audit_text() -> str:
    return json.dumps(list(AuditEvent.objects.values_list("changes", "target_label", "reason")), ensure_ascii=False)


def _second_supervisor_of_town_a(org):
    """The HR officer of town A also supervises it: sees who/when of the talk, never its text."""
    services.role_assign(
        actor=ACTOR, user=org.users["hr_officer"], role=Role.SUPERVISOR, unit=org.town_a, valid_from=ROLE_FROM
    )
    return client_for(org, "hr_officer")


def _later(days: int):
    return time_machine.travel(timezone.now() + timedelta(days=days), tick=False)


def _client(user) -> Client:
    client = Client()
    verified_login(client, user)
    return client


# --- Amending within the window ------------------------------------------------------------------


def test_it_lets_the_author_amend_within_the_window_and_keeps_the_earlier_version(as_principal, org):
    talk = org.talk
    client = as_principal("supervisor")
    page = client.get(f"/talks/{talk.pk}/amend/")
    assert page.status_code == 200
    assert OLD_NOTE in page.content.decode()  # the form starts from the talk as it stands

    response = client.post(f"/talks/{talk.pk}/amend/", _form(talk, main_content=NEW_NOTE, mood="3"))
    assert response.status_code == 302, response.content.decode()[:2000]
    talk.refresh_from_db()
    assert (talk.version, talk.main_content, talk.mood) == (2, NEW_NOTE, 3)
    assert talk.amended_at is not None

    kept = TalkVersion.objects.get(talk=talk)
    assert (kept.number, kept.main_content, kept.mood, kept.shared_summary) == (1, OLD_NOTE, None, OLD_SUMMARY)
    assert kept.edited_by == org.users["supervisor"] and kept.edited_at == talk.created_at
    # Encrypted at rest, like the talk.
    assert OLD_NOTE not in _raw("talks_talkversion", "main_content", kept.pk)

    # The audit trail names the fields and the versions, never the text (nor the state of mind).
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, target_id=str(talk.pk), target_type__model="talk")
    assert event.changes == {"main_content": REDACTED, "mood": REDACTED, "version": [1, 2]}
    assert event.actor == org.users["supervisor"]
    assert OLD_NOTE not in _audit_text() and NEW_NOTE not in _audit_text()


def test_the_author_reads_the_earlier_text_on_the_talk_page_and_the_read_is_audited(as_principal, org):
    talk = org.talk
    client = as_principal("supervisor")
    client.post(f"/talks/{talk.pk}/amend/", _form(talk, main_content=NEW_NOTE))
    html = client.get(f"/talks/{talk.pk}/").content.decode()
    assert 'data-testid="talk-versions"' in html
    assert NEW_NOTE in html and OLD_NOTE in html  # the current text, and version 1's in the history
    read = AuditEvent.objects.get(action=AuditEvent.Action.SENSITIVE_READ, target_type__model="talkversion")
    assert read.actor == org.users["supervisor"] and read.changes == {"fields": ["main_content"]}
    assert read.subject_person == org.people["staff"]


def test_nobody_but_the_author_reads_the_earlier_text(as_principal, org):
    talk = org.talk
    as_principal("supervisor").post(
        f"/talks/{talk.pk}/amend/", _form(talk, main_content=NEW_NOTE, shared_summary="下月起调整值班")
    )
    # The participant sees the summaries shared with them, the earlier one too, never the note.
    staff = as_principal("staff").get(f"/talks/{talk.pk}/").content.decode()
    assert OLD_SUMMARY in staff and "下月起调整值班" in staff
    assert OLD_NOTE not in staff and NEW_NOTE not in staff
    # Another supervisor of the unit sees who and when, no text of any version.
    other = _second_supervisor_of_town_a(org).get(f"/talks/{talk.pk}/")
    assert other.status_code == 200
    assert OLD_NOTE not in other.content.decode() and OLD_SUMMARY not in other.content.decode()
    # The API shows the text only where the policy allows, as before.
    api = as_principal("staff", api=True).get(f"/api/v1/talks/{talk.pk}/").json()
    assert api["text"]["main_content"] is None and api["version"] == 2


def test_changing_nothing_keeps_no_version(as_principal, org):
    talk = org.talk
    response = as_principal("supervisor").post(f"/talks/{talk.pk}/amend/", _form(talk))
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.version == 1 and not TalkVersion.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, target_type__model="talk").exists()


def test_the_author_amends_over_the_api_within_the_window(as_principal, org):
    api = as_principal("supervisor", api=True)
    response = api.patch(f"/api/v1/talks/{org.talk.pk}/", {"mood": 4, "main_content": NEW_NOTE}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2 and body["mood"] == 4 and body["text"]["main_content"] == NEW_NOTE
    assert body["text"]["shared_summary"] == OLD_SUMMARY  # what was left out stays
    assert TalkVersion.objects.get(talk=org.talk).main_content == OLD_NOTE


def test_an_amendment_keeps_the_rules_of_a_new_talk(as_principal, org):
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["colleague"]],
            held_at=timezone.now() - timedelta(days=3),
            main_content="谈了近况",
            actions=[ActionInput("调整值班", timezone.localdate() - timedelta(days=1))],
        ),
    )
    client = as_principal("supervisor")
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    future = client.post(f"/talks/{talk.pk}/amend/", _form(talk, held_at=tomorrow))
    assert future.status_code == 400 and "held_at" in future.context["form"].errors
    # Not after one of its agreed actions was due.
    today = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    late = client.post(f"/talks/{talk.pk}/amend/", _form(talk, held_at=today))
    assert late.status_code == 400 and "held_at" in late.context["form"].errors
    assert 'data-testid="error-summary"' in late.content.decode()
    talk.refresh_from_db()
    assert talk.version == 1


def test_moving_the_talk_moves_the_next_talk_due_counted_from_it(as_principal, org):
    talk = org.talk
    due = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["staff"], status="open")
    earlier = timezone.localtime(talk.held_at) - timedelta(days=2)
    response = as_principal("supervisor").post(
        f"/talks/{talk.pk}/amend/", _form(talk, held_at=earlier.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 302
    moved = FollowUp.objects.get(pk=due.pk)
    assert timezone.localdate(moved.due_at) == timezone.localdate(due.due_at) - timedelta(days=2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, target_type__model="talk")
    assert event.changes == {"held_at": REDACTED, "version": [1, 2]}  # not even the time


def test_the_page_says_participants_and_actions_are_not_amended(as_principal, org):
    html = as_principal("supervisor").get(f"/talks/{org.talk.pk}/amend/").content.decode()
    assert 'data-testid="amend-rules"' in html
    assert "agreed actions are not changed here" in html
    assert 'name="participants"' not in html and 'name="actions-TOTAL_FORMS"' not in html


# --- An amendment cannot empty the talk -----------------------------------------------------------


def test_an_amendment_cannot_empty_the_talk(as_principal, org):
    talk = org.talk
    empty = {"main_content": "  ", "shared_summary": "", "mood": "", "mood_tags": []}
    response = as_principal("supervisor").post(f"/talks/{talk.pk}/amend/", _form(talk, **empty))
    assert response.status_code == 400
    assert "a talk with no content is not saved" in str(response.context["form"].errors["main_content"])
    api = as_principal("supervisor", api=True).patch(
        f"/api/v1/talks/{talk.pk}/", {"main_content": "", "shared_summary": ""}, format="json"
    )
    assert api.status_code == 400 and set(api.json()) == {"message", "errors"}
    assert "main_content" in api.json()["errors"]
    talk.refresh_from_db()
    assert talk.version == 1 and talk.main_content == OLD_NOTE


# --- Confidentiality only becomes stricter -----------------------------------------------------------


def test_confidentiality_can_become_restricted_and_never_normal_again(as_principal, org):
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["colleague"]],
            held_at=timezone.now() - timedelta(hours=2),
            main_content="谈了家里的事",
            actions=[ActionInput("联系工会", timezone.localdate() + timedelta(days=3))],
        ),
    )
    other = _second_supervisor_of_town_a(org)
    assert other.get(f"/talks/{talk.pk}/").status_code == 200
    client = as_principal("supervisor")
    response = client.post(f"/talks/{talk.pk}/amend/", _form(talk, confidentiality="restricted"))
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.is_restricted
    # From now on the talk and its action reach its leader only (and the action's owner).
    assert other.get(f"/talks/{talk.pk}/").status_code == 404
    assert talk.actions.get().followup.confidential
    next_due = FollowUp.objects.get(
        kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], owner=org.users["supervisor"], status="open"
    )
    assert next_due.confidential
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, target_type__model="talk")
    assert event.changes == {"confidentiality": ["normal", "restricted"], "version": [1, 2]}

    # Never back: the form offers only "restricted", and a forged "normal" is refused.
    page = client.get(f"/talks/{talk.pk}/amend/").content.decode()
    assert 'value="normal"' not in page
    back = client.post(f"/talks/{talk.pk}/amend/", _form(talk, confidentiality="normal"))
    assert back.status_code == 400
    api = as_principal("supervisor", api=True).patch(
        f"/api/v1/talks/{talk.pk}/", {"confidentiality": "normal"}, format="json"
    )
    assert api.status_code == 400 and "confidentiality" in api.json()["errors"]
    talk.refresh_from_db()
    assert talk.is_restricted and talk.version == 2


# --- After the window: annotations ----------------------------------------------------------------


def test_after_the_window_amending_is_refused_and_an_annotation_is_added_instead(org):
    talk = org.talk
    with _later(8):
        client = _client(org.users["supervisor"])
        page = client.get(f"/talks/{talk.pk}/amend/")
        assert page.status_code == 403
        assert 'data-testid="amend-closed"' in page.content.decode()  # says why, offers an annotation
        assert client.post(f"/talks/{talk.pk}/amend/", _form(talk, main_content=NEW_NOTE)).status_code == 403
        api = client_for(org, "supervisor", api=True)
        refused = api.patch(f"/api/v1/talks/{talk.pk}/", {"main_content": NEW_NOTE}, format="json")
        assert refused.status_code == 400 and set(refused.json()) == {"message", "errors"}
        talk.refresh_from_db()
        assert talk.version == 1 and talk.main_content == OLD_NOTE

        detail = client.get(f"/talks/{talk.pk}/").content.decode()
        assert 'data-testid="amend-link"' not in detail and f'action="/talks/{talk.pk}/annotate/"' in detail
        response = client.post(f"/talks/{talk.pk}/annotate/", {"text": "补充：本人已主动联系工会"})
        assert response.status_code == 302
        assert "补充：本人已主动联系工会" in client.get(f"/talks/{talk.pk}/").content.decode()
        created = api.post(f"/api/v1/talks/{talk.pk}/annotations/", {"text": "再补充一句"}, format="json")
        assert created.status_code == 201 and created.json()["text"] == "再补充一句"
        body = api.get(f"/api/v1/talks/{talk.pk}/").json()
        assert [a["text"] for a in body["annotations"]] == ["补充：本人已主动联系工会", "再补充一句"]

    annotation = TalkAnnotation.objects.order_by("id").first()
    assert annotation.written_by == org.users["supervisor"]
    assert "工会" not in _raw("talks_talkannotation", "text", annotation.pk)  # encrypted
    assert "工会" not in _audit_text() and "再补充" not in _audit_text()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, target_type__model="talkannotation").count() == 2
    # Whoever cannot read the talk's text does not read its annotations either.
    staff_api = client_for(org, "staff", api=True).get(f"/api/v1/talks/{talk.pk}/").json()
    assert staff_api["annotations"] == []
    assert "工会" not in client_for(org, "staff").get(f"/talks/{talk.pk}/").content.decode()


def test_an_empty_annotation_is_refused(org):
    with _later(8):
        client = _client(org.users["supervisor"])
        response = client.post(f"/talks/{org.talk.pk}/annotate/", {"text": "   "})
        assert response.status_code == 400 and "text" in response.context["form"].errors
    assert not TalkAnnotation.objects.exists()


def test_within_the_window_an_annotation_points_to_amending(as_principal, org):
    response = as_principal("supervisor").post(f"/talks/{org.talk.pk}/annotate/", {"text": "补充"})
    assert response.status_code == 302 and response["Location"].endswith(f"/talks/{org.talk.pk}/amend/")
    api = as_principal("supervisor", api=True).post(
        f"/api/v1/talks/{org.talk.pk}/annotations/", {"text": "补充"}, format="json"
    )
    assert api.status_code == 400 and "text" in api.json()["errors"]
    assert not TalkAnnotation.objects.exists()


@pytest.mark.parametrize("days", [1, 30])
def test_the_window_is_configurable(org, settings, days):
    settings.TALK_AMEND_DAYS = days
    with _later(2):
        status = _client(org.users["supervisor"]).get(f"/talks/{org.talk.pk}/amend/").status_code
    assert status == (403 if days == 1 else 200)


# --- Only the author ----------------------------------------------------------------------------


def test_nobody_but_the_author_amends_or_annotates(as_principal, org):
    talk = org.talk
    # The participant sees the talk but may not amend it (403); others do not see it at all (404).
    assert as_principal("staff").get(f"/talks/{talk.pk}/amend/").status_code == 403
    assert as_principal("staff").post(f"/talks/{talk.pk}/amend/", _form(talk, main_content="x")).status_code == 403
    assert _second_supervisor_of_town_a(org).get(f"/talks/{talk.pk}/amend/").status_code == 403
    for name in ("outsider_supervisor", "counsellor", "lead_counsellor", "administrator"):
        assert as_principal(name).get(f"/talks/{talk.pk}/amend/").status_code == 404, name
    patch = {"main_content": "x"}
    assert as_principal("staff", api=True).patch(f"/api/v1/talks/{talk.pk}/", patch, format="json").status_code == 403
    outsider = as_principal("outsider_supervisor", api=True).patch(f"/api/v1/talks/{talk.pk}/", patch, format="json")
    assert outsider.status_code == 404
    token = as_principal("api_client", api=True).patch(f"/api/v1/talks/{talk.pk}/", patch, format="json")
    assert token.status_code == 403
    with _later(8):
        staff = _client(org.users["staff"])
        assert staff.post(f"/talks/{talk.pk}/annotate/", {"text": "x"}).status_code == 403
        staff_api = client_for(org, "staff", api=True)
        assert staff_api.post(f"/api/v1/talks/{talk.pk}/annotations/", {"text": "x"}, format="json").status_code == 403
        assert "annotate" not in staff.get(f"/talks/{talk.pk}/").content.decode()
    talk.refresh_from_db()
    assert talk.version == 1 and not TalkAnnotation.objects.exists()
    assert 'data-testid="amend-link"' not in as_principal("staff").get(f"/talks/{talk.pk}/").content.decode()


# --- Right after saving: where the agreed actions went (issue 8, item 3) ----------------------------


def _talk_with_two_actions(org) -> Talk:
    return talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["staff"]],
            held_at=timezone.now() - timedelta(minutes=30),
            main_content="谈了排班",
            actions=[
                ActionInput("调整值班表", timezone.localdate() + timedelta(days=3)),
                ActionInput("提交调休申请", timezone.localdate() + timedelta(days=5), owner_kind="person"),
            ],
        ),
    )


def test_each_agreed_action_links_to_its_follow_up_and_my_follow_ups_shows_the_new_one(as_principal, org):
    talk = _talk_with_two_actions(org)
    mine, theirs = talk.actions.order_by("due_date")
    client = as_principal("supervisor")
    html = client.get(f"/talks/{talk.pk}/").content.decode()
    # The leader sees both actions, each a link to its follow-up, and where each went.
    assert f'href="/follow-ups/{mine.followup_id}/"' in html and f'href="/follow-ups/{theirs.followup_id}/"' in html
    assert "1 agreed action is in your follow-ups." in html
    assert "1 agreed action is in 王静&#x27;s follow-ups." in html
    # "See it in My follow-ups": the agreed actions, on the tab where the new one is.
    link = "/follow-ups/?bucket=upcoming&amp;kind=talk_action"
    assert 'data-testid="my-followups-link"' in html and f'href="{link}"' in html
    listing = client.get(link.replace("&amp;", "&")).content.decode()
    assert "调整值班表" in listing and f"/follow-ups/{mine.followup_id}/" in listing
    # Each follow-up opens for the leader.
    assert client.get(f"/follow-ups/{theirs.followup_id}/").status_code == 200


def test_the_participant_sees_their_own_action_linked_and_nothing_of_the_leaders(as_principal, org):
    talk = _talk_with_two_actions(org)
    _mine, theirs = talk.actions.order_by("due_date")
    html = as_principal("staff").get(f"/talks/{talk.pk}/").content.decode()
    assert f'href="/follow-ups/{theirs.followup_id}/"' in html and "提交调休申请" in html
    assert "调整值班表" not in html
    assert 'data-testid="actions-placed"' not in html  # that summary is the leader's
    assert "/follow-ups/?bucket=upcoming&amp;kind=talk_action" in html  # their own action, in their list


def test_the_message_after_logging_says_how_many_actions_went_to_whose_follow_ups(org):
    talk = _talk_with_two_actions(org)
    message = talk_saved_message(user=org.users["supervisor"], talk=talk)
    assert message == (
        "Talk logged. The next talk is scheduled. 1 agreed action added to your follow-ups. "
        "1 agreed action added to 王静's follow-ups."
    )
    alone = talk_saved_message(user=org.users["supervisor"], talk=org.talk)
    assert alone == "Talk logged. The next talk is scheduled."
