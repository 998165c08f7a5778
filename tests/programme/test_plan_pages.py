"""The plan pages (issue 13, items 1 and 2): the leading group makes the year's plan and its
responsibility list, each task reminds its owner through a follow-up, the owner reports progress with
evidence, a review orders corrections, and the plan page shows what is on track, late, done and
corrected. Bad input gives its error next to its field and writes nothing; what the policy does not
let a reader see is a 404."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programme import services
from programme.models import Correction, PlanReview, PlanTask, TaskEvidence, WorkPlan
from programme.selectors import plan as selectors
from programme.selectors.dashboard import Dashboard, Row
from tests.conftest import client_for
from wellbeing import figures
from wellbeing.figures import STAFF, Period
from wellbeing.models import FollowUp

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)
HOME = "/programme/"
NEW_PLAN = "/programme/plans/new/"
MY_WORK = "/programme/my-work/"


@pytest.fixture(autouse=True)
def _monday_2_march_2026():
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        yield


def _plan_url(plan) -> str:
    return f"/programme/plans/{plan.pk}/"


def _task_url(task, action: str = "") -> str:
    return f"/programme/tasks/{task.pk}/{action + '/' if action else ''}"


def _plan(org, year: int = 2026) -> WorkPlan:
    return services.plan_create(
        actor=org.users["leading_group"], year=year, title="心理关爱工作计划", owner=org.users["leading_group"]
    )


def _task(org, plan=None, *, owner="staff", due_on=date(2026, 6, 30), **fields) -> PlanTask:
    fields.setdefault("title", "开展心理健康讲座")
    fields.setdefault("indicator", "全年 2 场")
    return services.task_create(
        actor=org.users["leading_group"],
        plan=plan or _plan(org),
        owner=org.users[owner],
        due_on=due_on,
        **fields,
    )


def _standings(response) -> dict[str, str]:
    """Task title -> its standing on the plan page."""
    return {row.task.title: row.standing for row in response.context["page"].rows}


def _pdf(name="签到表.pdf", content=b"%PDF-1.4 sign-in sheet", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- The plan and its tasks -------------------------------------------------------------------------


def test_it_offers_the_leading_group_to_create_this_years_plan_and_then_shows_it(org):
    lead = client_for(org, "leading_group")
    response = lead.get(HOME)
    assert response.status_code == 200
    assert 'data-testid="plan-new"' in response.content.decode()

    response = lead.get(NEW_PLAN)
    assert response.status_code == 200
    assert response.context["form"].initial == {"year": 2026, "owner": org.users["leading_group"].pk}
    response = lead.post(
        NEW_PLAN, {"year": "2026", "title": "2026年干部职工心理关爱工作计划", "owner": org.users["leading_group"].pk}
    )
    plan = WorkPlan.objects.get(year=2026)
    assert response.status_code == 302 and response["Location"] == _plan_url(plan)
    # The plan's owner is reminded of the first review (the end of the quarter).
    review_due = FollowUp.objects.get(kind=FollowUp.Kind.PLAN_REVIEW)
    assert review_due.owner == org.users["leading_group"]

    response = lead.get(HOME)
    assert response.status_code == 302 and response["Location"] == _plan_url(plan)
    response = lead.get(_plan_url(plan))
    assert response.status_code == 200
    assert "2026年干部职工心理关爱工作计划" in response.content.decode()
    assert 'data-testid="no-tasks"' in response.content.decode()


def test_everyone_else_is_sent_from_the_programme_home_to_their_own_work(org):
    response = client_for(org, "staff").get(HOME)
    assert response.status_code == 302 and response["Location"] == MY_WORK


def test_a_task_added_by_the_leading_group_reminds_its_owner(org):
    plan = _plan(org)
    lead = client_for(org, "leading_group")
    response = lead.get(f"/programme/plans/{plan.pk}/tasks/new/")
    assert response.status_code == 200
    response = lead.post(
        f"/programme/plans/{plan.pk}/tasks/new/",
        {
            "title": "开展心理健康讲座",
            "category": "lecture",
            "owner": org.users["staff"].pk,
            "unit": org.town_a.pk,
            "due_on": "2026-06-30",
            "indicator": "全年 2 场",
            "metric": "",
            "target_value": "2",
        },
    )
    assert response.status_code == 302 and response["Location"] == _plan_url(plan)
    task = PlanTask.objects.get()
    assert (task.owner, task.unit, task.due_on, task.target_value) == (
        org.users["staff"],
        org.town_a,
        date(2026, 6, 30),
        2,
    )
    followup = FollowUp.objects.get(kind=FollowUp.Kind.PLAN_TASK)
    assert followup.owner == org.users["staff"] and followup.is_active
    assert followup == task.followup

    response = lead.get(_plan_url(plan))
    assert _standings(response) == {"开展心理健康讲座": "on_track"}
    assert response.context["page"].counts["on_track"] == 1
    body = response.content.decode()
    assert "王静" in body and "城关镇" in body and "2026-06-30" in body

    # The owner sees it among their work; the leading group changes its deadline.
    response = client_for(org, "staff").get(MY_WORK)
    assert [row.task for row in response.context["work"].tasks] == [task]
    response = lead.post(
        _task_url(task, "edit"),
        {**_task_form(task), "due_on": "2026-07-31"},
    )
    assert response.status_code == 302 and response["Location"] == _task_url(task)
    task.refresh_from_db()
    followup.refresh_from_db()
    assert task.due_on == date(2026, 7, 31) and followup.due_at.date() == date(2026, 7, 31)


def _task_form(task) -> dict:
    return {
        "title": task.title,
        "category": task.category,
        "owner": task.owner_id,
        "unit": task.unit_id or "",
        "due_on": task.due_on.isoformat(),
        "indicator": task.indicator,
        "metric": task.metric,
        "target_value": "" if task.target_value is None else str(task.target_value),
    }


def test_the_owner_marks_the_task_done_with_evidence(org):
    task = _task(org)
    owner = client_for(org, "staff")
    response = owner.get(_task_url(task))
    assert response.status_code == 200
    assert response.context["progress_form"] is not None and response.context["evidence_form"] is not None
    # The owner may not cancel a task: that is the leading group's.
    statuses = dict(response.context["progress_form"].fields["status"].choices)
    assert "cancelled" not in statuses and "done" in statuses

    response = owner.post(_task_url(task), {"action": "evidence", "evidence-file": _pdf(), "evidence-note": "签到表"})
    assert response.status_code == 302 and response["Location"] == _task_url(task)
    evidence = TaskEvidence.objects.get()
    assert (evidence.file_name, evidence.note, evidence.uploaded_by) == ("签到表.pdf", "签到表", org.users["staff"])

    response = owner.get(f"/programme/tasks/{task.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 sign-in sheet"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "utf-8''%E7%AD%BE%E5%88%B0%E8%A1%A8.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"

    response = owner.post(
        _task_url(task),
        {"action": "progress", "progress-status": "done", "progress-actual_value": "2", "progress-note": "两场已办"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.actual_value == 2 and task.completed_at is not None
    task.followup.refresh_from_db()
    assert task.followup.status == FollowUp.Status.DONE

    response = client_for(org, "leading_group").get(_plan_url(task.plan))
    assert _standings(response) == {"开展心理健康讲座": "done"}
    response = owner.get(MY_WORK)
    assert response.context["work"].tasks == [] and response.context["work"].done_tasks == [task]


def test_evidence_that_a_browser_could_run_is_served_as_bytes_to_save(org):
    task = _task(org)
    evidence = services.evidence_add(
        actor=org.users["staff"],
        task=task,
        upload=_pdf(name='a"b\r\n.html', content=b"<script>alert(1)</script>", content_type="text/html"),
    )
    response = client_for(org, "staff").get(f"/programme/tasks/{task.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition
    assert 'a"b' not in disposition
    # Evidence of another task under this task's address does not exist.
    other = _task(org, task.plan, title="主题月")
    response = client_for(org, "leading_group").get(f"/programme/tasks/{other.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 404


def test_a_task_past_its_deadline_shows_late(org):
    plan = _plan(org)
    _task(org, plan, title="第一季度讲座", due_on=TODAY - timedelta(days=1))
    _task(org, plan, title="主题月", due_on=TODAY + timedelta(days=10))
    done = _task(org, plan, title="已办的培训", due_on=TODAY - timedelta(days=5))
    services.task_progress(actor=org.users["staff"], task=done, status="done")

    response = client_for(org, "leading_group").get(_plan_url(plan))
    assert _standings(response) == {"第一季度讲座": "late", "主题月": "on_track", "已办的培训": "done"}
    body = response.content.decode()
    assert 'data-testid="summary-late">1<' in body
    assert 'data-testid="summary-on_track">1<' in body
    assert 'data-testid="summary-done">1<' in body
    response = client_for(org, "staff").get(MY_WORK)
    assert [row.standing for row in response.context["work"].tasks] == ["late", "on_track"]


def test_a_review_orders_a_correction_that_reminds_its_owner_until_it_is_done(org):
    plan = _plan(org)
    task = _task(org, plan, due_on=TODAY + timedelta(days=20))
    lead = client_for(org, "leading_group")
    url = f"/programme/plans/{plan.pk}/reviews/new/"
    response = lead.get(url)
    assert response.status_code == 200
    assert [f.task for f in response.context["findings"]] == [task]

    response = lead.post(
        url,
        {
            "held_on": "2026-03-01",
            "summary": "第一季度检查",
            f"f{task.pk}-assessment": "at_risk",
            f"f{task.pk}-finding": "讲座尚未安排",
            "c0-title": "三月底前安排讲座",
            "c0-owner": org.users["staff"].pk,
            "c0-due_on": "2026-03-31",
            "c0-task": task.pk,
        },
    )
    review = PlanReview.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/programme/reviews/{review.pk}/"
    assert [(f.task, f.assessment) for f in review.findings.all()] == [(task, "at_risk")]
    item = Correction.objects.get()
    assert (item.owner, item.task, item.due_on) == (org.users["staff"], task, date(2026, 3, 31))
    followup = FollowUp.objects.get(kind=FollowUp.Kind.CORRECTION)
    assert followup.owner == org.users["staff"] and followup.is_active

    response = lead.get(f"/programme/reviews/{review.pk}/")
    assert response.status_code == 200 and "讲座尚未安排" in response.content.decode()
    response = lead.get(_plan_url(plan))
    assert _standings(response) == {"开展心理健康讲座": "correction_open"}
    assert [c.title for c in response.context["page"].corrections] == ["三月底前安排讲座"]

    owner = client_for(org, "staff")
    response = owner.get(MY_WORK)
    assert response.context["work"].corrections == [item]
    response = owner.post(f"/programme/corrections/{item.pk}/", {"outcome": "已联系讲师，3月20日开讲"})
    assert response.status_code == 302 and response["Location"] == f"/programme/corrections/{item.pk}/"
    item.refresh_from_db()
    followup.refresh_from_db()
    assert item.status == "done" and followup.status == FollowUp.Status.DONE

    response = lead.get(_plan_url(plan))
    assert _standings(response) == {"开展心理健康讲座": "corrected"}
    assert 'data-testid="summary-corrected">1<' in response.content.decode()
    # A closed correction item offers no form; reporting it again is refused next to the form.
    response = owner.get(f"/programme/corrections/{item.pk}/")
    assert response.status_code == 200 and response.context["form"] is None
    response = owner.post(f"/programme/corrections/{item.pk}/", {"outcome": "再报一次"})
    assert response.status_code == 400
    assert "closed already" in str(response.context["form"].non_field_errors())


def test_the_leading_group_cancels_a_task_and_only_it_may_reopen_it(org):
    task = _task(org)
    lead, owner = client_for(org, "leading_group"), client_for(org, "staff")
    response = lead.post(_task_url(task), {"action": "progress", "progress-status": "cancelled"})
    assert response.status_code == 302
    task.refresh_from_db()
    task.followup.refresh_from_db()
    assert task.status == "cancelled" and task.followup.status == FollowUp.Status.CANCELLED
    assert _standings(lead.get(_plan_url(task.plan))) == {"开展心理健康讲座": "cancelled"}

    response = owner.get(_task_url(task))
    assert response.status_code == 200 and response.context["progress_form"] is None
    response = owner.post(_task_url(task), {"action": "progress", "progress-status": "in_progress"})
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == "cancelled"


# --- Who sees what ----------------------------------------------------------------------------------


def test_a_staff_member_who_does_not_own_the_task_finds_nothing(org):
    task = _task(org)
    evidence = services.evidence_add(actor=org.users["staff"], task=task, upload=_pdf())
    outsider = client_for(org, "outsider")
    assert outsider.get(_task_url(task)).status_code == 404
    assert outsider.post(_task_url(task), {"action": "progress", "progress-status": "done"}).status_code == 404
    assert outsider.get(f"/programme/tasks/{task.pk}/evidence/{evidence.pk}/").status_code == 404
    assert outsider.get(_plan_url(task.plan)).status_code == 404
    task.refresh_from_db()
    assert task.status == "planned"
    # The owner sees the task but may not change what it is.
    assert client_for(org, "staff").get(_task_url(task, "edit")).status_code == 404
    # A task that does not exist looks the same.
    assert outsider.get("/programme/tasks/999999/").status_code == 404
    assert client_for(org, "leading_group").get("/programme/tasks/999999/").status_code == 404


# --- Bad input --------------------------------------------------------------------------------------


def test_bad_input_gives_an_error_next_to_its_field_and_writes_nothing(org, settings):
    plan = _plan(org)
    lead = client_for(org, "leading_group")
    new_task = f"/programme/plans/{plan.pk}/tasks/new/"
    good = {
        "title": "讲座",
        "category": "lecture",
        "owner": org.users["staff"].pk,
        "unit": "",
        "due_on": "2026-06-30",
        "indicator": "2 场",
        "metric": "",
        "target_value": "",
    }
    for field, value in [
        ("title", ""),
        ("title", "讲\x00座"),
        ("due_on", "2026-13-45"),
        ("due_on", "yesterday"),
        ("target_value", "lots"),
        ("target_value", "-1"),
        ("owner", "999999"),
        ("unit", "not-a-unit"),
        ("metric", "no.such.measure"),
        ("category", "party"),
    ]:
        response = lead.post(new_task, {**good, field: value})
        assert response.status_code == 400, (field, value)
        assert response.context["form"].errors.get(field), (field, value)
    assert not PlanTask.objects.exists()

    # The same year twice: the service's refusal, next to the year.
    response = lead.post(NEW_PLAN, {"year": "2026", "title": "又一个", "owner": org.users["leading_group"].pk})
    assert response.status_code == 400 and response.context["form"].errors.get("year")
    response = lead.post(NEW_PLAN, {"year": "1999", "title": "太早", "owner": org.users["leading_group"].pk})
    assert response.status_code == 400 and response.context["form"].errors.get("year")
    # The plan's owner answers for its reviews: a member of the leading group.
    response = lead.post(NEW_PLAN, {"year": "2027", "title": "明年", "owner": org.users["staff"].pk})
    assert response.status_code == 400 and response.context["form"].errors.get("owner")
    assert WorkPlan.objects.count() == 1

    task = _task(org, plan)
    owner = client_for(org, "staff")
    settings.PROGRAMME_MAX_FILE_BYTES = 10
    response = owner.post(_task_url(task), {"action": "evidence", "evidence-file": _pdf()})
    assert response.status_code == 400
    assert "larger than" in str(response.context["evidence_form"].errors["file"])
    response = owner.post(_task_url(task), {"action": "evidence"})
    assert response.status_code == 400 and response.context["evidence_form"].errors.get("file")
    response = owner.post(_task_url(task), {"action": "evidence", "evidence-file": _pdf(content=b"")})
    assert response.status_code == 400 and response.context["evidence_form"].errors.get("file")
    assert not TaskEvidence.objects.exists()

    for data in [
        {"progress-status": "cancelled"},  # the leading group's
        {"progress-status": "finished"},
        {"progress-status": "done", "progress-actual_value": "many"},
    ]:
        response = owner.post(_task_url(task), {"action": "progress", **data})
        assert response.status_code == 400, data
        assert response.context["progress_form"].errors, data
    response = owner.post(_task_url(task), {"action": "something else"})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == "planned"

    review = f"/programme/plans/{plan.pk}/reviews/new/"
    response = lead.post(review, {"held_on": "2026-02-30"})
    assert response.status_code == 400 and response.context["form"].errors.get("held_on")
    response = lead.post(review, {"held_on": "2026-03-01", f"f{task.pk}-finding": "没有评价的发现"})
    assert response.status_code == 400
    assert response.context["findings"][0].errors.get("assessment")
    response = lead.post(review, {"held_on": "2026-03-01", "c1-title": "只有标题", "c1-due_on": "someday"})
    assert response.status_code == 400
    row = response.context["corrections"][1]
    assert row.errors.get("owner") and row.errors.get("due_on")
    assert not PlanReview.objects.exists()

    item = services.review_record(
        actor=org.users["leading_group"],
        plan=plan,
        held_on=TODAY,
        summary="",
        findings=[],
        corrections=[{"title": "补课", "owner": org.users["staff"], "due_on": TODAY}],
    ).corrections.get()
    response = owner.post(f"/programme/corrections/{item.pk}/", {"outcome": "  "})
    assert response.status_code == 400 and response.context["form"].errors.get("outcome")
    item.refresh_from_db()
    assert item.status == "open"


# --- Indicators the system measures -----------------------------------------------------------------


def test_a_measured_indicator_over_fewer_than_5_people_shows_a_dash(org):
    plan = _plan(org)
    _task(org, plan, title="谈心谈话全覆盖", unit=org.section_a1, metric="talks.coverage", target_value=100)
    response = client_for(org, "leading_group").get(_plan_url(plan))
    (row,) = response.context["page"].rows
    assert row.measure.state == "suppressed" and row.measure.value is None
    body = response.content.decode()
    assert 'data-testid="measured">—<' in body and "fewer than 5 people" in body

    response = client_for(org, "staff").get(_task_url(row.task))
    assert response.status_code == 200 and response.context["measure"].state == "suppressed"
    assert "fewer than 5 people" in response.content.decode()


def test_a_measured_indicator_is_the_share_of_the_dashboards_figures():
    dimension, _indicator = figures.indicator("talks.coverage")
    talked, none = dimension.column("talked"), dimension.column("none")

    def board(values: dict) -> Dashboard:
        row = Row(key="1", unit_id=1, label="城关镇", depth=1, kind="unit", values=values)
        return Dashboard(period=Period.for_year(2026), unit=None, k=5, tables=[], all_rows=[row])

    measure = selectors.share(board({STAFF: 16, talked: 10, none: 6}), "talks.coverage", 1)
    assert measure.ok and str(measure.value) == "62.5"
    assert selectors.share(board({STAFF: 16, talked: None, none: None}), "talks.coverage", 1).state == "suppressed"
    assert selectors.share(board({STAFF: 0, talked: 0, none: 0}), "talks.coverage", 1).state == "empty"
    # The check-up's participation is over the people invited, not all staff.
    dimension, _indicator = figures.indicator("checkup.participation")
    values = {STAFF: 40, dimension.column("pending"): 5, dimension.column("invited"): 20}
    assert selectors.share(board(values), "checkup.participation", 1).value == 75


def test_a_plan_for_a_year_not_begun_measures_nothing_yet(org):
    plan = _plan(org, year=2027)
    task = _task(org, plan, metric="talks.coverage")
    response = client_for(org, "leading_group").get(_task_url(task))
    assert response.context["measure"].state == "not_started"


# --- Queries ----------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_plan_page_and_ones_own_work_read_a_fixed_number_of_queries(org):
    plan = _plan(org)
    _task(org, plan, title="一", owner="outsider")
    lead, outsider = client_for(org, "leading_group"), client_for(org, "outsider")
    plan_queries, work_queries = _queries(lead, _plan_url(plan)), _queries(outsider, MY_WORK)
    for n, owner in enumerate(["supervisor", "hr_officer", "counsellor", "outsider", "outsider"]):
        task = _task(org, plan, title=f"任务{n}", owner=owner, unit=org.town_b)
        services.evidence_add(actor=org.users[owner], task=task, upload=_pdf())
    services.task_progress(actor=org.users["outsider"], task=task, status="done")
    services.review_record(
        actor=org.users["leading_group"],
        plan=plan,
        held_on=TODAY,
        summary="",
        findings=[],
        corrections=[
            {"title": f"整改{n}", "owner": org.users["outsider"], "due_on": TODAY, "task": task} for n in range(3)
        ],
    )
    assert _queries(lead, _plan_url(plan)) == plan_queries
    assert _queries(outsider, MY_WORK) == work_queries
