"""The activity pages (issue 13, item 3): what is on and registering on a phone, the waiting list and
who moves up when a place is freed (with the reminder the day before), the audience, anonymous
feedback shown only over k answers, attendance once begun, materials, publishing and editing - and
crafted input answered with errors next to the fields, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programme import services
from programme.models import Activity, ActivityMaterial, Feedback, FeedbackReceipt, Registration
from tests.conftest import client_for, verified_login
from tests.factories import UserFactory, make_person
from wellbeing.models import FollowUp

LIST = "/programme/activities/"
NEW = "/programme/activities/new/"


def _activity(org, *, capacity=2, units=None, starts_in=timedelta(days=3), organiser="leading_group", **fields):
    starts = timezone.now() + starts_in
    return services.activity_create(
        actor=org.users["leading_group"],
        organiser=org.users[organiser],
        units=[org.town_a] if units is None else units,
        title=fields.pop("title", "减压沙龙"),
        kind=fields.pop("kind", Activity.Kind.SALON),
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="党校报告厅",
        capacity=capacity,
        **fields,
    )


def _member(org, name: str, unit=None):
    """A staff member with a login (in A1 unless told), and a client signed in as them."""
    user = UserFactory(username=name)
    person = make_person(unit or org.section_a1, full_name=name, user=user, external_id=f"EX-{name}")
    client = Client()
    verified_login(client, user)
    return user, person, client


def _url(activity) -> str:
    return reverse("programme:activity", args=[activity.pk])


def _begin(activity, *, hours_ago: int = 2) -> None:
    """Move an activity into the past (it began ``hours_ago`` hours ago and is over)."""
    now = timezone.now()
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=now - timedelta(hours=hours_ago), ends_at=now - timedelta(hours=hours_ago - 1)
    )


def _post(client, activity, action: str, **data):
    return client.post(_url(activity), {"action": action, **data})


# --- Registering and the waiting list ---------------------------------------------------------------


def test_it_registers_up_to_capacity_then_the_waiting_list(org):
    activity = _activity(org, capacity=2)
    clients = [client_for(org, "staff"), client_for(org, "supervisor"), client_for(org, "hr_officer")]
    for client in clients:
        response = _post(client, activity, "register")
        assert response.status_code == 302 and response["Location"] == _url(activity)
    statuses = {
        r.person.full_name: r.status for r in Registration.objects.filter(activity=activity).select_related("person")
    }
    assert statuses == {"王静": "registered", "张主任": "registered", "吴人事": "waitlisted"}

    page = clients[2].get(_url(activity))
    assert page.status_code == 200
    assert "You are on the waiting list: number 1." in page.content.decode()
    assert "0 places left" in page.content.decode()
    _, _, fourth = _member(org, "赵四")
    _post(fourth, activity, "register")
    assert "You are on the waiting list: number 2." in fourth.get(_url(activity)).content.decode()

    # Registering twice is said, not a second place.
    response = _post(clients[0], activity, "register", next="list")
    assert response["Location"] == LIST
    assert Registration.objects.filter(activity=activity).count() == 4


def test_cancelling_a_place_gives_it_to_the_first_waiting_person_with_a_reminder_the_day_before(org):
    activity = _activity(org, capacity=1)
    staff, supervisor = client_for(org, "staff"), client_for(org, "supervisor")
    _post(staff, activity, "register")
    _post(supervisor, activity, "register")
    _, _, third = _member(org, "钱三")
    _post(third, activity, "register")

    response = _post(staff, activity, "unregister")
    assert response.status_code == 302
    promoted = Registration.objects.select_related("followup").get(activity=activity, person=org.people["supervisor"])
    assert promoted.status == Registration.Status.REGISTERED
    reminder = promoted.followup
    assert reminder.kind == FollowUp.Kind.ACTIVITY and reminder.owner == org.users["supervisor"]
    assert reminder.due_at == activity.starts_at - timedelta(days=1)
    assert reminder.is_active
    cancelled = Registration.objects.select_related("followup").get(activity=activity, person=org.people["staff"])
    assert cancelled.status == Registration.Status.CANCELLED and not cancelled.followup.is_active
    # The next one waits on: now number 1.
    assert "You are on the waiting list: number 1." in third.get(_url(activity)).content.decode()
    assert "You have a place." in supervisor.get(_url(activity)).content.decode()


def test_a_person_outside_the_audience_gets_404_and_cannot_register(org):
    activity = _activity(org)
    outsider = client_for(org, "outsider")
    assert outsider.get(_url(activity)).status_code == 404
    assert _post(outsider, activity, "register").status_code == 404
    assert not Registration.objects.filter(activity=activity).exists()
    assert f'data-activity="{activity.pk}"' not in outsider.get(LIST).content.decode()
    # The audience includes sub-units: A1's staff see it.
    assert client_for(org, "staff").get(_url(activity)).status_code == 200


def test_the_list_shows_what_is_on_as_cards_with_my_status_and_places_left(org):
    full = _activity(org, capacity=1, title="团体辅导")
    open_ = _activity(org, capacity=10, title="心理讲座")
    everyone = _activity(org, capacity=None, units=[], title="全县培训")
    services.register(actor=org.users["supervisor"], activity=full)
    staff = client_for(org, "staff")
    html = staff.get(LIST).content.decode()
    assert html.count('data-testid="activity-card"') == 3
    assert "1 place left" not in html and "10 places left" in html and "No limit on places" in html
    assert "Join the waiting list" in html  # the full one
    assert html.count('data-testid="register"') == 3
    assert 'data-testid="new-activity"' not in html
    _post(staff, open_, "register")
    html = staff.get(LIST).content.decode()
    assert 'data-testid="status-registered"' in html
    assert everyone.title in client_for(org, "outsider").get(LIST).content.decode()


def test_the_leading_group_sees_all_activities_and_organisers_theirs(org):
    for_b = _activity(org, units=[org.town_b], title="青石镇活动")
    by_supervisor = _activity(org, units=[org.town_b], title="主任组织", organiser="supervisor")
    html = client_for(org, "leading_group").get(LIST).content.decode()
    assert 'data-testid="new-activity"' in html
    assert for_b.title in html and by_supervisor.title in html
    html = client_for(org, "supervisor").get(LIST).content.decode()
    assert by_supervisor.title in html and for_b.title not in html
    # The organiser manages theirs (edit, attendance), though it is not open to their unit.
    supervisor = client_for(org, "supervisor")
    assert supervisor.get(reverse("programme:activity_edit", args=[by_supervisor.pk])).status_code == 200
    assert supervisor.get(reverse("programme:activity_edit", args=[for_b.pk])).status_code == 404


def test_the_list_runs_a_fixed_number_of_queries(org):
    staff = client_for(org, "staff")
    staff.get(LIST)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert staff.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    _activity(org)
    services.register(actor=org.users["staff"], activity=_activity(org, capacity=1))
    waiting = _activity(org, capacity=1)
    services.register(actor=org.users["supervisor"], activity=waiting)
    services.register(actor=org.users["staff"], activity=waiting)
    first = count()
    for _ in range(4):
        a = _activity(org, capacity=1)
        services.register(actor=org.users["supervisor"], activity=a)
        services.register(actor=org.users["staff"], activity=a)  # waiting list
    assert count() == first


# --- Feedback ---------------------------------------------------------------------------------------


def test_feedback_is_given_once_anonymously_and_shown_only_over_k_answers(org, settings):
    settings.STATS_MIN_GROUP_SIZE = 5
    activity = _activity(org, capacity=None)
    members = [_member(org, f"学员{i}") for i in range(5)]
    for user, _, _ in members:
        services.register(actor=user, activity=activity)
    _begin(activity)

    for i, (_, _, client) in enumerate(members[:4]):
        response = _post(client, activity, "feedback", rating=str(i + 2), comment=f"很有帮助{i}")
        assert response.status_code == 302
    page = members[0][2].get(_url(activity)).content.decode()
    assert "The feedback is shown once 5 people have answered." in page
    assert "很有帮助" not in page
    assert 'data-testid="feedback-form"' not in page and "You have given your feedback." in page

    # Once: a second answer is refused next to the rating, nothing stored.
    response = _post(members[0][2], activity, "feedback", rating="5")
    assert response.status_code == 400
    assert "You have given your feedback already." in response.content.decode()
    assert Feedback.objects.filter(activity=activity).count() == 4

    _post(members[4][2], activity, "feedback", rating="1")
    page = client_for(org, "leading_group").get(_url(activity)).content.decode()
    assert "5 answers, average rating 3.0 of 5" in page
    assert "很有帮助3" in page

    # Anonymous: the answer has no person, no time; the receipt has no answer.
    assert {f.name for f in Feedback._meta.get_fields()} == {"id", "activity", "rating", "comment"}
    assert {f.name for f in FeedbackReceipt._meta.get_fields()} == {"id", "activity", "person"}
    assert FeedbackReceipt.objects.filter(activity=activity).count() == 5


def test_feedback_is_for_attendees_and_a_rating_of_9_is_an_error(org):
    activity = _activity(org, capacity=None)
    services.register(actor=org.users["staff"], activity=activity)
    staff = client_for(org, "staff")
    # Not begun yet: no form, and a crafted answer is refused.
    assert 'data-testid="feedback-form"' not in staff.get(_url(activity)).content.decode()
    assert _post(staff, activity, "feedback", rating="4").status_code == 403
    _begin(activity)
    page = staff.get(_url(activity)).content.decode()
    assert 'data-testid="feedback-form"' in page and "Your feedback is anonymous" in page
    for bad in ("9", "0", "x", "", "3\x00"):
        response = _post(staff, activity, "feedback", rating=bad)
        assert response.status_code == 400, bad
        assert "Give a rating from 1 to 5." in response.content.decode()
    response = _post(staff, activity, "feedback", rating="4", comment="x" * 1001)
    assert response.status_code == 400
    assert not Feedback.objects.exists()
    # Someone who sees the activity but did not register may not answer.
    assert _post(client_for(org, "supervisor"), activity, "feedback", rating="4").status_code == 403
    assert not Feedback.objects.exists()


def test_past_activities_i_attended_offer_feedback_until_given(org):
    activity = _activity(org, capacity=None, title="正念训练")
    services.register(actor=org.users["staff"], activity=activity)
    _begin(activity)
    staff = client_for(org, "staff")
    html = staff.get(LIST).content.decode()
    assert 'data-testid="attended"' in html and 'data-testid="give-feedback"' in html
    _post(staff, activity, "feedback", rating="5")
    html = staff.get(LIST).content.decode()
    assert "正念训练" in html and 'data-testid="give-feedback"' not in html


# --- Attendance -------------------------------------------------------------------------------------


def test_attendance_is_taken_by_managers_once_the_activity_has_begun(org):
    activity = _activity(org, capacity=None)
    for name in ("staff", "supervisor"):
        services.register(actor=org.users[name], activity=activity)
    staff_reg = Registration.objects.get(activity=activity, person=org.people["staff"])
    url = reverse("programme:activity_attendance", args=[activity.pk])
    lead = client_for(org, "leading_group")

    page = lead.get(url)
    assert page.status_code == 200 and 'data-testid="not-begun"' in page.content.decode()
    response = lead.post(url, {"attended": [staff_reg.pk]})
    assert response.status_code == 400
    assert "Attendance is taken once the activity has begun." in response.content.decode()
    assert not Registration.objects.filter(activity=activity, attended__isnull=False).exists()

    _begin(activity)
    for crafted in (["999999"], ["x"], [str(2**70)]):
        assert lead.post(url, {"attended": crafted}).status_code == 400
    response = lead.post(url, {"attended": [staff_reg.pk]})
    assert response.status_code == 302
    attended = dict(Registration.objects.filter(activity=activity).values_list("person__full_name", "attended"))
    assert attended == {"王静": True, "张主任": False}
    # Not the people who registered.
    assert client_for(org, "staff").post(url, {"attended": [staff_reg.pk]}).status_code == 404


# --- Materials --------------------------------------------------------------------------------------


def test_materials_are_uploaded_by_managers_and_downloaded_as_attachments(org, settings):
    activity = _activity(org)
    lead = client_for(org, "leading_group")
    upload = SimpleUploadedFile('讲义 "第一讲".html', b"<script>alert(1)</script>", content_type="text/html")
    response = lead.post(_url(activity), {"action": "material", "title": "讲义", "file": upload})
    assert response.status_code == 302
    material = ActivityMaterial.objects.get(activity=activity)
    url = reverse("programme:material", args=[activity.pk, material.pk])
    page = client_for(org, "staff").get(_url(activity)).content.decode()
    assert url in page

    response = client_for(org, "staff").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b"<script>alert(1)</script>"
    assert client_for(org, "outsider").get(url).status_code == 404
    other = _activity(org)
    assert lead.get(reverse("programme:material", args=[other.pk, material.pk])).status_code == 404

    # Viewers may not upload; a file too large or empty is an error next to the field.
    staff_post = client_for(org, "staff").post(
        _url(activity), {"action": "material", "file": SimpleUploadedFile("a.pdf", b"x")}
    )
    assert staff_post.status_code == 403
    settings.PROGRAMME_MAX_FILE_BYTES = 1024
    for crafted in (SimpleUploadedFile("big.pdf", b"x" * 2048), SimpleUploadedFile("empty.pdf", b"")):
        response = lead.post(_url(activity), {"action": "material", "file": crafted})
        assert response.status_code == 400
        assert 'data-testid="material-form"' in response.content.decode()
        assert "invalid-feedback" in response.content.decode()
    assert ActivityMaterial.objects.filter(activity=activity).count() == 1


# --- Publishing, editing, cancelling ----------------------------------------------------------------


def _form(org, **overrides) -> dict:
    data = {
        "title": "减压工作坊",
        "kind": "group_activity",
        "description": "",
        "starts_at": "2030-05-01T09:00",
        "ends_at": "2030-05-01T11:30",
        "place": "县委办三楼",
        "units": [org.town_a.pk],
        "capacity": "30",
        "task": "",
    }
    data.update(overrides)
    return data


def test_the_leading_group_publishes_an_activity_in_the_organisations_time(org):
    lead = client_for(org, "leading_group")
    assert lead.get(NEW).status_code == 200
    response = lead.post(NEW, _form(org))
    assert response.status_code == 302
    activity = Activity.objects.get(title="减压工作坊")
    assert response["Location"] == _url(activity)
    assert activity.starts_at.isoformat() == "2030-05-01T01:00:00+00:00"  # 09:00 in Asia/Shanghai
    assert list(activity.units.all()) == [org.town_a] and activity.capacity == 30
    assert activity.organiser == org.users["leading_group"]
    assert client_for(org, "staff").post(NEW, _form(org)).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"starts_at": "2030-02-30T09:00"}, "starts_at", "Give a date and time"),
        ({"starts_at": "yesterday"}, "starts_at", "Give a date and time"),
        ({"starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T01:00"}, "starts_at", "Give a date between"),
        ({"ends_at": "9999-12-31T23:59"}, "ends_at", "Give a date between"),
        ({"ends_at": "2030-05-01T08:00"}, "ends_at", "The end must be after the start."),
        ({"starts_at": "2020-05-01T09:00", "ends_at": "2020-05-01T10:00"}, "starts_at", "still to come"),
        ({"capacity": "0"}, "capacity", "greater than or equal to 1"),
        ({"capacity": "-5"}, "capacity", "greater than or equal to 1"),
        ({"capacity": str(2**70)}, "capacity", "less than or equal to"),
        ({"units": ["999999"]}, "units", "Choose units from the list."),
        ({"units": ["x"]}, "units", "Choose units from the list."),
        ({"units": [str(2**70)]}, "units", "Choose units from the list."),
        ({"kind": "party"}, "kind", "Select a valid choice"),
        ({"task": "999999"}, "task", "Choose a task from the list."),
        ({"title": ""}, "title", "This field is required."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"place": "会\x00议室"}, "place", "Null characters are not allowed."),
    ],
)
def test_crafted_activity_input_is_an_error_next_to_its_field(org, overrides, field, message):
    response = client_for(org, "leading_group").post(NEW, _form(org, **overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert any(message in e for e in form.errors[field]), form.errors[field]
    assert not Activity.objects.exists()


def test_the_organiser_edits_and_cancels_an_activity(org):
    activity = _activity(org, organiser="supervisor")
    services.register(actor=org.users["staff"], activity=activity)
    supervisor = client_for(org, "supervisor")
    url = reverse("programme:activity_edit", args=[activity.pk])
    page = supervisor.get(url)
    assert page.status_code == 200
    assert 'name="task"' not in page.content.decode()  # the plan is the leading group's
    initial = page.context["form"].initial
    data = _form(
        org,
        starts_at=timezone.localtime(initial["starts_at"]).strftime("%Y-%m-%dT%H:%M"),
        ends_at=timezone.localtime(initial["ends_at"]).strftime("%Y-%m-%dT%H:%M"),
        title="减压沙龙（改）",
        capacity="",
        units=[],
    )
    data.pop("task")
    assert supervisor.post(url, data).status_code == 302
    activity.refresh_from_db()
    assert activity.title == "减压沙龙（改）" and activity.capacity is None and not activity.units.exists()
    assert client_for(org, "staff").get(url).status_code == 404

    response = supervisor.post(url, {"action": "cancel"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == Activity.Status.CANCELLED
    reg = Registration.objects.select_related("followup").get(activity=activity)
    assert not reg.followup.is_active
    page = client_for(org, "staff").get(_url(activity)).content.decode()
    assert "This activity is cancelled." in page and 'data-testid="register"' not in page
    assert 'data-testid="unregister"' not in page and "You have a place" not in page
    # Cancelling twice is said, not a 500.
    assert supervisor.post(url, {"action": "cancel"}, follow=True).status_code == 200


def test_unknown_and_crafted_addresses_are_404(org):
    staff = client_for(org, "staff")
    for url in (
        f"/programme/activities/{2**70}/",
        "/programme/activities/999999/",
        f"/programme/activities/999999/materials/{2**70}/",
        f"/programme/activities/{2**70}/attendance/",
    ):
        assert staff.get(url).status_code == 404, url
    activity = _activity(org)
    assert _post(staff, activity, "dance").status_code == 302
