"""A talk obligation ends with a talk (or is set aside with a reason), never with a bare "done"; My
follow-ups opens on the most urgent bucket with something in it, red first."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from talks.cadence import cadence_days
from tests.factories import ACTOR
from wellbeing import services
from wellbeing.models import AuditEvent, FollowUp, Tier


@pytest.fixture
def talk_due(org):
    return FollowUp.objects.get(
        kind=FollowUp.Kind.TALK_DUE, person=org.people["staff"], owner=org.users["supervisor"], status="open"
    )


def test_a_talk_due_offers_logging_the_talk_not_done(org, as_principal, talk_due):
    services.followup_reschedule(actor=ACTOR, followup=talk_due, due_at=timezone.now() - timedelta(hours=1))
    page = as_principal("supervisor").get("/follow-ups/", {"bucket": "overdue"})
    html = page.content.decode()
    assert 'data-testid="record-action"' in html and f"/talks/new/?person={org.people['staff'].external_id}" in html
    row = html[html.index(f'id="followup-{talk_due.pk}"') :]
    row = row[: row.index('data-testid="followup-row"', 10) if 'data-testid="followup-row"' in row[10:] else None]
    assert 'data-testid="complete"' not in row
    detail = as_principal("supervisor").get(f"/follow-ups/{talk_due.pk}/").content.decode()
    assert "Mark done" not in detail and 'data-testid="set-aside"' in detail


def test_a_bare_done_is_refused_on_the_page_and_in_the_api(org, as_principal, talk_due):
    response = as_principal("supervisor").post(f"/follow-ups/{talk_due.pk}/complete/")
    assert response.status_code == 400 and "Log it, or set it aside" in response.content.decode()
    api = as_principal("supervisor", api=True).post(f"/api/v1/follow-ups/{talk_due.pk}/complete/", {}, format="json")
    assert api.status_code == 400 and "status" in api.json()["errors"]
    with pytest.raises(ValidationError):
        services.followup_complete(actor=org.users["supervisor"], followup=talk_due)
    talk_due.refresh_from_db()
    assert talk_due.status == "open"


def test_setting_aside_with_a_reason_is_recorded_and_the_next_talk_follows(org, as_principal, talk_due):
    response = as_principal("supervisor").post(
        f"/follow-ups/{talk_due.pk}/set-aside/", {"reason": "long_leave", "note": "产假至明年三月"}
    )
    assert response.status_code == 302
    talk_due.refresh_from_db()
    assert (talk_due.status, talk_due.outcome) == ("cancelled", "产假至明年三月")
    row = AuditEvent.objects.filter(target_type__model="followup", target_id=str(talk_due.pk)).latest("id")
    assert row.actor_label == "supervisor" and row.changes["set_aside"] == "long_leave"
    assert "产假" not in str(row.changes)  # the note is the owner's words: never in the audit trail
    following = FollowUp.objects.get(
        kind=FollowUp.Kind.TALK_DUE, person=org.people["staff"], owner=org.users["supervisor"], status="open"
    )
    expected = timezone.localdate() + timedelta(days=cadence_days(org.people["staff"]))
    assert timezone.localdate(following.due_at) == expected


def test_a_reason_is_required_and_other_needs_words(org, as_principal, talk_due):
    client = as_principal("supervisor")
    assert client.post(f"/follow-ups/{talk_due.pk}/set-aside/", {}).status_code == 400
    response = client.post(f"/follow-ups/{talk_due.pk}/set-aside/", {"reason": "other", "note": " "})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert client.post(f"/follow-ups/{talk_due.pk}/set-aside/", {"reason": "other\x00"}).status_code == 400
    talk_due.refresh_from_db()
    assert talk_due.status == "open"


def test_someone_who_left_gets_no_next_talk(org, as_principal, talk_due):
    as_principal("supervisor").post(f"/follow-ups/{talk_due.pk}/set-aside/", {"reason": "left"})
    assert not FollowUp.objects.filter(
        kind=FollowUp.Kind.TALK_DUE, person=org.people["staff"], owner=org.users["supervisor"], status="open"
    ).exists()


def test_my_follow_ups_open_on_the_most_urgent_bucket_with_something_in_it(org, as_principal):
    staff = as_principal("staff")
    assert staff.get("/follow-ups/").context["bucket"] == "upcoming"  # only a far-off action
    services.followup_create(
        actor=ACTOR, owner=org.users["staff"], title="今天", due_at=timezone.localtime().replace(hour=23, minute=50)
    )
    assert staff.get("/follow-ups/").context["bucket"] == "today"
    services.followup_create(
        actor=ACTOR, owner=org.users["staff"], title="昨天", due_at=timezone.now() - timedelta(days=1)
    )
    assert staff.get("/follow-ups/").context["bucket"] == "overdue"


def test_red_comes_first(org, as_principal):
    later = timezone.now() + timedelta(days=3)
    routine = services.followup_create(actor=ACTOR, owner=org.users["staff"], title="例行", due_at=later)
    red = services.followup_create(
        actor=ACTOR, owner=org.users["staff"], title="紧急", due_at=later + timedelta(hours=5), tier=Tier.RED
    )
    rows = list(as_principal("staff").get("/follow-ups/", {"bucket": "upcoming"}).context["page"].object_list)
    assert rows.index(red) < rows.index(routine)


def test_talks_due_and_agreed_actions_can_be_told_apart(org, as_principal):
    html = as_principal("supervisor").get("/follow-ups/", {"bucket": "upcoming"}).content.decode()
    assert "kind=talk_due" in html and "kind=talk_action" in html
    only_actions = as_principal("supervisor").get("/follow-ups/", {"bucket": "upcoming", "kind": "talk_action"})
    assert all(f.kind == "talk_action" for f in only_actions.context["page"].object_list)
