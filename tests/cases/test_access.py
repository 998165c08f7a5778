"""Who sees a case (design/access.md rows "case: existence, risk, status", "case notes, safety plan",
"case actions assigned to a supervisor", "follow-ups"): a supervisor never learns a case exists, a
counsellor sees their caseload only, the lead counsellor sees all, nobody sees a case about
themself, HR, the leading group, administrators and API clients see nothing; break-glass opens one
case for a few hours; the people on a caseload become visible to its counsellor, and stop being."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from cases import selectors, services
from cases.models import Case
from cases.rules import cases_visible_to
from tests.cases.test_services import add_counsellor, fresh, open_case
from tests.conftest import client_for
from wellbeing import policy
from wellbeing.models import FollowUp, Role

NOBODY = ("staff", "supervisor", "outsider_supervisor", "outsider", "hr_officer", "leading_group", "administrator")
ACTION = "请安排该同志暂停夜间值班两周"
WHY = "夜班后失眠加重"


def visible(user) -> set[int]:
    policy.forget(user)
    return set(cases_visible_to(user).values_list("pk", flat=True))


@pytest.fixture
def two_caseloads(org):
    """The counsellor holds a case about the colleague; a second counsellor one about the outsider;
    one waits unassigned (about the staff member)."""
    other = add_counsellor(org)
    mine = open_case(org, "colleague")
    theirs = open_case(org, "outsider", counsellor=other)
    waiting = open_case(org, "staff", counsellor=None)
    return other, mine, theirs, waiting


def test_a_counsellor_sees_their_caseload_only(org, two_caseloads):
    other, mine, theirs, waiting = two_caseloads
    counsellor = org.users["counsellor"]
    assert visible(counsellor) == {mine.pk}
    assert visible(other) == {theirs.pk}
    assert policy.can(counsellor, "case.view", mine) and not policy.can(counsellor, "case.view", theirs)
    assert not policy.can(counsellor, "case.view", waiting)
    with pytest.raises(Http404):
        selectors.case_get_for_user(user=counsellor, case_id=theirs.pk)
    assert [c.pk for c in selectors.case_list_for_user(user=counsellor)] == [mine.pk]
    assert selectors.notes_for_user(user=counsellor, case=theirs) == []
    assert not policy.can(counsellor, "case.work", theirs)


def test_the_lead_counsellor_sees_every_case(org, two_caseloads):
    _, mine, theirs, waiting = two_caseloads
    lead = org.users["lead_counsellor"]
    assert visible(lead) == {mine.pk, theirs.pk, waiting.pk}
    for case in (mine, theirs, waiting):
        assert policy.can(lead, "case.view", case) and policy.can(lead, "case.work", case)
        assert selectors.case_get_for_user(user=lead, case_id=case.pk) == case
    assert {c.pk for c in selectors.case_list_for_user(user=lead, unassigned=True)} == {waiting.pk}


@pytest.mark.parametrize("name", NOBODY)
def test_everyone_else_sees_no_case_at_all(org, two_caseloads, name):
    user = org.users[name]
    assert visible(user) == set()
    for case in two_caseloads[1:]:
        for rule in ("case.view", "case.work", "case.assign", "case.transfer", "case.reopen", "case.approve_closure"):
            assert not policy.can(user, rule, case), rule
        with pytest.raises(Http404):
            selectors.case_get_for_user(user=user, case_id=case.pk)
        assert selectors.notes_for_user(user=user, case=case) == []
        assert selectors.safety_plan_for_user(user=user, case=case) is None
        assert selectors.interventions_for_user(user=user, case=case) == []
        assert selectors.events_for_user(user=user, case=case) == []
    assert not policy.can(user, "case.board") and not policy.can(user, "case.team")


@pytest.mark.parametrize("name", ["api_client", "api_client_no_scope"])
def test_api_clients_read_no_case(org, two_caseloads, name):
    client = client_for(org, name)
    for url in ("/api/v1/cases/", f"/api/v1/cases/{two_caseloads[1].pk}/", "/api/v1/referrals/"):
        response = client.get(url)
        assert response.status_code in (401, 403, 404), url
        assert "C-0000" not in response.content.decode()


def test_nobody_sees_a_case_about_themself(org):
    counsellor, lead = org.users["counsellor"], org.users["lead_counsellor"]
    # A second lead counsellor receives the referral about the first (never themself).
    deputy = add_counsellor(org, "deputy_lead", "冯主管", role=Role.LEAD_COUNSELLOR)
    about_counsellor = open_case(org, "counsellor", counsellor="lead_counsellor")
    about_lead = open_case(org, "lead_counsellor", counsellor="counsellor", lead=deputy)
    assert about_counsellor.pk not in visible(counsellor)
    assert not policy.can(counsellor, "case.view", about_counsellor)
    assert not policy.can(counsellor, "case.break_glass", about_counsellor)
    # The lead counsellor holds the counsellor's case, but not their own (held by the counsellor).
    assert visible(lead) == {about_counsellor.pk}
    assert visible(counsellor) == {about_lead.pk}
    assert not policy.can(lead, "case.view", about_lead) and not policy.can(lead, "case.approve_closure", about_lead)
    assert not policy.can(lead, "case.break_glass", about_lead)
    assert visible(deputy) == {about_counsellor.pk, about_lead.pk}


def test_a_supervisor_never_learns_a_case_exists(org, django_capture_on_commit_callbacks):
    """The colleague is in the supervisor's town: a case about them, with a supervisor action, shows
    nothing of itself on the supervisor's pages and lists - only the action text."""
    supervisor, counsellor = org.users["supervisor"], org.users["counsellor"]
    case = open_case(org, "colleague", risk="high")
    services.note_add(actor=counsellor, case=case, data=services.NoteInput(data="家属来电", contact="phone"))
    services.safety_plan_save(actor=counsellor, case=case, sections={"warning_signs": "失眠"})
    intervention = services.intervention_add(
        actor=counsellor,
        case=fresh(case),
        data=services.InterventionInput(
            kind="change_of_post", occurred_on=timezone.localdate(), details=WHY, supervisor_action=ACTION
        ),
    )
    case = fresh(case)
    assert visible(supervisor) == set()

    # Follow-ups: only the action (a plain follow-up), never the case's contact.
    seen = policy.followups_visible_to(supervisor)
    assert seen.filter(pk=intervention.supervisor_followup_id).exists()
    assert not seen.filter(pk=case.contact_followup_id).exists()
    assert not seen.filter(kind__in=FollowUp.CLINICAL_KINDS).exists()

    client = client_for(org, "supervisor")
    pages = ["/", "/people/", f"/people/{case.person.external_id}/", "/follow-ups/", "/follow-ups/team/", "/inbox/"]
    pages.append(f"/follow-ups/{intervention.supervisor_followup_id}/")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for leak in (case.reference, f"/cases/{case.pk}/", "Case contact", WHY, "家属来电", "失眠", "刘咨询"):
            assert leak not in html, (url, leak)
    assert ACTION in client.get(f"/follow-ups/{intervention.supervisor_followup_id}/").content.decode()
    # The case's own pages answer "not found", as for a case that does not exist.
    for url in (f"/cases/{case.pk}/", f"/cases/{case.pk + 1000}/"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/follow-ups/{case.contact_followup_id}/").status_code == 404


def test_counsellors_see_the_contact_follow_ups_of_their_caseload_only(org, two_caseloads):
    _other, mine, theirs, _ = two_caseloads
    counsellor = org.users["counsellor"]
    seen = policy.followups_visible_to(counsellor)
    assert seen.filter(pk=fresh(mine).contact_followup_id).exists()
    assert not seen.filter(pk=fresh(theirs).contact_followup_id).exists()
    lead_seen = policy.followups_visible_to(org.users["lead_counsellor"])
    assert lead_seen.filter(pk=fresh(theirs).contact_followup_id).exists()


def test_break_glass_opens_one_case_for_a_while_and_tells_the_lead(
    org, two_caseloads, settings, django_capture_on_commit_callbacks
):
    _, mine, theirs, _ = two_caseloads
    counsellor, lead = org.users["counsellor"], org.users["lead_counsellor"]
    assert policy.can(counsellor, "case.break_glass", theirs)
    assert selectors.case_for_break_glass(user=counsellor, case_id=theirs.pk) == theirs
    with pytest.raises(Http404):
        selectors.case_for_break_glass(user=org.users["supervisor"], case_id=theirs.pk)
    with pytest.raises(Http404):
        selectors.case_for_break_glass(user=counsellor, case_id=999999)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            services.break_glass(actor=counsellor, case=theirs, reason="家属报告失联")
        assert visible(counsellor) == {mine.pk, theirs.pk}
        assert policy.people_visible_to(counsellor).filter(pk=theirs.person_id).exists()
        assert lead.notifications.exists()
        assert FollowUp.objects.filter(owner=lead, kind=FollowUp.Kind.CASE_ACTION, tier="red").exists()
        clock.move_to(start + timedelta(hours=settings.BREAK_GLASS_HOURS, seconds=1))
        assert visible(counsellor) == {mine.pk}
        assert not policy.people_visible_to(counsellor).filter(pk=theirs.person_id).exists()


def test_an_administrator_may_break_glass_and_only_then_reads_the_case(org, two_caseloads):
    admin = org.users["administrator"]
    _, mine, _, _ = two_caseloads
    assert not policy.can(admin, "case.view", mine)
    services.break_glass(actor=admin, case=mine, reason="系统故障排查，负责人同意")
    assert policy.can(admin, "case.view", mine)


def test_the_people_on_a_caseload_are_visible_to_its_counsellor_until_the_case_leaves_it(org):
    counsellor, lead = org.users["counsellor"], org.users["lead_counsellor"]
    other = add_counsellor(org)
    person = org.people["outsider"]

    def sees(user) -> bool:
        policy.forget(user)
        return policy.people_visible_to(user).filter(pk=person.pk).exists()

    assert not sees(counsellor) and not sees(other)
    case = open_case(org, "outsider")
    assert sees(counsellor) and not sees(other)

    # A transfer: the receiver sees the person while deciding, the sender stops once accepted.
    transfer = services.transfer_propose(actor=counsellor, case=fresh(case), to=other, handover_note="交接")
    assert sees(other) and sees(counsellor)
    services.transfer_accept(actor=other, transfer=transfer)
    assert sees(other) and not sees(counsellor)

    # Closed: nobody's caseload any more (the lead counsellor sees everyone anyway).
    services.closure_request(actor=other, case=fresh(case), outcome=Case.Outcome.STABLE, summary="稳定")
    services.closure_approve(actor=lead, case=fresh(case))
    assert not sees(other) and not sees(counsellor)
    assert sees(lead)
