"""The seeded demo fills the leading group's dashboard (issue 13: "the seeded demo shows every chart
with plausible data"): in late November the county has talked to most of its people, most have done
the year's check-up, leave uptake and weekend work are spread, some follow-ups are overdue in several
towns, every chart of the leading group's dashboard page has figures to draw - and a second run of
``seed_demo`` adds nothing."""

import json
from collections import Counter
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from cases.models import Case
from leave.models import LeaveLedgerEntry, LeaveRequest, OvertimeRecord
from programme.selectors.dashboard import compute
from talks.models import Talk, TalkParticipant
from tests.conftest import verified_login
from tests.programme.test_dashboard import DASHBOARD
from tests.shared_data import seeded_demo
from wellbeing import figures
from wellbeing.figures import Period, classify_all
from wellbeing.models import (
    AuditEvent,
    CampaignInvitation,
    FollowUp,
    Notification,
    Person,
    Referral,
    RoleAssignment,
    Screening,
    ScreeningConsent,
)

#: Late November, a weekday morning outside quiet hours.
LATE_NOVEMBER = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def demo(request, django_db_setup, django_db_blocker):
    """The demo, seeded once for this module's tests (tests/shared_data.py: each test is rolled back to it)."""
    with seeded_demo(request, django_db_blocker, at=LATE_NOVEMBER) as seeded:
        yield seeded


@pytest.fixture
def seeded(demo, db):
    """The seeded demo, on the clock of a test that had just seeded it."""
    with demo.on_its_clock():
        yield


def _figures() -> dict[str, Counter]:
    people = list(Person.objects.active().values_list("pk", flat=True))
    found = classify_all(Period.for_year(LATE_NOVEMBER.year), people)
    return {key: Counter(categories.values()) for key, categories in found.items()} | {"staff": Counter(n=len(people))}


def test_the_demo_county_looks_like_late_november(seeded):
    figures = _figures()
    staff = figures["staff"]["n"]
    # Most people talked to this year, not everyone.
    assert 0.6 <= figures["talks.coverage"]["talked"] / staff <= 0.85
    # The year's check-up: (nearly) everyone invited, about three in four done, mostly green.
    checkup = figures["checkup"]
    completed = sum(checkup[t] for t in ("green", "yellow", "orange", "red"))
    invited = completed + checkup["pending"]
    assert invited >= 0.9 * staff
    assert 0.68 <= completed / invited <= 0.85
    assert 0.6 <= checkup["green"] / completed <= 0.8
    assert 0.12 <= checkup["yellow"] / completed <= 0.3
    assert checkup["orange"] >= 1 and 1 <= checkup["red"] <= 3
    # Annual leave: a spread over the three shares.
    uptake = figures["leave.uptake"]
    entitled = uptake["none_taken"] + uptake["under_half"] + uptake["half_or_more"]
    assert entitled >= 0.9 * staff
    assert 0.08 <= uptake["none_taken"] / entitled <= 0.22
    assert 0.25 <= uptake["under_half"] / entitled <= 0.45
    assert 0.4 <= uptake["half_or_more"] / entitled <= 0.62
    # Weekend work for about a quarter of the staff, some of them on four days or more.
    weekend = figures["leave.weekend"]
    assert 0.18 <= (weekend["some"] + weekend["often"]) / staff <= 0.32
    assert weekend["often"] >= 5
    # Overdue follow-ups: a score of people, in several towns, of every age.
    overdue = figures["overdue"]
    assert 12 <= sum(overdue.values()) <= 30
    assert all(overdue[bucket] >= 1 for bucket in ("overdue_1_7", "overdue_8_30", "overdue_31"))
    towns = set(
        Person.objects.filter(
            pk__in=FollowUp.objects.filter(
                status__in=FollowUp.ACTIVE_STATUSES, due_at__lt=LATE_NOVEMBER, person__isnull=False
            ).values("person_id")
        ).values_list("unit__path", flat=True)
    )
    assert len({path[:8] for path in towns}) >= 4
    # The cases stay a handful.
    assert 1 <= sum(figures["cases.open"].values()) <= 8


def test_the_dashboard_shows_the_figures_for_the_whole_county(seeded):
    _units, rows, _k = compute(Period.for_year(LATE_NOVEMBER.year))
    top = rows[0].values
    for column in (
        "talks.coverage:talked",
        "checkup:green",
        "checkup:pending",
        "leave.uptake:none_taken",
        "leave.uptake:under_half",
        "leave.uptake:half_or_more",
        "leave.weekend:worked",
    ):
        assert top[column] is not None, column
        assert top[column] >= 5, column


def test_a_second_run_adds_nothing(seeded):
    def snapshot():
        return (
            get_user_model().objects.count(),
            list(Person.objects.order_by("id").values_list("id", "user_id", "updated_at")),
            RoleAssignment.objects.count(),
            Talk.objects.count(),
            TalkParticipant.objects.count(),
            list(FollowUp.objects.order_by("id").values_list("id", "status", "due_at", "updated_at")),
            LeaveRequest.objects.count(),
            LeaveLedgerEntry.objects.count(),
            OvertimeRecord.objects.count(),
            Screening.objects.count(),
            ScreeningConsent.objects.count(),
            CampaignInvitation.objects.count(),
            Referral.objects.count(),
            Case.objects.count(),
            Notification.objects.count(),
            AuditEvent.objects.count(),
        )

    before = snapshot()
    with time_machine.travel(LATE_NOVEMBER, tick=True):
        call_command("seed_demo", stdout=StringIO())
    assert snapshot() == before


def test_the_seeded_demo_shows_every_chart_with_plausible_data(seeded):
    """Every area of the demo's dashboard has figures to show: the county's row shows someone in a
    category other than the default (or in a sum of them), and its chart has figures to draw."""
    client = Client()
    verified_login(client, get_user_model().objects.get(username="leader"))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    charts = {c["key"]: c for c in _chart_data(response.content.decode())["charts"]}
    board = response.context["board"]
    assert set(charts) == {d.key for d in figures.dimensions()}
    empty = []
    for table in board.tables:
        top = table.rows[0]
        assert top.values["staff"] >= 100, table.key
        d = table.dimension
        assert len(charts[table.key]["units"]) >= 5, table.key
        something = [
            c.key for c in table.columns if c.key not in ("staff", d.column(d.default)) and (top.values[c.key] or 0) > 0
        ]
        drawn = [v for series in charts[table.key]["series"] for v in series["values"] if v is not None]
        if not something or not drawn:
            empty.append(table.key)
    assert not empty, f"areas with nothing to show in the demo: {empty}"
    assert board.plan is not None and board.plan.tasks > 0


def _chart_data(html: str) -> dict:
    return json.loads(html.split('id="dashboard-chart-data" type="application/json">', 1)[1].split("</script>")[0])
