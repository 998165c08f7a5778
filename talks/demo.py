"""Demo talks for the demo county: a few logged talks with actions (one overdue), a group talk, and
the cadence scheduled for everyone else. Idempotent: nothing is added once the demo supervisor has
logged a talk (the cadence task itself never schedules a pair twice)."""

from datetime import timedelta

from django.utils import timezone

from talks.cadence import ensure_cadence
from talks.models import Talk
from talks.services import ActionInput, TalkInput, talk_create
from wellbeing.actors import command_actor
from wellbeing.models import Person


def seed_talks(users) -> None:
    supervisor = users.get("supervisor")
    staff = users.get("staff")
    if supervisor is None or staff is None:
        return
    if not Talk.objects.filter(led_by=supervisor).exists():
        now = timezone.localtime().replace(hour=15, minute=0, second=0, microsecond=0)
        today = timezone.localdate()
        me = staff.person
        others = list(
            Person.objects.active()
            .filter(unit__path__startswith=me.unit.path[:8])
            .exclude(pk__in=[me.pk, supervisor.person.pk])
            .order_by("external_id")[:6]
        )
        talk_create(
            actor=supervisor,
            data=TalkInput(
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
        talk_create(
            actor=supervisor,
            data=TalkInput(
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
        talk_create(
            actor=supervisor,
            data=TalkInput(
                participants=others[1:6],
                kind=Talk.Kind.GROUP,
                held_at=now - timedelta(days=20),
                location="会议室",
                duration_minutes=60,
                main_content="集体座谈：基层减负和休假安排。",
                actions=[ActionInput("梳理报表清单，减少重复填报", today + timedelta(days=14))],
            ),
        )
    ensure_cadence(actor=command_actor("seed_demo"))
