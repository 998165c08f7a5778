"""Demo cases (added to ``wellbeing.demo`` through ``DEMO_EXTENSIONS``), so the counsellors' caseload
board, the lead counsellor's intake, team view and approvals have something real on them:

- counsellor1: an imminent-risk case with a safety plan, and a high-risk case with notes and a
  hospital referral (accepted);
- counsellor2: a moderate case in monitoring, and a low-risk case being handed to counsellor3
  (a transfer waiting for acceptance);
- counsellor3: a case whose closure waits for the lead counsellor's approval;
- one case waiting, unassigned, in the lead counsellor's queue.

The referrals come from the demo supervisor (people in their town), none of imminent urgency (the
demo's one imminent referral stays open in the intake queue). Everything goes through the services,
so the timeline and the audit trail show how it came to be. Made once: a second run adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cases import services
from cases.models import Case, Intervention
from wellbeing import services as core
from wellbeing.models import Person, Referral

#: (urgency, reason, risk, counsellor) for each demo case, in the order people are picked.
CASES = (
    ("urgent", Referral.Reason.SELF_HARM, "imminent", "counsellor1"),  # safety plan
    ("urgent", Referral.Reason.FAMILY, "high", "counsellor1"),  # notes, hospital referral
    ("soon", Referral.Reason.WORK_PRESSURE, "moderate", "counsellor2"),  # monitoring
    ("soon", Referral.Reason.BEHAVIOUR, "moderate", None),  # unassigned
    ("routine", Referral.Reason.HEALTH, "low", "counsellor2"),  # transfer to counsellor3
    ("soon", Referral.Reason.CONFLICT, "low", "counsellor3"),  # closure to approve
)


def _people(supervisor, demo_logins, count: int) -> list[Person]:
    """People in the supervisor's town who are not demo logins (nor referred already, as the demo's
    own referral), one per section where possible, in a fixed order."""
    town = supervisor.person.unit
    taken = set(Referral.objects.values_list("person_id", flat=True))
    candidates = (
        Person.objects.active()
        .filter(unit__path__startswith=town.path)
        .exclude(user__in=demo_logins)
        .exclude(pk__in=taken)
        .exclude(pk=supervisor.person.pk)
        .exclude(position__in=["科长", "镇长", "主任"])
        .order_by("unit__path", "external_id")
    )
    by_unit: dict[int, list[Person]] = {}
    for person in candidates:
        by_unit.setdefault(person.unit_id, []).append(person)
    picked: list[Person] = []
    while len(picked) < count and any(by_unit.values()):
        for people in by_unit.values():
            if people and len(picked) < count:
                picked.append(people.pop(0))
    return picked


def _note(counsellor, case: Case, data: str, assessment: str, plan: str, contact: str = "in_person") -> None:
    services.note_add(
        actor=counsellor,
        case=Case.objects.get(pk=case.pk),
        data=services.NoteInput(data=data, assessment=assessment, plan=plan, contact=contact),
    )


def seed_cases(users) -> None:
    lead, supervisor = users.get("lead"), users.get("supervisor")
    counsellors = {name: users.get(name) for name in ("counsellor1", "counsellor2", "counsellor3")}
    if lead is None or supervisor is None or None in counsellors.values() or Case.objects.exists():
        return
    people = _people(supervisor, [u for u in users.values() if u is not None], len(CASES))
    if len(people) < len(CASES):
        return
    cases = []
    for person, (urgency, reason, risk, holder) in zip(people, CASES, strict=True):
        referral = core.referral_create(actor=supervisor, person=person, urgency=urgency, reason=reason)
        cases.append(
            services.case_open(
                actor=lead, referral=referral, risk=risk, counsellor=counsellors[holder] if holder else None
            )
        )
    imminent, high, monitoring, _unassigned, handed, closing = cases
    c1, c2, c3 = counsellors["counsellor1"], counsellors["counsellor2"], counsellors["counsellor3"]
    today = timezone.localdate()

    # Imminent risk: seen today, a safety plan agreed with the person.
    _note(
        c1,
        imminent,
        "当面会谈50分钟。近两周失眠，自述“撑不下去”，有消极念头，无具体计划。",
        "自杀风险高，保护因素：女儿、与姐姐关系好。",
        "制定安全计划；明日电话随访；联系家属陪伴。",
    )
    services.safety_plan_save(
        actor=c1,
        case=Case.objects.get(pk=imminent.pk),
        sections={
            "warning_signs": "连续失眠、不接电话、独自待在宿舍",
            "coping_strategies": "散步半小时、听音乐、写下当下的感受",
            "distractions": "去姐姐家吃饭；镇文化站阅览室",
            "people_to_ask": "姐姐（电话见档案）；同科室的老周",
            "professionals": "心理健康服务中心值班电话；县人民医院心理科；心理援助热线12356",
            "safe_environment": "药品交由姐姐保管",
            "reasons_for_living": "女儿今年高考；想看她上大学",
        },
    )

    # High risk: two contacts and a hospital referral the person accepted.
    _note(
        c1,
        high,
        "电话联系。家中老人重病住院，连续请假陪护，情绪低落，食欲差。",
        "抑郁情绪明显，功能下降。",
        "建议精神科门诊评估；三日内再联系。",
        contact="phone",
    )
    services.intervention_add(
        actor=c1,
        case=Case.objects.get(pk=high.pk),
        data=services.InterventionInput(
            kind=Intervention.Kind.EXTERNAL_REFERRAL,
            occurred_on=today,
            service="县人民医院心理科",
            details="已预约下周二上午门诊",
        ),
    )
    referral = Intervention.objects.filter(case=high).latest("id")
    services.intervention_update(actor=c1, intervention=referral, status=Intervention.Status.ACCEPTED)
    services.intervention_add(
        actor=c1,
        case=Case.objects.get(pk=high.pk),
        data=services.InterventionInput(
            kind=Intervention.Kind.COUNSELLING, occurred_on=today, details="支持性会谈，讨论照护分工"
        ),
    )

    # Moderate, in monitoring after two contacts.
    _note(c2, monitoring, "当面会谈。加班压力大，睡眠改善。", "情绪较稳定。", "转入观察，每周联系一次。")
    services.status_set(actor=c2, case=Case.objects.get(pk=monitoring.pk), status=Case.Status.MONITORING)

    # Low risk, being handed over to counsellor3 (who has not accepted yet).
    _note(c2, handed, "电话联系，身体检查结果正常，担忧减轻。", "风险低。", "每月联系一次。", contact="phone")
    services.transfer_propose(
        actor=c2,
        case=Case.objects.get(pk=handed.pk),
        to=c3,
        handover_note="本人更愿意与女性咨询师交流；每月初电话联系即可。",
    )

    # Closure asked for: the lead counsellor decides.
    _note(c3, closing, "当面会谈。同事矛盾已由科室调解。", "无风险迹象。", "建议结案。")
    services.closure_request(
        actor=c3,
        case=Case.objects.get(pk=closing.pk),
        outcome=Case.Outcome.IMPROVED,
        summary="经三次会谈与科室调解，冲突已化解，工作状态恢复。",
    )
    # Let the board look lived-in: the monitoring case's next contact is in two days, not seven.
    services.next_contact_set(
        actor=c2, case=Case.objects.get(pk=monitoring.pk), due_at=timezone.now() + timedelta(days=2)
    )
