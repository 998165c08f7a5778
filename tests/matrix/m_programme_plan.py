"""Access matrix: the plan pages (issue 13, items 1 and 2). The plan, its responsibility list, its
reviews and the forms that change them are the leading group's; a task and a correction item are also
their owner's (here the staff member); one's own work is every signed-in person's. Whatever the policy
does not let a reader see or do answers 404, like a record that does not exist (design/access.md) -
the owner of a task included, on its edit page. The form for a new plan names no record: anyone but
the leading group is refused it (403), as on the site's other role pages. The programme's home sends
the leading group to this year's plan (or the offer to make it: no plan here) and everyone else to their own work."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from programme import services
from tests.conftest import Org
from tests.matrix import Entry, pages

LEADS = pages({}, default_user=404) | {"leading_group": 200}
LEADS_AND_OWNER = LEADS | {"staff": 200}


def _plan(org: Org):
    return services.plan_create(
        actor=org.users["leading_group"],
        year=timezone.localdate().year,
        title="心理关爱工作计划",
        owner=org.users["leading_group"],
    )


def _task(org: Org):
    return services.task_create(
        actor=org.users["leading_group"],
        plan=_plan(org),
        title="开展心理健康讲座",
        category="lecture",
        owner=org.users["staff"],
        unit=org.town_a,
        due_on=timezone.localdate() + timedelta(days=30),
        indicator="全年 2 场",
    )


def plan(org: Org) -> dict:
    return {"pk": _plan(org).pk}


def task(org: Org) -> dict:
    return {"pk": _task(org).pk}


def evidence(org: Org) -> dict:
    item = _task(org)
    upload = SimpleUploadedFile("签到表.pdf", b"%PDF-1.4 sign-in sheet", content_type="application/pdf")
    ev = services.evidence_add(actor=org.users["staff"], task=item, upload=upload)
    return {"pk": item.pk, "evidence_id": ev.pk}


def _review(org: Org):
    item = _task(org)
    return services.review_record(
        actor=org.users["leading_group"],
        plan=item.plan,
        held_on=timezone.localdate(),
        summary="第一季度检查",
        findings=[(item, "at_risk", "进度偏慢")],
        corrections=[
            {
                "title": "补办一场讲座",
                "owner": org.users["staff"],
                "due_on": timezone.localdate() + timedelta(days=14),
                "task": item,
            }
        ],
    )


def review(org: Org) -> dict:
    return {"pk": _review(org).pk}


def correction(org: Org) -> dict:
    return {"pk": _review(org).corrections.get().pk}


ENTRIES = {
    "programme:home": Entry(pages({}, default_user=302) | {"leading_group": 200}),
    "programme:plan_new": Entry(pages({}, default_user=403) | {"leading_group": 200}),
    "programme:plan": Entry(LEADS, kwargs=plan),
    "programme:task_new": Entry(LEADS, kwargs=plan),
    "programme:review_new": Entry(LEADS, kwargs=plan),
    "programme:review": Entry(LEADS, kwargs=review),
    "programme:my_work": Entry(pages({})),
    "programme:task": Entry(LEADS_AND_OWNER, kwargs=task),
    "programme:task_edit": Entry(LEADS, kwargs=task),
    "programme:evidence": Entry(LEADS_AND_OWNER, kwargs=evidence),
    "programme:correction": Entry(LEADS_AND_OWNER, kwargs=correction),
}
