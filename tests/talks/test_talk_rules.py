"""Who may see and do what around talks: the finer rules (group talks, restricted talks, owners)."""

from datetime import timedelta

from django.utils import timezone

from talks.models import Talk
from talks.services import ActionInput, ReferralInput, TalkInput, talk_create
from tests.factories import ACTOR, make_person
from wellbeing.models import AuditEvent, FollowUp, Referral


def _when(days_ago=0):
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)


def test_the_api_names_nobody_outside_the_supervisors_units(as_principal, org):
    api = as_principal("supervisor", api=True)
    outside = api.post(
        "/api/v1/talks/",
        {"main_content": "谈了近况", "participants": ["EX-outsider"], "held_at": _when().isoformat()},
        format="json",
    )
    unknown = api.post(
        "/api/v1/talks/",
        {"main_content": "谈了近况", "participants": ["nobody"], "held_at": _when().isoformat()},
        format="json",
    )
    assert outside.status_code == unknown.status_code == 400
    assert outside.json() == unknown.json()
    assert "陈红" not in outside.content.decode()


def test_a_group_talk_referral_names_its_person(as_principal, org):
    people = [org.people["staff"], org.people["colleague"]]
    data = TalkInput(
        main_content="谈了近况",
        participants=people,
        kind=Talk.Kind.GROUP,
        held_at=_when(),
        referral=ReferralInput(urgency="soon", reason="self_harm"),
    )
    try:
        talk_create(actor=org.users["supervisor"], data=data)
        raise AssertionError("a group referral without a person was accepted")
    except Exception as exc:
        assert "referral_person" in getattr(exc, "message_dict", {})
    data.referral.person = org.people["staff"]
    talk = talk_create(actor=org.users["supervisor"], data=data)
    assert Referral.objects.get(source_id=str(talk.pk)).person == org.people["staff"]


def test_group_talk_actions_go_to_the_chosen_person_and_the_pick_order(as_principal, org):
    client = as_principal("supervisor")
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    data = {
        "participants": [org.people["staff"].pk, org.people["colleague"].pk],  # 王静 picked first
        "kind": "group",
        "occasion": "routine",
        "held_at": _when().strftime("%Y-%m-%dT%H:%M"),
        "main_content": "集体座谈",
        "confidentiality": "normal",
        "referral_urgency": "routine",
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
        "actions-0-description": "默认给第一位",
        "actions-0-owner_kind": "supervisor",
        "actions-0-due_date": due,
        "actions-1-description": "给李明",
        "actions-1-owner_kind": "supervisor",
        "actions-1-due_date": due,
        "actions-1-person": org.people["colleague"].pk,
    }
    assert client.post("/talks/new/", data).status_code == 302
    talk = Talk.objects.filter(kind=Talk.Kind.GROUP).get()
    people = {a.description: a.person for a in talk.actions.all()}
    assert people == {"默认给第一位": org.people["staff"], "给李明": org.people["colleague"]}


def test_an_older_talk_does_not_bring_the_next_one_forward(org):
    latest = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["staff"], status="open")
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(main_content="谈了近况", participants=[org.people["staff"]], held_at=_when(80)),
    )
    now = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["staff"], status="open")
    assert timezone.localdate(now.due_at) == timezone.localdate(latest.due_at)  # still from yesterday's talk


def test_the_api_refuses_action_owners_outside_the_supervisors_units(as_principal, org):
    data = {
        "main_content": "谈了近况",
        "participants": ["EX-colleague"],
        "held_at": _when().isoformat(),
        "actions": [
            {
                "description": "x",
                "owner_kind": "colleague",
                "owner": "EX-lead_counsellor",
                "due_date": timezone.localdate().isoformat(),
            }
        ],
    }
    response = as_principal("supervisor", api=True).post("/api/v1/talks/", data, format="json")
    assert response.status_code == 400 and "actions" in response.json()["errors"]


def test_far_future_action_dates_are_a_400_not_a_crash(as_principal, org):
    data = {
        "main_content": "谈了近况",
        "participants": ["EX-colleague"],
        "held_at": _when().isoformat(),
        "actions": [{"description": "x", "due_date": "9999-12-31"}],
    }
    response = as_principal("supervisor", api=True).post("/api/v1/talks/", data, format="json")
    assert response.status_code == 400 and "actions" in response.json()["errors"]
    assert Talk.objects.count() == 1


def test_a_supervisor_who_took_part_sees_only_their_peoples_actions(as_principal, org):
    from wellbeing import services

    # The HR officer of town A also supervises town B, and takes part in a group talk in town A.
    services.role_assign(actor=ACTOR, user=org.users["hr_officer"], role="supervisor", unit=org.town_b)
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            main_content="谈了近况",
            participants=[org.people["staff"], org.people["hr_officer"]],
            kind=Talk.Kind.GROUP,
            held_at=_when(),
            actions=[ActionInput("关于王静", timezone.localdate(), person=org.people["staff"])],
        ),
    )
    html = as_principal("hr_officer").get(f"/talks/{talk.pk}/").content.decode()
    assert "关于王静" not in html
    assert "关于王静" in as_principal("supervisor").get(f"/talks/{talk.pk}/").content.decode()


def test_restricted_talks_stay_with_their_leader(as_principal, org):
    # A second supervisor over town A.
    from wellbeing import services

    services.role_assign(actor=ACTOR, user=org.users["hr_officer"], role="supervisor", unit=org.town_a)
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            main_content="谈了近况",
            participants=[org.people["colleague"]],
            held_at=_when(2),
            occasion="triggered",
            trigger="screening",
            confidentiality=Talk.Confidentiality.RESTRICTED,
            actions=[ActionInput("保密事项", timezone.localdate() + timedelta(days=5))],
        ),
    )
    other = as_principal("hr_officer")
    page = other.get("/talks/new/", {"person": "EX-colleague"})
    assert [a.description for a in page.context["carried"]] == []
    rows = {r.person.external_id: r for r in other.get("/talks/overview/").context["rows"]}
    assert rows["EX-colleague"].last_talk is None
    # Where the talk is visible (normal confidentiality), its trigger is still the leader's alone.
    normal = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            main_content="谈了近况",
            participants=[org.people["colleague"]],
            held_at=_when(1),
            occasion="triggered",
            trigger="screening",
        ),
    )
    body = other.get(f"/api/v1/talks/{normal.pk}/", HTTP_ACCEPT="application/json").json()
    assert body["trigger"] == ""
    assert as_principal("supervisor", api=True).get(f"/api/v1/talks/{normal.pk}/").json()["trigger"] == "screening"


def test_strange_participant_ids_are_no_crash(as_principal, org):
    response = as_principal("supervisor").post("/talks/new/", {"participants": ["²", "9" * 30]})
    assert response.status_code == 400


def test_referral_audit_rows_carry_no_case_details(org):
    event = AuditEvent.objects.filter(target_type__model="referral").latest("id")
    assert event.changes["reason"] == "[sensitive text changed]"
    assert event.changes["urgency"] == "[sensitive text changed]"
    intake = AuditEvent.objects.filter(target_type__model="followup", target_id=str(org.referral.followup_id)).get()
    assert "title" not in str(intake.changes.get("title", "")) or intake.changes["title"] == "[sensitive text changed]"
    assert "Referral to take in" not in intake.target_label


def test_people_who_leave_have_their_follow_ups_closed(org, django_capture_on_commit_callbacks):
    from wellbeing import services

    extra = make_person(org.section_a1)
    with django_capture_on_commit_callbacks(execute=True):
        services.person_leave(actor=org.users["hr_officer"], person=org.people["staff"])
    open_about = FollowUp.objects.filter(person=org.people["staff"], status__in=["open", "snoozed"])
    assert not open_about.exists()
    assert FollowUp.objects.filter(owner=org.users["staff"], status="cancelled").exists()
    assert extra.status == "active"
