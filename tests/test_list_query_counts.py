"""Every list page and endpoint of a morning's work (the load benchmark's mix, bench/locustfile.py) runs
the same number of queries for 5 rows as for 50: a supervisor's home page, their team's follow-ups and
the talk form (their people to choose from, their open actions), a member of staff's home page and
follow-ups, and the people API filtered by unit and status. A follow-up list runs a fixed number of
queries for each kind of follow-up on the page (its app's badges), so each list is compared holding
the same kinds.

The other lists are pinned next to their features: my follow-ups page and API
(tests/wellbeing/test_followup_pages.py), the people and org-unit APIs without filters
(tests/wellbeing/test_api.py), the directory (tests/wellbeing/test_pages.py)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from talks.services import ActionInput, TalkInput, talk_create
from tests.factories import ACTOR, UserFactory, make_person
from wellbeing import services

_serial = itertools.count(1)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx)


def _team(org, n: int) -> None:
    """``n`` more people in the supervisor's town, each with a login, an open follow-up of their own
    (one overdue in three), a talk with the supervisor and the action agreed in it, and a follow-up of
    the staff member's about them."""
    now = timezone.now()
    for _ in range(n):
        i = next(_serial)
        user = UserFactory(username=f"member{i}")
        person = make_person(
            org.section_a1, user=user, full_name=f"组员{i}", external_id=f"M{i:04d}", manager=org.people["supervisor"]
        )
        services.followup_create(
            actor=ACTOR,
            owner=user,
            title=f"事项{i}",
            due_at=now + timedelta(hours=-2 if i % 3 == 0 else 30),
            person=person,
        )
        services.followup_create(actor=ACTOR, owner=org.users["staff"], title=f"协助{i}", due_at=now, person=person)
        talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(
                participants=[person],
                held_at=now - timedelta(days=3),
                mood=4,
                main_content="谈近期工作",
                actions=[ActionInput(f"跟进{i}", timezone.localdate() + timedelta(days=5))],
            ),
        )


def _same_for_5_and_50(org, clients_and_paths: dict[str, tuple]) -> None:
    """The query count of each page with 5 rows and with 50."""
    _team(org, 5)
    few = {}
    for label, (client, path) in clients_and_paths.items():
        _queries(client, path)  # warm-up: caches filled on a first request (content types, settings)
        few[label] = _queries(client, path)
    _team(org, 45)
    many = {label: _queries(client, path) for label, (client, path) in clients_and_paths.items()}
    assert many == few


@pytest.mark.django_db
def test_it_shows_a_supervisors_lists_with_the_same_queries_for_5_and_50_people(org, as_principal):
    supervisor = as_principal("supervisor")
    _same_for_5_and_50(
        org,
        {
            "home page": (supervisor, "/"),
            "my agreed actions": (supervisor, "/follow-ups/?kind=talk_action&bucket=upcoming"),
            "my team's follow-ups": (supervisor, "/follow-ups/team/"),
            "my talks due": (supervisor, "/follow-ups/?kind=talk_due&bucket=upcoming"),
            "my team's follow-ups, upcoming": (supervisor, "/follow-ups/team/?bucket=upcoming"),
            "talk form for a person": (supervisor, f"/talks/new/?person={org.people['staff'].external_id}"),
        },
    )


@pytest.mark.django_db
def test_it_shows_a_staff_members_lists_with_the_same_queries_for_5_and_50_rows(org, as_principal):
    staff = as_principal("staff")
    _same_for_5_and_50(
        org, {"home page": (staff, "/"), "my follow-ups, upcoming": (staff, "/follow-ups/?bucket=upcoming")}
    )


@pytest.mark.django_db
def test_it_lists_people_by_unit_and_status_with_the_same_queries_for_5_and_50(org, as_principal):
    api = as_principal("api_client", api=True)
    _same_for_5_and_50(
        org,
        {
            "people in a unit and below, active": (api, f"/api/v1/people/?unit={org.town_a.pk}&status=active"),
            "people of a section": (api, f"/api/v1/people/?unit={org.section_a1.pk}"),
        },
    )


@pytest.mark.django_db
def test_the_lists_really_grew(org, as_principal):
    """The counts above compare lists that hold the rows: 50 people are listed, and the supervisor's
    talks due fill a page."""
    _team(org, 50)
    api = as_principal("api_client", api=True)
    answer = api.get(f"/api/v1/people/?unit={org.section_a1.pk}&status=active").json()
    assert len(answer["results"]) == 50
    talks_due = as_principal("supervisor").get("/follow-ups/?kind=talk_due&bucket=upcoming")
    assert len(talks_due.context["page"].object_list) == 30  # a full page of talks due (51 owed)
