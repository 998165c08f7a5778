"""The counsellor's list pages (issue 10, "Pages"): the caseload board, intake and triage, the team view
with quick assignment, self-referral, emergency access and the transfers waiting for a counsellor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.home import SECTIONS
from cases.models import BreakGlassGrant, Case, CaseloadLimit, CaseReferral, Risk, Transfer
from tests.conftest import ROLE_FROM, client_for
from tests.factories import ACTOR, UserFactory, make_person
from wellbeing import services as core
from wellbeing.models import AuditEvent, FollowUp, Referral, Role, Tier
from wellbeing.services.oncall import oncall_shift_create

BOARD = "/cases/"
INTAKE = "/cases/intake/"
TEAM = "/cases/team/"
SELF = "/cases/self-referral/"
EMERGENCY = "/cases/emergency/"
TRANSFERS = "/cases/transfers/"


def _person(org, name: str, unit=None):
    return make_person(unit or org.section_a1, full_name=name, external_id=f"EX-{name}")


def _refer(org, person, urgency: str = "soon") -> Referral:
    return core.referral_create(actor=org.users["lead_counsellor"], person=person, urgency=urgency, reason="family")


def _case(org, person, *, risk: str = Risk.MODERATE, counsellor: str | None = "counsellor") -> Case:
    holder = org.users[counsellor] if counsellor else None
    return services.case_open(
        actor=org.users["lead_counsellor"], referral=_refer(org, person), risk=risk, counsellor=holder
    )


def _overdue(case: Case, hours: int = 5) -> None:
    FollowUp.objects.filter(pk=case.contact_followup_id).update(due_at=timezone.now() - timedelta(hours=hours))


def _board_ids(response) -> list[int]:
    html = response.content.decode()
    cards = html.split('data-testid="board-rows"', 1)[1]
    return [int(pk) for pk in re.findall(r'data-case="(\d+)"', cards)]


def _add_counsellor(org, username: str = "counsellor2", name: str = "钱咨询"):
    user = UserFactory(username=username)
    make_person(org.counselling, full_name=name, user=user, external_id=f"EX-{username}")
    core.role_assign(actor=ACTOR, user=user, role=Role.COUNSELLOR, unit=None, valid_from=ROLE_FROM)
    return user


# --- The board ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("counsellor", 200),
        ("lead_counsellor", 200),
        ("staff", 403),
        ("supervisor", 403),
        ("hr_officer", 403),
        ("administrator", 403),
    ],
)
def test_it_shows_the_board_to_the_counselling_team_only(org, principal, status):
    assert client_for(org, principal).get(BOARD).status_code == status


def test_it_sends_someone_signed_out_to_log_in(org):
    assert client_for(org, "anonymous").get(BOARD)["Location"].startswith("/accounts/login/")


def test_the_board_puts_overdue_contacts_first_then_risk_then_the_next_contact(org):
    low = _case(org, _person(org, "甲"), risk=Risk.LOW)
    imminent = _case(org, _person(org, "乙"), risk=Risk.IMMINENT)
    high = _case(org, _person(org, "丙"), risk=Risk.HIGH)
    overdue_low = _case(org, _person(org, "丁"), risk=Risk.LOW)
    _overdue(overdue_low)
    someone_elses = _case(org, _person(org, "戊"), risk=Risk.IMMINENT, counsellor=None)

    response = client_for(org, "counsellor").get(BOARD)
    assert response.status_code == 200
    assert _board_ids(response) == [overdue_low.pk, imminent.pk, high.pk, low.pk]
    html = response.content.decode()
    assert someone_elses.person.full_name not in html
    assert 'data-testid="overdue"' in html and "tier-red" in html and "tier-orange" in html
    assert reverse("cases:detail", args=[imminent.pk]) in html
    assert "城关镇" not in html or org.section_a1.name in html  # the unit is shown
    assert org.section_a1.name in html


def test_the_lead_counsellor_filters_the_board_and_searches_by_name_or_staff_id(org):
    mine = _case(org, _person(org, "甲"))
    waiting = _case(org, _person(org, "乙"), counsellor=None)
    lead = client_for(org, "lead_counsellor")

    assert _board_ids(lead.get(BOARD, {"view": "unassigned"})) == [waiting.pk]
    assert set(_board_ids(lead.get(BOARD, {"view": "open"}))) == {mine.pk, waiting.pk}
    assert _board_ids(lead.get(BOARD, {"view": "counsellor", "counsellor": org.users["counsellor"].pk})) == [mine.pk]
    assert _board_ids(lead.get(BOARD, {"view": "open", "q": "EX-乙"})) == [waiting.pk]
    assert _board_ids(lead.get(BOARD, {"view": "open", "q": "甲"})) == [mine.pk]
    assert _board_ids(lead.get(BOARD, {"view": "closed"})) == []
    # A counsellor's "view" is always their own caseload.
    assert _board_ids(client_for(org, "counsellor").get(BOARD, {"view": "unassigned"})) == [mine.pk]


@pytest.mark.parametrize("params", [{"q": "a\x00b"}, {"counsellor": "abc"}, {"view": "nope"}, {"risk": "x"}])
def test_the_board_refuses_bad_filters_with_400(org, params):
    response = client_for(org, "lead_counsellor").get(BOARD, params)
    assert response.status_code == 400
    assert 'data-testid="board-errors"' in response.content.decode()


def _board_queries(org, client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(BOARD, {"view": "open"}).status_code == 200
    return len(ctx.captured_queries)


def test_the_board_takes_the_same_number_of_queries_for_3_or_20_cases(org, django_assert_max_num_queries):
    CaseloadLimit.objects.create(counsellor=org.users["counsellor"], limit=50)
    for i in range(3):
        _case(org, _person(org, f"人{i}"), risk=Risk.values[i % 4])
    lead = client_for(org, "lead_counsellor")
    lead.get(BOARD)  # warm the session and the content types
    few = _board_queries(org, lead)
    for i in range(3, 20):
        _case(org, _person(org, f"人{i}"), risk=Risk.values[i % 4], counsellor=None if i % 2 else "counsellor")
    with django_assert_max_num_queries(few):
        response = lead.get(BOARD, {"view": "open"})
    assert len(_board_ids(response)) == 20
    assert _board_queries(org, lead) == few


# --- Intake and triage ----------------------------------------------------------------------------------


def test_the_intake_lists_the_lead_counsellors_queue_most_urgent_first(org):
    imminent = _refer(org, _person(org, "甲"), urgency="imminent")
    response = client_for(org, "lead_counsellor").get(INTAKE)
    assert response.status_code == 200
    html = response.content.decode()
    order = [int(pk) for pk in re.findall(r'data-referral="(\d+)"', html)]
    assert order == [imminent.pk, org.referral.pk]
    assert reverse("cases:triage", args=[org.referral.pk]) in html


def test_a_counsellor_sees_the_imminent_referrals_that_came_to_them_on_call(org):
    today = timezone.localdate()
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=today, ends_on=today
    )
    imminent = _refer(org, _person(org, "甲"), urgency="imminent")
    counsellor = client_for(org, "counsellor")
    response = counsellor.get(INTAKE)
    order = [int(pk) for pk in re.findall(r'data-referral="(\d+)"', response.content.decode())]
    assert order == [imminent.pk]
    page = counsellor.get(f"/cases/intake/{imminent.pk}/")
    assert page.status_code == 200
    # Assigning is the lead counsellor's: the on-call counsellor takes it or leaves it queued.
    choices = page.context["form"].fields["counsellor"].choices
    assert [c[0] for c in choices] == ["", str(org.users["counsellor"].pk)]
    assert "close_reason" in page.context["form"].fields
    assert counsellor.get(f"/cases/intake/{org.referral.pk}/").status_code == 404


def test_the_on_call_counsellor_opens_a_case_for_an_imminent_referral(org):
    today = timezone.localdate()
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=today, ends_on=today
    )
    imminent = _refer(org, _person(org, "甲"), urgency="imminent")
    counsellor = client_for(org, "counsellor")
    response = counsellor.post(
        f"/cases/intake/{imminent.pk}/",
        {"action": "open", "risk": "imminent", "counsellor": org.users["counsellor"].pk},
    )
    case = Case.objects.get(person=imminent.person)
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.counsellor == org.users["counsellor"]


def test_the_on_call_counsellor_may_close_an_imminent_referral_with_a_reason(org):
    today = timezone.localdate()
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=today, ends_on=today
    )
    imminent = _refer(org, _person(org, "甲"), urgency="imminent")
    response = client_for(org, "counsellor").post(
        f"/cases/intake/{imminent.pk}/", {"action": "close", "close_reason": "support_elsewhere"}
    )
    assert response["Location"] == INTAKE
    imminent.refresh_from_db()
    assert imminent.status == Referral.Status.CLOSED


@pytest.mark.parametrize(("principal", "status"), [("staff", 403), ("supervisor", 403), ("hr_officer", 403)])
def test_the_intake_refuses_everyone_outside_the_team(org, principal, status):
    assert client_for(org, principal).get(INTAKE).status_code == status


@pytest.mark.parametrize("principal", ["staff", "supervisor", "counsellor", "hr_officer", "administrator"])
def test_triage_is_not_there_for_anyone_but_who_may_triage(org, principal):
    url = f"/cases/intake/{org.referral.pk}/"
    assert client_for(org, principal).get(url).status_code == 404
    assert client_for(org, principal).post(url, {"action": "close", "close_reason": "duplicate"}).status_code == 404
    org.referral.refresh_from_db()
    assert org.referral.is_open


def test_triage_shows_the_referral_and_audits_reading_the_note(org):
    referral = core.referral_create(
        actor=org.users["supervisor"],
        person=org.people["colleague"],
        urgency="urgent",
        reason="family",
        note="家里有事",
    )
    response = client_for(org, "lead_counsellor").get(f"/cases/intake/{referral.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "家里有事" in html and "张主任" in html
    assert response.context["form"].initial["risk"] == Risk.HIGH
    assert AuditEvent.objects.filter(target_id=str(referral.pk), action=AuditEvent.Action.SENSITIVE_READ).exists()


def test_triage_opens_a_case_assigned_to_a_counsellor(org):
    lead = client_for(org, "lead_counsellor")
    response = lead.post(
        f"/cases/intake/{org.referral.pk}/",
        {"action": "open", "risk": "high", "counsellor": org.users["counsellor"].pk},
        follow=False,
    )
    case = Case.objects.get(person=org.people["colleague"])
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.risk == Risk.HIGH and case.counsellor == org.users["counsellor"]
    org.referral.refresh_from_db()
    assert org.referral.status == Referral.Status.TAKEN_IN


def test_triage_shows_counsellors_with_their_load(org):
    _case(org, _person(org, "甲"))
    response = client_for(org, "lead_counsellor").get(f"/cases/intake/{org.referral.pk}/")
    labels = dict(response.context["form"].fields["counsellor"].choices)
    assert labels[str(org.users["counsellor"].pk)] == "刘咨询 (1/20)"


def test_triage_asks_for_an_override_reason_only_when_someone_is_full(org):
    page = client_for(org, "lead_counsellor").get(f"/cases/intake/{org.referral.pk}/")
    assert "override_reason" not in page.context["form"].fields


def test_triage_over_the_caseload_limit_needs_a_reason(org):
    CaseloadLimit.objects.create(counsellor=org.users["counsellor"], limit=0)
    lead = client_for(org, "lead_counsellor")
    url = f"/cases/intake/{org.referral.pk}/"
    data = {"action": "open", "risk": "moderate", "counsellor": org.users["counsellor"].pk}
    response = lead.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors["override_reason"]
    assert "full: give a reason" in response.content.decode()
    assert 'name="override_reason"' in response.content.decode()
    assert not Case.objects.exists()
    org.referral.refresh_from_db()
    assert org.referral.is_open
    response = lead.post(url, {**data, "override_reason": "原因\x00"})
    assert response.status_code == 400 and response.context["form"].errors["override_reason"]
    response = lead.post(url, {**data, "override_reason": "仅此一例，本周减负"})
    assert response.status_code == 302
    assert Case.objects.get().counsellor == org.users["counsellor"]


def test_triage_links_a_referral_to_the_persons_open_case_and_does_not_offer_a_second(org):
    case = _case(org, org.people["colleague"])  # takes a referral of its own; org.referral is still open
    lead = client_for(org, "lead_counsellor")
    url = f"/cases/intake/{org.referral.pk}/"
    page = lead.get(url)
    assert [c[0] for c in page.context["form"].fields["action"].choices] == ["link", "close"]
    assert case.reference in page.content.decode()
    # A second open case is not offered, and asking for one anyway changes nothing.
    response = lead.post(url, {"action": "open", "risk": "high"})
    assert response.status_code == 400 and response.context["form"].errors["action"]
    assert Case.objects.filter(person=org.people["colleague"]).count() == 1
    response = lead.post(url, {"action": "link"})
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert CaseReferral.objects.filter(case=case, referral=org.referral).exists()
    # Done: the page says so and offers nothing more.
    again = lead.post(url, {"action": "link"})
    assert again.status_code == 400
    assert lead.get(url).context["form"] is None


def test_triage_closes_a_referral_with_a_reason(org):
    lead = client_for(org, "lead_counsellor")
    url = f"/cases/intake/{org.referral.pk}/"
    response = lead.post(url, {"action": "close"})
    assert response.status_code == 400 and response.context["form"].errors["close_reason"]
    response = lead.post(url, {"action": "close", "close_reason": "support_elsewhere"})
    assert response["Location"] == INTAKE
    org.referral.refresh_from_db()
    assert org.referral.status == Referral.Status.CLOSED and org.referral.close_reason == "support_elsewhere"
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"action": "bogus"},
        {"action": "open", "risk": "extreme"},
        {"action": "open", "risk": "low", "counsellor": "999999"},
        {"action": "open", "risk": "low", "counsellor": "abc"},
        {"action": "close", "close_reason": "bored"},
    ],
)
def test_triage_answers_bad_input_with_400_and_changes_nothing(org, data):
    response = client_for(org, "lead_counsellor").post(f"/cases/intake/{org.referral.pk}/", data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Case.objects.exists()
    org.referral.refresh_from_db()
    assert org.referral.is_open


def test_triage_of_an_unknown_referral_is_404(org):
    lead = client_for(org, "lead_counsellor")
    assert lead.get("/cases/intake/999999/").status_code == 404
    assert lead.get("/cases/intake/99999999999999999999/").status_code == 404
    assert lead.get("/cases/intake/abc/").status_code == 404


# --- The team view and quick assignment -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "status"),
    [("lead_counsellor", 200), ("counsellor", 403), ("supervisor", 403), ("hr_officer", 403), ("staff", 403)],
)
def test_the_team_view_is_the_lead_counsellors(org, principal, status):
    assert client_for(org, principal).get(TEAM).status_code == status


def test_the_team_view_shows_caseloads_unassigned_cases_closures_and_the_intake(org):
    held = _case(org, _person(org, "甲"), risk=Risk.IMMINENT)
    _overdue(held)
    waiting = _case(org, _person(org, "乙"), counsellor=None)
    services.closure_request(actor=org.users["counsellor"], case=held, outcome="stable", summary="好转")
    response = client_for(org, "lead_counsellor").get(TEAM)
    html = response.content.decode()
    row = next(r for r in response.context["team"] if r.user == org.users["counsellor"])
    assert (row.open_cases, row.overdue, row.imminent) == (1, 1, 1)
    assert f'data-case="{waiting.pk}"' in html
    assert reverse("cases:assign", args=[waiting.pk]) in html
    assert reverse("cases:detail", args=[held.pk]) in html.split('data-testid="closures"')[1]
    assert response.context["intake_count"] == 1


def test_the_lead_counsellor_assigns_from_the_team_view(org):
    waiting = _case(org, _person(org, "乙"), counsellor=None)
    lead = client_for(org, "lead_counsellor")
    url = reverse("cases:assign", args=[waiting.pk])
    response = lead.post(url, {f"c{waiting.pk}-counsellor": org.users["counsellor"].pk})
    assert response["Location"] == TEAM
    waiting.refresh_from_db()
    assert waiting.counsellor == org.users["counsellor"]


def test_assigning_past_the_limit_without_a_reason_is_refused_on_the_team_page(org):
    CaseloadLimit.objects.create(counsellor=org.users["counsellor"], limit=0)
    waiting = _case(org, _person(org, "乙"), counsellor=None)
    lead = client_for(org, "lead_counsellor")
    url = reverse("cases:assign", args=[waiting.pk])
    response = lead.post(url, {f"c{waiting.pk}-counsellor": org.users["counsellor"].pk})
    assert response.status_code == 400
    assert 'data-testid="assign-problem"' in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.counsellor is None
    response = lead.post(
        url, {f"c{waiting.pk}-counsellor": org.users["counsellor"].pk, f"c{waiting.pk}-override_reason": "急需"}
    )
    assert response.status_code == 302
    for bad in ({f"c{waiting.pk}-counsellor": "abc"}, {f"c{waiting.pk}-override_reason": "x\x00"}):
        assert lead.post(url, bad).status_code == 400


def test_only_the_lead_counsellor_assigns(org):
    waiting = _case(org, _person(org, "乙"), counsellor=None)
    held = _case(org, _person(org, "甲"))
    data = {f"c{waiting.pk}-counsellor": org.users["counsellor"].pk}
    assert client_for(org, "counsellor").post(reverse("cases:assign", args=[waiting.pk]), data).status_code == 404
    assert client_for(org, "counsellor").post(reverse("cases:assign", args=[held.pk]), {}).status_code == 403
    assert client_for(org, "supervisor").post(reverse("cases:assign", args=[waiting.pk]), data).status_code == 404
    assert client_for(org, "lead_counsellor").post("/cases/999999/assign/", data).status_code == 404
    waiting.refresh_from_db()
    assert waiting.counsellor is None


# --- Self-referral --------------------------------------------------------------------------------------


def test_self_referral_says_who_sees_it_and_reaches_the_lead_counsellors_intake(org):
    staff = client_for(org, "staff")
    supervisors_items = FollowUp.objects.filter(owner=org.users["supervisor"]).count()
    page = staff.get(SELF)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your supervisor and HR are not told." in html
    assert "lead counsellor" in html
    response = staff.post(SELF, {"urgency": "soon", "reason": "work_pressure", "note": "最近睡不好"})
    assert response["Location"] == SELF
    referral = Referral.objects.get(person=org.people["staff"], source=Referral.Source.SELF)
    assert referral.referred_by == org.users["staff"] and referral.note == "最近睡不好"
    intake = client_for(org, "lead_counsellor").get(INTAKE).content.decode()
    assert f'data-referral="{referral.pk}"' in intake
    # The person sees where it stands, and the supervisor is not told.
    after = staff.get(SELF).content.decode()
    assert 'data-testid="my-self-referral"' in after
    assert FollowUp.objects.filter(owner=org.users["supervisor"]).count() == supervisors_items


def test_an_imminent_self_referral_shows_the_crisis_contacts(org):
    staff = client_for(org, "staff")
    staff.post(SELF, {"urgency": "imminent", "reason": "self_harm"})
    html = staff.get(SELF).content.decode()
    assert 'data-testid="crisis-contacts"' in html.split('data-testid="who-sees"')[0]
    assert 'href="tel:' in html


@pytest.mark.parametrize(
    "data",
    [
        {"urgency": "soon", "reason": "family", "note": "a\x00b"},
        {"reason": "family"},
        {"urgency": "whenever", "reason": "family"},
        {"urgency": "soon", "reason": "boredom"},
    ],
)
def test_self_referral_answers_bad_input_with_400(org, data):
    response = client_for(org, "staff").post(SELF, data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Referral.objects.filter(source=Referral.Source.SELF).exists()


def test_self_referral_is_not_there_without_a_staff_record(org):
    from tests.conftest import verified_login

    loner = UserFactory(username="no_person")
    client = client_for(org, "anonymous")
    verified_login(client, loner)
    assert client.get(SELF).status_code == 404
    assert client_for(org, "anonymous").get(SELF)["Location"].startswith("/accounts/login/")


# --- Emergency access -----------------------------------------------------------------------------------


def test_break_glass_grants_access_and_alerts_the_lead_counsellor(org, settings):
    case = _case(org, org.people["colleague"], counsellor=None)
    counsellor = client_for(org, "counsellor")
    page = counsellor.get(EMERGENCY)
    assert page.status_code == 200
    assert f"Access lasts {settings.BREAK_GLASS_HOURS} hours" in page.content.decode()
    assert counsellor.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    response = counsellor.post(EMERGENCY, {"external_id": "EX-colleague", "reason": "本人失联，家属求助"})
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    grant = BreakGlassGrant.objects.get(case=case, user=org.users["counsellor"])
    assert grant.expires_at > timezone.now()
    alert = FollowUp.objects.get(owner=org.users["lead_counsellor"], kind=FollowUp.Kind.CASE_ACTION)
    assert alert.tier == Tier.RED
    assert "本人失联" not in alert.display_title
    assert counsellor.get(reverse("cases:detail", args=[case.pk])).status_code == 200


def test_break_glass_on_a_case_one_already_holds_just_opens_it(org):
    case = _case(org, org.people["colleague"])
    response = client_for(org, "counsellor").post(EMERGENCY, {"external_id": "EX-colleague", "reason": "复查"})
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert not BreakGlassGrant.objects.exists()


def test_an_administrator_may_use_break_glass(org):
    case = _case(org, org.people["colleague"], counsellor=None)
    response = client_for(org, "administrator").post(EMERGENCY, {"external_id": "EX-colleague", "reason": "紧急"})
    assert response["Location"] == reverse("cases:detail", args=[case.pk])


@pytest.mark.parametrize("principal", ["supervisor", "hr_officer", "staff", "leading_group"])
def test_break_glass_is_refused_to_supervisors_hr_and_staff(org, principal):
    _case(org, org.people["colleague"], counsellor=None)
    client = client_for(org, principal)
    assert client.get(EMERGENCY).status_code == 403
    assert client.post(EMERGENCY, {"external_id": "EX-colleague", "reason": "紧急"}).status_code == 403
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"external_id": "EX-nobody", "reason": "紧急"},
        {"external_id": "EX-staff", "reason": "紧急"},  # a person without a case
        {"external_id": "EX-counsellor", "reason": "紧急"},  # a case about oneself
        {"external_id": "EX-colleague", "reason": ""},
        {"external_id": "EX-colleague", "reason": "紧急\x00"},
        {"external_id": "", "reason": "紧急"},
    ],
)
def test_break_glass_reveals_nothing_and_grants_nothing_on_bad_input(org, data):
    _case(org, org.people["colleague"], counsellor=None)
    core.role_assign(actor=ACTOR, user=org.users["supervisor"], role=Role.COUNSELLOR, unit=None, valid_from=ROLE_FROM)
    _case(org, org.people["counsellor"], counsellor="lead_counsellor")
    response = client_for(org, "counsellor").post(EMERGENCY, data)
    assert response.status_code == 400
    assert not BreakGlassGrant.objects.exists()
    html = response.content.decode()
    if data["external_id"].startswith("EX-") and data["reason"] == "紧急":
        assert "No case found for this staff ID." in html
        assert "C-0" not in html


# --- Transfers ------------------------------------------------------------------------------------------


def test_transfers_waiting_for_me(org):
    other = _add_counsellor(org)
    case = _case(org, _person(org, "甲"))
    services.transfer_propose(actor=org.users["counsellor"], case=case, to=other, handover_note="交接：每周电话")
    from tests.conftest import verified_login

    client = client_for(org, "anonymous")
    verified_login(client, other)
    response = client.get(TRANSFERS)
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("cases:detail", args=[case.pk]) in html and "交接" not in html
    assert Transfer.objects.get().status == Transfer.Status.PENDING
    empty = client_for(org, "counsellor").get(TRANSFERS)
    assert 'data-testid="transfers-empty"' in empty.content.decode()


@pytest.mark.parametrize("principal", ["staff", "supervisor", "hr_officer", "administrator"])
def test_transfers_page_is_the_counselling_teams(org, principal):
    assert client_for(org, principal).get(TRANSFERS).status_code == 403


# --- Home page sections ---------------------------------------------------------------------------------


def _sections(org, principal):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = org.users[principal]
    return {s.key: s for provider in SECTIONS for s in provider(request)}


def test_home_sections_show_the_caseload_and_the_lead_counsellors_queues(org):
    imminent = _case(org, _person(org, "甲"), risk=Risk.IMMINENT)
    low = _case(org, _person(org, "乙"), risk=Risk.LOW)
    _overdue(low)
    waiting = _case(org, _person(org, "丙"), counsellor=None)
    counsellor = _sections(org, "counsellor")
    assert set(counsellor) == {"caseload"}
    assert [i.key for i in counsellor["caseload"].items] == [f"case-{low.pk}", f"case-{imminent.pk}"]
    assert counsellor["caseload"].items[0].badges and 20 <= counsellor["caseload"].order <= 45
    lead = _sections(org, "lead_counsellor")
    assert [i.key for i in lead["unassigned-cases"].items] == [f"case-{waiting.pk}"]
    assert "closures" in lead and "caseload" not in lead
    assert all(20 <= s.order <= 45 for s in lead.values())
    for principal in ("staff", "supervisor", "hr_officer", "administrator"):
        assert _sections(org, principal) == {}
