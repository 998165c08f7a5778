"""Shared fixtures: one organisation with every role of design/access.md.

    county 青溪县
    ├── town A 城关镇 ── section A1 综合办
    ├── town B 青石镇 ── section B1 综合办
    └── office 县委办 ── section 心理健康服务中心 (counsellors)

Principals (the three-person pattern, widened to every role):
  staff               a staff member in A1 with a login and no other role
  colleague           a staff member in A1 without a login (the "record" most tests look at)
  supervisor          head of town A, supervisor of A
  outsider_supervisor head of town B, supervisor of B (must see nothing of A)
  outsider            a staff member in B1 with a login
  counsellor, lead_counsellor, hr_officer (of town A), leading_group, administrator
  api_client          an HR system with people:read and org:read
  api_client_no_scope an HR system with leave:read only
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests import shared_data
from tests.factories import ACTOR, UserFactory, make_person, make_unit
from wellbeing import services
from wellbeing.models import FollowUp, OrgUnit, Person, Role

ROLE_FROM = date(2020, 1, 1)


@dataclass
class Org:
    county: OrgUnit
    town_a: OrgUnit
    section_a1: OrgUnit
    town_b: OrgUnit
    section_b1: OrgUnit
    office: OrgUnit
    counselling: OrgUnit
    people: dict[str, Person]
    users: dict[str, object]
    tokens: dict[str, str]
    followups: dict[str, FollowUp]
    talk: object
    referral: object


def _user_with_person(name: str, unit: OrgUnit, full_name: str, **person_fields):
    user = UserFactory(username=name)
    person = make_person(unit, full_name=full_name, user=user, external_id=f"EX-{name}", **person_fields)
    return user, person


@pytest.fixture(autouse=True)
def _quiet_hours_only_on_a_frozen_clock(request, settings):
    """Quiet hours (22:00-07:00) depend on the time of day: a test that runs on the wall clock runs
    without them, so it passes whenever CI happens to run. Tests of quiet hours freeze the clock (their
    ``clock`` fixture) and keep the default."""
    if "clock" not in request.fixturenames:
        settings.FOLLOWUP_QUIET_HOURS = ""


@pytest.fixture(autouse=True)
def _shipped_screening_data(request):
    """The questionnaires and crisis contacts migration 0018 ships with are part of every database.
    A transactional test (the browser tests, which pytest-django runs after the others) flushes the
    database when it ends: the next one puts them back, committed, before it starts."""
    marker = request.node.get_closest_marker("django_db")
    uses = set(request.fixturenames)
    if marker is None and not ({"db", "transactional_db", "live_server"} & uses):
        return
    request.getfixturevalue("transactional_db" if shared_data.transactional(request) else "db")
    shared_data.ensure_shipped_data()


@pytest.fixture(autouse=True)
def _shared_data_stays_in_its_module(request):
    """Data a module builds once for its tests (tests/shared_data.py) is seen by those tests only."""
    shared_data.check_isolation(request)


@pytest.fixture
def org(db) -> Org:
    return build_org()


def build_org() -> Org:
    """The organisation of this module's docstring, built through the services."""
    county = make_unit("青溪县", kind=OrgUnit.Kind.COUNTY, code="C")
    town_a = make_unit("城关镇", parent=county, code="A")
    section_a1 = make_unit("综合办A", parent=town_a, kind=OrgUnit.Kind.SECTION, code="A1")
    town_b = make_unit("青石镇", parent=county, code="B")
    section_b1 = make_unit("综合办B", parent=town_b, kind=OrgUnit.Kind.SECTION, code="B1")
    office = make_unit("县委办", parent=county, kind=OrgUnit.Kind.OFFICE, code="O")
    counselling = make_unit("心理健康服务中心", parent=office, kind=OrgUnit.Kind.SECTION, code="O1")

    users, people = {}, {}
    users["supervisor"], people["supervisor"] = _user_with_person("supervisor", town_a, "张主任")
    users["staff"], people["staff"] = _user_with_person("staff", section_a1, "王静", manager=people["supervisor"])
    people["colleague"] = make_person(section_a1, full_name="李明", external_id="EX-colleague")
    users["outsider_supervisor"], people["outsider_supervisor"] = _user_with_person(
        "outsider_supervisor", town_b, "赵主任"
    )
    users["outsider"], people["outsider"] = _user_with_person("outsider", section_b1, "陈红")
    users["counsellor"], people["counsellor"] = _user_with_person("counsellor", counselling, "刘咨询")
    users["lead_counsellor"], people["lead_counsellor"] = _user_with_person("lead_counsellor", counselling, "周主管")
    users["hr_officer"], people["hr_officer"] = _user_with_person("hr_officer", town_a, "吴人事")
    users["leading_group"], people["leading_group"] = _user_with_person("leading_group", office, "郑书记")
    users["administrator"], people["administrator"] = _user_with_person("administrator", office, "孙管理")

    for name, role, unit in [
        ("supervisor", Role.SUPERVISOR, town_a),
        ("outsider_supervisor", Role.SUPERVISOR, town_b),
        ("counsellor", Role.COUNSELLOR, None),
        ("lead_counsellor", Role.LEAD_COUNSELLOR, None),
        ("hr_officer", Role.HR_OFFICER, town_a),
        ("leading_group", Role.LEADING_GROUP, None),
        ("administrator", Role.ADMINISTRATOR, None),
    ]:
        services.role_assign(actor=ACTOR, user=users[name], role=role, unit=unit, valid_from=ROLE_FROM)

    far = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)  # never due during a test unless a test moves it
    followups = {
        "staff_task": services.followup_create(
            actor=ACTOR,
            owner=users["staff"],
            title="约定事项",
            kind=FollowUp.Kind.TALK_ACTION,
            due_at=far,
            person=people["staff"],
        ),
        "case_contact": services.followup_create(
            actor=ACTOR,
            owner=users["counsellor"],
            title="个案回访",
            kind=FollowUp.Kind.CASE_CONTACT,
            due_at=far,
            person=people["colleague"],
        ),
    }

    from talks.services import TalkInput, talk_create

    talk = talk_create(
        actor=users["supervisor"],
        data=TalkInput(
            participants=[people["staff"]],
            held_at=timezone.now() - timedelta(days=1),
            main_content="最近加班多，睡眠不好",
            shared_summary="已约定下月调整值班",
        ),
    )
    referral = services.referral_create(
        actor=users["supervisor"], person=people["colleague"], urgency="soon", reason="work_pressure"
    )

    tokens = {}
    _, tokens["api_client"] = services.api_client_create(actor=ACTOR, name="hr-sync", scopes="people:read,org:read")
    _, tokens["api_client_no_scope"] = services.api_client_create(actor=ACTOR, name="leave-only", scopes="leave:read")
    return Org(
        county,
        town_a,
        section_a1,
        town_b,
        section_b1,
        office,
        counselling,
        people,
        users,
        tokens,
        followups,
        talk,
        referral,
    )


USER_ROLES = [
    "staff",
    "supervisor",
    "outsider_supervisor",
    "outsider",
    "counsellor",
    "lead_counsellor",
    "hr_officer",
    "leading_group",
    "administrator",
]
API_ROLES = ["api_client", "api_client_no_scope"]
ALL_PRINCIPALS = ["anonymous", *USER_ROLES, *API_ROLES]


def verified_login(client, user) -> None:
    """Log a user in with a verified TOTP device in the session (as after a real two-factor log-in)."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def client_for(org: Org, principal: str, *, api: bool = False):
    """A test client acting as ``principal`` (a key of ALL_PRINCIPALS)."""
    client = APIClient() if api else Client()
    if principal == "anonymous":
        return client
    if principal in API_ROLES:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {org.tokens[principal]}")
        return client
    verified_login(client, org.users[principal])
    return client


@pytest.fixture
def as_principal(org):
    def make(principal: str, *, api: bool = False):
        return client_for(org, principal, api=api)

    return make
