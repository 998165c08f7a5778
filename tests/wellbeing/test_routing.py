"""Reminders go only to people who may see them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from tests.factories import ACTOR
from wellbeing import services
from wellbeing.models import FollowUp, Reminder, Unavailability
from wellbeing.reminders.scan import run_scan

TZ = ZoneInfo("Asia/Shanghai")


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def test_counselling_work_never_goes_to_a_delegate_outside_the_team(org):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as clock:
        f = services.followup_create(
            actor=ACTOR,
            owner=org.users["counsellor"],
            title="个案联系",
            kind=FollowUp.Kind.CASE_CONTACT,
            due_at=at("2026-03-02 10:00"),
        )
        Unavailability.objects.create(
            user=org.users["counsellor"],
            starts_at=at("2026-03-01 00:00"),
            ends_at=at("2026-03-09 00:00"),
            delegate=org.users["hr_officer"],
        )
        clock.move_to(at("2026-03-02 10:00"))
        run_scan(timezone.now())
    assert [(r.recipient.username, r.routed_from.username) for r in Reminder.objects.filter(followup=f)] == [
        ("lead_counsellor", "counsellor")
    ]


def test_nobody_above_the_owner_means_no_escalation_and_never_the_administrator(org):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as clock:
        f = services.followup_create(
            actor=ACTOR, owner=org.users["outsider_supervisor"], title="事项", due_at=at("2026-03-02 10:00")
        )
        for day in ("2026-03-02 10:00", "2026-03-03 10:00", "2026-03-06 10:00"):
            clock.move_to(at(day))
            run_scan(timezone.now())
    recipients = set(Reminder.objects.filter(followup=f).values_list("recipient__username", flat=True))
    assert recipients == {"outsider_supervisor"}


def test_a_delegate_can_open_what_they_were_reminded_of(org, as_principal):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as clock:
        f = services.followup_create(actor=ACTOR, owner=org.users["staff"], title="事项", due_at=at("2026-03-02 10:00"))
        Unavailability.objects.create(
            user=org.users["staff"],
            starts_at=at("2026-03-01 00:00"),
            ends_at=at("2026-03-09 00:00"),
            delegate=org.users["outsider"],
        )
        clock.move_to(at("2026-03-02 10:00"))
        run_scan(timezone.now())
    assert as_principal("outsider").get(f"/follow-ups/{f.pk}/").status_code == 200
    assert as_principal("outsider").post(f"/follow-ups/{f.pk}/complete/").status_code == 403  # not theirs to close


def test_a_next_parameter_cannot_leave_the_site(as_principal, org):
    f = services.followup_create(
        actor=ACTOR, owner=org.users["staff"], title="事项", due_at=timezone.now() + timedelta(days=1)
    )
    response = as_principal("staff").post(f"/follow-ups/{f.pk}/complete/", {"next": "//evil.example/x"})
    assert response["Location"] == "/follow-ups/"


def test_a_huge_notification_id_is_a_400(as_principal, org):
    assert as_principal("staff").post("/inbox/read/", {"id": "9" * 25}).status_code == 400


def test_ending_a_supervisor_role_closes_the_talks_they_owed(org, django_capture_on_commit_callbacks):
    from wellbeing.models import RoleAssignment

    assignment = RoleAssignment.objects.get(user=org.users["supervisor"], role="supervisor")
    owed = FollowUp.objects.filter(owner=org.users["supervisor"], kind=FollowUp.Kind.TALK_DUE, status="open")
    assert owed.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.role_end(actor=ACTOR, assignment=assignment, on=timezone.localdate() - timedelta(days=1))
    assert not owed.exists()


def test_an_administrator_named_as_a_delegate_neither_stands_in_nor_sees_the_item(org, as_principal):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as clock:
        f = services.followup_create(actor=ACTOR, owner=org.users["staff"], title="事项", due_at=at("2026-03-02 10:00"))
        Unavailability.objects.create(
            user=org.users["staff"],
            starts_at=at("2026-03-01 00:00"),
            ends_at=at("2026-03-09 00:00"),
            delegate=org.users["administrator"],
        )
        clock.move_to(at("2026-03-02 10:00"))
        run_scan(timezone.now())
    assert not Reminder.objects.filter(followup=f, recipient=org.users["administrator"]).exists()
    assert as_principal("administrator").get(f"/follow-ups/{f.pk}/").status_code == 404
    assert as_principal("administrator", api=True).get(f"/api/v1/follow-ups/{f.pk}/").status_code == 404


def test_a_delegate_no_longer_sees_an_item_once_it_is_closed(org, as_principal):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False) as clock:
        f = services.followup_create(actor=ACTOR, owner=org.users["staff"], title="事项", due_at=at("2026-03-02 10:00"))
        Unavailability.objects.create(
            user=org.users["staff"],
            starts_at=at("2026-03-01 00:00"),
            ends_at=at("2026-03-09 00:00"),
            delegate=org.users["outsider"],
        )
        clock.move_to(at("2026-03-02 10:00"))
        run_scan(timezone.now())
    services.followup_complete(actor=org.users["staff"], followup=f)
    assert as_principal("outsider").get(f"/follow-ups/{f.pk}/").status_code == 404
