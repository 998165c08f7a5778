"""Heart-to-heart talks: logging, actions, cadence, referrals, privacy and bad input."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from talks.models import CadencePolicy, Talk, TalkAction
from talks.services import ActionInput, TalkInput, talk_create
from tests.factories import ACTOR, make_person
from wellbeing import services
from wellbeing.models import AuditEvent, FollowUp, Referral, Reminder, Tier


def _when(days_ago=0, hours=10):
    return timezone.localtime().replace(hour=hours, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)


def _post_talk(client, org, **overrides):
    data = {
        "participants": [org.people["colleague"].pk],
        "kind": "individual",
        "occasion": "routine",
        "trigger": "",
        "held_at": _when(0, 9).strftime("%Y-%m-%dT%H:%M"),
        "location": "办公室",
        "duration_minutes": "30",
        "mood": "3",
        "mood_tags": ["workload"],
        "main_content": "谈了工作安排",
        "difficulties": "孩子生病",
        "suggestions": "希望调休",
        "shared_summary": "约定调整排班",
        "confidentiality": "normal",
        "referral_urgency": "routine",
        "referral_reason": "",
        "referral_note": "",
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
        "actions-0-description": "调整值班表",
        "actions-0-owner_kind": "supervisor",
        "actions-0-due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "actions-1-description": "安排两天调休",
        "actions-1-owner_kind": "hr",
        "actions-1-due_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
    }
    data.update(overrides)
    return client.post("/talks/new/", data)


def test_a_supervisor_logs_a_talk_with_two_actions(as_principal, org):
    response = _post_talk(as_principal("supervisor"), org)
    assert response.status_code == 302, response.context["form"].errors
    talk = Talk.objects.exclude(pk=org.talk.pk).get()
    assert [p.person for p in talk.participations.all()] == [org.people["colleague"]]
    actions = {a.description: a for a in TalkAction.objects.filter(talk=talk)}
    assert actions["调整值班表"].followup.owner == org.users["supervisor"]
    assert actions["安排两天调休"].followup.owner == org.users["hr_officer"]
    assert all(a.followup.kind == FollowUp.Kind.TALK_ACTION for a in actions.values())
    # The next talk is scheduled: the default cadence is 90 days.
    nxt = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], status="open")
    assert timezone.localdate(nxt.due_at) == timezone.localdate() + timedelta(days=90)
    assert nxt.owner == org.users["supervisor"]


def test_logging_a_talk_completes_the_talk_due_and_follows_the_cadence(org):
    CadencePolicy.objects.create(person=org.people["colleague"], interval_days=30, reason="压力较大")
    asked = services.followup_create(  # e.g. another app asks for a return-to-work talk
        actor=ACTOR,
        owner=org.users["supervisor"],
        title="返岗谈心",
        kind=FollowUp.Kind.TALK_DUE,
        due_at=timezone.now() + timedelta(days=2),
        person=org.people["colleague"],
    )
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(main_content="谈了近况", participants=[org.people["colleague"]], held_at=_when(1)),
    )
    asked.refresh_from_db()
    assert asked.status == FollowUp.Status.DONE
    nxt = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], status="open")
    assert timezone.localdate(nxt.due_at) == timezone.localdate(_when(1)) + timedelta(days=30)
    # Another talk replaces the scheduled one rather than piling up.
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(main_content="谈了近况", participants=[org.people["colleague"]], held_at=_when(0)),
    )
    assert (
        FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], status="open").count() == 1
    )


def test_a_unit_cadence_applies_to_units_below(org):
    CadencePolicy.objects.create(unit=org.town_a, interval_days=60)
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(main_content="谈了近况", participants=[org.people["colleague"]], held_at=_when(0)),
    )
    nxt = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], status="open")
    assert timezone.localdate(nxt.due_at) == timezone.localdate() + timedelta(days=60)


def test_unfinished_actions_are_carried_into_the_next_talk(as_principal, org):
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            main_content="谈了近况",
            participants=[org.people["colleague"]],
            held_at=_when(5),
            actions=[ActionInput("联系家属", timezone.localdate() + timedelta(days=2))],
        ),
    )
    done = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            main_content="谈了近况",
            participants=[org.people["colleague"]],
            held_at=_when(4),
            actions=[ActionInput("已办事项", timezone.localdate())],
        ),
    )
    services.followup_complete(actor=org.users["supervisor"], followup=done.actions.get().followup, outcome="完成")
    page = as_principal("supervisor").get("/talks/new/", {"person": org.people["colleague"].external_id})
    carried = [a.description for a in page.context["carried"]]
    assert carried == ["联系家属"]
    history = as_principal("supervisor").get(f"/talks/person/{org.people['colleague'].external_id}/")
    assert [a.description for a in history.context["carried"]] == ["联系家属"]


def test_a_group_talk_has_many_participants_and_one_record(org):
    people = [make_person(org.section_a1) for _ in range(12)]
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(participants=people, kind=Talk.Kind.GROUP, held_at=_when(0), main_content="集体座谈"),
    )
    assert talk.participations.count() == 12
    assert Talk.objects.filter(kind=Talk.Kind.GROUP).count() == 1
    assert FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, person__in=people, status="open").count() == 12


@pytest.mark.parametrize(
    ("urgency", "tier"),
    [("imminent", Tier.RED), ("urgent", Tier.ORANGE), ("soon", Tier.YELLOW), ("routine", Tier.ROUTINE)],
)
def test_referral_urgency_sets_the_lead_counsellors_follow_up_tier(
    org, urgency, tier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        talk = talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(
                main_content="谈了近况",
                participants=[org.people["colleague"]],
                held_at=_when(0),
                referral=__import__("talks.services", fromlist=["ReferralInput"]).ReferralInput(
                    urgency=urgency, reason="family"
                ),
            ),
        )
    referral = Referral.objects.get(source_id=str(talk.pk))
    assert referral.followup.tier == tier
    assert referral.followup.owner == org.users["lead_counsellor"]
    assert referral.followup.kind == FollowUp.Kind.REFERRAL_INTAKE
    alerted = Reminder.objects.filter(followup=referral.followup, stage="alert").exists()
    assert alerted == (tier == Tier.RED)  # imminent risk is dispatched at once


def test_the_referrer_sees_only_received_then_acknowledged(as_principal, org):
    client = as_principal("supervisor")
    mine = client.get("/referrals/").context["mine"]
    assert [r.status_label for r in mine] == ["received"]
    assert client.get("/referrals/").context["intake"] is None
    as_principal("lead_counsellor").post(f"/referrals/{org.referral.pk}/acknowledge/")
    html = client.get("/referrals/").content.decode()
    assert "acknowledged" in html
    org.referral.refresh_from_db()
    assert org.referral.followup.status == FollowUp.Status.DONE


def test_the_person_sees_only_the_shared_summary(as_principal, org):
    staff = as_principal("staff")
    html = staff.get(f"/talks/{org.talk.pk}/").content.decode()
    assert "已约定下月调整值班" in html
    assert "最近加班多" not in html
    mine = staff.get("/talks/mine/")
    assert [summary for _t, summary in mine.context["rows"]] == ["已约定下月调整值班"]
    api = as_principal("staff", api=True).get(f"/api/v1/talks/{org.talk.pk}/").json()
    assert api["text"] == {
        "main_content": None,
        "difficulties": None,
        "suggestions": None,
        "shared_summary": "已约定下月调整值班",
    }


def test_the_leader_reads_everything_and_each_read_is_audited(as_principal, org):
    before = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).count()
    html = as_principal("supervisor").get(f"/talks/{org.talk.pk}/").content.decode()
    assert "最近加班多" in html
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).latest("id")
    assert event.actor == org.users["supervisor"] and event.subject_person == org.people["staff"]
    assert event.changes == {"fields": ["difficulties", "main_content", "shared_summary", "suggestions"]}
    as_principal("staff").get(f"/talks/{org.talk.pk}/")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).count() == before + 2


def test_a_supervisor_of_another_unit_sees_who_and_when_only_in_their_units(as_principal, org):
    assert as_principal("outsider_supervisor").get(f"/talks/{org.talk.pk}/").status_code == 404
    assert as_principal("outsider_supervisor", api=True).get(f"/api/v1/talks/{org.talk.pk}/").status_code == 404


def test_the_hr_api_client_gets_nothing(org):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {org.tokens['api_client']}")
    assert api.get("/api/v1/talks/").status_code == 403
    assert api.get(f"/api/v1/talks/{org.talk.pk}/").status_code == 403


def test_the_text_is_encrypted_in_the_database(org):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM talks_talk")
        dump = repr(cursor.fetchall())
    assert "加班" not in dump and "调整值班" not in dump


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"held_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}, "held_at"),
        ({"participants": []}, "participants"),
        ({"main_content": "长" * 5001}, "main_content"),
        ({"main_content": "坏\x00"}, "main_content"),
        ({"kind": "disciplinary"}, "kind"),
        ({"occasion": "triggered", "trigger": ""}, "trigger"),
        ({"mood": "9"}, "mood"),
    ],
    ids=["future", "nobody", "too-long", "nul", "disciplinary", "no-trigger", "bad-mood"],
)
def test_bad_talk_input_is_a_form_error_and_saves_nothing(as_principal, org, overrides, field):
    before = (Talk.objects.count(), FollowUp.objects.count(), TalkAction.objects.count())
    response = _post_talk(as_principal("supervisor"), org, **overrides)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert (Talk.objects.count(), FollowUp.objects.count(), TalkAction.objects.count()) == before


def test_a_person_outside_the_supervisors_units_is_refused(as_principal, org):
    before = Talk.objects.count()
    response = _post_talk(as_principal("supervisor"), org, participants=[org.people["outsider"].pk])
    assert response.status_code == 400 and "participants" in response.context["form"].errors
    with pytest.raises(Exception):  # noqa: B017 - the service refuses it too
        talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(main_content="谈了近况", participants=[org.people["outsider"]], held_at=_when(0)),
        )
    assert Talk.objects.count() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"participants": []}, "participants"),
        ({"participants": ["EX-outsider"]}, "participants"),
        ({"participants": ["nobody"]}, "participants"),
        ({"held_at": "2099-01-01T10:00:00+08:00"}, "held_at"),
        ({"suggestions": "x" * 5001}, "suggestions"),
        ({"location": "坏\x00"}, "location"),
        ({"actions": [{"description": "x", "due_date": "not-a-date"}]}, "actions"),
    ],
)
def test_bad_talk_input_over_the_api_is_a_400(as_principal, org, payload, field):
    before = Talk.objects.count()
    data = {
        "main_content": "谈了近况",
        "participants": ["EX-colleague"],
        "held_at": timezone.now().isoformat(),
    } | payload
    response = as_principal("supervisor", api=True).post("/api/v1/talks/", data, format="json")
    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()["errors"]), response.json()
    assert Talk.objects.count() == before


def test_the_api_logs_a_talk(as_principal, org):
    data = {
        "participants": ["EX-colleague"],
        "held_at": _when(0, 8).isoformat(),
        "occasion": "triggered",
        "trigger": "family_illness",
        "main_content": "家属住院",
        "actions": [{"description": "安排探望", "due_date": (timezone.localdate() + timedelta(days=1)).isoformat()}],
    }
    response = as_principal("supervisor", api=True).post("/api/v1/talks/", data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["participants"] == ["EX-colleague"] and body["text"]["main_content"] == "家属住院"


def test_the_picker_finds_people_by_pinyin_initials(as_principal, org):
    found = as_principal("supervisor").get("/talks/people/", {"q": "wj"}).context["found"]
    assert [p.full_name for p in found] == ["王静"]
    found = as_principal("supervisor").get("/talks/people/", {"q": "liming"}).context["found"]
    assert [p.full_name for p in found] == ["李明"]
    assert as_principal("supervisor").get("/talks/people/", {"q": "陈红"}).context["found"] == []  # other unit


def test_the_unit_overview_shows_coverage(as_principal, org):
    response = as_principal("supervisor").get("/talks/overview/")
    rows = {r.person.external_id: r.status for r in response.context["rows"]}
    assert rows["EX-staff"] == "ok" and rows["EX-colleague"] == "never"
    assert response.context["coverage"] == pytest.approx(1 / 3)  # staff, colleague, hr_officer


@pytest.mark.parametrize("url", ["/talks/person/EX-staff/", "/api/v1/talks/"])
def test_talk_lists_hold_their_query_count(as_principal, org, url):
    client = as_principal("supervisor", api=url.startswith("/api/"))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    count()
    one = count()
    for i in range(49):
        talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(
                main_content="谈了近况",
                participants=[org.people["staff"], org.people["colleague"]],
                kind=Talk.Kind.GROUP,
                held_at=_when(i % 300),
            ),
        )
    assert count() == one


def test_my_talks_and_the_overview_hold_their_query_count(as_principal, org):
    def count(client, url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    staff, supervisor = as_principal("staff"), as_principal("supervisor")
    count(staff, "/talks/mine/")
    mine, overview = count(staff, "/talks/mine/"), count(supervisor, "/talks/overview/")
    for i in range(49):
        person = make_person(org.section_a1)
        talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(
                main_content="谈了近况",
                participants=[org.people["staff"], person],
                kind=Talk.Kind.GROUP,
                held_at=_when(i % 300),
                shared_summary=f"摘要{i}",
            ),
        )
    assert count(staff, "/talks/mine/") == mine
    assert count(supervisor, "/talks/overview/") == overview
    # every summary shown was audited
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ, actor=org.users["staff"]).count() >= 50


def test_the_cadence_task_schedules_talks_for_people_never_talked_to(org):
    from talks.cadence import ensure_cadence
    from talks.tasks import ensure_talk_cadence
    from tests.factories import ACTOR

    ensure_talk_cadence()
    due = {
        f.person.external_id: f
        for f in FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, owner=org.users["supervisor"], status="open")
    }
    # staff was talked to yesterday (the fixture): already scheduled; colleague and hr_officer never.
    assert set(due) == {"EX-staff", "EX-colleague", "EX-hr_officer"}
    assert timezone.localdate(due["EX-colleague"].due_at) == timezone.localdate() + timedelta(days=14)
    assert ensure_cadence(actor=ACTOR) == 0  # idempotent
    outsider = FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, owner=org.users["outsider_supervisor"])
    assert set(outsider.values_list("person__external_id", flat=True)) == {"EX-outsider"}
