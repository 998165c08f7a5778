from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from wellbeing import policy
from wellbeing.demo import DEFAULT_PASSWORD
from wellbeing.models import AuditEvent, OrgUnit, Person, RoleAssignment

DEMO_ROLES = {
    "supervisor": "supervisor",
    "staff": "staff",
    "lead": "lead_counsellor",
    "counsellor1": "counsellor",
    "counsellor2": "counsellor",
    "counsellor3": "counsellor",
    "hr": "hr_officer",
    "leader": "leading_group",
    "admin": "administrator",
}


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_builds_a_realistic_county(seeded):
    towns = OrgUnit.objects.filter(kind__in=[OrgUnit.Kind.TOWN, OrgUnit.Kind.OFFICE], depth=2)
    assert towns.count() >= 8
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.SECTION).count() >= 16
    assert Person.objects.count() >= 200
    names = list(Person.objects.values_list("full_name", flat=True))
    assert all(2 <= len(n) <= 4 and "\u4e00" <= n[0] <= "\u9fff" for n in names)
    assert Person.objects.filter(work_start_date__isnull=False, hire_date__gte=models_f("work_start_date")).count() == (
        Person.objects.count()
    )


def models_f(name):
    from django.db.models import F

    return F(name)


def test_it_prints_every_demo_login_with_its_role(seeded):
    for username in DEMO_ROLES:
        assert f"\n  {username} " in seeded


def test_each_demo_login_works_and_holds_its_role(seeded, settings):
    from django.contrib.auth import get_user_model

    settings.TWO_FACTOR_REQUIRED_ROLES = []  # the demo's documented relaxation
    for username, role in DEMO_ROLES.items():
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
        assert role in policy.access_for(get_user_model().objects.get(username=username)).roles


def test_running_it_twice_changes_nothing(seeded):
    def snapshot():
        return (
            list(Person.objects.order_by("id").values_list("id", "external_id", "full_name", "updated_at")),
            list(OrgUnit.objects.order_by("id").values_list("id", "path", "updated_at")),
            RoleAssignment.objects.count(),
            AuditEvent.objects.count(),
        )

    before = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == before
