from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from wcwidth import wcswidth

from talks.models import Talk
from tests.shared_data import seeded_demo
from wellbeing import policy
from wellbeing.demo import DEFAULT_PASSWORD
from wellbeing.models import (
    AuditEvent,
    FollowUp,
    Notification,
    OrgUnit,
    Person,
    Referral,
    Reminder,
    RoleAssignment,
    ScanRun,
    Tier,
)

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


#: A weekday morning, outside quiet hours (22:00-07:00), after every demo person's hire date.
MORNING = datetime(2026, 9, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def demo(request, django_db_setup, django_db_blocker):
    """The demo, seeded once for this module's tests (tests/shared_data.py: each test is rolled back to it)."""
    with seeded_demo(request, django_db_blocker, at=MORNING) as seeded:
        yield seeded


@pytest.fixture
def seeded(demo, db):
    """What ``seed_demo`` printed, on the clock of a test that had just run it."""
    with demo.on_its_clock() as output:
        yield output


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


def test_it_prints_the_password_plainly(seeded):
    assert f"Password for every demo login: {DEFAULT_PASSWORD}\n" in seeded


def test_it_marks_logins_an_earlier_password_still_opens(seeded):
    out = StringIO()
    call_command("seed_demo", password="Another-pass-1", stdout=out)
    assert "Password for every demo login: Another-pass-1\n" in out.getvalue()
    assert "* created earlier with another password" in out.getvalue()


def test_its_table_of_logins_lines_up_for_chinese_text(seeded):
    out = StringIO()
    with translation.override("zh-hans"):  # a second run prints the same table as the first
        call_command("seed_demo", stdout=out)
    names = dict(Person.objects.filter(user__isnull=False).values_list("user__username", "full_name"))
    rows = [line for line in out.getvalue().splitlines() if line.split()[:1] and line.split()[0] in DEMO_ROLES]
    assert len(rows) == len(DEMO_ROLES)
    assert "心理咨询负责人" in out.getvalue()  # role labels in Chinese, two columns a character
    # Where each row's name and unread count begin, in terminal columns: the same on every row.
    name_at = {wcswidth(row[: row.index(names[row.split()[0]])]) for row in rows}
    count_at = {wcswidth(row[: row.rindex(" ") + 1]) for row in rows}
    assert len(name_at) == 1 and len(count_at) == 1, out.getvalue()


def test_it_gives_the_supervisor_overdue_and_due_talks_and_actions(seeded):
    supervisor = Person.objects.get(user__username="supervisor").user
    now = timezone.now()
    talks_due = FollowUp.objects.filter(owner=supervisor, kind=FollowUp.Kind.TALK_DUE, status=FollowUp.Status.OPEN)
    assert talks_due.filter(due_at__lt=now).count() >= 2
    assert talks_due.filter(due_at__gte=now, due_at__lt=now + timedelta(days=7)).count() >= 2
    actions = FollowUp.objects.filter(kind=FollowUp.Kind.TALK_ACTION, status=FollowUp.Status.OPEN)
    assert actions.filter(owner=supervisor, due_at__lt=now).exists()
    assert actions.filter(owner=supervisor, due_at__gte=now).exists()
    assert actions.filter(owner__username="staff", due_at__lt=now).exists()
    # Nothing of the supervisor's is old enough to escalate: the demo has nobody above them.
    assert not FollowUp.objects.filter(escalation_unrouted=True).exists()


def test_it_gives_the_lead_counsellor_an_open_red_referral_from_the_supervisor(seeded):
    referral = Referral.objects.select_related("followup__owner", "referred_by", "person").get(
        urgency=Referral.Urgency.IMMINENT
    )
    assert referral.referred_by.username == "supervisor"
    assert referral.urgency == Referral.Urgency.IMMINENT
    assert referral.status == Referral.Status.RECEIVED
    assert policy.supervises(referral.referred_by, referral.person)
    assert referral.followup.owner.username == "lead"
    assert referral.followup.tier == Tier.RED
    assert referral.followup.is_active


def test_it_fills_the_inboxes_through_the_reminder_scan(seeded):
    assert ScanRun.objects.count() == 1
    for username in ("supervisor", "staff", "lead"):
        unread = Notification.objects.filter(recipient__username=username, read_at__isnull=True)
        assert unread.filter(reminder__isnull=False).exists(), username
        assert f"\n  {username} " in seeded
    lead_alert = Notification.objects.get(recipient__username="lead", tier=Tier.RED)
    assert lead_alert.reminder.followup.kind == FollowUp.Kind.REFERRAL_INTAKE


def test_every_write_names_who_made_it(seeded):
    assert not AuditEvent.objects.filter(actor__isnull=True, actor_api_client__isnull=True, actor_label="").exists()
    system = AuditEvent.objects.filter(actor__isnull=True, actor_api_client__isnull=True)
    assert set(system.values_list("actor_label", flat=True)) <= {"command:seed_demo"}
    assert Talk.objects.filter(led_by__username="supervisor").count() >= 7


def test_running_it_twice_changes_nothing(seeded):
    def snapshot():
        return (
            list(Person.objects.order_by("id").values_list("id", "external_id", "full_name", "updated_at")),
            list(OrgUnit.objects.order_by("id").values_list("id", "path", "updated_at")),
            RoleAssignment.objects.count(),
            AuditEvent.objects.count(),
            Talk.objects.count(),
            list(FollowUp.objects.order_by("id").values_list("id", "status", "stages_sent", "updated_at")),
            Referral.objects.count(),
            Reminder.objects.count(),
            Notification.objects.count(),
            ScanRun.objects.count(),
        )

    before = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == before
