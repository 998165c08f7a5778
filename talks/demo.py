"""Demo talks for the demo county, so the supervisor's and the staff member's home pages have work on
them: talks logged over the last three months (so some people are overdue for their next talk and
some are due this week), agreed actions (the staff member's and the supervisor's own, some overdue),
a group talk, and the cadence scheduled for everyone else.

Then the year so far across the county, so the leading group's dashboard has something to show: each
supervisor (the demo supervisor in 城关镇, a section's chief elsewhere) has talked with most of their
people this year - about three in four, from three in five to six in seven by town - mostly in the
last three months, some earlier too, a few sections together in a group talk. About fifteen
people outside 城关镇 and 县委办 were last talked to more than three months ago, so their next
talk is overdue (by days, weeks or more than a month: their supervisors' managers hear of it), and
in three towns an action agreed in a talk a few weeks ago is past its date. Those three talks go
through the service; the year's other talks are its history, written in bulk (rows only, no audit
line of their own) so the demo seeds in seconds. The cadence task then schedules everyone's next
talk from their latest one.

Idempotent: each talk is logged only if its leader has never talked with its first participant (the
cadence task itself never schedules a pair twice); each person's share of the year comes from a
random generator of their own, so a second run plans the same talks and finds them made. Dates are
relative to today, so the demo looks the same whenever it is seeded.
"""

import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from talks.cadence import ensure_cadence
from talks.models import Talk, TalkParticipant
from talks.services import ActionInput, TalkInput, talk_create
from wellbeing import policy
from wellbeing.actors import command_actor
from wellbeing.models import OrgUnit, Person, Role

#: No talk made overdue here: in the demo supervisor's town (nobody above the town's supervisor to
#: escalate to) and in 县委办 (whose head is the leading group's member).
NO_OVERDUE = ("QX-T01", "QX-O01")
#: The share of each town's people talked to this year: drawn per town from this range.
COVERAGE = (0.62, 0.86)
#: Of the people talked to outside NO_OVERDUE, the share last talked to over three months ago.
OVERDUE_SHARE = 0.07
#: Of the others, the share talked to earlier in the year too, and the share in their section's group talk.
EARLIER_SHARE = 0.4
GROUP_SHARE = 0.25
#: (mood, concerns, main content, summary shared with the person) of an individual talk.
NOTES = (
    (4, [], "谈近期工作安排，对分管工作思路清晰，状态良好。", "继续保持，年底前完成台账整理。"),
    (4, ["career"], "希望参加业务培训，提升综合文字能力。", "推荐参加县委党校干部培训班。"),
    (3, ["workload"], "年底各类检查集中，加班较多，感觉疲惫。", "科室内部调整分工，安排轮休。"),
    (3, ["family"], "孩子上小学，早晚接送有困难。", "可弹性安排上下班时间。"),
    (3, ["health"], "腰椎不适，久坐后加重。", "建议到县医院复查，注意工间休息。"),
    (5, [], "驻村工作顺利，与群众关系融洽。", ""),
    (4, ["relationships"], "与同事配合顺畅，希望多组织集体活动。", "欢迎参加工会组织的趣味运动会。"),
    (3, ["work_pressure"], "信访维稳任务重，周末值班多。", "协调轮班，每月至少保证休息两个周末。"),
    (4, ["living"], "租住在镇上，离家较远，周末才能回家。", "协调申请周转房。"),
    (3, ["finances"], "家中老人看病开支较大。", "介绍工会困难职工帮扶政策。"),
    (4, [], "调整岗位后适应良好，已熟悉业务流程。", ""),
    (2, ["family", "health"], "父亲住院，陪护与工作难以兼顾。", "可申请年休假陪护，科室帮忙分担工作。"),
    (4, ["career"], "谈个人成长，希望到基层一线多锻炼。", "结合年底岗位调整统筹考虑。"),
)
GROUP_NOTES = (
    "集体座谈：年底重点工作和休假安排。",
    "科室谈心会：基层减负和值班轮换。",
    "集体谈心：听取大家对科室工作的意见建议。",
)
LOCATIONS = ("办公室", "小会议室", "村委会", "镇政府会议室", "党员活动室")
#: In three towns, a talk a few weeks ago whose agreed action is past its date (through the service):
#: (town, days ago, the action, days after the talk it was due).
LATE_ACTIONS = (
    ("QX-T03", 30, "协调调整驻村轮换安排并答复本人", 8),
    ("QX-T05", 26, "联系后勤维修宿舍热水器", 5),
    ("QX-T07", 44, "落实体检复查所需的假期", 7),
)


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
    scenario = {me.pk, supervisor.person.pk, *(p.pk for p in others)}
    leaders = _leaders()
    late = _late_actions(leaders, scenario)
    _year_of_talks(leaders, scenario | late)
    ensure_cadence(actor=command_actor("seed_demo"))


# --- The year so far across the county ------------------------------------------------------------------


def _leaders() -> dict[int, object]:
    """Each active person's supervisor: the holder of the role over the nearest unit above them (as
    ``policy.supervisors_of`` orders them; for the whole county in one query)."""
    holders = sorted(
        policy.assignments_in_force(Role.SUPERVISOR).select_related("user", "unit"),
        key=lambda ra: (-ra.unit.depth, ra.user_id),
    )
    out = {}
    for person in Person.objects.active().select_related("unit"):
        for ra in holders:
            if person.unit.path.startswith(ra.unit.path) and ra.user_id != person.user_id:
                out[person.pk] = ra.user
                break
    return out


def _held_at(rng: random.Random, days_ago: int) -> datetime:
    """A working-hours moment ``days_ago`` days back, moved to the Friday before a weekend."""
    day = timezone.localdate() - timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(rng.randint(9, 16), rng.choice([0, 30]))))


def _late_actions(leaders: dict, scenario: set[int]) -> set[int]:
    """Three talks with an agreed action past its date, through the service. Returns who took part."""
    people = set()
    for code, days_ago, action, due_after in LATE_ACTIONS:
        person = (
            Person.objects.active()
            .filter(unit__code__startswith=f"{code}-", pk__in=list(leaders))
            .exclude(pk__in=scenario)
            .exclude(position="科长")
            .order_by("external_id")
            .first()
        )
        if person is None:
            continue
        people.add(person.pk)
        rng = random.Random(f"late-{person.external_id}")  # noqa: S311 (demo data)
        held_at = _held_at(rng, days_ago)
        _log(
            leaders[person.pk],
            TalkInput(
                participants=[person],
                held_at=held_at,
                location=rng.choice(LOCATIONS),
                duration_minutes=30,
                mood=3,
                mood_tags=["living"] if "宿舍" in action else ["workload"],
                main_content="反映工作和生活中的实际困难，希望组织帮助协调。",
                shared_summary="已记录，约定尽快协调落实。",
                actions=[ActionInput(action, timezone.localdate(held_at) + timedelta(days=due_after))],
            ),
        )
    return people


def _year_of_talks(leaders: dict, exclude: set[int]) -> None:
    """The year's talks so far (see the module's docstring), written in bulk."""
    today = timezone.localdate()
    elapsed = (today - date(today.year, 1, 1)).days  # a talk this year is at most this many days ago
    if elapsed < 1:
        return
    towns = {u.path: u.code for u in OrgUnit.objects.filter(depth=2)}
    people = list(Person.objects.active().select_related("unit").order_by("external_id"))
    staff = Counter(towns.get(p.unit.path[: 2 * OrgUnit.steplen], "") for p in people)
    led = Counter(towns.get(p.unit.path[: 2 * OrgUnit.steplen], "") for p in people if p.pk in leaders)
    # The share of a town's people to talk to, of those who have a supervisor (heads and, outside
    # 城关镇, section chiefs have none in the demo).
    share = {
        town: min(0.97, random.Random(f"coverage-{town}").uniform(*COVERAGE) * staff[town] / led[town])  # noqa: S311
        for town in led
    }
    plans: list[tuple[object, list[Person], int, random.Random]] = []  # (leader, people, days ago, rng)
    sections: dict[int, list[tuple[Person, int]]] = {}
    for person in (p for p in people if p.pk in leaders):
        town = towns.get(person.unit.path[: 2 * OrgUnit.steplen], "")
        rng = random.Random(f"talks-{person.external_id}")  # noqa: S311 (demo data)
        covered, kind, days_ago = rng.random() < share[town], rng.random(), rng.randint(3, 85)
        earlier_ago = rng.randint(days_ago + 90, days_ago + 200)
        if not covered or person.pk in exclude:
            continue
        if kind < OVERDUE_SHARE and not town.startswith(NO_OVERDUE):
            # Last talked to over three months ago: overdue by days, weeks or over a month.
            days_ago = rng.choices(
                [rng.randint(92, 96), rng.randint(99, 118), rng.randint(123, 160)], weights=[3, 4, 3]
            )[0]
        elif kind < OVERDUE_SHARE + GROUP_SHARE:
            sections.setdefault(person.unit_id, []).append((person, days_ago))
            continue
        elif kind < OVERDUE_SHARE + GROUP_SHARE + EARLIER_SHARE and earlier_ago <= elapsed:
            plans.append((leaders[person.pk], [person], earlier_ago, rng))
        plans.append((leaders[person.pk], [person], min(days_ago, elapsed), rng))
    for members in sections.values():
        group = [p for p, _days in members]
        rng = random.Random(f"group-{group[0].unit_id}")  # noqa: S311 (demo data)
        plans.append((leaders[group[0].pk], group, min(members[0][1], elapsed), rng))

    # Made already: the leader has talked with the first participant.
    made = set(TalkParticipant.objects.values_list("talk__led_by_id", "person_id"))
    plans = [plan for plan in plans if (plan[0].pk, plan[1][0].pk) not in made]
    now = timezone.now()
    talks = []
    for leader, people, days_ago, rng in plans:
        held_at = min(_held_at(rng, days_ago), now - timedelta(hours=1))
        if len(people) > 1:
            talk = Talk(
                led_by=leader,
                kind=Talk.Kind.GROUP,
                held_at=held_at,
                location=rng.choice(LOCATIONS[1:]),
                duration_minutes=rng.choice([60, 90]),
                main_content=rng.choice(GROUP_NOTES),
            )
        else:
            mood, tags, content, summary = rng.choice(NOTES)
            talk = Talk(
                led_by=leader,
                held_at=held_at,
                location=rng.choice(LOCATIONS),
                duration_minutes=rng.choice([20, 30, 30, 40, 45]),
                mood=mood,
                mood_tags=tags,
                main_content=content,
                shared_summary=summary,
            )
        talks.append(talk)
    Talk.objects.bulk_create(talks, batch_size=500)
    # bulk_create stamps created_at with now: each talk was written the day it was held.
    for talk in talks:
        talk.created_at = talk.updated_at = min(talk.held_at + timedelta(hours=2), now)
    Talk.objects.bulk_update(talks, ["created_at", "updated_at"], batch_size=500)
    TalkParticipant.objects.bulk_create(
        [
            TalkParticipant(talk=talk, person=p)
            for talk, (_l, people, _d, _r) in zip(talks, plans, strict=True)
            for p in people
        ],
        batch_size=500,
    )
