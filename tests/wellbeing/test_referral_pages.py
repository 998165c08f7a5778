"""Referral pages (issue 8, item 5): the lead counsellor's intake list (most urgent first) and one
referral's page with the referrer's note (its reading audited) and the actions acknowledge / take in /
close; the referrer's status list (received, acknowledged, taken in, closed) with nothing clinical."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_person
from wellbeing import selectors, services
from wellbeing.models import AuditEvent, FollowUp, Referral

NOTE = "他最近常说活着没意思，请尽快联系"


@pytest.fixture
def referral(org) -> Referral:
    """The supervisor refers the staff member with a note for the counselling team."""
    return services.referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="urgent", reason="self_harm", note=NOTE
    )


def page(client, referral) -> str:
    response = client.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- The lead counsellor ----------------------------------------------------------------------------


def test_the_intake_list_puts_the_most_urgent_first_then_the_longest_waiting(org, as_principal):
    start = timezone.now() - timedelta(days=2)
    made = {}
    for hours, name, urgency in [
        (0, "甲", "routine"),
        (1, "乙", "soon"),
        (2, "丙", "urgent"),
        (3, "丁", "imminent"),
        (4, "戊", "urgent"),
        (5, "己", "routine"),
    ]:
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            person = make_person(org.section_a1, full_name=name)
            made[name] = services.referral_create(
                actor=org.users["supervisor"], person=person, urgency=urgency, reason="other"
            )
    services.referral_close(actor=org.users["lead_counsellor"], referral=made["己"], reason="duplicate")
    response = as_principal("lead_counsellor").get("/referrals/")
    names = [r.person.full_name for r in response.context["intake"]]
    # 李明 is the org fixture's referral (soon, made now): after the older "soon" one.
    assert names == ["丁", "丙", "戊", "乙", "李明", "甲"]
    html = response.content.decode()
    assert html.index("丁") < html.index("丙") < html.index("戊") < html.index("乙") < html.index("甲")
    assert [r.person.full_name for r in response.context["done"]] == ["己"]


def test_the_detail_page_shows_the_referrers_note_and_audits_the_read(org, as_principal, referral):
    html = page(as_principal("lead_counsellor"), referral)
    assert NOTE in html
    for shown in ("王静", "urgent (within a day)", "thoughts of self-harm", "supervisor", "张主任"):
        assert shown in html
    read = AuditEvent.objects.filter(
        action=AuditEvent.Action.SENSITIVE_READ, target_id=str(referral.pk), target_type__model="referral"
    ).get()
    assert read.actor == org.users["lead_counsellor"]
    assert read.changes == {"fields": ["note"]} and read.subject_person == org.people["staff"]
    assert NOTE not in str(read.changes)


def test_the_lead_counsellor_acknowledges_takes_in_and_the_history_says_who_and_when(org, as_principal, referral):
    lead = as_principal("lead_counsellor")
    assert lead.post(f"/referrals/{referral.pk}/acknowledge/")["Location"] == f"/referrals/{referral.pk}/"
    # Taking in happens on the cases app's triage page (a case is opened or linked there).
    assert lead.post(f"/referrals/{referral.pk}/take-in/")["Location"] == f"/cases/intake/{referral.pk}/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACKNOWLEDGED
    services.referral_take_in(actor=org.users["lead_counsellor"], referral=referral)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.TAKEN_IN
    assert referral.taken_in_by == org.users["lead_counsellor"] and referral.taken_in_at is not None
    assert referral.followup.status == FollowUp.Status.DONE  # no more intake reminders
    history = [(s.status, s.by) for s in lead.get(f"/referrals/{referral.pk}/").context["history"]]
    assert history == [("received", "张主任"), ("acknowledged", "周主管"), ("taken_in", "周主管")]
    events = AuditEvent.objects.filter(target_type__model="referral", target_id=str(referral.pk))
    assert [e.changes.get("status") for e in events.filter(action=AuditEvent.Action.STATUS).order_by("id")] == [
        ["received", "acknowledged"],
        ["acknowledged", "taken_in"],
    ]


def test_taking_in_a_referral_nobody_acknowledged_acknowledges_it_too(org, referral):
    services.referral_take_in(actor=org.users["lead_counsellor"], referral=referral)
    referral.refresh_from_db()
    assert referral.acknowledged_at == referral.taken_in_at
    assert referral.acknowledged_by == org.users["lead_counsellor"]


def test_closing_needs_a_reason_and_keeps_it_from_the_audit_trail(org, as_principal, referral):
    lead = as_principal("lead_counsellor")
    refused = lead.post(f"/referrals/{referral.pk}/close/", {"reason": ""})
    assert refused.status_code == 400
    assert "Choose why the referral is closed." in refused.content.decode()
    assert lead.post(f"/referrals/{referral.pk}/close/", {"reason": "nonsense"}).status_code == 400
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED
    assert lead.post(f"/referrals/{referral.pk}/close/", {"reason": "declined"}).status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.close_reason) == ("closed", "declined")
    assert referral.followup.status == FollowUp.Status.DONE
    event = AuditEvent.objects.filter(target_id=str(referral.pk), target_type__model="referral").latest("id")
    assert event.changes["close_reason"] == "[sensitive text changed]"
    assert "the person declined" in lead.get(f"/referrals/{referral.pk}/").content.decode()


def test_a_duplicate_referral_cancels_its_intake_follow_up(org, referral):
    services.referral_close(actor=org.users["lead_counsellor"], referral=referral, reason="duplicate")
    referral.followup.refresh_from_db()
    assert referral.followup.status == FollowUp.Status.CANCELLED


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("close", "close"),
        ("close", "take_in"),
        ("close", "acknowledge"),
        ("take_in", "close"),
        ("take_in", "take_in"),
        ("take_in", "acknowledge"),
    ],
)
def test_taken_in_and_closed_are_final(org, referral, first, then):
    lead = org.users["lead_counsellor"]
    actions = {
        "close": lambda: services.referral_close(actor=lead, referral=referral, reason="no_further_support"),
        "take_in": lambda: services.referral_take_in(actor=lead, referral=referral),
        "acknowledge": lambda: services.referral_acknowledge(actor=lead, referral=referral),
    }
    actions[first]()
    before = Referral.objects.filter(pk=referral.pk).values().get()
    with pytest.raises(ValidationError) as refused:
        actions[then]()
    assert "status" in refused.value.message_dict
    assert Referral.objects.filter(pk=referral.pk).values().get() == before


def test_a_refused_transition_on_the_page_is_a_400_with_the_reason(org, as_principal, referral):
    services.referral_close(actor=org.users["lead_counsellor"], referral=referral, reason="duplicate")
    response = as_principal("lead_counsellor").post(f"/referrals/{referral.pk}/take-in/")
    assert response.status_code == 400
    assert "This referral is already closed." in response.content.decode()


def test_acknowledging_twice_changes_nothing(org, referral):
    first = services.referral_acknowledge(actor=org.users["lead_counsellor"], referral=referral)
    again = services.referral_acknowledge(actor=org.users["lead_counsellor"], referral=referral)
    assert again.acknowledged_at == first.acknowledged_at


def test_only_the_counselling_team_acts_on_a_referral(org, referral):
    for action in (services.referral_take_in, services.referral_acknowledge):
        with pytest.raises(PermissionDenied):
            action(actor=org.users["supervisor"], referral=referral)
    with pytest.raises(PermissionDenied):
        services.referral_close(actor=org.users["counsellor"], referral=referral, reason="duplicate")


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "closed"},  # closed without a time or a reason
        {"status": "closed", "closed_at": timezone.now()},  # ... without a reason
        {"status": "taken_in", "acknowledged_at": timezone.now()},  # taken in without a time
        {"status": "received", "taken_in_at": timezone.now()},  # a time that does not go with the status
        {"status": "received", "acknowledged_at": timezone.now()},
        {"status": "acknowledged", "close_reason": "duplicate", "acknowledged_at": timezone.now()},
    ],
)
def test_the_database_keeps_each_status_with_exactly_its_timestamps(referral, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(**fields)


# --- The referrer -----------------------------------------------------------------------------------


def test_the_referrer_follows_the_status_and_never_sees_anything_clinical(org, as_principal, referral):
    supervisor = as_principal("supervisor")
    lead = org.users["lead_counsellor"]
    second = services.referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="family", note="第二次"
    )

    def statuses() -> dict[int, str]:
        return {r.pk: r.status_label for r in supervisor.get("/referrals/").context["mine"]}

    assert statuses()[referral.pk] == "received"
    services.referral_acknowledge(actor=lead, referral=referral)
    assert statuses()[referral.pk] == "acknowledged"
    services.referral_take_in(actor=lead, referral=referral)
    services.referral_close(actor=lead, referral=second, reason="declined")
    assert (statuses()[referral.pk], statuses()[second.pk]) == ("taken in", "closed")

    pages = [supervisor.get("/referrals/").content.decode(), page(supervisor, referral), page(supervisor, second)]
    for html in pages:
        # Not the note (not even their own, once sent), the urgency, the reason, the close reason, nor
        # who in the counselling team handled it.
        for secret in (NOTE, "第二次", "周主管", "thoughts of self-harm", "the person declined", "urgent ("):
            assert secret not in html
    assert "taken in" in pages[1] and "acknowledged" in pages[1] and "closed" in pages[2]
    steps = supervisor.get(f"/referrals/{referral.pk}/").context["history"]
    assert [s.status for s in steps] == ["received", "acknowledged", "taken_in"]
    assert all(s.by is None for s in steps)
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.SENSITIVE_READ, actor=org.users["supervisor"], target_type__model="referral"
    ).exists()


def test_the_referrer_has_no_actions_and_cannot_act(org, as_principal, referral):
    supervisor = as_principal("supervisor")
    assert 'data-testid="referral-actions"' not in page(supervisor, referral)
    for action in ("acknowledge", "take-in", "close"):
        assert supervisor.post(f"/referrals/{referral.pk}/{action}/", {"reason": "duplicate"}).status_code == 403
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED


@pytest.mark.parametrize("principal", ["outsider_supervisor", "staff", "counsellor", "hr_officer", "administrator"])
def test_anyone_else_is_told_it_does_not_exist(as_principal, referral, principal):
    assert as_principal(principal).get(f"/referrals/{referral.pk}/").status_code == 404


def test_strange_ids_are_not_found(as_principal):
    assert as_principal("lead_counsellor").get("/referrals/999999/").status_code == 404


# --- Selectors for the home pages: a fixed number of queries ----------------------------------------


def _make(org, n: int) -> None:
    for i in range(n):
        person = make_person(org.section_a1, full_name=f"人{i}")
        services.referral_create(
            actor=org.users["supervisor"], person=person, urgency=["urgent", "soon"][i % 2], reason="other"
        )


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        rows = func()
        for r in rows:  # touch what a page shows
            str(getattr(r, "person_name", None) or r.person.unit.name)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("selector", "principal"),
    [(selectors.intake_queue, "lead_counsellor"), (selectors.referrals_made_by, "supervisor")],
)
def test_home_page_selectors_hold_their_query_count(org, selector, principal):
    user = org.users[principal]
    _make(org, 2)
    selector(user=user)  # the user's roles are looked up once per request, not per list
    few = _queries(lambda: selector(user=user))
    _make(org, 6)
    assert len(selector(user=user)) == 9
    assert _queries(lambda: selector(user=user)) == few


def test_the_intake_queue_is_empty_for_anyone_but_the_lead_counsellor(org):
    assert selectors.intake_queue(user=org.users["supervisor"]) == []
    assert [r.person.full_name for r in selectors.intake_queue(user=org.users["lead_counsellor"])] == ["李明"]


def test_the_intake_follow_up_a_reminder_links_to_leads_to_the_referral(as_principal, referral):
    html = as_principal("lead_counsellor").get(f"/follow-ups/{referral.followup_id}/").content.decode()
    assert f'href="/referrals/{referral.pk}/"' in html
