"""The programme's demo data (``manage.py seed_demo``): this year's work plan with its responsibility
list (some tasks done with evidence, one late), a review at the end of the third quarter with its
corrections, activities (past ones with attendance and feedback, upcoming ones to register for, one
full with a waiting list) and care records. Idempotent: nothing is added when this year's plan
exists."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from programme import services
from programme.models import Activity, CareRecord, Feedback, FeedbackReceipt, PlanTask, Registration, WorkPlan
from wellbeing.models import OrgUnit, Person

EVIDENCE = "心理健康讲座签到表：应到 58 人，实到 55 人。\n".encode()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def seed_programme(users) -> None:
    leader, supervisor, hr = users.get("leader"), users.get("supervisor"), users.get("hr")
    lead, staff = users.get("lead"), users.get("staff")
    if leader is None or supervisor is None or hr is None or lead is None:
        return
    today = timezone.localdate()
    year = today.year
    if WorkPlan.objects.filter(year=year).exists():
        return
    rng = random.Random(13)  # noqa: S311 (demo data, not security)
    plan = services.plan_create(
        actor=leader,
        year=year,
        title="干部职工心理健康关爱工作计划",
        owner=leader,
        notes="落实“5+2、白+黑”工作状态下的关心关爱措施：谈心谈话全覆盖、年度心理体检、带薪休假、排忧解难。",
    )
    town1 = OrgUnit.objects.filter(code="QX-T01").first()

    def task(title, category, owner, due, indicator, target=None, metric="", unit=None):
        return services.task_create(
            actor=leader,
            plan=plan,
            title=title,
            category=category,
            owner=owner,
            unit=unit,
            due_on=due,
            indicator=indicator,
            metric=metric,
            target_value=target,
        )

    c = PlanTask.Category
    lecture = task("心理健康专题讲座（全县）", c.LECTURE, lead, date(year, 5, 20), "举办场次", Decimal(2))
    month = task("“5·25”心理健康宣传月", c.THEME_MONTH, lead, date(year, 5, 31), "参与单位数", Decimal(10))
    training = task("干部教育培训班增设心理健康课程", c.TRAINING, hr, date(year, 9, 30), "开课班次", Decimal(3))
    task("年度心理体检", c.CHECKUP, lead, date(year, 12, 15), "参检率（%）", Decimal(85), "checkup.participation")
    task(
        "谈心谈话全覆盖", c.TALK_COVERAGE, supervisor, date(year, 12, 31), "覆盖率（%）", Decimal(90), "talks.coverage"
    )
    task("带薪年休假落实", c.LEAVE_UPTAKE, hr, date(year, 12, 31), "休假过半比例（%）", Decimal(60), "leave.uptake")
    task("团体心理辅导沙龙", c.GROUP_ACTIVITY, lead, date(year, 11, 30), "举办场次", Decimal(6))
    late = task("基层减负调研报告", c.OTHER, hr, today - timedelta(days=12), "提交报告", unit=town1)
    for done, actual in ((lecture, Decimal(2)), (month, Decimal(11)), (training, Decimal(2))):
        services.task_progress(actor=done.owner, task=done, status=PlanTask.Status.DONE, actual_value=actual)
    services.evidence_add(
        actor=lead, task=lecture, upload=SimpleUploadedFile("签到表.txt", EVIDENCE, "text/plain"), note="讲座签到表"
    )
    services.task_progress(actor=hr, task=late, status=PlanTask.Status.IN_PROGRESS)
    review_day = date(year, 9, 30)
    if review_day <= today:
        services.review_record(
            actor=leader,
            plan=plan,
            held_on=review_day,
            summary="前三季度工作总体推进顺利；干部培训心理课程班次不足，调研报告滞后。",
            findings=[
                (lecture, "done", "两场讲座均已举办。"),
                (training, "late", "只开设 2 个班次，少于计划的 3 个。"),
                (late, "at_risk", "调研尚未启动。"),
            ],
            corrections=[
                {
                    "title": "在冬季培训班补开心理健康课程",
                    "owner": hr,
                    "due_on": review_day + timedelta(days=45),
                    "task": training,
                },
                {
                    "title": "制定调研方案并报领导小组",
                    "owner": supervisor,
                    "due_on": review_day + timedelta(days=20),
                    "task": late,
                },
            ],
        )
        first = plan.reviews.get().corrections.order_by("due_on").first()
        if first is not None:
            services.correction_complete(actor=first.owner, item=first, outcome="调研方案已报领导小组审定。")
    _activities(rng, leader=leader, lead=lead, staff=staff, today=today, task=month)
    _care(rng, supervisor=supervisor, today=today)


def _activities(rng: random.Random, *, leader, lead, staff, today: date, task) -> None:
    people = list(Person.objects.active().values_list("pk", flat=True))
    towns = list(OrgUnit.objects.filter(depth=2).order_by("path"))
    past = [
        ("压力管理与情绪调适讲座", Activity.Kind.LECTURE, 120, 0.35),
        ("“5·25”团体心理沙龙", Activity.Kind.SALON, 130, 0.2),
        ("科级干部培训班心理健康专题", Activity.Kind.CADRE_TRAINING, 150, 0.3),
        ("趣味运动会", Activity.Kind.GROUP, 60, 0.45),
    ]
    for index, (title, kind, days_ago, share) in enumerate(past):
        day = today - timedelta(days=days_ago)
        activity = services.activity_create(
            actor=leader,
            title=title,
            kind=kind,
            description="主讲：县心理健康服务中心。",
            starts_at=_at(day, 14, 30),
            ends_at=_at(day, 16, 30),
            place="县委党校报告厅" if index % 2 == 0 else "县工人文化宫",
            capacity=None,
            organiser=lead,
            task=task if index == 1 else None,
        )
        chosen = rng.sample(people, int(len(people) * share))
        Registration.objects.bulk_create(
            [
                Registration(
                    activity=activity, person_id=pk, status=Registration.Status.REGISTERED, attended=rng.random() < 0.9
                )
                for pk in chosen
            ]
        )
        attended = list(activity.registrations.filter(attended=True).values_list("person_id", flat=True))[:12]
        FeedbackReceipt.objects.bulk_create([FeedbackReceipt(activity=activity, person_id=pk) for pk in attended])
        comments = ["很实用，希望多办。", "时间可以再长一些。", "", "案例贴近基层工作。", "", "希望下乡镇开展。"]
        Feedback.objects.bulk_create(
            [
                Feedback(activity=activity, rating=rng.choice([4, 5, 5, 3, 4]), comment=rng.choice(comments))
                for _pk in attended
            ]
        )
    upcoming = [
        ("正念减压团体辅导", Activity.Kind.SALON, 3, 4, []),
        ("家庭关系与亲子沟通讲座", Activity.Kind.LECTURE, 10, None, []),
        ("乡镇干部心理健康培训", Activity.Kind.TRAINING, 17, 40, towns[2:]),
    ]
    for title, kind, in_days, capacity, units in upcoming:
        day = today + timedelta(days=in_days)
        activity = services.activity_create(
            actor=leader,
            title=title,
            kind=kind,
            description="请提前 10 分钟到场签到。",
            starts_at=_at(day, 9),
            ends_at=_at(day, 11, 30),
            place="县心理健康服务中心团辅室" if kind == Activity.Kind.SALON else "县委党校报告厅",
            capacity=capacity,
            organiser=lead,
            units=units,
        )
        audience = Person.objects.active().filter(user__isnull=False, user__is_active=True)
        for person in audience.order_by("external_id")[: (capacity or 6) + 2]:
            if staff is not None and person.pk == staff.person.pk:
                continue
            if activity.units.exists() and not any(person.unit.path.startswith(u.path) for u in activity.units.all()):
                continue
            services.register(actor=person.user, activity=activity)
        if staff is not None and in_days == 3:
            # The small salon is full: the staff member is on its waiting list.
            services.register(actor=staff, activity=activity)


def _care(rng: random.Random, *, supervisor, today: date) -> None:
    situations = list(CareRecord.Situation.values)
    notes = [
        "住院期间登门看望，协调科室分担工作。",
        "协助办理后事，安排同事轮流值守。",
        "帮助联系医院专家，建议休假陪护。",
    ]
    reports = list(
        Person.objects.active()
        .filter(unit__path__startswith=supervisor.person.unit.path)
        .exclude(pk=supervisor.person.pk)
    )
    first = reports[3] if len(reports) > 3 else None
    if first is not None:
        services.care_record_create(
            actor=supervisor,
            person=first,
            situation=CareRecord.Situation.ILLNESS,
            occurred_on=today - timedelta(days=6),
            visited=True,
            leave_suggested=True,
            note=notes[0],
        )
    others = [p for p in Person.objects.active().order_by("external_id") if first is None or p.pk != first.pk]
    CareRecord.objects.bulk_create(
        [
            CareRecord(
                person=person,
                situation=rng.choice(situations),
                occurred_on=today - timedelta(days=rng.randint(10, 300)),
                visited=rng.random() < 0.8,
                help_arranged=rng.random() < 0.5,
                leave_suggested=rng.random() < 0.4,
                note=rng.choice(notes),
                recorded_by=supervisor,
            )
            for person in rng.sample(others, min(len(others), 24))
        ]
    )
