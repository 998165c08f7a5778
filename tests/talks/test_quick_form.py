"""Logging a talk in under a minute (issue 8 item 4): the quick path, only valid choices, rows that
show what applies, errors linked from the top, carried actions ticked off, the same-day question and
dates in one explicit format."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from talks.models import Talk, TalkAction
from talks.services import ActionInput, TalkInput, talk_create
from tests.conftest import ROLE_FROM
from tests.factories import ACTOR, make_person, make_unit
from wellbeing import services
from wellbeing.models import FollowUp, Role

WEEK = (timezone.localdate() + timedelta(days=7)).isoformat()


def _now_text(days_ago=0, hour=9):
    when = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    return when.strftime("%Y-%m-%d %H:%M")


def _quick(person, *actions, **overrides):
    """What the quick path posts: who, when, state of mind, a note and the actions - nothing else
    (the fields under "More details" are left as they were drawn)."""
    data = {
        "participants": [person.pk],
        "kind": "individual",
        "occasion": "routine",
        "held_at": _now_text(),
        "mood": "4",
        "main_content": "谈了近况",
        "confidentiality": "normal",
        "actions-TOTAL_FORMS": str(len(actions)),
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
    }
    for i, action in enumerate(actions):
        data |= {f"actions-{i}-{name}": value for name, value in action.items()}
    return data | overrides


def _action(**fields):
    return {"description": "调整值班表", "owner_kind": "supervisor", "due_date": WEEK} | fields


def _more_details(html: str) -> str:
    start = html.index('id="more-details"')
    return html[start : html.index("</details>", start)]


def test_it_logs_a_routine_talk_by_the_quick_path(as_principal, org):
    response = as_principal("supervisor").post("/talks/new/", _quick(org.people["colleague"], _action()))
    assert response.status_code == 302, response.context["errors"]
    talk = Talk.objects.exclude(pk=org.talk.pk).get()
    assert talk.mood == 4 and talk.main_content == "谈了近况"
    action = talk.actions.get()
    assert action.owner == org.users["supervisor"] and action.person == org.people["colleague"]
    assert action.due_date == timezone.localdate() + timedelta(days=7)


def test_the_quick_fields_come_first_and_the_rest_waits_under_more_details(as_principal, org):
    html = as_principal("supervisor").get("/talks/new/").content.decode()
    details = _more_details(html)
    assert '<details class="mb-2 more-details" id="more-details" data-testid="more-details">' in html  # closed
    for quick in ("picker", "id_held_at", "id_mood_0", "id_main_content", "add-action"):
        assert f'id="{quick}"' in html and f'id="{quick}"' not in details
    for detail in ("id_kind_0", "id_occasion_0", "id_trigger", "id_location", "id_duration_minutes", "id_mood_tags_0"):
        assert f'id="{detail}"' in details
    for detail in ("id_difficulties", "id_suggestions", "id_shared_summary", "id_confidentiality"):
        assert f'id="{detail}"' in details
    # The scope of the page is still said, in one line.
    assert 'data-testid="not-disciplinary"' in html


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"location": "会议室", "main_content": ""}, "a value"),  # refused for no note... and location filled
        ({"occasion": "triggered", "trigger": ""}, "an error"),
    ],
)
def test_more_details_opens_when_one_of_its_fields_has_a_value_or_an_error(as_principal, org, overrides, why):
    data = _quick(org.people["colleague"], mood="", **overrides)
    response = as_principal("supervisor").post("/talks/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="more-details" open', html), why


def test_a_talk_with_no_content_is_refused_next_to_the_note(as_principal, org):
    response = as_principal("supervisor").post("/talks/new/", _quick(org.people["colleague"], mood="", main_content=""))
    assert response.status_code == 400
    assert "main_content" in response.context["form"].errors
    assert Talk.objects.count() == 1
    assert 'id="more-details" open' not in response.content.decode()  # nothing of it to show
    # A state of mind alone is content.
    assert (
        as_principal("supervisor").post("/talks/new/", _quick(org.people["colleague"], main_content="")).status_code
        == 302
    )


# --- Only valid choices ----------------------------------------------------------------------------


def _owner_options(html: str) -> dict[str, str]:
    select = re.search(r'<select name="actions-0-owner_kind".*?</select>', html, re.S).group(0)
    return {m.group(1): m.group(0) for m in re.finditer(r'<option value="(\w+)"[^>]*>[^<]*</option>', select)}


def test_the_person_cannot_own_an_action_without_a_login_and_the_row_says_why(as_principal, org):
    client = as_principal("supervisor")
    no_login = _owner_options(
        client.get("/talks/action-row/", {"index": 0, "participants": org.people["colleague"].pk}).content.decode()
    )
    assert "disabled" in no_login["person"] and "(no login)" in no_login["person"]
    assert "disabled" not in no_login["supervisor"] and "disabled" not in no_login["hr"]
    with_login = _owner_options(
        client.get("/talks/action-row/", {"index": 0, "participants": org.people["staff"].pk}).content.decode()
    )
    assert "disabled" not in with_login["person"]


def test_hr_cannot_own_an_action_where_no_hr_officer_covers_the_unit(as_principal, org):
    town_c = make_unit("白沙镇", parent=org.county, code="C9")
    services.role_assign(
        actor=ACTOR, user=org.users["supervisor"], role=Role.SUPERVISOR, unit=town_c, valid_from=ROLE_FROM
    )
    uncovered = make_person(town_c, full_name="何平")
    html = as_principal("supervisor").get("/talks/action-row/", {"participants": uncovered.pk}).content.decode()
    options = _owner_options(html)
    assert "disabled" in options["hr"] and "(no HR officer for this unit)" in options["hr"]
    # Submitted anyway, the row's owner field says why, and nothing is saved.
    response = as_principal("supervisor").post("/talks/new/", _quick(uncovered, _action(owner_kind="hr")))
    assert response.status_code == 400
    assert response.context["actions"].forms[0].errors["owner_kind"] == ["No HR officer covers 何平's unit."]
    assert Talk.objects.count() == 1


def test_the_server_refuses_an_owner_without_a_login_on_the_rows_owner_field(as_principal, org):
    response = as_principal("supervisor").post(
        "/talks/new/", _quick(org.people["colleague"], _action(owner_kind="person"))
    )
    assert response.status_code == 400
    row = response.context["actions"].forms[0]
    assert row.errors["owner_kind"] == ["李明 has no login, so cannot own an action."]
    assert not response.context["form"].non_field_errors()  # not a generic error after submit
    html = response.content.decode()
    assert 'href="#id_actions-0-owner_kind"' in html
    assert (Talk.objects.count(), TalkAction.objects.count()) == (1, 0)


def test_a_redrawn_row_keeps_its_values_and_drops_an_owner_that_no_longer_applies(as_principal, org):
    html = (
        as_principal("supervisor")
        .get(
            "/talks/action-row/",
            {
                "index": 2,
                "participants": org.people["colleague"].pk,
                "actions-2-description": "联系家属",
                "actions-2-owner_kind": "person",  # chosen for 王静, then the person changed to 李明
                "actions-2-due_date": "2026-12-01",
            },
        )
        .content.decode()
    )
    assert 'name="actions-2-description"' in html and 'value="联系家属"' in html
    assert 'value="2026-12-01"' in html
    options = _owner_options(html.replace("actions-2-", "actions-0-"))
    assert "selected" not in options["person"] and "disabled" in options["person"]


# --- Rows show only what applies --------------------------------------------------------------------


def test_an_individual_talks_row_has_no_for_whom_and_hidden_values_are_ignored(as_principal, org):
    client = as_principal("supervisor")
    row = client.get("/talks/action-row/", {"participants": org.people["colleague"].pk}).content.decode()
    assert re.search(r'<div class="only-group" hidden>', row)
    assert re.search(r'<div class="only-colleague" hidden>', row)
    data = _quick(
        org.people["colleague"],
        # Values left in hidden fields (a "for whom" and a colleague) count for nothing.
        _action(person=org.people["staff"].pk, owner="999999"),
    )
    assert client.post("/talks/new/", data).status_code == 302
    action = TalkAction.objects.get()
    assert action.person == org.people["colleague"] and action.owner == org.users["supervisor"]


def test_a_group_talks_row_asks_for_whom_and_the_colleague_only_when_chosen(as_principal, org):
    client = as_principal("supervisor")
    people = [org.people["staff"].pk, org.people["colleague"].pk]
    row = client.get("/talks/action-row/", {"participants": people, "kind": "group"}).content.decode()
    assert '<div class="only-group">' in row
    colleague = client.get(
        "/talks/action-row/", {"participants": people, "kind": "group", "actions-0-owner_kind": "colleague"}
    ).content.decode()
    assert '<div class="only-colleague">' in colleague


def test_no_two_fields_are_both_called_kind_or_type(as_principal, org):
    response = as_principal("supervisor").get("/talks/action-row/", {"participants": org.people["staff"].pk})
    row = response.context["action_form"]
    form = as_principal("supervisor").get("/talks/new/").context["form"]
    labels = [str(f.label) for f in form] + [str(f.label) for f in row]
    assert not {"Kind", "Type", "Owner"} & set(labels)
    assert "Individual or group" in labels and "Who does it" in labels
    assert len(labels) == len(set(labels))


# --- Errors linked from the top --------------------------------------------------------------------


def test_every_error_is_listed_at_the_top_with_a_link_to_its_field(as_principal, org):
    data = _quick(
        org.people["colleague"],
        _action(description="", due_date="31/12/2026"),
        held_at="tomorrow",
        mood="",
        main_content="",
    )
    response = as_principal("supervisor").post("/talks/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'<div id="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert 'role="alert"' in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    links = dict(re.findall(r'<a class="alert-link" href="#([^"]+)">([^<]+)</a>', summary.group(1)))
    assert set(links) >= {"id_held_at", "id_main_content", "id_actions-0-description", "id_actions-0-due_date"}
    assert links["id_actions-0-due_date"].startswith("Action 1, By: ")
    # Each error also stands next to its field, and untouched fields get no green tick.
    assert html.count("invalid-feedback") >= 4
    assert "is-valid" not in html.replace("is-invalid", "")


# --- Carried actions ---------------------------------------------------------------------------------


def _earlier_action(org, person, description="联系家属", **talk_fields):
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[person],
            held_at=timezone.now() - timedelta(days=10),
            main_content="上次谈话",
            actions=[ActionInput(description, timezone.localdate() + timedelta(days=3))],
            **talk_fields,
        ),
    )
    return talk.actions.get()


def test_open_actions_are_shown_whichever_way_the_form_is_opened(as_principal, org):
    action = _earlier_action(org, org.people["colleague"])
    client = as_principal("supervisor")
    box = f'name="complete_actions" value="{action.pk}"'
    # From the person's page (?person=) ...
    assert box in client.get("/talks/new/", {"person": "EX-colleague"}).content.decode()
    # ... after picking them in the picker (the panel the page loads) ...
    assert box in client.get("/talks/carried/", {"participants": org.people["colleague"].pk}).content.decode()
    # ... and after a failed submit, with the tick kept.
    failed = client.post(
        "/talks/new/", _quick(org.people["colleague"], mood="", main_content="", complete_actions=[action.pk])
    )
    assert failed.status_code == 400
    assert re.search(rf"{box}[^>]*checked", failed.content.decode())
    # Nobody else's open actions are listed.
    assert box not in client.get("/talks/carried/", {"participants": org.people["staff"].pk}).content.decode()


def test_an_action_ticked_off_in_the_new_talk_is_completed_by_it(as_principal, org):
    action = _earlier_action(org, org.people["colleague"])
    response = as_principal("supervisor").post(
        "/talks/new/", _quick(org.people["colleague"], complete_actions=[action.pk])
    )
    assert response.status_code == 302
    followup = FollowUp.objects.get(pk=action.followup_id)
    assert followup.status == FollowUp.Status.DONE and followup.completed_by == org.users["supervisor"]
    with translation.override(settings.LANGUAGE_CODE):  # stored in the organisation's language
        day = formats.date_format(timezone.localdate(), "DATE_FORMAT")
        assert followup.outcome == gettext("Confirmed done in the talk of %(date)s.") % {"date": day}


def test_ticking_off_someone_elses_action_saves_nothing(as_principal, org):
    other = _earlier_action(org, org.people["staff"], description="王静的事项")
    response = as_principal("supervisor").post(
        "/talks/new/", _quick(org.people["colleague"], complete_actions=[other.pk])
    )
    assert response.status_code == 400 and "complete_actions" in response.context["form"].errors
    assert 'href="#carried"' in response.content.decode()
    assert not Talk.objects.filter(participations__person=org.people["colleague"]).exists()  # all or nothing
    assert FollowUp.objects.get(pk=other.followup_id).is_active


def test_an_action_the_supervisor_may_not_complete_is_shown_but_cannot_be_ticked(as_principal, org):
    # Owned by the person, after a restricted talk: its follow-up is confidential to its owner.
    talk = talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["staff"]],
            held_at=timezone.now() - timedelta(days=3),
            main_content="保密",
            confidentiality=Talk.Confidentiality.RESTRICTED,
            actions=[ActionInput("本人自行安排", timezone.localdate() + timedelta(days=3), owner_kind="person")],
        ),
    )
    action = talk.actions.get()
    client = as_principal("supervisor")
    html = client.get("/talks/new/", {"person": "EX-staff"}).content.decode()
    assert re.search(rf'value="{action.pk}" id="carried-{action.pk}" disabled', html)
    assert "(王静 marks it done)" in html
    forced = client.post(
        "/talks/new/", _quick(org.people["staff"], complete_actions=[action.pk], confirm_duplicate="1")
    )
    assert forced.status_code == 400 and "complete_actions" in forced.context["form"].errors
    assert FollowUp.objects.get(pk=action.followup_id).is_active


# --- The same person twice on one day --------------------------------------------------------------


def test_a_second_talk_with_the_same_person_on_the_same_day_asks_first(as_principal, org):
    client = as_principal("supervisor")
    assert client.post("/talks/new/", _quick(org.people["colleague"], held_at=_now_text(hour=9))).status_code == 302
    second = client.post("/talks/new/", _quick(org.people["colleague"], held_at=_now_text(hour=15)))
    assert second.status_code == 200
    html = second.content.decode()
    assert 'data-testid="same-day-warning"' in html and 'name="confirm_duplicate" value="1"' in html
    assert "李明" in html
    assert Talk.objects.filter(participations__person=org.people["colleague"]).count() == 1
    confirmed = client.post(
        "/talks/new/", _quick(org.people["colleague"], held_at=_now_text(hour=15), confirm_duplicate="1")
    )
    assert confirmed.status_code == 302
    assert Talk.objects.filter(participations__person=org.people["colleague"]).count() == 2


def test_a_talk_on_another_day_is_not_asked_about(as_principal, org):
    # The fixture's talk with 王静 was yesterday.
    assert as_principal("supervisor").post("/talks/new/", _quick(org.people["staff"])).status_code == 302


# --- Dates in one explicit format ------------------------------------------------------------------


def test_dates_are_text_in_one_explicit_format_not_the_browsers_locale(as_principal, org):
    client = as_principal("supervisor")
    html = client.get("/talks/new/").content.decode()
    field = re.search(r'<input[^>]*name="held_at"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'placeholder="YYYY-MM-DD HH:MM"' in field
    assert re.search(r'value="\d{4}-\d{2}-\d{2} \d{2}:\d{2}"', field)
    row = client.get("/talks/action-row/", {"participants": org.people["colleague"].pk}).content.decode()
    due = re.search(r'<input[^>]*name="actions-0-due_date"[^>]*>', row).group(0)
    assert 'type="text"' in due and f'value="{WEEK}"' in due  # a week from today unless changed
    # Typed with slashes or without separators, the dates are still understood.
    yesterday = timezone.localdate() - timedelta(days=1)
    due = timezone.localdate() + timedelta(days=3)
    data = _quick(
        org.people["colleague"],
        _action(due_date=due.strftime("%Y%m%d")),
        held_at=yesterday.strftime("%Y/%m/%d") + " 08:15",
    )
    assert client.post("/talks/new/", data).status_code == 302
    talk = Talk.objects.exclude(pk=org.talk.pk).get()
    assert timezone.localtime(talk.held_at).strftime("%Y-%m-%d %H:%M") == f"{yesterday.isoformat()} 08:15"
    assert talk.actions.get().due_date == due


def test_the_picker_answers_with_the_query_it_answered(as_principal, org):
    response = as_principal("supervisor").get("/talks/people/", {"q": "wj"})
    assert 'data-q="wj"' in response.content.decode()
    page = as_principal("supervisor").get("/talks/new/").content.decode()
    assert 'hx-sync="this:replace"' in page
