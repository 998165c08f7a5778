"""Check-ups (issue 9, item 4): setting one up, invitations through the follow-up pipeline (once per
person, isolated per person, cancelled at closing), completion for supervisors (never results) and
the leading group's figures by unit, with groups under 5 suppressed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import ACTOR, UserFactory, make_person
from wellbeing.models import (
    AuditEvent,
    CampaignInvitation,
    FollowUp,
    Instrument,
    ScreeningCampaign,
    Tier,
)
from wellbeing.screening import campaigns, services, stats, tasks
from wellbeing.screening.campaigns import campaign_create, campaign_invite

pytestmark = pytest.mark.django_db

PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 0, 0]  # 7: green
PHQ9_MODERATE = [2, 2, 2, 1, 1, 1, 1, 1, 0]  # 11: yellow
PHQ9_ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # red
GAD7_NONE = [0, 0, 0, 0, 0, 0, 0]


def today():
    return timezone.localdate()


def create(org, *, actor="leading_group", units=None, codes=("phq9",), opens=0, closes=14, name="2026年度心理体检"):
    return campaign_create(
        actor=org.users[actor],
        name=name,
        units=units if units is not None else [org.town_a],
        instruments=list(Instrument.objects.filter(code__in=codes)),
        opens_on=today() + timedelta(days=opens),
        closes_on=today() + timedelta(days=closes),
    )


def open_campaign(org, **kwargs):
    """A check-up that opens today, invitations sent."""
    campaign = create(org, **kwargs)
    campaign_invite(actor=org.users["leading_group"], campaign=campaign)
    return campaign


def people_with_logins(unit, n, prefix):
    return [
        make_person(
            unit, full_name=f"{prefix}{i}", external_id=f"{prefix}-{i}", user=UserFactory(username=f"{prefix}{i}")
        )
        for i in range(n)
    ]


def invited(campaign) -> set[str]:
    return set(CampaignInvitation.objects.filter(campaign=campaign).values_list("person__external_id", flat=True))


# --- Setting one up ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"units": []}, "units"),
        ({"instruments": []}, "instruments"),
        ({"opens_on": -1}, "opens_on"),
        ({"opens_on": 5, "closes_on": 4}, "closes_on"),
        ({"opens_on": None}, "opens_on"),
        ({"closes_on": None}, "closes_on"),
    ],
)
def test_it_refuses_a_check_up_that_does_not_make_sense(org, changes, field):
    data = {
        "name": "体检",
        "units": [org.town_a],
        "instruments": list(Instrument.objects.filter(code="phq9")),
        "opens_on": today(),
        "closes_on": today() + timedelta(days=7),
    }
    for key, value in changes.items():
        data[key] = today() + timedelta(days=value) if key.endswith("_on") and value is not None else value
    with pytest.raises(ValidationError) as exc:
        campaign_create(actor=org.users["leading_group"], **data)
    assert field in exc.value.message_dict
    assert not ScreeningCampaign.objects.exists()


def test_a_questionnaire_no_longer_in_use_is_refused(org):
    Instrument.objects.filter(code="k10").update(is_active=False)
    with pytest.raises(ValidationError) as exc:
        create(org, codes=("phq9", "k10"))
    assert "instruments" in exc.value.message_dict


@pytest.mark.parametrize("role", ["staff", "supervisor", "counsellor", "hr_officer", "administrator"])
def test_only_the_lead_counsellor_and_the_leading_group_set_one_up(org, role):
    with pytest.raises(PermissionDenied):
        create(org, actor=role)


def test_setting_one_up_is_audited(org):
    campaign = create(org, actor="lead_counsellor", opens=3)
    event = AuditEvent.objects.get(
        target_type__model="screeningcampaign", target_id=str(campaign.pk), action=AuditEvent.Action.CREATE
    )
    assert event.actor == org.users["lead_counsellor"]
    assert event.changes["instruments"] == [None, ["phq9"]]


def test_a_check_up_opening_today_invites_as_it_commits(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaign = create(org)
    assert len(callbacks) == 1
    # Town A and below, with a login: not the colleague (no login), nobody of town B or the office.
    assert invited(campaign) == {"EX-supervisor", "EX-staff", "EX-hr_officer"}
    campaign.refresh_from_db()
    assert campaign.invited_at is not None


def test_a_later_check_up_waits_for_its_opening_day(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaign = create(org, opens=2)
    assert not callbacks and not invited(campaign)
    assert campaign_invite(actor=org.users["leading_group"], campaign=campaign) == campaigns.InviteResult()
    # Its first day: the daily task sends the invitations.
    ScreeningCampaign.objects.filter(pk=campaign.pk).update(opens_on=today())
    tasks.screening_open_campaigns()
    assert invited(campaign) == {"EX-supervisor", "EX-staff", "EX-hr_officer"}


# --- Invitations ------------------------------------------------------------------------------------


def test_an_invitation_is_a_personal_reminder_due_at_the_end_of_the_closing_day(org):
    campaign = open_campaign(org)
    invitation = CampaignInvitation.objects.get(campaign=campaign, person=org.people["staff"])
    f = invitation.followup
    assert f.owner == org.users["staff"] and f.person == org.people["staff"]
    assert f.kind == FollowUp.Kind.SCREENING_INVITATION and f.tier == Tier.ROUTINE
    assert f.title_key == "screening.invited" and f.title_params == {"campaign": campaign.name}
    assert f.escalation == FollowUp.Escalation.NONE and f.confidential
    assert f.subject == campaign
    due = timezone.localtime(f.due_at)
    assert due.date() == campaign.closes_on and (due.hour, due.minute) == (23, 59)


def test_inviting_twice_sends_one_invitation_per_person(org):
    campaign = open_campaign(org)
    again = campaign_invite(actor=org.users["leading_group"], campaign=campaign)
    assert again.invited == 0
    tasks.screening_open_campaigns()
    assert CampaignInvitation.objects.filter(campaign=campaign).count() == 3
    assert FollowUp.objects.filter(kind=FollowUp.Kind.SCREENING_INVITATION).count() == 3


def test_a_race_is_settled_by_the_database(org, monkeypatch):
    campaign = open_campaign(org)
    from wellbeing.models import Person

    # As if another worker invited them between the query and the insert.
    monkeypatch.setattr(
        campaigns, "people_to_invite", lambda c: Person.objects.filter(external_id="EX-staff").select_related("user")
    )
    result = campaign_invite(actor=org.users["leading_group"], campaign=campaign)
    assert (result.invited, result.already) == (0, 1)
    assert CampaignInvitation.objects.filter(campaign=campaign, person=org.people["staff"]).count() == 1
    assert FollowUp.objects.filter(kind=FollowUp.Kind.SCREENING_INVITATION, owner=org.users["staff"]).count() == 1


def test_people_who_withdrew_consent_are_not_invited(org):
    services.consent_give(actor=org.users["staff"])
    services.consent_withdraw(actor=org.users["staff"])
    services.consent_give(actor=org.users["hr_officer"])
    campaign = open_campaign(org)
    assert invited(campaign) == {"EX-supervisor", "EX-hr_officer"}
    # Consenting again brings them back for the next run.
    services.consent_give(actor=org.users["staff"])
    campaign_invite(actor=org.users["leading_group"], campaign=campaign)
    assert "EX-staff" in invited(campaign)


def test_people_who_left_or_cannot_log_in_are_not_invited(org):
    org.users["hr_officer"].is_active = False
    org.users["hr_officer"].save(update_fields=["is_active"])
    from wellbeing import services as core

    core.person_leave(actor=ACTOR, person=org.people["supervisor"])
    assert invited(open_campaign(org)) == {"EX-staff"}


def test_one_bad_row_does_not_block_the_others(org, monkeypatch, caplog):
    real = campaigns.followup_create

    def failing(**kwargs):
        if kwargs["owner"] == org.users["staff"]:
            raise RuntimeError("boom")
        return real(**kwargs)

    monkeypatch.setattr(campaigns, "followup_create", failing)
    campaign = create(org)
    result = campaign_invite(actor=org.users["leading_group"], campaign=campaign)
    assert (result.invited, result.failed) == (2, 1)
    assert invited(campaign) == {"EX-supervisor", "EX-hr_officer"}  # nothing half-made for the staff member
    assert "inviting person" in caplog.text
    monkeypatch.setattr(campaigns, "followup_create", real)
    assert campaign_invite(actor=org.users["leading_group"], campaign=campaign).invited == 1  # tried again


def test_closing_cancels_the_invitations_still_open(org):
    campaign = open_campaign(org)
    services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_MILD, consent=True)
    ScreeningCampaign.objects.filter(pk=campaign.pk).update(
        opens_on=today() - timedelta(days=10), closes_on=today() - timedelta(days=1)
    )
    campaign.refresh_from_db()
    tasks.screening_open_campaigns()
    statuses = dict(
        CampaignInvitation.objects.filter(campaign=campaign).values_list("person__external_id", "followup__status")
    )
    assert statuses == {
        "EX-staff": FollowUp.Status.DONE,
        "EX-supervisor": FollowUp.Status.CANCELLED,
        "EX-hr_officer": FollowUp.Status.CANCELLED,
    }
    assert campaigns.campaign_close(actor=org.users["leading_group"], campaign=campaign) == 0  # once
    assert campaign_invite(actor=org.users["leading_group"], campaign=campaign).invited == 0  # closed: nobody new


def test_the_purge_task_calls_the_retention_service(org):
    tasks.screening_purge_expired()  # nothing to purge; runs with its own system actor


def test_taking_the_check_ups_questionnaires_completes_the_invitation(org):
    campaign = open_campaign(org, codes=("phq9", "gad7"))
    invitation = CampaignInvitation.objects.get(campaign=campaign, person=org.people["staff"])
    first = services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_MILD, consent=True)
    assert first.screening.campaign == campaign
    invitation.refresh_from_db()
    assert invitation.completed_at is None and invitation.followup.is_active
    services.screening_submit(actor=org.users["staff"], instrument="gad7", answers=GAD7_NONE)
    invitation.refresh_from_db()
    assert invitation.completed_at is not None
    assert invitation.followup.status == FollowUp.Status.DONE


# --- Completion: who, never what ----------------------------------------------------------------------


def test_a_supervisor_sees_only_their_reports_completion(org):
    people_with_logins(org.section_b1, 2, "B")
    campaign = open_campaign(org, units=[org.county])
    services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_MODERATE, consent=True)
    rows = campaigns.campaign_completion_for_user(user=org.users["supervisor"], campaign=campaign)
    assert {(r.person.external_id, r.completed) for r in rows} == {("EX-staff", True), ("EX-hr_officer", False)}
    everyone = campaigns.campaign_completion_for_user(user=org.users["lead_counsellor"], campaign=campaign)
    assert len(everyone) == CampaignInvitation.objects.filter(campaign=campaign).count() > len(rows)
    with pytest.raises(PermissionDenied):
        campaigns.campaign_completion_for_user(user=org.users["leading_group"], campaign=campaign)


def test_declining_shows_as_not_completed(org):
    campaign = open_campaign(org)
    invitation = CampaignInvitation.objects.get(campaign=campaign, person=org.people["staff"])
    services.screening_invitation_decline(actor=org.users["staff"], followup=invitation.followup)
    rows = campaigns.campaign_completion_for_user(user=org.users["supervisor"], campaign=campaign)
    assert ("EX-staff", False) in {(r.person.external_id, r.completed) for r in rows}


def test_the_supervisors_page_shows_who_completed_and_no_result(org, as_principal):
    campaign = open_campaign(org)
    services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_MODERATE, consent=True)
    response = as_principal("supervisor").get(reverse("screening:campaign", args=[campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="completion"' in html and 'data-testid="stats"' not in html
    assert response.context["figures"] is None
    assert 'data-done="1" data-total="2"' in html  # the staff member and the HR officer; not the supervisor
    assert "王静" in html and "吴人事" in html
    for forbidden in ("yellow", "tier-", "score", "Mild", "Moderate", "11"):
        assert forbidden not in html.split('data-testid="completion"')[1], forbidden


def test_an_outsider_supervisor_does_not_find_a_check_up_of_other_units(org, as_principal):
    campaign = open_campaign(org)
    assert as_principal("outsider_supervisor").get(reverse("screening:campaign", args=[campaign.pk])).status_code == 404
    assert as_principal("staff").get(reverse("screening:campaign", args=[campaign.pk])).status_code == 404
    listed = as_principal("outsider_supervisor").get(reverse("screening:campaigns")).context["rows"]
    assert listed == []


# --- Figures by unit ----------------------------------------------------------------------------------


def crowd_campaign(org, *, red=1, green=5):
    """A section of ``red + green`` people with logins who all complete the PHQ-9."""
    crowd = people_with_logins(org.section_a1, red + green, "C")
    campaign = open_campaign(org, units=[org.section_a1])
    for i, person in enumerate(crowd):
        answers = PHQ9_ITEM9 if i < red else PHQ9_MILD
        services.screening_submit(actor=person.user, instrument="phq9", answers=answers, consent=True)
    return campaign, crowd


def test_the_leading_group_sees_figures_with_small_groups_suppressed(org, as_principal):
    campaign, _crowd = crowd_campaign(org)
    # The staff member of A1 is invited too and does not take it: 7 invited, 6 completed (1 red).
    figures = stats.campaign_stats(user=org.users["leading_group"], campaign=campaign)
    [row] = figures.rows
    assert row.values["invited"] == 7 and row.values["completed"] == 6
    assert row.values["red"] is None and row.values["green"] is None  # 1, and 6 - 5 would give it away
    assert row.values["yellow"] == 0 and row.values["orange"] == 0

    response = as_principal("leading_group").get(reverse("screening:campaign", args=[campaign.pk]))
    html = response.content.decode()
    assert 'data-testid="stats-table"' in html and "Groups under 5 people are not shown." in html
    assert html.count('data-hidden="1"') == 2
    assert 'data-testid="completion"' not in html  # the leading group sees counts, not names
    assert "C0" not in html


def test_supervisors_and_staff_never_get_the_figures(org, as_principal):
    campaign, _crowd = crowd_campaign(org)
    for role in ("supervisor", "staff", "counsellor", "hr_officer"):
        with pytest.raises(PermissionDenied):
            stats.campaign_stats(user=org.users[role], campaign=campaign)
    html = as_principal("supervisor").get(reverse("screening:campaign", args=[campaign.pk])).content.decode()
    assert "stats-table" not in html


def test_withdrawn_consent_leaves_the_figures(org):
    campaign, crowd = crowd_campaign(org, red=0, green=6)
    row = stats.campaign_stats(user=org.users["lead_counsellor"], campaign=campaign).rows[0]
    assert (row.values["invited"], row.values["completed"], row.values["green"]) == (7, 6, 6)
    services.consent_withdraw(actor=crowd[0].user)
    row = stats.campaign_stats(user=org.users["lead_counsellor"], campaign=campaign).rows[0]
    assert (row.values["invited"], row.values["completed"], row.values["green"]) == (6, 5, 5)


def test_the_latest_result_per_questionnaire_and_the_highest_tier_count(org):
    crowd = people_with_logins(org.section_a1, 5, "T")
    campaign = open_campaign(org, units=[org.section_a1], codes=("phq9", "gad7"))
    for person in crowd:
        services.screening_submit(actor=person.user, instrument="phq9", answers=PHQ9_MODERATE, consent=True)
        services.screening_submit(actor=person.user, instrument="phq9", answers=PHQ9_MILD)  # the latest: green
        services.screening_submit(actor=person.user, instrument="gad7", answers=GAD7_NONE)
    row = stats.campaign_stats(user=org.users["leading_group"], campaign=campaign).rows[0]
    assert (row.values["completed"], row.values["green"], row.values["yellow"]) == (5, 5, 0)
    # A counsellor's review wins.
    from wellbeing.models import Screening

    for screening in Screening.objects.filter(person__in=crowd, instrument__code="gad7"):
        services.screening_review(actor=org.users["lead_counsellor"], screening=screening, tier="yellow", reason="面谈")
    row = stats.campaign_stats(user=org.users["leading_group"], campaign=campaign).rows[0]
    assert (row.values["green"], row.values["yellow"]) == (0, 5)


def test_the_figures_are_a_tree_with_direct_rows(org):
    campaign = open_campaign(org, units=[org.county, org.town_a])  # town A is inside the county: once
    figures = stats.campaign_stats(user=org.users["leading_group"], campaign=campaign)
    keys = [(r.kind, r.label) for r in figures.rows]
    assert keys[0] == ("unit", "青溪县") and ("direct", "(directly in 青溪县)") in keys
    assert ("unit", "综合办A") in keys and ("unit", "心理健康服务中心") in keys
    # Every displayed figure is 0 or at least 5.
    assert all(v is None or v == 0 or v >= 5 for r in figures.rows for v in r.values.values())


# --- Pages ------------------------------------------------------------------------------------------


def test_the_list_and_the_new_check_up_form(org, as_principal):
    create(org, opens=1)
    client = as_principal("leading_group")
    html = client.get(reverse("screening:campaigns")).content.decode()
    assert 'data-testid="campaign-new"' in html and "2026年度心理体检" in html
    assert (
        'data-testid="campaign-new"'
        not in as_principal("supervisor").get(reverse("screening:campaigns")).content.decode()
    )
    form = client.get(reverse("screening:campaign_new"))
    assert form.status_code == 200 and "综合办A" in form.content.decode()


def test_bad_input_on_the_form_is_a_400_with_errors_next_to_the_fields(org, as_principal):
    client = as_principal("lead_counsellor")
    response = client.post(
        reverse("screening:campaign_new"),
        {
            "name": "体检",
            "units": ["999999", "x"],
            "instruments": [],
            "opens_on": (today() - timedelta(days=1)).isoformat(),
            "closes_on": "not a date",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"units", "instruments", "closes_on"} <= set(errors)
    response = client.post(
        reverse("screening:campaign_new"),
        {
            "name": "体检",
            "units": [org.town_a.pk],
            "instruments": [Instrument.objects.get(code="phq9").pk],
            "opens_on": (today() - timedelta(days=1)).isoformat(),
            "closes_on": today().isoformat(),
        },
    )
    assert response.status_code == 400 and "opens_on" in response.context["form"].errors
    assert "The opening day cannot be in the past." in response.content.decode()
    assert not ScreeningCampaign.objects.exists()


def test_setting_one_up_on_the_page(org, as_principal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_principal("leading_group").post(
            reverse("screening:campaign_new"),
            {
                "name": "春季体检",
                "units": [org.section_a1.pk],
                "instruments": [Instrument.objects.get(code="phq9").pk, Instrument.objects.get(code="who5").pk],
                "opens_on": today().isoformat(),
                "closes_on": (today() + timedelta(days=10)).isoformat(),
            },
        )
    campaign = ScreeningCampaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("screening:campaign", args=[campaign.pk])
    assert invited(campaign) == {"EX-staff"}
    assert as_principal("staff").post(reverse("screening:campaign_new"), {}).status_code == 403


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", ["leading_group", "supervisor", "lead_counsellor"])
def test_the_pages_render_in_both_languages(org, as_principal, language, role):
    campaign, _crowd = crowd_campaign(org)
    client = as_principal(role)
    for url in (reverse("screening:campaigns"), reverse("screening:campaign", args=[campaign.pk])):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert f'<html lang="{language}">' in response.content.decode()


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# (Each signed-in request loads the user with their person record: wellbeing.permissions.PersonModelBackend.)
@pytest.mark.parametrize(("role", "expected"), [("leading_group", 12), ("supervisor", 9), ("lead_counsellor", 13)])
def test_the_campaign_page_makes_a_fixed_number_of_queries(org, as_principal, role, expected):
    campaign, _crowd = crowd_campaign(org, red=1, green=5)
    client = as_principal(role)
    url = reverse("screening:campaign", args=[campaign.pk])
    client.get(url)
    small = _queries(client, url)
    people_with_logins(org.section_a1, 8, "MORE")
    campaign_invite(actor=org.users["leading_group"], campaign=campaign)
    assert _queries(client, url) == small  # does not grow with the people invited
    assert small == expected, small


# --- Home ---------------------------------------------------------------------------------------------


def _section(response, key):
    return {s.key: s for s in response.context["sections"]}.get(key)


def test_the_leading_group_sees_open_check_ups_with_their_completion_rate(org, as_principal):
    campaign, _crowd = crowd_campaign(org)
    small = open_campaign(org, units=[org.town_b], name="青石镇体检")  # 1 person invited: no rate
    section = _section(as_principal("leading_group").get("/"), "campaigns-open")
    details = {item.text: item.detail for item in section.items}
    assert details[campaign.name].startswith("6 of 7 completed (86%)")
    assert details[small.name].startswith("completion not shown")
    assert _section(as_principal("supervisor").get("/"), "campaigns-open") is None


def test_a_supervisor_sees_how_many_reports_have_not_completed(org, as_principal):
    campaign = open_campaign(org)
    services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_MILD, consent=True)
    response = as_principal("supervisor").get("/")
    section = _section(response, "campaigns-reports")
    [item] = section.items
    assert item.detail.startswith("1 of your reports have not completed yet")
    assert item.url == reverse("screening:campaign", args=[campaign.pk])
    assert _section(as_principal("outsider_supervisor").get("/"), "campaigns-reports") is None
    assert _section(as_principal("staff").get("/"), "campaigns-reports") is None
