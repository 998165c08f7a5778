"""Demo data for screening (added to ``wellbeing.demo`` through ``DEMO_EXTENSIONS``): counsellor1 on
call this week, the staff member's results over the past months (a trajectory for the counselling
team to look at) and this year's check-up, open for three weeks across the county (the leading group
sees its figures, withheld while groups are small). Made once: a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from wellbeing.actors import SystemActor
from wellbeing.models import Instrument, OnCallShift, OrgUnit, Screening, ScreeningCampaign
from wellbeing.screening import campaigns, services
from wellbeing.services.oncall import oncall_shift_create

ACTOR = SystemActor("command:seed_demo")

#: (days ago, questionnaire, answers): PHQ-9 from mild to moderate and back, GAD-7 alongside.
HISTORY = [
    (300, "phq9", [1, 1, 0, 1, 1, 0, 1, 0, 0]),
    (200, "phq9", [2, 2, 1, 2, 1, 1, 1, 1, 0]),
    (120, "gad7", [2, 1, 2, 1, 1, 1, 1]),
    (90, "phq9", [1, 1, 1, 2, 1, 1, 1, 0, 0]),
    (30, "gad7", [1, 1, 1, 0, 1, 0, 1]),
    (10, "phq9", [1, 0, 1, 1, 0, 0, 1, 0, 0]),
]


def seed_screening(users: dict) -> None:
    if not OnCallShift.objects.exists():
        today = timezone.localdate()
        oncall_shift_create(
            actor=users["lead"], counsellor=users["counsellor1"], starts_on=today, ends_on=today + timedelta(days=6)
        )
    staff = users["staff"]
    if not Screening.objects.filter(person__user=staff).exists():
        now = timezone.now()
        for days_ago, code, answers in HISTORY:
            result = services.screening_submit(actor=staff, instrument=code, answers=answers, consent=True)
            # The demo's history: each result as if taken on its day.
            Screening.objects.filter(pk=result.screening.pk).update(created_at=now - timedelta(days=days_ago))
    if not ScreeningCampaign.objects.exists():
        today = timezone.localdate()
        campaign = campaigns.campaign_create(
            actor=users["leader"],
            name=f"{today.year}年度心理体检",
            units=list(OrgUnit.objects.get_root_nodes()),
            instruments=list(Instrument.objects.filter(code__in=["phq9", "gad7"])),
            opens_on=today,
            closes_on=today + timedelta(days=21),
        )
        campaigns.campaign_invite(actor=ACTOR, campaign=campaign)
