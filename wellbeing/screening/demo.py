"""Demo data for screening (added to ``wellbeing.demo`` through ``DEMO_EXTENSIONS``): counsellor1 on
call this week, and the staff member's results over the past months (a trajectory for the counselling
team to look at). Made once: a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from wellbeing.actors import SystemActor
from wellbeing.models import OnCallShift, Screening
from wellbeing.screening import services
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
    if Screening.objects.filter(person__user=staff).exists():
        return
    now = timezone.now()
    for days_ago, code, answers in HISTORY:
        screening = services.screening_submit(actor=staff, instrument=code, answers=answers, consent=True).screening
        # The demo's history: each result as if taken on its day.
        Screening.objects.filter(pk=screening.pk).update(created_at=now - timedelta(days=days_ago))
