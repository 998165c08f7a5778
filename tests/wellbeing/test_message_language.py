"""One language per page (issue 8, item 7): what the system writes - follow-up titles, inbox items,
reminder stages - is stored as what it is and worded when shown, in the reader's language. Free text a
person typed stays as typed."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from talks import cadence
from tests.factories import ACTOR, UserFactory, make_person
from wellbeing import messages, services
from wellbeing.models import FollowUp, Notification, Referral, Role, Unavailability
from wellbeing.reminders.scan import run_scan

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _talk_due(org) -> FollowUp:
    """The supervisor's "talk due" with 李明, scheduled while the organisation speaks Chinese."""
    FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"]).delete()
    with override_settings(LANGUAGE_CODE="zh-hans"), translation.override("zh-hans"):
        cadence.sync_person(actor=ACTOR, person=org.people["colleague"])
    return FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], status="open")


def _overdue(f: FollowUp) -> None:
    """Run the scan a day after ``f`` was due: its owner gets "Due now" and "Overdue" in the inbox."""
    with time_machine.travel(f.due_at + timedelta(days=1)):
        run_scan(timezone.now(), quiet_hours=False)


def test_it_stores_a_talk_due_as_what_it_is_and_words_it_in_the_readers_language(as_principal, org):
    f = _talk_due(org)
    assert f.title == "" and f.title_key == messages.TALK_DUE and f.title_params == {"name": "李明"}
    client = as_principal("supervisor")
    english = client.get(f"/follow-ups/{f.pk}/", **EN).content.decode()
    chinese = client.get(f"/follow-ups/{f.pk}/", **ZH).content.decode()
    assert "Heart-to-heart talk with 李明" in english and "与李明谈心谈话" not in english
    assert "与李明谈心谈话" in chinese and "Heart-to-heart talk with" not in chinese


def test_the_follow_up_list_and_the_api_word_it_for_the_reader(as_principal, org):
    f = _talk_due(org)
    page = as_principal("supervisor").get("/follow-ups/?bucket=upcoming", **EN).content.decode()
    assert "Heart-to-heart talk with 李明" in page
    api = as_principal("supervisor", api=True)
    rows = {r["id"]: r["title"] for r in api.get("/api/v1/follow-ups/?bucket=upcoming", **ZH).json()["results"]}
    assert rows[f.pk] == "与李明谈心谈话"
    assert api.get(f"/api/v1/follow-ups/{f.pk}/", **EN).json()["title"] == "Heart-to-heart talk with 李明"


def test_free_text_a_person_typed_stays_as_typed(as_principal, org):
    f = org.followups["staff_task"]
    assert f.title == "约定事项" and f.title_key == ""
    for language in (EN, ZH):
        assert "约定事项" in as_principal("staff").get(f"/follow-ups/{f.pk}/", **language).content.decode()


def test_an_inbox_item_from_a_reminder_is_worded_with_its_stage_when_read(as_principal, org):
    f = _talk_due(org)
    _overdue(f)
    items = Notification.objects.filter(recipient=org.users["supervisor"], reminder__followup=f)
    assert items.count() == 2 and all(n.title == "" and n.body == "" for n in items)
    client = as_principal("supervisor")
    english = client.get("/inbox/", **EN).content.decode()
    chinese = client.get("/inbox/", **ZH).content.decode()
    assert "Heart-to-heart talk with 李明" in english and "Overdue" in english and "Due now" in english
    assert "与李明谈心谈话" in chinese and "逾期" in chinese and "已到期" in chinese
    assert "Heart-to-heart talk with" not in chinese and "Overdue" not in chinese


def test_an_inbox_item_to_someone_else_stays_neutral_and_names_the_owner(org):
    f = _talk_due(org)
    Unavailability.objects.create(
        user=org.users["supervisor"],
        starts_at=f.due_at - timedelta(days=3),
        ends_at=f.due_at + timedelta(days=3),
        delegate=org.users["hr_officer"],
    )
    _overdue(f)
    delegated = Notification.objects.filter(reminder__followup=f, recipient=org.users["hr_officer"])
    assert delegated.exists()
    for n in delegated:
        with translation.override("en"):
            assert n.display_title == f"Talk due #{f.pk} (owner: 张主任)"
        with translation.override("zh-hans"):
            assert "李明" not in n.display_title and "张主任" in n.display_title


def test_a_role_notice_is_worded_in_the_readers_language(as_principal, org):
    newcomer = UserFactory(username="newcomer")
    make_person(org.counselling, full_name="钱新", user=newcomer)
    services.role_assign(actor=org.users["administrator"], user=newcomer, role=Role.COUNSELLOR)  # pending
    note = Notification.objects.get(recipient=org.users["lead_counsellor"], message_key=messages.CLINICAL_ROLE_PENDING)
    assert note.title == "" and note.params == {"name": "钱新"}
    client = as_principal("lead_counsellor")
    english = client.get("/inbox/", **EN).content.decode()
    chinese = client.get("/inbox/", **ZH).content.decode()
    assert "A clinical role was assigned to 钱新" in english and "Confirm or refuse it." in english
    assert "已为钱新分配心理咨询角色" in chinese and "请确认或拒绝。" in chinese


def test_names_in_message_parameters_are_encrypted_at_rest(org):
    f = _talk_due(org)
    with connection.cursor() as cursor:
        cursor.execute("SELECT title_params FROM wellbeing_followup WHERE id = %s", [f.pk])
        (stored,) = cursor.fetchone()
    assert "李明" not in stored and "name" not in stored


def test_a_referral_intake_title_follows_the_reader_and_nests_no_brackets(org):
    f = org.referral.followup
    assert f.title_key == messages.REFERRAL_INTAKE and f.title_params == {"urgency": Referral.Urgency.SOON}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            title, label = f.display_title, str(Referral.Urgency.SOON.label)
        assert label in title
        depth, deepest = 0, 0
        for ch in title:
            depth += 1 if ch in "(（" else -1 if ch in ")）" else 0
            deepest = max(deepest, depth)
        assert deepest <= 1, title


def test_rendering_never_fails(as_principal, org):
    """An unknown key (a row written by a newer version, a key removed by mistake) or a missing
    parameter shows a neutral text, never a server error."""
    with translation.override("en"):
        assert messages.render_title(messages.TALK_DUE, {}) == "Heart-to-heart talk with …"
        assert messages.render_title(messages.TALK_DUE, None) == "Heart-to-heart talk with …"
        assert messages.render_title("no.such.message", {"name": "x"}) == "Message"
        assert messages.render_body("no.such.message") == ""
        lost = FollowUp(kind=FollowUp.Kind.TALK_DUE, title_key="no.such.message")
        assert lost.display_title == "Talk due"
    Notification.objects.create(recipient=org.users["staff"], message_key="no.such.message", params={"x": 1})
    page = as_principal("staff").get("/inbox/", **EN)
    assert page.status_code == 200 and "Message" in page.content.decode()


def test_a_follow_up_needs_a_title_or_a_message(org):
    with pytest.raises(ValidationError):
        services.followup_create(actor=ACTOR, owner=org.users["staff"], title="", due_at=timezone.now())
    with pytest.raises(ValueError, match="Unknown message key"):
        services.followup_create(
            actor=ACTOR, owner=org.users["staff"], title_key="no.such.message", due_at=timezone.now()
        )


def test_the_inbox_reads_a_fixed_number_of_queries(as_principal, org):
    client = as_principal("supervisor")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/inbox/", **EN).status_code == 200
        return len(captured)

    f = _talk_due(org)
    _overdue(f)
    few = queries()
    for n in range(6):
        services.followup_create(
            actor=ACTOR,
            owner=org.users["supervisor"],
            title=f"事项{n}",
            kind=FollowUp.Kind.TALK_ACTION,
            due_at=f.due_at,
        )
    _overdue(f)
    assert Notification.objects.filter(recipient=org.users["supervisor"]).count() >= 8
    assert queries() == few


def test_the_migration_rewords_what_it_can_tell_and_keeps_the_rest(org):
    migration = importlib.import_module("wellbeing.migrations.0016_message_keys")
    f = _talk_due(org)
    FollowUp.objects.filter(pk=f.pk).update(title_key="")  # as stored before: text in Chinese
    f.refresh_from_db()
    f.title, f.title_params = "与李明谈心谈话", {}
    f.save(update_fields=["title", "title_params"])
    _overdue(f)
    Notification.objects.filter(reminder__followup=f).update(message_key="")
    for n in Notification.objects.filter(reminder__followup=f):
        n.title, n.body = "与李明谈心谈话", "逾期"
        n.save(update_fields=["title", "body"])
    typed = Notification.objects.create(recipient=org.users["staff"], title="管理员手写的通知")

    migration.to_keys(django_apps, None)

    f.refresh_from_db()
    assert (f.title, f.title_key, f.title_params) == ("", messages.TALK_DUE, {"name": "李明"})
    with translation.override("en"):
        assert {n.display_title for n in Notification.objects.filter(reminder__followup=f)} == {
            "Heart-to-heart talk with 李明"
        }
    typed.refresh_from_db()
    assert typed.display_title == "管理员手写的通知"
