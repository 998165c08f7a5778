"""A person's access request (PIPL §45; docs/privacy.md): everything recorded about them as one file,
counsellors' working notes excepted, the export audited once with no content; the person downloads
their own, an administrator answers a written request with its reference."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseNote, SafetyPlan
from leave import services as leave_services
from leave.models import LeaveType
from programme import services as programme
from talks.models import TalkAction
from talks.services import ActionInput, TalkInput, talk_create
from tests.factories import ACTOR, UserFactory
from wellbeing import services
from wellbeing.models import AuditEvent
from wellbeing.screening import services as screening
from wellbeing.services.access_request import EXPORT_KIND

EXPORT = "my-records-export"
WORKING_NOTE = "工作笔记：来访者回避谈论家庭"
REFERENCE = "信访〔2026〕17号"


@pytest.fixture(autouse=True)
def _a_monday_in_march_2026():
    """A working Monday whose year's holidays are known (leave requests are costed on it)."""
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        yield


def _exports():
    return AuditEvent.objects.filter(changes__export=EXPORT_KIND)


def _download(client, url=None, data=None):
    response = client.post(url or reverse(EXPORT), data or {})
    assert response.status_code == 200, response.content[:500]
    return response, response.content.decode()


def _talk(org, n: int, person="staff", leader="supervisor") -> None:
    talk_create(
        actor=org.users[leader],
        data=TalkInput(
            participants=[org.people[person]],
            held_at=timezone.now() - timedelta(days=2 + n),
            main_content=f"谈话内容{n}",
            shared_summary=f"共享小结{n}",
            actions=[
                ActionInput(
                    description=f"约定行动{n}",
                    due_date=timezone.localdate() + timedelta(days=10 + n),
                    owner_kind=TalkAction.OwnerKind.PERSON,
                )
            ],
        ),
    )


def _case(org, person="staff") -> Case:
    """A case about the person, with a counsellor's note and a safety plan (built directly: the
    intake path is the cases app's own tests' business)."""
    case = Case.objects.create(
        person=org.people[person],
        status=Case.Status.ACTIVE,
        counsellor=org.users["counsellor"],
        opened_by=org.users["lead_counsellor"],
    )
    CaseNote.objects.create(case=case, author=org.users["counsellor"], form=CaseNote.Form.FREE, body=WORKING_NOTE)
    SafetyPlan.objects.create(
        case=case, version=1, coping_strategies="傍晚去河边散步", written_by=org.users["counsellor"]
    )
    return case


def _everything_about_the_staff_member(org) -> None:
    staff, staff_user = org.people["staff"], org.users["staff"]
    _talk(org, 1)
    services.followup_create(
        actor=org.users["supervisor"],
        owner=staff_user,
        title="提交年假计划",
        due_at=timezone.now() + timedelta(days=3),
        person=staff,
    )
    services.referral_create(
        actor=org.users["supervisor"], person=staff, urgency="urgent", reason="family", note="家里老人住院"
    )
    screening.screening_submit(actor=staff_user, instrument="phq9", answers=[1] * 9, consent=True)
    staff.work_start_date = date(2014, 7, 1)
    staff.save(update_fields=["work_start_date"])
    leave_services.annual_reconcile(actor=ACTOR, person=staff, year=2026)
    leave_services.request_submit(
        actor=staff_user,
        person=staff,
        data=leave_services.RequestInput(LeaveType.objects.get(code="annual"), date(2026, 3, 9), date(2026, 3, 10)),
    )
    activity = programme.activity_create(
        actor=org.users["leading_group"],
        units=[org.town_a],
        title="春季减压沙龙",
        kind="salon",
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=2),
        place="党校报告厅",
        capacity=10,
    )
    registration = programme.register(actor=staff_user, activity=activity)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        programme.feedback_give(actor=staff_user, registration=registration, rating=4, comment="匿名意见不可关联")
    programme.care_record_create(
        actor=org.users["supervisor"],
        person=staff,
        situation="bereavement",
        occurred_on=timezone.localdate() - timedelta(days=1),
        visited=True,
        note="上门慰问，协调丧假",
    )
    _case(org)


def test_my_export_holds_everything_recorded_about_me_as_a_file(as_principal, org):
    _everything_about_the_staff_member(org)
    response, html = _download(as_principal("staff"))
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="tanxin-records-EX-staff-2026-03-02.html"'
    for seen in (
        "王静",  # the directory record
        "综合办A",
        "张主任",  # the manager; also who led the talk
        "已约定下月调整值班",  # the fixture talk's shared summary
        "共享小结1",
        "约定行动1",  # an agreed action
        "提交年假计划",  # a follow-up addressed to me
        "Made on 2026-03-02",  # a referral about me: that it exists
        "PHQ-9",  # a screening result
        "Consent to screening given on",
        "2026-03-09 – 2026-03-10",  # a leave request
        "Leave ledger",
        "春季减压沙龙",  # registered, and feedback given
        "You gave anonymous feedback",
        "上门慰问，协调丧假",  # a care record about me
        "傍晚去河边散步",  # my safety plan
        "Who read your records",
    ):
        assert seen in html, seen
    for hidden in ("最近加班多", "谈话内容1", "家里老人住院", "匿名意见不可关联", "<script", "<link", "src="):
        assert hidden not in html, hidden


def test_the_export_holds_nothing_about_anyone_else(as_principal, org):
    _talk(org, 1, person="outsider", leader="outsider_supervisor")
    services.followup_create(
        actor=ACTOR, owner=org.users["outsider"], title="陈红的事项", due_at=timezone.now() + timedelta(days=1)
    )
    _case(org, person="outsider")
    _, html = _download(as_principal("staff"))
    for other in ("陈红", "陈红的事项", "共享小结1", "约定行动1", "李明", "傍晚去河边散步", "C-"):
        assert other not in html, other


def test_counsellors_working_notes_are_left_out_and_the_export_says_why(as_principal, org):
    case = _case(org)
    _, html = _download(as_principal("staff"))
    assert case.reference in html and "傍晚去河边散步" in html
    assert WORKING_NOTE not in html
    assert "Counsellors' working notes are not included" in html
    assert "professional record of their work with you" in html


def test_the_export_is_one_audit_entry_without_content(as_principal, org):
    _everything_about_the_staff_member(org)
    _download(as_principal("staff"))
    [entry] = _exports()
    assert entry.actor == org.users["staff"] and entry.subject_person == org.people["staff"]
    assert entry.action == AuditEvent.Action.SENSITIVE_READ
    assert entry.reason == ""
    recorded = f"{entry.changes} {entry.reason} {entry.target_label}"
    for text in ("已约定下月调整值班", "提交年假计划", "上门慰问", "傍晚去河边散步", "春季减压沙龙"):
        assert text not in recorded
    assert "my-records-talks" in entry.changes["sections"] and "records-cases" in entry.changes["sections"]


def test_my_next_export_lists_who_else_read_my_records_with_when(as_principal, org):
    client = as_principal("staff")
    _download(client)  # my own reads are not listed back to me
    url = reverse("person-access-request", args=[org.people["staff"].external_id])
    _download(as_principal("administrator"), url, {"reference": REFERENCE})
    _, html = _download(client)
    reads = html.split('data-testid="records-reads"')[1]
    assert "Records exported (access request)" in reads
    assert "2026-03-02 10:00 · 孙管理" in reads
    assert "10:00 · 王静" not in reads  # the staff member's own export


def test_a_supervisor_may_not_export_a_report_and_others_do_not_find_the_person(as_principal, org):
    url = reverse("person-access-request", args=[org.people["staff"].external_id])
    supervisor = as_principal("supervisor")
    assert supervisor.get(url).status_code == 403
    assert supervisor.post(url, {"reference": REFERENCE}).status_code == 403
    assert as_principal("outsider").post(url, {"reference": REFERENCE}).status_code == 404
    assert as_principal("hr_officer").post(url, {"reference": REFERENCE}).status_code == 403
    assert not _exports().exists()


def test_an_administrator_answers_a_written_request_with_its_reference(as_principal, org):
    _talk(org, 1)
    admin = as_principal("administrator")
    person_page = admin.get(reverse("person", args=[org.people["staff"].external_id])).content.decode()
    url = reverse("person-access-request", args=[org.people["staff"].external_id])
    assert url in person_page
    response, html = _download(admin, url, {"reference": REFERENCE})
    assert "tanxin-records-EX-staff-2026-03-02.html" in response["Content-Disposition"]
    assert "王静" in html and REFERENCE in html and "孙管理" in html
    assert "共享小结1" not in html  # talks are not an administrator's to read: the person downloads them
    assert 'data-testid="export-by-administrator"' in html
    [entry] = _exports()
    assert entry.actor == org.users["administrator"] and entry.subject_person == org.people["staff"]
    assert entry.reason == REFERENCE


@pytest.mark.parametrize(
    ("reference", "error"),
    [("", "Enter the reference of the written request."), ("x" * 101, "at most 100"), ("第一行\n第二行", "one line")],
)
def test_an_administrator_without_a_proper_reference_is_told_so(as_principal, org, reference, error):
    url = reverse("person-access-request", args=[org.people["staff"].external_id])
    response = as_principal("administrator").post(url, {"reference": reference})
    assert response.status_code == 400
    assert error.lower() in response.content.decode().lower()
    assert not _exports().exists()


def test_a_former_member_of_staff_gets_their_records_through_an_administrator(as_principal, org):
    services.person_leave(actor=ACTOR, person=org.people["staff"], left_on=timezone.localdate())
    _, html = _download(
        as_principal("administrator"),
        reverse("person-access-request", args=[org.people["staff"].external_id]),
        {"reference": REFERENCE},
    )
    assert "王静" in html and 'data-testid="export-by-administrator"' in html
    assert "已约定下月调整值班" not in html  # their talks come from the counselling team on request


def test_an_administrator_s_copy_holds_no_talk_case_screening_or_care_text_and_reads_none(as_principal, org):
    _everything_about_the_staff_member(org)
    reads_before = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).count()
    _, html = _download(
        as_principal("administrator"),
        reverse("person-access-request", args=[org.people["staff"].external_id]),
        {"reference": REFERENCE},
    )
    for hidden in ("共享小结1", "约定行动1", "傍晚去河边散步", "上门慰问，协调丧假", "提交年假计划", "Score ", "C-"):
        assert hidden not in html, hidden
    assert "王静" in html and "2026-03-09 – 2026-03-10" in html and "春季减压沙龙" in html  # what an admin may see
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).count() == reads_before + 1  # the export


def test_a_supervisor_s_own_records_leave_out_the_actions_they_own_about_their_reports(as_principal, org):
    talk_create(
        actor=org.users["supervisor"],
        data=TalkInput(
            participants=[org.people["staff"]],
            held_at=timezone.now() - timedelta(days=1),
            main_content="谈话内容",
            actions=[
                ActionInput(
                    description="为王静减少夜班",
                    due_date=timezone.localdate() + timedelta(days=10),
                    owner_kind=TalkAction.OwnerKind.SUPERVISOR,
                )
            ],
        ),
    )
    supervisor = as_principal("supervisor")
    assert "为王静减少夜班" not in supervisor.get(reverse("my-records")).content.decode()
    _, html = _download(supervisor)
    assert "为王静减少夜班" not in html


def test_my_records_page_reads_no_safety_plan_it_does_not_show(as_principal, org):
    _case(org)
    html = as_principal("staff").get(reverse("my-records")).content.decode()
    assert "傍晚去河边散步" not in html
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ)
    assert not [e for e in reads if "coping_strategies" in e.changes.get("fields", [])]  # no read recorded


def test_the_new_sections_show_on_my_records_but_the_ledger_cases_and_reads_only_in_the_export(as_principal, org):
    _everything_about_the_staff_member(org)
    html = as_principal("staff").get(reverse("my-records")).content.decode()
    assert 'data-testid="my-records-export"' in html
    assert "2026-03-09 – 2026-03-10" in html and "春季减压沙龙" in html and "上门慰问，协调丧假" in html
    assert "傍晚去河边散步" not in html and "Leave ledger" not in html and "Who read your records" not in html


def _queries_for_export(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _download(client)
    return len(ctx.captured_queries)


def test_the_export_runs_a_fixed_number_of_queries(as_principal, org):
    client = as_principal("staff")
    _queries_for_export(client)  # warm the content-type cache
    _everything_about_the_staff_member(org)
    few = _queries_for_export(client)
    for n in range(2, 22):
        _talk(org, n)
        services.followup_create(
            actor=ACTOR, owner=org.users["staff"], title=f"事项{n}", due_at=timezone.now() + timedelta(days=n)
        )
    many = _queries_for_export(client)
    assert many == few
    _, html = _download(client)
    assert "共享小结21" in html and "约定行动21" in html and "事项21" in html


def test_a_login_without_a_person_record_has_nothing_to_export(db, client):
    client.force_login(UserFactory(username="no_person"))
    assert client.post(reverse(EXPORT)).status_code == 403
    assert client.get(reverse(EXPORT)).status_code == 405
    assert not _exports().exists()
