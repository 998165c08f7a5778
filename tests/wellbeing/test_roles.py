"""Clinical roles need a second person: an administrator cannot give anyone - themself included - a
counsellor or lead counsellor role alone (docs/security.md, "Administrators and clinical roles")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import verified_login
from tests.factories import ACTOR, UserFactory
from wellbeing import policy, services
from wellbeing.actors import command_actor
from wellbeing.models import AuditEvent, LifecycleEvent, Notification, Role, RoleAssignment

ADD_URL = "/admin/wellbeing/roleassignment/add/"
CHANGELIST = "/admin/wellbeing/roleassignment/"


def _fresh(user):
    """The user as the next request sees them (no cached access)."""
    return get_user_model().objects.get(pk=user.pk)


def _assign_to_self_in_the_admin(as_principal, org, role=Role.LEAD_COUNSELLOR) -> RoleAssignment:
    admin_user = org.users["administrator"]
    data = {"user": admin_user.pk, "role": role, "valid_from": timezone.localdate().isoformat()}
    response = as_principal("administrator").post(ADD_URL, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    return RoleAssignment.objects.get(user=admin_user, role=role)


@pytest.fixture
def second_admin(org):
    user = UserFactory(username="second_administrator")
    services.role_assign(actor=ACTOR, user=user, role=Role.ADMINISTRATOR)
    return user


@pytest.fixture
def as_second_admin(client, second_admin):
    verified_login(client, second_admin)
    return client


def test_an_administrator_who_gives_themself_a_clinical_role_does_not_hold_it_yet(as_principal, org):
    assignment = _assign_to_self_in_the_admin(as_principal, org)
    assert assignment.status == RoleAssignment.Status.PENDING
    assert assignment.assigned_by == org.users["administrator"]
    assert not policy.can(_fresh(org.users["administrator"]), "referral.intake")
    assert as_principal("administrator").get("/referrals/").context["intake"] is None
    # Nothing treats it as held: not the holders of the role, not the lifecycle.
    assert org.users["administrator"] not in policy.holders_of_anywhere(Role.LEAD_COUNSELLOR)
    assert not LifecycleEvent.objects.filter(assignment=assignment).exists()


def test_the_admin_says_the_role_waits_for_a_second_person(as_principal, org):
    admin = as_principal("administrator")
    data = {"user": org.users["staff"].pk, "role": Role.COUNSELLOR, "valid_from": timezone.localdate().isoformat()}
    response = admin.post(ADD_URL, data, follow=True)
    assert "not in force until a second person confirms it" in response.content.decode()
    html = admin.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    assert "pending confirmation" in html and "staff" in html


def test_the_administrator_who_assigned_it_cannot_confirm_it(as_principal, org):
    assignment = _assign_to_self_in_the_admin(as_principal, org)
    admin = as_principal("administrator")
    assert admin.post(f"/roles/{assignment.pk}/confirm/").status_code == 404
    admin.post(CHANGELIST, {"action": "confirm_selected", "_selected_action": [assignment.pk]})
    assignment.refresh_from_db()
    assert assignment.status == RoleAssignment.Status.PENDING
    assert not policy.can(_fresh(org.users["administrator"]), "referral.intake")


def test_nobody_confirms_a_role_of_their_own(as_principal, org, second_admin):
    assignment = services.role_assign(actor=second_admin, user=org.users["lead_counsellor"], role=Role.COUNSELLOR)
    assert as_principal("lead_counsellor").post(f"/roles/{assignment.pk}/confirm/").status_code == 404
    assignment.refresh_from_db()
    assert assignment.is_pending


def test_a_second_administrator_confirms_it_and_then_it_is_in_force(as_principal, as_second_admin, org, second_admin):
    assignment = _assign_to_self_in_the_admin(as_principal, org)
    response = as_second_admin.post(CHANGELIST, {"action": "confirm_selected", "_selected_action": [assignment.pk]})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == RoleAssignment.Status.CONFIRMED
    assert assignment.decided_by == second_admin
    assert policy.can(_fresh(org.users["administrator"]), "referral.intake")
    assert as_principal("administrator").get("/referrals/").context["intake"] is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.STATUS, target_id=str(assignment.pk))
    assert event.actor == second_admin and event.changes == {"status": ["pending", "confirmed"]}
    assert LifecycleEvent.objects.filter(assignment=assignment, kind=LifecycleEvent.Kind.ROLE_ASSIGNED).exists()


def test_the_lead_counsellor_confirms_it_on_the_pending_page(as_principal, org):
    assignment = _assign_to_self_in_the_admin(as_principal, org, role=Role.COUNSELLOR)
    lead = as_principal("lead_counsellor")
    page = lead.get("/roles/pending/")
    assert page.status_code == 200
    assert "孙管理" in page.content.decode() and f"/roles/{assignment.pk}/confirm/" in page.content.decode()
    assert lead.post(f"/roles/{assignment.pk}/confirm/")["Location"] == "/roles/pending/"
    assignment.refresh_from_db()
    assert assignment.status == RoleAssignment.Status.CONFIRMED
    assert assignment.decided_by == org.users["lead_counsellor"]
    assert Role.COUNSELLOR in policy.access_for(_fresh(org.users["administrator"])).roles


def test_the_lead_counsellors_are_told_at_once_and_told_nothing_more(as_principal, org):
    _assign_to_self_in_the_admin(as_principal, org, role=Role.COUNSELLOR)
    note = Notification.objects.get(recipient=org.users["lead_counsellor"])
    assert note.display_title == "A clinical role was assigned to 孙管理"
    assert note.display_body == "Confirm or refuse it."
    assert note.url == "/roles/pending/"
    inbox = as_principal("lead_counsellor").get("/inbox/").content.decode()
    assert "A clinical role was assigned to 孙管理" in inbox


def test_a_refusal_is_audited_and_the_role_never_applies(as_principal, org):
    assignment = _assign_to_self_in_the_admin(as_principal, org)
    lead = as_principal("lead_counsellor")
    assert lead.post(f"/roles/{assignment.pk}/refuse/", {"reason": ""})["Location"] == "/roles/pending/"
    assignment.refresh_from_db()
    assert assignment.is_pending  # a refusal needs a reason
    lead.post(f"/roles/{assignment.pk}/refuse/", {"reason": "未经组织批准"})
    assignment.refresh_from_db()
    assert assignment.status == RoleAssignment.Status.REFUSED
    event = AuditEvent.objects.get(action=AuditEvent.Action.STATUS, target_id=str(assignment.pk))
    assert event.actor == org.users["lead_counsellor"] and event.reason == "未经组织批准"
    assert event.changes == {"status": ["pending", "refused"]}
    assert not policy.can(_fresh(org.users["administrator"]), "referral.intake")
    # Decided once: it cannot be confirmed afterwards.
    assert lead.post(f"/roles/{assignment.pk}/confirm/").status_code == 404


def test_whoever_assigned_it_may_withdraw_it(as_principal, org):
    assignment = _assign_to_self_in_the_admin(as_principal, org)
    admin = as_principal("administrator")
    assert "Withdraw" in admin.get("/roles/pending/").content.decode()
    assert admin.post(f"/roles/{assignment.pk}/refuse/", {"reason": "选错了人"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == RoleAssignment.Status.REFUSED and assignment.decided_by == org.users["administrator"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.STATUS, target_id=str(assignment.pk)).exists()


def test_an_administrator_refuses_in_the_admin_with_a_reason(as_principal, as_second_admin, org):
    assignment = _assign_to_self_in_the_admin(as_principal, org)
    action = {"action": "refuse_selected", "_selected_action": [assignment.pk]}
    page = as_second_admin.post(CHANGELIST, action)
    assert page.status_code == 200 and "Reason" in page.content.decode()
    response = as_second_admin.post(CHANGELIST, action | {"apply": "1", "reason": "只有一位咨询师名额"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == RoleAssignment.Status.REFUSED
    assert AuditEvent.objects.get(action=AuditEvent.Action.STATUS, target_id=str(assignment.pk)).reason


def test_a_command_assigns_a_clinical_role_in_force_at_once(org):
    newcomer = UserFactory(username="new_lead")
    assignment = services.role_assign(actor=command_actor("seed_demo"), user=newcomer, role=Role.LEAD_COUNSELLOR)
    assert assignment.status == RoleAssignment.Status.CONFIRMED and assignment.assigned_by is None
    assert policy.can(_fresh(newcomer), "referral.intake")
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_ASSIGNED, target_id=str(assignment.pk))
    assert event.actor_label == "command:seed_demo"
    # The lead counsellors still hear of it.
    note = Notification.objects.get(recipient=org.users["lead_counsellor"])
    assert note.display_title == "A clinical role was assigned to new_lead" and note.display_body == ""


def test_other_roles_are_in_force_at_once(as_principal, org):
    data = {"user": org.users["staff"].pk, "role": Role.LEADING_GROUP, "valid_from": timezone.localdate().isoformat()}
    assert as_principal("administrator").post(ADD_URL, data).status_code == 302
    assert policy.can(_fresh(org.users["staff"]), "stats.view")
    assert not Notification.objects.filter(recipient=org.users["lead_counsellor"]).exists()


def test_the_database_refuses_a_clinical_role_confirmed_by_whoever_assigned_it(org):
    assignment = services.role_assign(actor=org.users["administrator"], user=org.users["staff"], role=Role.COUNSELLOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.filter(pk=assignment.pk).update(
            status="confirmed", decided_by=org.users["administrator"], decided_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.filter(pk=assignment.pk).update(status="confirmed", decided_at=timezone.now())


def test_the_pending_page_is_for_those_who_confirm(as_principal):
    assert as_principal("counsellor").get("/roles/pending/").status_code == 403
    nav = [str(label) for label, _url in as_principal("lead_counsellor").get("/").context["nav_items"]]
    assert "Roles to confirm" in nav
    nav = [str(label) for label, _url in as_principal("counsellor").get("/").context["nav_items"]]
    assert "Roles to confirm" not in nav


def test_an_ended_clinical_role_cannot_be_brought_back_by_editing_its_end(org, as_principal):
    assignment = RoleAssignment.objects.get(user=org.users["counsellor"], role="counsellor")
    ended = services.role_end(actor=org.users["administrator"], assignment=assignment)
    with pytest.raises(ValidationError):
        services.role_end(
            actor=org.users["administrator"], assignment=ended, on=timezone.localdate() + timedelta(days=900)
        )
    response = as_principal("administrator").post(
        f"/admin/wellbeing/roleassignment/{assignment.pk}/change/", {"valid_until": "2099-12-31"}
    )
    assert response.status_code == 200 and "can only move earlier" in response.content.decode()
    assert not RoleAssignment.objects.current().filter(pk=assignment.pk).exists()


def test_a_leavers_pending_clinical_role_is_refused_in_the_name_of_whoever_marked_them_left(org):
    pending = services.role_assign(actor=org.users["administrator"], user=org.users["staff"], role="counsellor")
    services.person_leave(actor=org.users["hr_officer"], person=org.people["staff"])
    pending.refresh_from_db()
    assert pending.status == RoleAssignment.Status.REFUSED
    row = AuditEvent.objects.filter(target_type__model="roleassignment", target_id=str(pending.pk)).latest("id")
    assert row.actor_label == "hr_officer"
