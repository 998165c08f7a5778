"""Demo data: a fictional county organisation (青溪县) with 200+ staff and every role.

Deterministic (a fixed random seed) and idempotent: running it again creates nothing new.
Everything is written through the services, so the audit trail shows how the data came to be.
Each role's home page has something real on it: the talks app adds talks (some overdue, some due
this week) and agreed actions; the supervisor refers someone at imminent risk (an open red referral
for the lead counsellor); and the reminder scan runs once at the end, as the beat would, so the
inboxes hold unread reminders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from wellbeing import services
from wellbeing.actors import command_actor
from wellbeing.models import AuditEvent, OrgUnit, Person, Referral, Role, RoleAssignment
from wellbeing.reminders.scan import run_scan

DEFAULT_PASSWORD = "Tanxin-demo-2026"  # noqa: S105 (documented demo password)
ACTOR = command_actor("seed_demo")
ROLES_FROM = date(2026, 1, 1)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕晓东婷婷雪梅文博子涵浩然"
    "欣怡宇轩梓涵思远佳琪俊杰雨婷嘉怡文静晨阳春华秋菊冬梅振华国庆建军永红丽华德胜淑珍"
)
TOWNS = [
    ("QX-T01", "城关镇"),
    ("QX-T02", "青石镇"),
    ("QX-T03", "柳河镇"),
    ("QX-T04", "白沙镇"),
    ("QX-T05", "龙泉乡"),
    ("QX-T06", "东岭镇"),
    ("QX-T07", "南湖镇"),
    ("QX-T08", "西山乡"),
]
OFFICES = [("QX-O01", "县委办公室"), ("QX-O02", "县人力资源和社会保障局")]
TOWN_SECTIONS = [("S1", "党政综合办公室"), ("S2", "综合治理办公室"), ("S3", "经济发展办公室"), ("S4", "社会事务办公室")]
OFFICE_SECTIONS = [("S1", "综合科"), ("S2", "业务科")]
POSITIONS = ["科员", "科员", "科员", "副主任科员", "办事员", "一级科员", "二级科员", "网格员"]


#: Other apps add their demo data from AppConfig.ready(): callables (logins by username) -> None,
#: run at the end of ``seed``; each must be idempotent.
DEMO_EXTENSIONS: list = []


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role_label: str
    full_name: str
    #: False when the login existed already with another password (an earlier ``--password``).
    has_password: bool = True


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        surname = rng.choice(SURNAMES)
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        name = surname + given
        if name not in used:
            used.add(name)
            return name


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    existing = OrgUnit.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return services.org_unit_create(actor=ACTOR, code=code, name=name, kind=kind, parent=parent)


def _person(rng: random.Random, used: set[str], external_id: str, unit: OrgUnit, position: str, **extra) -> Person:
    # Draw every random value before looking for an existing row, so a second run draws the same
    # sequence and finds the same people (idempotence).
    name = extra.pop("full_name", None) or _name(rng, used)
    birth = date(rng.randint(1966, 2001), rng.randint(1, 12), rng.randint(1, 28))
    work_start = date(birth.year + rng.randint(21, 24), rng.choice([7, 8, 9]), 1)
    hire = work_start + timedelta(days=365 * rng.randint(0, 8))
    gender = rng.choice([Person.Gender.FEMALE, Person.Gender.MALE])
    phone = f"139{rng.randint(10000000, 99999999)}"
    if hire > date(2026, 6, 30):
        hire = work_start
    existing = Person.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing
    return services.person_create(
        actor=ACTOR,
        external_id=external_id,
        full_name=name,
        unit=unit,
        gender=gender,
        date_of_birth=birth,
        work_start_date=work_start,
        hire_date=hire,
        position=position,
        email=f"{external_id.lower()}@qingxi.example.gov.cn",
        phone=phone,
        **extra,
    )


def _login(person: Person, username: str, password: str):
    """The demo login (created with ``password`` if new) and whether ``password`` opens it."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    has_password = True
    if user is None:
        user = User.objects.create_user(username=username, password=password, email=person.email)
    else:
        has_password = user.check_password(password)
    if person.user_id is None:
        services.person_update(actor=ACTOR, person=person, user=user)
    return user, has_password


def _role(user, role: str, unit: OrgUnit | None = None) -> None:
    if not RoleAssignment.objects.filter(user=user, role=role, unit=unit, valid_from=ROLES_FROM).exists():
        services.role_assign(actor=ACTOR, user=user, role=role, unit=unit, valid_from=ROLES_FROM)


def _refer(referrer, person: Person) -> None:
    """The supervisor refers someone in their town at imminent risk: the lead counsellor's open red
    referral (made once: the demo never adds a second)."""
    if Referral.objects.filter(referred_by=referrer).exists():
        return
    services.referral_create(
        actor=referrer,
        person=person,
        urgency=Referral.Urgency.IMMINENT,
        reason=Referral.Reason.SELF_HARM,
        note="近两周情绪低落、失眠，今天上午说“撑不下去了”。已由同事陪同在办公室，请尽快联系。",
    )


def seed(*, password: str = DEFAULT_PASSWORD) -> list[DemoLogin]:
    """Build the demo county, then run the reminder scan once if this run added anything (as the
    beat would: reminders and in-app notifications; the digests wait for a worker to send them)."""
    mark = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    logins = _build(password=password)
    if AuditEvent.objects.filter(pk__gt=mark).exists():
        # The demo's inboxes are filled whatever the hour (the beat keeps quiet hours).
        run_scan(timezone.now(), actor=ACTOR, quiet_hours=False)
    return logins


@transaction.atomic
def _build(*, password: str) -> list[DemoLogin]:
    rng = random.Random(2026)
    used: set[str] = set()
    county = _unit("QX", "青溪县", OrgUnit.Kind.COUNTY, None)
    sections: list[OrgUnit] = []
    heads: dict[str, Person] = {}
    serial = 0

    def next_id() -> str:
        nonlocal serial
        serial += 1
        return f"QX{serial:05d}"

    for code, name in OFFICES + TOWNS:
        kind = OrgUnit.Kind.OFFICE if code.startswith("QX-O") else OrgUnit.Kind.TOWN
        top = _unit(code, name, kind, county)
        head = _person(rng, used, next_id(), top, "主任" if kind == OrgUnit.Kind.OFFICE else "镇长")
        heads[code] = head
        for scode, sname in OFFICE_SECTIONS if kind == OrgUnit.Kind.OFFICE else TOWN_SECTIONS:
            section = _unit(f"{code}-{scode}", sname, OrgUnit.Kind.SECTION, top)
            sections.append(section)
            chief = _person(rng, used, next_id(), section, "科长", manager=head)
            for _ in range(rng.randint(5, 7)):
                _person(rng, used, next_id(), section, rng.choice(POSITIONS), manager=chief)

    town1 = OrgUnit.objects.get(code="QX-T01")
    town1_section = OrgUnit.objects.get(code="QX-T01-S1")
    office = OrgUnit.objects.get(code="QX-O01")
    hr_office = OrgUnit.objects.get(code="QX-O02")

    logins: list[DemoLogin] = []

    def demo(username: str, person: Person, role: str | None, unit: OrgUnit | None = None) -> None:
        user, has_password = _login(person, username, password)
        if role is not None:
            _role(user, role, unit)
        label = str(Role(role).label) if role else str(Role.STAFF.label)
        logins.append(DemoLogin(username, label, person.full_name, has_password))

    demo("supervisor", heads["QX-T01"], Role.SUPERVISOR, town1)
    staff_member = Person.objects.filter(unit=town1_section).exclude(position="科长").order_by("external_id").first()
    demo("staff", staff_member, None)
    counselling = _unit("QX-O01-S3", "心理健康服务中心", OrgUnit.Kind.SECTION, office)
    lead = _person(rng, used, "QX-C0001", counselling, "心理咨询师（负责人）")
    demo("lead", lead, Role.LEAD_COUNSELLOR)
    for i in range(1, 4):
        counsellor = _person(rng, used, f"QX-C000{i + 1}", counselling, "心理咨询师", manager=lead)
        demo(f"counsellor{i}", counsellor, Role.COUNSELLOR)
    hr_person = Person.objects.filter(unit__code="QX-O02-S2").order_by("external_id").first()
    demo("hr", hr_person, Role.HR_OFFICER, county)
    demo("leader", heads["QX-O01"], Role.LEADING_GROUP)
    admin_person = _person(rng, used, "QX-A0001", hr_office, "信息化管理员")
    demo("admin", admin_person, Role.ADMINISTRATOR)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[x.username for x in logins])}
    # Someone in the supervisor's town, in another office from the staff member's.
    referred = Person.objects.filter(unit__code="QX-T01-S2").exclude(position="科长").order_by("external_id").first()
    _refer(users["supervisor"], referred)
    for extension in DEMO_EXTENSIONS:
        extension(users)
    return logins
