"""Each role's home page is today's work (issue 8, item 1), and its figures count exactly the rows
their links open. "Never talked to", "overdue" and "next talk" read the same on the home page, the
talk overview, the follow-ups and the person page (item 2)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from talks.models import TalkRequest
from talks.services import TalkInput, talk_create
from tests.conftest import verified_login
from tests.factories import ACTOR, make_person
from wellbeing import services
from wellbeing.models import FollowUp, Notification, Person, Tier

pytestmark = pytest.mark.django_db


def _talk_due(org, person, *, days: float, owner="supervisor"):
    FollowUp.objects.filter(
        kind=FollowUp.Kind.TALK_DUE, person=person, owner=org.users[owner], status__in=FollowUp.ACTIVE_STATUSES
    ).delete()
    return services.followup_create(
        actor=ACTOR,
        owner=org.users[owner],
        title="talk",
        kind=FollowUp.Kind.TALK_DUE,
        subject=person,
        person=person,
        due_at=timezone.now() + timedelta(days=days),
    )


def _section(response, key):
    return {s.key: s for s in response.context["sections"]}.get(key)


def _rows(client, url):
    return list(client.get(url).context["page"].object_list)


def test_a_supervisors_figures_count_the_rows_their_links_open(as_principal, org):
    _talk_due(org, org.people["colleague"], days=-2)  # overdue
    _talk_due(org, org.people["hr_officer"], days=5)  # due this week
    services.followup_create(
        actor=ACTOR,
        owner=org.users["supervisor"],
        title="回电话",
        kind=FollowUp.Kind.GENERAL,
        due_at=timezone.now() + timedelta(days=30),
    )  # neither
    client = as_principal("supervisor")
    response = client.get("/")
    figures = {f.key: f for f in _section(response, "my-figures").figures}
    for key in ("overdue", "week"):
        rows = _rows(client, figures[key].url)
        assert figures[key].value == len(rows)
    assert figures["overdue"].value == 1 and figures["week"].value == 1
    assert 'data-testid="figure-overdue" data-value="1"' in response.content.decode()


def test_a_supervisor_sees_the_talks_due_with_one_tap_to_log_each(as_principal, org):
    _talk_due(org, org.people["colleague"], days=-2)
    _talk_due(org, org.people["hr_officer"], days=10)
    client = as_principal("supervisor")
    section = _section(client.get("/"), "talks-due")
    items = {i.key: i for i in section.items}
    # Staff was talked to yesterday: the next talk is a cadence away, not in the list.
    assert set(items) == {"talk-due-EX-colleague", f"talk-due-{org.people['hr_officer'].external_id}"}
    colleague = items["talk-due-EX-colleague"]
    assert colleague.action[1] == "/talks/new/?person=EX-colleague"
    assert {label for label, _ in colleague.badges} == {"overdue", "never talked to"}
    # Overdue first.
    assert section.items[0].key == "talk-due-EX-colleague"
    page = client.get(colleague.action[1])
    assert page.status_code == 200 and "李明" in page.content.decode()


def test_never_overdue_and_next_talk_agree_everywhere(as_principal, org):
    due = _talk_due(org, org.people["colleague"], days=-3)
    client = as_principal("supervisor")
    home = {i.key: i for i in _section(client.get("/"), "talks-due").items}["talk-due-EX-colleague"]
    overview = {r.person.external_id: r for r in client.get("/talks/overview/").context["rows"]}["EX-colleague"]
    followups = client.get("/follow-ups/?bucket=overdue&kind=talk_due")
    row = next(f for f in followups.context["page"].object_list if f.pk == due.pk)
    person = client.get("/people/EX-colleague/").context["facts"]

    expected = {"overdue", "never talked to"}
    assert {label for label, _ in home.badges} == expected
    assert overview.overdue and overview.never and overview.next_due == timezone.localdate(due.due_at)
    assert {label for label, _ in row.badges} == expected
    assert {label: value for label, value, _ in person} == {
        "Last talk": "never talked to",
        "Next talk": str(timezone.localdate(due.due_at)),
    }
    assert {label for label, _ in person[1][2]} == {"overdue", "never talked to"}

    # After a talk, all of them move together: talked to today, next talk a cadence away.
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(participants=[org.people["colleague"]], held_at=timezone.now(), main_content="谈了工作"),
    )
    nxt = FollowUp.objects.get(
        kind=FollowUp.Kind.TALK_DUE, person=org.people["colleague"], owner=org.users["supervisor"], status="open"
    )
    overview = {r.person.external_id: r for r in client.get("/talks/overview/").context["rows"]}["EX-colleague"]
    person = {label: value for label, value, _ in client.get("/people/EX-colleague/").context["facts"]}
    assert overview.status == "ok" and overview.next_due == timezone.localdate(nxt.due_at)
    assert person == {"Last talk": str(timezone.localdate()), "Next talk": str(timezone.localdate(nxt.due_at))}
    assert "talk-due-EX-colleague" not in {i.key for i in _section(client.get("/"), "talks-due").items}


def test_a_supervisors_open_actions_and_referrals_made(as_principal, org):
    action = services.followup_create(
        actor=ACTOR,
        owner=org.users["supervisor"],
        title="调整值班表",
        kind=FollowUp.Kind.TALK_ACTION,
        person=org.people["staff"],
        due_at=timezone.now() + timedelta(days=3),
    )
    response = as_principal("supervisor").get("/")
    actions = _section(response, "open-actions")
    assert [i.key for i in actions.items] == [f"action-{action.pk}"]
    assert actions.items[0].text == "调整值班表" and "王静" in actions.items[0].detail
    made = _section(response, "referrals-made")
    assert [i.text for i in made.items] == ["李明"]
    assert [label for label, _ in made.items[0].badges] == ["received"]
    body = response.content.decode()
    assert "work_pressure" not in body and "work pressure" not in body  # status only, never the reason


def test_a_supervisor_with_nothing_due_is_told_what_to_do_next(as_principal, org):
    FollowUp.objects.filter(owner=org.users["supervisor"]).delete()
    response = as_principal("supervisor").get("/")
    body = response.content.decode()
    assert 'data-testid="talks-due-empty"' in body and "talk overview" in body
    assert 'data-testid="open-actions-empty"' in body


def test_a_counsellor_sees_red_and_orange_first_then_what_is_due(as_principal, org):
    def make(title, tier, days):
        return services.followup_create(
            actor=ACTOR,
            owner=org.users["counsellor"],
            title=title,
            kind=FollowUp.Kind.CASE_CONTACT,
            tier=tier,
            person=org.people["colleague"],
            due_at=timezone.now() + timedelta(days=days),
        )

    red, orange, yellow = make("红", Tier.RED, 2), make("橙", Tier.ORANGE, 20), make("黄", Tier.YELLOW, 3)
    make("later", Tier.ROUTINE, 20)
    sections = as_principal("counsellor").get("/").context["sections"]
    keys = [s.key for s in sections]
    assert keys.index("urgent") < keys.index("due")
    by_key = {s.key: s for s in sections}
    assert [i.key for i in by_key["urgent"].items] == [f"followup-{red.pk}", f"followup-{orange.pk}"]
    assert [i.key for i in by_key["due"].items] == [f"followup-{yellow.pk}"]
    assert "intake" not in by_key  # intake is the lead counsellor's


def test_the_lead_counsellor_sees_the_intake_most_urgent_first(as_principal, org):
    imminent = services.referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="imminent", reason="self_harm"
    )
    section = _section(as_principal("lead_counsellor").get("/"), "intake")
    assert [i.key for i in section.items] == [f"referral-{imminent.pk}", f"referral-{org.referral.pk}"]
    assert section.items[0].tier == "red"


def test_staff_see_their_next_talk_their_actions_and_can_ask_for_a_talk(as_principal, org):
    client = as_principal("staff")
    response = client.get("/")
    nxt = FollowUp.objects.get(kind=FollowUp.Kind.TALK_DUE, person=org.people["staff"], status="open")
    note = _section(response, "next-talk").note
    assert str(timezone.localdate(nxt.due_at)) in note and "张主任" in note
    assert [i.text for i in _section(response, "open-actions").items] == ["约定事项"]

    assert client.post("/talks/request/").status_code == 302
    nxt.refresh_from_db()
    assert nxt.due_at <= timezone.now() + timedelta(days=3)  # brought forward
    told = Notification.objects.filter(recipient=org.users["supervisor"], message_key="talk.requested")
    assert told.count() == 1 and "王静" in told.get().display_title
    assert "You asked for a talk" in _section(client.get("/"), "next-talk").note
    client.post("/talks/request/")  # asking again tells nobody twice
    assert told.count() == 1
    # The supervisor sees it on the talk due.
    item = {i.key: i for i in _section(as_principal("supervisor").get("/"), "talks-due").items}["talk-due-EX-staff"]
    assert "asked for a talk" in {label for label, _ in item.badges}
    # The next talk answers it.
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(participants=[org.people["staff"]], held_at=timezone.now(), main_content="谈心"),
    )
    assert not TalkRequest.objects.filter(answered_at__isnull=True).exists()
    assert _section(client.get("/"), "next-talk").form is not None


def test_only_staff_ask_for_talks(as_principal, org, client, django_user_model):
    verified_login(client, django_user_model.objects.create_user("no-record", password="x-Long-password-1"))
    assert client.post("/talks/request/").status_code == 403  # no staff record
    assert not _section(client.get("/"), "next-talk")
    assert as_principal("staff").get("/talks/request/").status_code == 405


def _people_in(unit, n, prefix):
    return [make_person(unit, full_name=f"{prefix}{i}", external_id=f"{prefix}-{i}") for i in range(n)]


def test_hr_and_the_leading_group_see_talk_coverage_by_unit_k_suppressed(as_principal, org):
    crowd = _people_in(org.section_a1, 6, "CROWD")
    for p in crowd[:2]:
        talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(participants=[p], held_at=timezone.now(), main_content="谈心"),
        )
    ct = ContentType.objects.get_for_model(Person)
    for p in crowd[2:5]:
        _talk_due(org, p, days=-1)
    assert FollowUp.objects.filter(subject_type=ct, kind="talk_due", due_at__lt=timezone.now()).count() >= 3

    section = _section(as_principal("hr_officer").get("/"), "coverage")
    rows = {r[0]: r for r in section.table.rows}
    # Town A is the HR officer's unit: a row per unit below it, and one for the people directly in it.
    active = Person.objects.active()
    in_a1 = active.filter(unit__path__startswith=org.section_a1.path).count()
    assert rows["综合办A"][1] == in_a1  # staff, colleague and the 6 of the crowd
    # staff (talked yesterday) and two of the crowd are covered.
    assert rows["综合办A"][2] == f"{round(3 / in_a1 * 100)}%"
    assert rows["综合办A"][3] == 3
    assert rows["城关镇 (directly)"][1:] == (None, None, None)  # the supervisor and the HR officer: withheld
    assert "青石镇" not in rows  # not the HR officer's units
    # Every person is counted once, and the total cannot give the withheld row away.
    assert {f.key for f in section.figures} == set()

    leader = {r[0]: r for r in _section(as_principal("leading_group").get("/"), "coverage").table.rows}
    assert leader["城关镇"][1] == active.filter(unit__path__startswith=org.town_a.path).count()
    assert leader["青石镇"][1:] == (None, None, None)  # fewer than five people: withheld


def test_coverage_totals_show_only_when_the_withheld_rows_are_k_together(as_principal, org):
    _people_in(org.section_a1, 6, "A")
    _people_in(org.town_a, 3, "D")  # town A directly: the supervisor, the HR officer and 3 = 5
    section = _section(as_principal("hr_officer").get("/"), "coverage")
    rows = {r[0]: r for r in section.table.rows}
    assert rows["城关镇 (directly)"][1] == 5 and rows["综合办A"][1] == 8
    figures = {f.key: f.value for f in section.figures}
    assert figures["coverage"] is not None  # nothing withheld: the total is shown
    # The leading group: with the office at 5 people, town B (2 people) is the only row withheld, so
    # the total minus the rows shown would give it away: the total is withheld too.
    _people_in(org.office, 5 - Person.objects.active().filter(unit__path__startswith=org.office.path).count(), "O")
    leader = _section(as_principal("leading_group").get("/"), "coverage")
    assert [r[0] for r in leader.table.rows if r[1] is None] == ["青石镇"]
    assert not leader.figures
    # With town B at 5 people nothing is withheld: the total shows.
    _people_in(org.town_b, 3, "B")
    assert _section(as_principal("leading_group").get("/"), "coverage").figures


def test_a_restricted_talk_does_not_answer_a_request_for_others_to_see(as_principal, org):
    as_principal("staff").post("/talks/request/")
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["staff"]],
            held_at=timezone.now(),
            main_content="私下谈",
            confidentiality="restricted",
        ),
    )
    assert TalkRequest.objects.filter(person=org.people["staff"], answered_at__isnull=True).exists()


def test_roles_without_coverage_do_not_see_it(as_principal, org):
    for role in ("staff", "supervisor", "counsellor", "administrator"):
        assert _section(as_principal(role).get("/"), "coverage") is None


def test_the_inbox_count_is_outside_the_collapsed_menu(as_principal, org):
    Notification.objects.create(recipient=org.users["supervisor"], title="x")
    body = as_principal("supervisor").get("/").content.decode()
    menu = body.index('id="main-nav"')
    assert body.index('data-testid="inbox-link"') < menu
    assert body.index('data-testid="unread-count"') < menu


@pytest.mark.parametrize(
    ("role", "shown"),
    [("administrator", True), ("hr_officer", True), ("supervisor", False), ("staff", False), ("leading_group", False)],
)
def test_the_api_docs_link_is_for_api_roles_and_outside_the_navigation(as_principal, org, role, shown):
    response = as_principal(role).get("/")
    body = response.content.decode()
    assert ('data-testid="api-docs-link"' in body) is shown
    assert all(url != "/api/docs/" for _, url in response.context["nav_items"])
