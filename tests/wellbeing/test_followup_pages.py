"""My follow-ups, my team's, the inbox, the follow-up API, and the pipeline's operations views."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ACTOR
from wellbeing import services
from wellbeing.models import Delivery, FollowUp, Notification
from wellbeing.reminders.scan import run_scan


def make(org, owner="staff", title="事项", due=timedelta(hours=-2), **kwargs):
    return services.followup_create(
        actor=ACTOR, owner=org.users[owner], title=title, due_at=timezone.now() + due, **kwargs
    )


def titles(response) -> list[str]:
    return [f.title for f in response.context["page"].object_list]


def test_my_follow_ups_are_sorted_into_buckets(as_principal, org):
    make(org, title="逾期", due=timedelta(hours=-3))
    make(org, title="以后", due=timedelta(days=3))
    done = make(org, title="已完成", due=timedelta(hours=-5))
    services.followup_complete(actor=org.users["staff"], followup=done)
    client = as_principal("staff")
    assert titles(client.get("/follow-ups/")) == ["逾期"]  # overdue is the default tab
    assert "以后" in titles(client.get("/follow-ups/", {"bucket": "upcoming"}))
    assert titles(client.get("/follow-ups/", {"bucket": "done"})) == ["已完成"]
    tabs = {key: count for key, _label, count in client.get("/follow-ups/").context["tabs"]}
    assert tabs["overdue"] == 1


def test_one_click_complete_with_htmx(as_principal, org):
    f = make(org)
    response = as_principal("staff").post(f"/follow-ups/{f.pk}/complete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="followup-{f.pk}"' in response.content.decode()
    f.refresh_from_db()
    assert f.status == FollowUp.Status.DONE and f.completed_by == org.users["staff"]


def test_a_bad_snooze_shows_the_error_in_the_row_and_changes_nothing(as_principal, org):
    f = make(org)
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client = as_principal("staff")
    for data in [
        {"until": past, "reason": "x"},
        {"until": "not a date", "reason": "x"},
        {"until": past, "reason": ""},
        {"until": past, "reason": "坏\x00"},
    ]:
        response = client.post(f"/follow-ups/{f.pk}/snooze/", data, HTTP_HX_REQUEST="true")
        assert response.status_code == 400
        assert "alert-danger" in response.content.decode()
    f.refresh_from_db()
    assert f.status == FollowUp.Status.OPEN


def test_a_snooze_from_the_detail_page(as_principal, org):
    f = make(org)
    until = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = as_principal("staff").post(
        f"/follow-ups/{f.pk}/snooze/", {"until": until, "reason": "出差", "next": f"/follow-ups/{f.pk}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/follow-ups/{f.pk}/"
    f.refresh_from_db()
    assert f.status == FollowUp.Status.SNOOZED and f.snooze_reason == "出差"


def test_completing_someone_elses_follow_up_is_a_404(as_principal, org):
    f = make(org, owner="outsider")
    response = as_principal("staff").post(f"/follow-ups/{f.pk}/complete/")
    assert response.status_code == 404
    f.refresh_from_db()
    assert f.status == FollowUp.Status.OPEN


def test_unknown_ids_are_404(as_principal):
    client = as_principal("staff")
    assert client.get("/follow-ups/999999/").status_code == 404
    assert client.post("/follow-ups/999999/complete/").status_code == 404


def test_the_team_view_never_shows_counselling_work_to_supervisors(as_principal, org):
    make(org, owner="staff", title="员工事项")
    make(org, owner="counsellor", title="个案联系", kind=FollowUp.Kind.CASE_CONTACT)
    supervisor = titles(as_principal("supervisor").get("/follow-ups/team/"))
    lead = titles(as_principal("lead_counsellor").get("/follow-ups/team/"))
    assert supervisor == ["员工事项"]
    assert lead == ["个案联系"]
    assert titles(as_principal("outsider_supervisor").get("/follow-ups/team/")) == []


def test_a_supervisor_can_act_on_their_units_items(as_principal, org):
    f = make(org, owner="staff")
    assert as_principal("supervisor").post(f"/follow-ups/{f.pk}/complete/").status_code == 302
    f.refresh_from_db()
    assert f.completed_by == org.users["supervisor"]


def test_the_my_follow_ups_page_has_a_fixed_number_of_queries(as_principal, org):
    client = as_principal("staff")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/follow-ups/").status_code == 200
        return len(ctx)

    make(org)
    count()
    few = count()
    for i in range(50):
        make(org, title=f"事项{i}", person=org.people["colleague"])
    assert count() == few


# --- Inbox ---------------------------------------------------------------------------------------------


def _notifications(org, n=2):
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        for i in range(n):
            make(org, title=f"提醒{i}", due=timedelta(hours=-1))
        run_scan(timezone.now())


def test_the_header_shows_the_unread_count_and_read_clears_it(as_principal, org):
    _notifications(org, 2)
    client = as_principal("staff")
    html = client.get("/").content.decode()
    assert 'data-testid="unread-count">2<' in html
    first = Notification.objects.filter(recipient=org.users["staff"]).first()
    client.post("/inbox/read/", {"id": first.pk})
    assert client.get("/").context["unread_count"] == 1
    client.post("/inbox/read/")
    assert client.get("/").context["unread_count"] == 0


def test_nobody_can_mark_anothers_notifications(as_principal, org):
    _notifications(org, 1)
    n = Notification.objects.get(recipient=org.users["staff"])
    assert as_principal("outsider").post("/inbox/read/", {"id": n.pk}).status_code == 302
    n.refresh_from_db()
    assert n.read_at is None
    assert as_principal("staff").post("/inbox/read/", {"id": "abc"}).status_code == 400


def test_the_inbox_lists_my_notifications(as_principal, org):
    _notifications(org, 2)
    inbox = as_principal("staff").get("/inbox/")
    assert [n.display_title for n in inbox.context["page"].object_list] == ["提醒1", "提醒0"]
    assert list(as_principal("outsider").get("/inbox/").context["page"].object_list) == []


# --- API -----------------------------------------------------------------------------------------------


def test_the_api_lists_and_filters_my_follow_ups(as_principal, org):
    make(org, title="逾期")
    make(org, title="以后", due=timedelta(days=3))
    api = as_principal("staff", api=True)
    rows = api.get("/api/v1/follow-ups/", {"bucket": "overdue"}).json()["results"]
    assert [r["title"] for r in rows] == ["逾期"] and rows[0]["is_overdue"] is True
    assert api.get("/api/v1/follow-ups/", {"bucket": "nope"}).status_code == 400
    assert api.get("/api/v1/follow-ups/", {"team": "true"}).status_code == 403  # staff has no team


def test_the_api_completes_and_snoozes(as_principal, org):
    f, g = make(org), make(org)
    api = as_principal("staff", api=True)
    response = api.post(f"/api/v1/follow-ups/{f.pk}/complete/", {"outcome": "已处理"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "done"
    until = (timezone.now() + timedelta(days=1)).isoformat()
    response = api.post(f"/api/v1/follow-ups/{g.pk}/snooze/", {"until": until, "reason": "出差"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "snoozed"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"until": "2020-01-01T00:00:00Z", "reason": "x"}, "until"),
        ({"until": "soon", "reason": "x"}, "until"),
        ({"until": "2099-01-01T00:00:00Z", "reason": "x"}, "until"),
        ({"reason": "x"}, "until"),
        ({"until": "2099-01-01T00:00:00Z", "reason": "坏\x00"}, "reason"),
        ({"until": "2099-01-01T00:00:00Z", "reason": "x" * 201}, "reason"),
    ],
    ids=["past", "not-a-date", "too-far", "missing", "nul", "too-long"],
)
def test_bad_snoozes_over_the_api_are_400_and_change_nothing(as_principal, org, data, field):
    f = make(org)
    response = as_principal("staff", api=True).post(f"/api/v1/follow-ups/{f.pk}/snooze/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    f.refresh_from_db()
    assert f.status == FollowUp.Status.OPEN and f.cycle == 1


def test_completing_twice_over_the_api_is_a_400(as_principal, org):
    f = make(org)
    api = as_principal("staff", api=True)
    api.post(f"/api/v1/follow-ups/{f.pk}/complete/", {}, format="json")
    response = api.post(f"/api/v1/follow-ups/{f.pk}/complete/", {}, format="json")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_the_follow_up_api_list_has_a_fixed_number_of_queries(as_principal, org):
    api = as_principal("staff", api=True)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/follow-ups/").status_code == 200
        return len(ctx)

    make(org)
    count()
    few = count()
    for i in range(50):
        make(org, title=f"事项{i}", person=org.people["colleague"])
    assert count() == few


# --- Operations ----------------------------------------------------------------------------------------


def test_health_reports_a_stale_scan_then_a_fresh_one(client, org, settings):
    settings.ESCALATION_SECOND_LINE_CLINICAL = ["counsellor"]  # fully configured: nothing to report
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["status"] == "stale"
    run_scan(timezone.now())
    response = client.get("/health/")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    settings.ESCALATION_SECOND_LINE_CLINICAL = []  # one lead counsellor and no second line
    body = client.get("/health/").json()
    assert (body["status"], body["configuration_errors"]) == ("degraded", 1)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert client.get("/health/").status_code == 503


def test_the_status_command_and_the_admin_view_show_the_pipeline(as_principal, org, settings):
    settings.ESCALATION_SECOND_LINE_CLINICAL = ["counsellor"]
    _notifications(org, 2)
    out = StringIO()
    call_command("followup_status", stdout=out)
    text = out.getvalue()
    # 2 from the scan, 2 in the org fixture, plus its talk's next "talk due" and its referral's intake
    assert "follow-ups: open 6, due 2, overdue 0" in text
    # Two digests: the staff member's, and the lead counsellor's (the fixture's referral is announced).
    assert "messages: pending 2" in text
    response = as_principal("administrator").get("/admin/pipeline/")
    assert response.status_code == 200
    assert response.context["status"]["open"] == 6


def test_an_administrator_retries_failed_deliveries(as_principal, org, django_capture_on_commit_callbacks):
    _notifications(org, 1)
    d = Delivery.objects.get(recipient=org.users["staff"])
    Delivery.objects.filter(pk=d.pk).update(status="failed", attempts=8, last_error="SMTP down")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_principal("administrator").post(
            "/admin/wellbeing/delivery/", {"action": "retry", "_selected_action": [d.pk]}
        )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == "sent"
