"""Reads with rules for screening (the counselling team's pages): a person's results over time per
questionnaire, one result and its answers, and who is on call.

Every read of a person's results by the counselling team is in the audit trail (issue 9; access.md
"screening result"): the trajectory records that scores, bands and tiers were shown, the answers
(and a review's reason) are shown only through ``screening_answers_for_user``, which records that too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from wellbeing import policy
from wellbeing.audit import audit_sensitive_read
from wellbeing.models import Instrument, InstrumentItem, OnCallShift, Person, ScoreBand, Screening, ScreeningTier
from wellbeing.services import oncall
from wellbeing.services.referrals import intake_owner

#: Days of the rota shown ahead and behind on the rota page.
ROTA_AHEAD_DAYS = 60
ROTA_BEHIND_DAYS = 14


def user_name(user) -> str:
    """A user's name as staff know it (their staff record's), else the login name."""
    if user is None:
        return ""
    person = getattr(user, "person", None)  # None when the login has no staff record
    if person is not None:
        return person.full_name
    return user.get_full_name() or user.get_username()


# --- A person's results over time -----------------------------------------------------------------


@dataclass(frozen=True)
class BandEdge:
    """A severity band as drawn on the chart: its stated range and the edges it is drawn between
    (midway to the next band, so a score on a boundary sits clearly inside its band)."""

    band: ScoreBand
    drawn_from: float
    drawn_to: float
    #: The tier the band's scores call for (the highest tier rule matching a score in it).
    tier: ScreeningTier


@dataclass(frozen=True)
class Trajectory:
    """One questionnaire's results for one person, oldest first."""

    instrument: Instrument
    low: int
    high: int
    bands: tuple[BandEdge, ...]
    screenings: tuple[Screening, ...]


def _band_edges(instrument: Instrument, low: int, high: int) -> tuple[BandEdge, ...]:
    bands = sorted(instrument.bands.all(), key=lambda b: b.min_score)
    rules = list(instrument.tier_rules.all())
    edges = []
    for n, band in enumerate(bands):
        start = low if n == 0 else (bands[n - 1].max_score + band.min_score) / 2
        end = high if n == len(bands) - 1 else (band.max_score + bands[n + 1].min_score) / 2
        tiers = [r.tier for r in rules for s in range(band.min_score, band.max_score + 1) if r.matches(s)]
        edges.append(BandEdge(band=band, drawn_from=start, drawn_to=end, tier=ScreeningTier.highest(tiers)))
    return tuple(edges)


def trajectory_for_user(*, user, person: Person) -> list[Trajectory]:
    """``person``'s results per questionnaire (in the questionnaires' order), each oldest first:
    scores, bands and tiers, never the answers. For the counselling team (rule
    ``screening.trajectory``); anyone else is told the person is not there (Http404). The read is
    recorded in the audit trail (one entry per call)."""
    if not policy.can(user, "screening.trajectory", person):
        raise Http404
    screenings = list(
        policy.screenings_visible_to(user)
        .filter(person=person)
        .select_related("band", "reviewed_by__person")
        .order_by("created_at", "id")
    )
    instruments = (
        Instrument.objects.filter(pk__in={s.instrument_id for s in screenings})
        .prefetch_related("items", "options", "bands", "tier_rules")
        .order_by("position", "code")
    )
    trajectories = []
    for instrument in instruments:
        low, high = instrument.score_range()
        mine = []
        for s in screenings:
            if s.instrument_id == instrument.pk:
                s.instrument = instrument  # the prefetched one: no query per row
                mine.append(s)
        trajectories.append(
            Trajectory(
                instrument=instrument,
                low=low,
                high=high,
                bands=_band_edges(instrument, low, high),
                screenings=tuple(mine),
            )
        )
    audit_sensitive_read(actor=user, target=person, fields=["score", "band", "tier"], subject_person=person)
    return trajectories


# --- One result -----------------------------------------------------------------------------------


def may_counsel(user, screening: Screening) -> bool:
    """Whether ``user`` reads ``screening`` as the counselling team: the lead counsellor, or a
    counsellor with the person on their caseload (never their own result: that is the person's own
    result page)."""
    return policy.can(user, "screening.review", screening) or policy.can(user, "screening.trajectory", screening.person)


def screening_get_for_user(*, user, screening_id) -> Screening:
    """One result for the counselling team (visible by ``policy.screenings_visible_to`` and
    counselled by the user), or Http404: a result the user may not see looks like a missing one."""
    try:
        pk = int(screening_id)
    except (TypeError, ValueError):
        raise Http404 from None
    items = Prefetch("instrument__items", queryset=InstrumentItem.objects.order_by("position"))
    screening = (
        policy.screenings_visible_to(user)
        .select_related("person__unit", "instrument", "band", "campaign", "referral", "reviewed_by__person")
        .prefetch_related(items, "instrument__options", "instrument__bands")
        .filter(pk=pk)
        .first()
    )
    if screening is None or not may_counsel(user, screening):
        raise Http404
    return screening


@dataclass(frozen=True)
class AnswerRow:
    item: InstrumentItem
    value: int
    label: str
    #: What the answer counts towards the total (a reversed item counts from the other end).
    counted: int
    critical: bool


@dataclass(frozen=True)
class ScreeningAnswers:
    rows: tuple[AnswerRow, ...]
    review_reason: str
    #: Whether one answer per item was read back (False: the stored answers do not fit the items).
    complete: bool

    @property
    def critical(self) -> tuple[AnswerRow, ...]:
        return tuple(r for r in self.rows if r.critical)


def screening_answers_for_user(*, user, screening: Screening) -> ScreeningAnswers:
    """The answers given (decrypted) item by item, and the review's reason if there is one. Each call
    is recorded in the audit trail (fields named, never their content). The counselling team only
    (PermissionDenied otherwise: callers fetch with ``screening_get_for_user`` first)."""
    if not may_counsel(user, screening):
        raise PermissionDenied
    instrument = screening.instrument
    items = sorted(instrument.items.all(), key=lambda i: i.position)
    options = {o.value: o for o in instrument.options.all()}
    values = sorted(options)
    low, high = (values[0], values[-1]) if values else (0, 0)
    answers = screening.answers if isinstance(screening.answers, list) else []
    rows = []
    for item, value in zip(items, answers, strict=False):
        option = options.get(value)
        rows.append(
            AnswerRow(
                item=item,
                value=value,
                label=option.label if option is not None else str(value),
                counted=(low + high - value) if item.reversed else value,
                critical=item.critical_from is not None and value >= item.critical_from,
            )
        )
    reason = screening.review_reason or ""
    fields = ["answers", "review_reason"] if reason else ["answers"]
    audit_sensitive_read(actor=user, target=screening, fields=fields, subject_person=screening.person)
    return ScreeningAnswers(rows=tuple(rows), review_reason=reason, complete=len(answers) == len(items) > 0)


# --- Who is on call -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnCallToday:
    #: Today's shift (its counsellor receives red items), or None.
    shift: OnCallShift | None
    #: With nobody on call, the lead counsellor who receives red items (None: none is set up).
    fallback: object | None

    @property
    def counsellor(self):
        return self.shift.counsellor if self.shift is not None else None

    def is_on_call(self, user) -> bool:
        return self.shift is not None and self.shift.counsellor_id == getattr(user, "pk", None)


def oncall_today(*, user) -> OnCallToday:
    """Who receives red items today (rule ``oncall.view``; PermissionDenied otherwise)."""
    if not policy.can(user, "oncall.view"):
        raise PermissionDenied
    shift = oncall.shift_on(timezone.localdate())
    fallback = None
    if shift is None:
        try:
            fallback = intake_owner()
        except ValidationError:
            fallback = None
    return OnCallToday(shift=shift, fallback=fallback)


@dataclass(frozen=True)
class Rota:
    today: date
    on_call: OnCallToday
    #: Shifts that have not ended (today's included), starting within ROTA_AHEAD_DAYS.
    upcoming: tuple[OnCallShift, ...]
    #: Shifts that ended within the last ROTA_BEHIND_DAYS, latest first.
    recent: tuple[OnCallShift, ...]


def oncall_rota_for_user(*, user) -> Rota:
    """The rota around today (rule ``oncall.view``; PermissionDenied otherwise)."""
    on_call = oncall_today(user=user)
    today = timezone.localdate()
    shifts = OnCallShift.objects.select_related("counsellor__person")
    upcoming = shifts.filter(ends_on__gte=today, starts_on__lte=today + timedelta(days=ROTA_AHEAD_DAYS)).order_by(
        "starts_on", "id"
    )
    recent = shifts.filter(ends_on__lt=today, ends_on__gte=today - timedelta(days=ROTA_BEHIND_DAYS)).order_by(
        "-starts_on", "-id"
    )
    return Rota(today=today, on_call=on_call, upcoming=tuple(upcoming), recent=tuple(recent))


def oncall_shift_get_for_user(*, user, shift_id) -> OnCallShift:
    """A shift for the lead counsellor to change (PermissionDenied for anyone else; Http404 when
    there is no such shift)."""
    if not policy.can(user, "oncall.manage"):
        raise PermissionDenied
    try:
        return OnCallShift.objects.select_related("counsellor__person").get(pk=int(shift_id))
    except (OnCallShift.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
