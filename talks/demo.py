"""Demo talks for the demo county, so the supervisor's and the staff member's home pages have work on
them: talks logged over the last three months (so some people are overdue for their next talk and
some are due this week), agreed actions (the staff member's and the supervisor's own, some overdue),
a group talk, and the cadence scheduled for everyone else.

Idempotent: each talk is logged only if the supervisor has never talked with its first participant
(the cadence task itself never schedules a pair twice). Dates are relative to today, so the demo
looks the same whenever it is seeded.
"""

from datetime import timedelta

from django.utils import timezone

from talks.cadence import ensure_cadence
from talks.models import Talk
from talks.services import ActionInput, TalkInput, talk_create
from wellbeing.actors import command_actor
from wellbeing.models import Person


def _log(supervisor, data: TalkInput) -> None:
    if Talk.objects.filter(led_by=supervisor, participations__person=data.participants[0]).exists():
        return
    talk_create(actor=supervisor, data=data)


def seed_talks(users) -> None:
    supervisor = users.get("supervisor")
    staff = users.get("staff")
    if supervisor is None or staff is None:
        return
    now = timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0)
    today = timezone.localdate()
    me = staff.person
    others = list(
        Person.objects.active()
        .filter(unit__path__startswith=me.unit.path[:8])
        .exclude(pk__in=[me.pk, supervisor.person.pk])
        .order_by("external_id")[:10]
    )
    _log(
        supervisor,
        TalkInput(
            participants=[me],
            held_at=now - timedelta(days=40),
            location="镇党政办",
            duration_minutes=30,
            mood=3,
            mood_tags=["workload", "work_pressure"],
            main_content="近期防汛值班较多，连续两个周末未休息。",
            difficulties="希望安排补休。",
            suggestions="轮班表提前一周公布。",
            shared_summary="已约定调整值班，安排补休。",
            actions=[
                ActionInput("调整下月值班表", today + timedelta(days=5)),
                # Overdue and owned by the staff member: it escalates to the town's supervisor.
                ActionInput("提交补休申请", today - timedelta(days=10), owner_kind="person"),
            ],
        ),
    )
    _log(
        supervisor,
        TalkInput(
            participants=[others[0]],
            held_at=now - timedelta(days=5),
            occasion=Talk.Occasion.TRIGGERED,
            trigger=Talk.Trigger.FAMILY_ILLNESS,
            location="办公室",
            duration_minutes=45,
            mood=2,
            mood_tags=["family", "health"],
            main_content="母亲住院，需要陪护。",
            shared_summary="单位支持请假陪护。",
            actions=[ActionInput("协调三天事假", today + timedelta(days=3), owner_kind="hr")],
        ),
    )
    _log(
        supervisor,
        TalkInput(
            participants=others[1:6],
            kind=Talk.Kind.GROUP,
            held_at=now - timedelta(days=20),
            location="会议室",
            duration_minutes=60,
            main_content="集体座谈：基层减负和休假安排。",
            actions=[ActionInput("梳理报表清单，减少重复填报", today + timedelta(days=14))],
        ),
    )
    # Talked to about three months ago: the next talk (every 90 days) is overdue for two people and
    # due this week for two more. The supervisor's own action from one of them is two days overdue
    # (the demo has nobody above the town's supervisor, so nothing of theirs is old enough to escalate).
    _log(
        supervisor,
        TalkInput(
            participants=[others[6]],
            held_at=now - timedelta(days=92),
            location="办公室",
            duration_minutes=30,
            mood=4,
            main_content="谈工作安排，希望到社会事务岗位锻炼。",
            shared_summary="三个月内研究岗位轮换。",
            actions=[ActionInput("研究岗位轮换意向并答复", today - timedelta(days=2))],
        ),
    )
    _log(
        supervisor,
        TalkInput(
            participants=[others[7]],
            held_at=now - timedelta(days=91),
            location="村委会",
            duration_minutes=20,
            mood=3,
            mood_tags=["workload"],
            main_content="驻村工作往返路程远，身体有些吃不消。",
        ),
    )
    _log(
        supervisor,
        TalkInput(
            participants=[others[8]],
            held_at=now - timedelta(days=87),
            location="办公室",
            duration_minutes=25,
            mood=4,
            main_content="新入职半年，适应良好，想多参加业务培训。",
        ),
    )
    _log(
        supervisor,
        TalkInput(
            participants=[others[9]],
            held_at=now - timedelta(days=85),
            location="办公室",
            duration_minutes=30,
            mood=3,
            mood_tags=["family"],
            main_content="孩子今年中考，晚上加班有困难。",
            shared_summary="中考前尽量不安排夜间值班。",
        ),
    )
    ensure_cadence(actor=command_actor("seed_demo"))
