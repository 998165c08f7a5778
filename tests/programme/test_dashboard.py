"""The leading group's dashboard page (issue 13, item 5): a fixed number of queries whatever the number
of units (pinned here), for the leading group only (403 for anyone else), the unit filter showing a
slice of the one table, bad parameters answered 404 (never 500), a past year showing the areas that
describe the present as unavailable. The seeded demo showing every chart with plausible data is tested
with the demo's other figures, in tests/test_demo_figures.py (one seeded demo for them all)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.services import case_open
from programme import services as programme_services
from programme.models import Activity
from programme.selectors.dashboard import DASHBOARD_DEPTH
from tests.conftest import USER_ROLES, client_for, verified_login
from tests.factories import ACTOR, UserFactory, make_person, make_unit
from tests.programme.test_suppression_property import page_figures
from wellbeing import figures, services
from wellbeing.models import Instrument, OrgUnit, Role
from wellbeing.screening.campaigns import campaign_create, campaign_invite
from wellbeing.screening.services import screening_submit

DASHBOARD = "/programme/dashboard/"
PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 0, 0]


def _overdue(org, person) -> None:
    services.followup_create(
        actor=ACTOR,
        owner=org.users["supervisor"],
        title="回访",
        due_at=datetime.now(UTC) - timedelta(days=10),
        person=person,
    )


def _something_in_every_area(org) -> None:
    """Data for each dimension, so each one runs its queries (a dimension with nothing to look up may
    skip one): a check-up with a result, an open case, overdue follow-ups, an activity attended, a care
    record, a plan with a task (the talk and the leave types come with the fixture)."""
    today = timezone.localdate()
    campaign = campaign_create(
        actor=org.users["leading_group"],
        name="年度心理体检",
        units=[org.county],
        instruments=list(Instrument.objects.filter(code="phq9")),
        opens_on=today,
        closes_on=today + timedelta(days=14),
    )
    campaign_invite(actor=org.users["leading_group"], campaign=campaign)
    screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9_MILD, consent=True)
    case_open(actor=org.users["lead_counsellor"], referral=org.referral, counsellor=org.users["counsellor"])
    _overdue(org, org.people["staff"])
    starts = timezone.now() + timedelta(days=2)
    activity = programme_services.activity_create(
        actor=org.users["leading_group"],
        title="减压沙龙",
        kind=Activity.Kind.SALON,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="党校",
    )
    registration = programme_services.register(actor=org.users["staff"], activity=activity)
    begun = timezone.now() - timedelta(days=1)
    Activity.objects.filter(pk=activity.pk).update(starts_at=begun, ends_at=begun + timedelta(hours=2))
    activity.refresh_from_db()
    programme_services.record_attendance(
        actor=org.users["leading_group"], activity=activity, attended_ids={registration.pk}
    )
    plan = programme_services.plan_create(
        actor=org.users["leading_group"], year=today.year, title="工作计划", owner=org.users["leading_group"]
    )
    programme_services.task_create(
        actor=org.users["leading_group"],
        plan=plan,
        title="讲座",
        category="lecture",
        owner=org.users["staff"],
        due_on=today + timedelta(days=30),
        indicator="2 场",
    )
    programme_services.care_record_create(
        actor=org.users["supervisor"],
        person=org.people["colleague"],
        situation="bereavement",
        occurred_on=today,
        visited=True,
    )


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_runs_a_fixed_number_of_queries_whatever_the_number_of_units(org):
    _something_in_every_area(org)
    client = client_for(org, "leading_group")
    client.get(DASHBOARD)  # caches warmed (content types, translations)
    small = _count_queries(client)
    # 42 more units in three levels (towns, sections, and groups below the dashboard's depth), with
    # people, and overdue follow-ups about some of them.
    for t in range(6):
        town = make_unit(f"新镇{t}", parent=org.county)
        for s in range(3):
            section = make_unit(f"新股{t}-{s}", parent=town, kind=OrgUnit.Kind.SECTION)
            group = make_unit(f"新组{t}-{s}", parent=section, kind=OrgUnit.Kind.SECTION)
            for unit in (section, group):
                for p in [make_person(unit) for _i in range(2)]:
                    _overdue(org, p)
            if s == 0:
                make_person(town)
    assert OrgUnit.objects.count() == 7 + 42
    assert _count_queries(client) == small


def test_only_the_leading_group_sees_the_dashboard(org):
    assert client_for(org, "leading_group").get(DASHBOARD).status_code == 200
    for role in USER_ROLES:
        if role != "leading_group":
            assert client_for(org, role).get(DASHBOARD).status_code == 403, role
    anonymous = Client().get(DASHBOARD)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_a_leading_group_member_whose_role_ended_is_refused(org):
    user = UserFactory(username="former_leader")
    make_person(org.office, user=user)
    assignment = services.role_assign(actor=ACTOR, user=user, role=Role.LEADING_GROUP, valid_from=date(2020, 1, 1))
    client = Client()
    verified_login(client, user)
    assert client.get(DASHBOARD).status_code == 200
    services.role_end(actor=ACTOR, assignment=assignment)
    assert client.get(DASHBOARD).status_code == 403


def _labels(response, key: str) -> list[str]:
    return [label for label, _values in page_figures(response.content.decode())[key]]


def test_the_unit_filter_shows_the_unit_and_the_units_directly_below_it(org):
    client = client_for(org, "leading_group")
    everything = client.get(DASHBOARD)
    assert _labels(everything, "talks.coverage") == [
        "青溪县",
        "(directly in 青溪县)",
        "城关镇",
        "青石镇",
        "县委办",
    ]
    town_a = client.get(DASHBOARD, {"unit": org.town_a.pk})
    assert town_a.status_code == 200
    for table in figures.dimensions():
        assert _labels(town_a, table.key) == ["城关镇", "(directly in 城关镇)", "综合办A"], table.key
    assert "青石镇" not in "".join(_labels(town_a, "talks.coverage"))
    # The same figures as in the whole table: a slice of it, never a table of its own.
    whole = dict(page_figures(everything.content.decode())["overdue"])
    sliced = dict(page_figures(town_a.content.decode())["overdue"])
    assert sliced["城关镇"] == whole["城关镇"]
    # The filter offers every unit the dashboard shows (not the ones deeper than its depth).
    deep = make_unit("小组", parent=org.section_a1, kind=OrgUnit.Kind.SECTION)
    assert deep.depth > DASHBOARD_DEPTH
    page = client.get(DASHBOARD).content.decode()
    assert f'<option value="{org.section_a1.pk}"' in page and f'<option value="{deep.pk}"' not in page


def test_people_below_the_dashboards_depth_count_in_their_ancestor_at_that_depth(org):
    deep = make_unit("小组", parent=org.section_a1, kind=OrgUnit.Kind.SECTION)
    for _i in range(6):
        make_person(deep)
    for _i in range(5):
        make_person(org.town_a)  # so that the town's own row (7 people) can be shown
    client = client_for(org, "leading_group")
    rows = dict(page_figures(client.get(DASHBOARD, {"unit": org.town_a.pk}).content.decode())["talks.coverage"])
    assert rows["综合办A"][0] == 8  # the staff member, the colleague and the six below
    assert rows["城关镇"][0] == 15
    assert "小组" not in rows


@pytest.mark.parametrize(
    "query",
    [
        {"year": "abc"},
        {"year": "1999"},
        {"year": "next"},
        {"year": "99999999999999999999999"},
        {"year": "2026.5"},
        {"unit": "abc"},
        {"unit": "0"},
        {"unit": "-3"},
        {"unit": "999999"},
        {"unit": "99999999999999999999999"},
        {"unit": "1e3"},
    ],
)
def test_bad_parameters_are_not_found_never_a_server_error(org, query):
    query = {k: str(timezone.localdate().year + 1) if v == "next" else v for k, v in query.items()}
    client = client_for(org, "leading_group")
    for url in (DASHBOARD, "/programme/dashboard/ledger.xlsx", "/programme/dashboard/ledger.pdf"):
        assert client.get(url, query).status_code == 404, (url, query)


def test_a_unit_below_the_dashboards_depth_is_not_a_filter(org):
    deep = make_unit("小组", parent=org.section_a1, kind=OrgUnit.Kind.SECTION)
    assert client_for(org, "leading_group").get(DASHBOARD, {"unit": deep.pk}).status_code == 404


def test_a_past_year_shows_the_areas_describing_the_present_as_unavailable(org):
    client = client_for(org, "leading_group")
    last_year = timezone.localdate().year - 1
    response = client.get(DASHBOARD, {"year": last_year})
    assert response.status_code == 200
    board = response.context["board"]
    assert board.period.year == last_year
    current_only = {d.key for d in figures.dimensions() if d.current_only}
    assert {"overdue", "cases.open"} <= current_only
    tables = page_figures(response.content.decode())
    for d in figures.dimensions():
        if d.key in current_only:
            assert d.key not in tables
        else:
            assert tables[d.key], d.key
    html = response.content.decode()
    section = html.split('data-testid="area-overdue"', 1)[1].split("</section>", 1)[0]
    assert "shown for the current year only" in section
    # The charts: only the available areas.
    data = _chart_data(html)
    assert {c["key"] for c in data["charts"]} == {d.key for d in figures.dimensions()} - current_only
    # This year, every area is there.
    this_year = page_figures(client.get(DASHBOARD).content.decode())
    assert set(this_year) == {d.key for d in figures.dimensions()}


def test_the_charts_draw_the_tables_figures(org):
    """The chart data (the page's JSON block) holds the table's rows below the one shown (its total
    would dwarf them; the total alone when nothing below it can be shown) and, per charted category,
    the same figures as the table (null where hidden)."""
    for _i in range(6):
        _overdue(org, make_person(org.section_a1))
    response = client_for(org, "leading_group").get(DASHBOARD)
    html = response.content.decode()
    data = _chart_data(html)
    tables = page_figures(html)
    board = response.context["board"]
    assert [c["key"] for c in data["charts"]] == [t.key for t in board.tables]
    for chart in data["charts"]:
        table = next(t for t in board.tables if t.key == chart["key"])
        keys = [c.key for c in table.columns]
        charted = [keys.index(c.key) for c in table.chart_columns]
        rows = tables[chart["key"]][1:]
        if not any(values[i] is not None for _label, values in rows for i in charted):
            rows = tables[chart["key"]][:1]
        assert chart["units"] == [label for label, _values in rows]
        assert [s["name"] for s in chart["series"]] == [c.label for c in table.chart_columns]
        for series, column in zip(chart["series"], table.chart_columns, strict=True):
            index = keys.index(column.key)
            assert series["values"] == [values[index] for _label, values in rows]
        assert f'data-chart="{chart["key"]}"' in html


def _chart_data(html: str) -> dict:
    return json.loads(html.split('id="dashboard-chart-data" type="application/json">', 1)[1].split("</script>")[0])
