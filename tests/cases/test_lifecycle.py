"""Cases and the core's lifecycle (design/architecture.md, "Lifecycle signals"): a counsellor who
leaves, or whose counselling role ends, hands their open cases back to the lead counsellor's
unassigned queue with their contact follow-ups, and transfers waiting for them are withdrawn -
nothing is dropped; when the person a case is about leaves, the case stays open and the lead
counsellor gets one item to review it."""

from __future__ import annotations

import pytest

from cases import receivers, services
from cases.models import Case, CaseEvent, Transfer
from tests.cases.test_services import add_counsellor, fresh, open_case
from tests.conftest import ROLE_FROM
from tests.factories import ACTOR
from wellbeing import services as core
from wellbeing.models import FollowUp, LifecycleEvent, Role, RoleAssignment


@pytest.fixture
def caseload(org):
    """The counsellor holds two cases (one high risk); a colleague is handing them a third."""
    other = add_counsellor(org)
    held = [open_case(org, "colleague"), open_case(org, "outsider", risk="high")]
    incoming = open_case(org, "staff", counsellor=other)
    transfer = services.transfer_propose(
        actor=other, case=incoming, to=org.users["counsellor"], handover_note="请接手，每周二联系"
    )
    return other, held, incoming, transfer


def _assert_handed_back(org, other, held, incoming, transfer):
    lead = org.users["lead_counsellor"]
    for case in held:
        case = fresh(case)
        assert case.is_open and case.counsellor is None
        contact = case.contact_followup
        # The same contact, still owed, now the lead counsellor's (nothing dropped).
        assert contact.is_active and contact.owner == lead and contact.kind == FollowUp.Kind.CASE_CONTACT
        assert case.events.filter(kind=CaseEvent.Kind.UNASSIGNED).count() == 1
    assert {c.pk for c in Case.objects.filter(counsellor__isnull=True)} == {c.pk for c in held}
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CANCELLED
    incoming = fresh(incoming)
    assert incoming.counsellor == other and incoming.contact_followup.owner == other
    assert not FollowUp.objects.filter(
        owner=org.users["counsellor"], subject_type__model="case", status__in=FollowUp.ACTIVE_STATUSES
    ).exists()


def test_a_counsellor_who_leaves_hands_their_cases_back_with_their_follow_ups(
    org, caseload, django_capture_on_commit_callbacks
):
    contacts = {c.pk: fresh(c).contact_followup_id for c in caseload[1]}
    with django_capture_on_commit_callbacks(execute=True):
        core.person_leave(actor=org.users["hr_officer"], person=org.people["counsellor"])
    _assert_handed_back(org, *caseload)
    assert {c.pk: fresh(c).contact_followup_id for c in caseload[1]} == contacts
    event = LifecycleEvent.objects.get(kind="person_left", person=org.people["counsellor"])
    assert event.handled_at is not None

    # Re-delivered (a worker retried it): nothing happens twice.
    receivers.person_left(sender=LifecycleEvent, event=event, person=org.people["counsellor"])
    _assert_handed_back(org, *caseload)


def test_a_counsellor_whose_role_ends_hands_their_cases_back(org, caseload, django_capture_on_commit_callbacks):
    assignment = RoleAssignment.objects.get(user=org.users["counsellor"], role=Role.COUNSELLOR)
    with django_capture_on_commit_callbacks(execute=True):
        core.role_end(actor=org.users["administrator"], assignment=assignment)
    _assert_handed_back(org, *caseload)
    assert org.users["counsellor"].is_active  # still a member of staff, no longer a counsellor


def test_a_counsellor_who_keeps_another_counselling_role_keeps_their_cases(
    org, caseload, django_capture_on_commit_callbacks
):
    counsellor = org.users["counsellor"]
    core.role_assign(actor=ACTOR, user=counsellor, role=Role.LEAD_COUNSELLOR, unit=None, valid_from=ROLE_FROM)
    assignment = RoleAssignment.objects.get(user=counsellor, role=Role.COUNSELLOR)
    with django_capture_on_commit_callbacks(execute=True):
        core.role_end(actor=org.users["administrator"], assignment=assignment)
    for case in caseload[1]:
        assert fresh(case).counsellor == counsellor
    caseload[3].refresh_from_db()
    assert caseload[3].status == Transfer.Status.PENDING


def test_when_the_person_leaves_the_case_stays_open_and_the_lead_reviews_it(org, django_capture_on_commit_callbacks):
    lead, counsellor = org.users["lead_counsellor"], org.users["counsellor"]
    case = open_case(org, "staff", risk="high")
    with django_capture_on_commit_callbacks(execute=True):
        core.person_leave(actor=org.users["hr_officer"], person=org.people["staff"])
    case = fresh(case)
    assert case.is_open and case.counsellor == counsellor and case.contact_followup.is_active

    def reviews():
        return FollowUp.objects.filter(
            kind=FollowUp.Kind.CASE_ACTION, title_key="case.person_left", subject_id=str(case.pk)
        )

    [review] = reviews()
    assert review.owner == lead and review.is_active and review.subject == case
    assert review.title == "" and review.title_params == {"ref": case.reference}
    assert case.events.filter(kind=CaseEvent.Kind.PERSON_LEFT).count() == 1

    event = LifecycleEvent.objects.get(kind="person_left", person=org.people["staff"])
    receivers.person_left(sender=LifecycleEvent, event=event, person=org.people["staff"])
    assert reviews().count() == 1 and case.events.filter(kind=CaseEvent.Kind.PERSON_LEFT).count() == 1

    # The lead counsellor closes it when the duty of care ends: the review item ends with it.
    services.closure_request(actor=counsellor, case=case, outcome=Case.Outcome.LEFT, summary="已离职，转当地机构")
    services.closure_approve(actor=lead, case=fresh(case))
    review.refresh_from_db()
    assert review.status == FollowUp.Status.DONE
