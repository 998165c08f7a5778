"""One lifecycle for people and roles: every path that marks a person left, moves them, changes their
manager or ends a role goes through one core service, which announces a signal on commit; each app
reacts in its own receivers (talks: the talk-due obligations and agreed actions)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from talks.cadence import ensure_cadence
from talks.services import ActionInput, TalkInput, talk_create
from tests.conftest import ROLE_FROM, client_for
from tests.factories import ACTOR, make_person
from wellbeing import lifecycle, services
from wellbeing.models import AuditEvent, FollowUp, LifecycleEvent, RoleAssignment
from wellbeing.selectors import pipeline_status


def talk_dues_about(person):
    return FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, person=person, status__in=["open", "snoozed"])


@pytest.fixture
def owed(org, django_capture_on_commit_callbacks):
    """Every supervisor owes each report a talk (the daily reconciliation), and the supervisor has an
    open agreed action for the colleague that the staff member owns."""
    ensure_cadence(actor=ACTOR)
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["colleague"]],
            held_at=timezone.now() - timedelta(hours=2),
            main_content="x",
            actions=[
                ActionInput(
                    "整理值班表",
                    timezone.localdate() + timedelta(days=5),
                    owner_kind="colleague",
                    owner=org.users["staff"],
                )
            ],
        ),
    )
    return talk.actions.get().followup


def _assert_left_and_nothing_owed(org, owed_action):
    staff = org.users["staff"]
    staff.refresh_from_db()
    assert staff.is_active is False  # can no longer log in
    assert not RoleAssignment.objects.current().filter(user=staff).exists()
    assert not talk_dues_about(org.people["staff"]).exists()
    assert not FollowUp.objects.filter(owner=staff, status__in=["open", "snoozed"]).exists()
    owed_action.refresh_from_db()
    # What they had agreed to do for someone else is not lost: it goes to the talk's leader.
    assert (owed_action.status, owed_action.owner_id) == ("open", org.users["supervisor"].pk)


def test_it_ends_what_a_leaver_owes_through_the_service(org, owed, django_capture_on_commit_callbacks):
    services.role_assign(
        actor=ACTOR, user=org.users["staff"], role="hr_officer", unit=org.section_a1, valid_from=ROLE_FROM
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.person_leave(actor=org.users["hr_officer"], person=org.people["staff"])
    _assert_left_and_nothing_owed(org, owed)
    event = LifecycleEvent.objects.get(kind="person_left", person=org.people["staff"])
    assert event.handled_at is not None and event.actor_label == "hr_officer"
    # Each app's reaction is audited under its receiver's name.
    labels = set(AuditEvent.objects.filter(actor_label__startswith="receiver:").values_list("actor_label", flat=True))
    assert {"receiver:talks.person_left"} <= labels


def test_it_ends_what_a_leaver_owes_when_only_the_status_changes(org, owed, django_capture_on_commit_callbacks):
    """The path HR sync takes: a plain update of the person's record."""
    with django_capture_on_commit_callbacks(execute=True):
        services.person_update(actor=ACTOR, person=org.people["staff"], status="left")
    _assert_left_and_nothing_owed(org, owed)
    assert org.people["staff"].__class__.objects.get(pk=org.people["staff"].pk).left_on == timezone.localdate()


def test_it_ends_what_a_leaver_owes_through_the_admin(org, owed, django_capture_on_commit_callbacks):
    person = org.people["staff"]
    admin = client_for(org, "administrator")
    url = f"/admin/wellbeing/person/{person.pk}/change/"
    form = admin.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update(
        {
            "status": "left",
            "left_on": timezone.localdate().isoformat(),
            "unit": person.unit_id,
            "manager": person.manager_id,
            "user": person.user_id,
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    _assert_left_and_nothing_owed(org, owed)


def test_a_person_who_moves_is_owed_exactly_one_talk_by_the_new_supervisor(
    org, owed, django_capture_on_commit_callbacks
):
    colleague = org.people["colleague"]
    assert set(talk_dues_about(colleague).values_list("owner__username", flat=True)) == {"supervisor"}
    with django_capture_on_commit_callbacks(execute=True):
        services.person_move(actor=org.users["hr_officer"], person=colleague, unit=org.section_b1)
    dues = list(talk_dues_about(colleague))
    assert [f.owner.username for f in dues] == ["outsider_supervisor"]
    # A change of post is a reason for a talk soon: within two weeks.
    assert dues[0].due_at <= timezone.now() + timedelta(days=14, minutes=1)
    old = FollowUp.objects.filter(kind=FollowUp.Kind.TALK_DUE, person=colleague, owner=org.users["supervisor"])
    assert old.filter(status="cancelled").count() == 1
    # Announced again (a retried event), nothing changes.
    with django_capture_on_commit_callbacks(execute=True):
        event = LifecycleEvent.objects.get(kind="person_moved")
        LifecycleEvent.objects.filter(pk=event.pk).update(handled_at=None)
        lifecycle.dispatch(event.pk)
    assert [f.owner.username for f in talk_dues_about(colleague)] == ["outsider_supervisor"]


def test_a_new_manager_who_supervises_is_owed_a_talk(org, owed, django_capture_on_commit_callbacks):
    staff = org.people["staff"]
    with django_capture_on_commit_callbacks(execute=True):
        services.person_change_manager(actor=ACTOR, person=staff, manager=org.people["outsider_supervisor"])
    owners = set(talk_dues_about(staff).values_list("owner__username", flat=True))
    # The town's supervisor still answers for her; her new manager (a supervisor in town B) now too.
    assert owners == {"supervisor", "outsider_supervisor"}


def test_a_role_ending_ends_its_talk_obligations_through_the_talks_receiver(
    org, owed, django_capture_on_commit_callbacks
):
    assignment = RoleAssignment.objects.get(user=org.users["supervisor"], role="supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        services.role_end(actor=org.users["administrator"], assignment=assignment)
    assert not FollowUp.objects.filter(
        owner=org.users["supervisor"], kind=FollowUp.Kind.TALK_DUE, status="open"
    ).exists()
    ended = AuditEvent.objects.filter(target_type__model="followup", actor_label="receiver:talks.role_ended")
    assert ended.exists()


def test_a_new_supervisor_role_schedules_talks_with_the_reports(org, django_capture_on_commit_callbacks):
    newcomer = make_person(org.section_b1, full_name="新同事")
    with django_capture_on_commit_callbacks(execute=True):
        services.role_assign(actor=ACTOR, user=org.users["hr_officer"], role="supervisor", unit=org.town_b)
    owed_by_new = FollowUp.objects.filter(owner=org.users["hr_officer"], kind=FollowUp.Kind.TALK_DUE, status="open")
    assert set(owed_by_new.values_list("person__external_id", flat=True)) == {
        newcomer.external_id,
        "EX-outsider",
        "EX-outsider_supervisor",
    }


def test_nothing_is_announced_for_a_change_that_was_rolled_back(org, owed, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.person_leave(actor=ACTOR, person=org.people["staff"])
        raise RuntimeError("the request failed later")
    assert callbacks == []
    assert talk_dues_about(org.people["staff"]).exists()
    assert not LifecycleEvent.objects.filter(kind="person_left").exists()


def test_a_failing_receiver_is_retried_and_shown_to_operators(
    org, owed, monkeypatch, django_capture_on_commit_callbacks
):
    from talks import receivers

    calls = []

    def broken(sender, **kwargs):
        calls.append(1)
        raise RuntimeError("database hiccup")

    lifecycle.person_moved.disconnect(dispatch_uid="talks.person_moved")
    lifecycle.person_moved.connect(broken, dispatch_uid="talks.person_moved")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.person_move(actor=ACTOR, person=org.people["colleague"], unit=org.section_b1)
        event = LifecycleEvent.objects.get(kind="person_moved")
        assert event.handled_at is None and "database hiccup" in event.last_error
        assert pipeline_status()["lifecycle_unhandled"] == 1
        lifecycle.redeliver_due(now=timezone.now())  # not before its back-off
        event.refresh_from_db()
        assert event.handled_at is None and event.attempts == 1
    finally:
        lifecycle.person_moved.disconnect(dispatch_uid="talks.person_moved")
        lifecycle.person_moved.connect(receivers.person_moved, dispatch_uid="talks.person_moved")
    assert lifecycle.redeliver_due(now=timezone.now() + timedelta(minutes=5)) >= 1
    event.refresh_from_db()
    assert event.handled_at is not None and pipeline_status()["lifecycle_unhandled"] == 0
    assert [f.owner.username for f in talk_dues_about(org.people["colleague"])] == ["outsider_supervisor"]
    assert calls == [1]
