"""Demo data for screening (added to ``wellbeing.demo`` through ``DEMO_EXTENSIONS``, the first of them),
and the county's accounts the other demos build on:

- every member of staff has a login (as in a county where everyone signs in; only the demo logins
  have the printed password, the others none that can be used), so this year's check-up reaches
  everyone; made in bulk, like an import of the county's accounts (no audit line of their own);
- outside 城关镇 (where the demo supervisor answers for the whole town) each section's chief holds the
  supervisor role over their section: they talk with their staff (talks demo) and confirm their
  overtime (leave demo), and their own manager, the head of the town or office, is the next rung of
  their escalations;
- counsellor1 on call this week, and the staff member's results over the past months (a trajectory
  for the counselling team to look at);
- this year's check-up across the county, opened three and a half weeks ago and closing in eight
  days: about three in four people have completed it (their answers scored by the service's scoring,
  mostly green, a fifth yellow); a few results today are orange, and go to the lead counsellor as
  urgent referrals through the service, two of which the lead counsellor's review raised to red; the
  others, the demo logins among them, still have it to do (their invitation waits in their inbox).

The completed results of the weeks before today are the check-up's history: written in bulk, as if
taken on their day (rows only, no audit line of their own), so the demo seeds in seconds. Made once:
a second run adds nothing."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from wellbeing import services as core
from wellbeing.actors import SystemActor
from wellbeing.models import (
    CampaignInvitation,
    Instrument,
    OnCallShift,
    OrgUnit,
    Person,
    Role,
    RoleAssignment,
    Screening,
    ScreeningCampaign,
    ScreeningConsent,
    ScreeningTier,
)
from wellbeing.screening import campaigns, scoring, services
from wellbeing.services.oncall import oncall_shift_create

ACTOR = SystemActor("command:seed_demo")
#: The demo's roles hold from the start of the year (as ``wellbeing.demo.ROLES_FROM``).
ROLES_FROM = date(2026, 1, 1)
#: The town whose head (the demo supervisor) answers for everyone in it.
SUPERVISOR_TOWN = "QX-T01"
#: The counselling centre: its people are the counselling team, not a section with a chief.
COUNSELLING = "QX-O01-S3"
CHIEF = "科长"

#: (days ago, questionnaire, answers): PHQ-9 from mild to moderate and back, GAD-7 alongside.
HISTORY = [
    (300, "phq9", [1, 1, 0, 1, 1, 0, 1, 0, 0]),
    (200, "phq9", [2, 2, 1, 2, 1, 1, 1, 1, 0]),
    (120, "gad7", [2, 1, 2, 1, 1, 1, 1]),
    (90, "phq9", [1, 1, 1, 2, 1, 1, 1, 0, 0]),
    (30, "gad7", [1, 1, 1, 0, 1, 0, 1]),
    (10, "phq9", [1, 0, 1, 1, 0, 0, 1, 0, 0]),
]
#: The check-up: opened this many days ago, closing this many days ahead.
OPENED_DAYS_AGO = 24
CLOSES_IN_DAYS = 8
#: Of the people invited (the demo logins aside), the share that has completed it, per town.
COMPLETION = (0.66, 0.88)
#: Of the results written in bulk, the share that is yellow (the rest green).
YELLOW_SHARE = 0.19
#: Results taken today through the service: orange (urgent referrals), then two raised to red.
ORANGE_TODAY = 6
RED_TODAY = 2
RED_REVIEW = "电话回访后评估：近期有明确的消极想法，风险高于问卷分数，上调为红色，已约今天下午当面评估。"


def seed_screening(users: dict) -> None:
    _county_logins()
    _section_supervisors()
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
        _checkup(users)


# --- The county's accounts ------------------------------------------------------------------------------


def _county_logins() -> None:
    """A login for everyone without one: the username is their staff number, the password unusable
    (they would sign in through the county's accounts, which the demo does not have)."""
    people = list(Person.objects.active().filter(user__isnull=True).order_by("external_id"))
    if not people:
        return
    User = get_user_model()
    taken = set(
        User.objects.filter(username__in=[p.external_id.lower() for p in people]).values_list("username", flat=True)
    )
    User.objects.bulk_create(
        [
            User(username=p.external_id.lower(), email=p.email, password=make_password(None))
            for p in people
            if p.external_id.lower() not in taken
        ]
    )
    by_name = {u.username: u for u in User.objects.filter(username__in=[p.external_id.lower() for p in people])}
    linked = set(Person.objects.filter(user__in=by_name.values()).values_list("user_id", flat=True))
    for person in people:
        user = by_name[person.external_id.lower()]
        if user.pk not in linked:
            person.user = user
    Person.objects.bulk_update([p for p in people if p.user_id is not None], ["user"])


def _section_supervisors() -> None:
    """Outside the demo supervisor's town, each section's chief supervises their section."""
    sections = (
        OrgUnit.objects.filter(kind=OrgUnit.Kind.SECTION)
        .exclude(code__startswith=SUPERVISOR_TOWN)
        .exclude(code=COUNSELLING)
        .order_by("path")
    )
    chiefs = {
        p.unit_id: p
        for p in Person.objects.active()
        .filter(unit__in=sections, position=CHIEF, user__isnull=False)
        .select_related("user")
        .order_by("-external_id")
    }
    held = set(
        RoleAssignment.objects.filter(role=Role.SUPERVISOR, valid_from=ROLES_FROM).values_list("user_id", "unit_id")
    )
    for section in sections:
        chief = chiefs.get(section.pk)
        if chief is not None and (chief.user_id, section.pk) not in held:
            core.role_assign(actor=ACTOR, user=chief.user, role=Role.SUPERVISOR, unit=section, valid_from=ROLES_FROM)


# --- This year's check-up -----------------------------------------------------------------------------------


def _answers(rng: random.Random, instrument: Instrument, total: int) -> list[int]:
    """Answers adding up to ``total`` (options 0-3), never on a critical item (PHQ-9 item 9)."""
    items = list(instrument.items.all())
    free = [i for i, item in enumerate(items) if item.critical_from is None]
    answers = [0] * len(items)
    for _ in range(min(total, 3 * len(free))):
        i = rng.choice([i for i in free if answers[i] < 3])
        answers[i] += 1
    return answers


def _scores(rng: random.Random, tier: str) -> tuple[int, int]:
    """(PHQ-9, GAD-7) totals for a check-up of that tier (its highest tier)."""
    if tier == ScreeningTier.GREEN:
        return rng.choice([0, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8, 9]), rng.choice([0, 1, 1, 2, 3, 3, 4, 5, 6, 7, 9])
    if tier == ScreeningTier.YELLOW:
        high, other = rng.randint(10, 14), rng.randint(3, 11)
        return (high, other) if rng.random() < 0.6 else (other, high)
    high, other = rng.randint(15, 19), rng.randint(6, 14)
    return (high, other) if rng.random() < 0.6 else (other, min(high, 18))


def _at(day: date, minute_of_day: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60)))


def _checkup(users: dict) -> None:
    rng = random.Random(2026)  # noqa: S311 (demo data)
    today = timezone.localdate()
    now = timezone.now()
    opens = max(today - timedelta(days=OPENED_DAYS_AGO), date(today.year, 1, 1))
    instruments = {
        i.code: i
        for i in Instrument.objects.filter(code__in=["phq9", "gad7"]).prefetch_related(
            "items", "options", "bands", "tier_rules"
        )
    }
    campaign = campaigns.campaign_create(
        actor=users["leader"],
        name=f"{today.year}年度心理体检",
        units=list(OrgUnit.objects.get_root_nodes()),
        instruments=list(instruments.values()),
        opens_on=today,
        closes_on=today + timedelta(days=CLOSES_IN_DAYS),
    )
    # Who completed it before today (never a demo login: their pages show the invitation), by town.
    demo_logins = [u.pk for u in users.values()]
    towns: dict[str, list[Person]] = {}
    for person in (
        campaigns.people_to_invite(campaign)
        .exclude(user__in=demo_logins)
        .select_related("unit")
        .order_by("external_id")
    ):
        towns.setdefault(person.unit.path[: 2 * OrgUnit.steplen], []).append(person)
    done: list[Person] = []
    for path in sorted(towns):
        members = towns[path]
        done += rng.sample(members, round(rng.uniform(*COMPLETION) * len(members)))
    supervisor_town = OrgUnit.objects.get(code=SUPERVISOR_TOWN).path
    today_ones = rng.sample([p for p in done if not p.unit.path.startswith(supervisor_town)], ORANGE_TODAY)
    earlier = [p for p in done if p not in today_ones]
    _earlier_results(rng, campaign, earlier, instruments, opens, now)

    campaigns.campaign_invite(actor=ACTOR, campaign=campaign)  # everyone else: an invitation in their inbox
    for index, person in enumerate(today_ones):
        phq, gad = _scores(rng, ScreeningTier.ORANGE)
        user = get_user_model().objects.get(pk=person.user_id)
        results = [
            services.screening_submit(
                actor=user, instrument=code, answers=_answers(rng, instruments[code], total), consent=True
            ).screening
            for code, total in (("phq9", phq), ("gad7", gad))
        ]
        if index < RED_TODAY:
            highest = max(results, key=lambda s: s.score)
            services.screening_review(actor=users["lead"], screening=highest, tier=ScreeningTier.RED, reason=RED_REVIEW)
    # The check-up opened weeks ago (a check-up cannot be created to open in the past).
    ScreeningCampaign.objects.filter(pk=campaign.pk).update(opens_on=opens, invited_at=_at(opens, 9 * 60))
    CampaignInvitation.objects.filter(campaign=campaign, completed_at__isnull=True).update(
        created_at=_at(opens, 9 * 60)
    )


def _earlier_results(rng, campaign, people: list[Person], instruments: dict, opens: date, now: datetime) -> None:
    """The check-up's results before today, as the service scores them, each as if taken on its day."""
    span = max((now - _at(opens, 9 * 60)).total_seconds() - 3600, 3600)
    consents, invitations, screenings = [], [], []
    for person in people:
        tier = ScreeningTier.YELLOW if rng.random() < YELLOW_SHARE else ScreeningTier.GREEN
        taken_at = _at(opens, 9 * 60) + timedelta(seconds=rng.uniform(0, span))
        taken_at = min(taken_at, now - timedelta(hours=1))
        phq, gad = _scores(rng, tier)
        for offset, (code, total) in enumerate((("phq9", phq), ("gad7", gad))):
            instrument = instruments[code]
            answers = _answers(rng, instrument, total)
            result = scoring.score(instrument, answers)
            screening = Screening(
                person=person,
                instrument=instrument,
                campaign=campaign,
                answers=answers,
                score=result.score,
                band=result.band,
                tier=result.tier,
            )
            screening.created_at = screening.updated_at = taken_at + timedelta(minutes=4 * offset)
            screenings.append(screening)
        consents.append(ScreeningConsent(person=person, notice_version=services.NOTICE_VERSION, given_at=taken_at))
        invitation = CampaignInvitation(campaign=campaign, person=person, completed_at=taken_at + timedelta(minutes=4))
        invitation.created_at = invitation.updated_at = _at(opens, 9 * 60)
        invitations.append(invitation)
    ScreeningConsent.objects.bulk_create(consents)
    # bulk_create stamps created_at with now (auto_now_add): put each row's own time back.
    for model, rows in ((CampaignInvitation, invitations), (Screening, screenings)):
        stamped = [(row.created_at, row.updated_at) for row in rows]
        model.objects.bulk_create(rows)
        for row, (created, updated) in zip(rows, stamped, strict=True):
            row.created_at, row.updated_at = created, updated
        model.objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)
