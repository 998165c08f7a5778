"""Reads of the activity pages, scoped by the programme's rules (``programme.rules``): what is on for
the signed-in person, what they attended, what they manage, one activity with its places and
waiting list, its materials, and the anonymous feedback summary (only over at least k answers).

Lists run in a fixed number of queries whatever the number of activities (the pages' tests pin it).
An activity or a material the reader may not see raises Http404, exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from programme.models import Activity, ActivityMaterial, Feedback, FeedbackReceipt, PlanTask, Registration
from programme.rules import activities_visible_to, activity_open_to
from wellbeing import policy
from wellbeing.models import Person
from wellbeing.validation import database_id

REGISTERED = Registration.Status.REGISTERED
WAITLISTED = Registration.Status.WAITLISTED
#: How far back "activities you attended" and the managers' list look.
PAST_DAYS = 365
#: Rows in the managers' list before "older ones are not shown".
MANAGED_LIMIT = 200


def _with_places(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.annotate(
        registered_count=Count("registrations", filter=Q(registrations__status=REGISTERED), distinct=True),
        waiting_count=Count("registrations", filter=Q(registrations__status=WAITLISTED), distinct=True),
    )


def places_left(activity: Activity) -> int | None:
    """Free places (None: no limit). Needs ``registered_count`` (annotated here)."""
    if activity.capacity is None:
        return None
    return max(activity.capacity - activity.registered_count, 0)


def me(user) -> Person | None:
    """The signed-in person's staff record (None for a login without one)."""
    return policy.access_for(user).person


@dataclass
class Card:
    """One activity as the signed-in person sees it in the list."""

    activity: Activity
    places_left: int | None
    registration: Registration | None = None
    position: int | None = None  # on the waiting list
    can_register: bool = False

    @property
    def status(self) -> str:
        """ "registered", "waitlisted", "full", "open" or "closed" (begun or cancelled)."""
        r = self.registration
        if r is not None and r.status in (REGISTERED, WAITLISTED):
            return r.status
        if not self.can_register:
            return "closed"
        return "full" if self.places_left == 0 else "open"


@dataclass
class ActivityOverview:
    upcoming: list[Card] = field(default_factory=list)
    attended: list[tuple[Registration, bool]] = field(default_factory=list)  # (registration, feedback given)
    managed: list[Activity] = field(default_factory=list)
    managed_more: bool = False
    can_create: bool = False


def _waiting_positions(registrations: list[Registration]) -> dict[int, int]:
    """{registration id: position on its activity's waiting list} for the waitlisted ones (one query)."""
    waiting = [r for r in registrations if r.status == WAITLISTED]
    if not waiting:
        return {}
    queue: dict[int, list[int]] = {}
    for pk, activity_id in (
        Registration.objects.filter(activity_id__in={r.activity_id for r in waiting}, status=WAITLISTED)
        .order_by("created_at", "id")
        .values_list("pk", "activity_id")
    ):
        queue.setdefault(activity_id, []).append(pk)
    return {r.pk: queue.get(r.activity_id, []).index(r.pk) + 1 for r in waiting if r.pk in queue.get(r.activity_id, [])}


def waiting_position(registration: Registration | None) -> int | None:
    if registration is None or registration.status != WAITLISTED:
        return None
    return _waiting_positions([registration]).get(registration.pk)


def activity_overview_for_user(*, user) -> ActivityOverview:
    """The list page: upcoming activities open to the person (with their registration), the past ones
    they attended (feedback given or not), and the ones they manage (all, for the leading group)."""
    now = timezone.now()
    person = me(user)
    overview = ActivityOverview(can_create=policy.can(user, "programme.activity.create"))
    visible = activities_visible_to(user)

    if person is not None:
        upcoming = list(
            _with_places(visible.filter(status=Activity.Status.PUBLISHED, ends_at__gt=now))
            .prefetch_related("units")
            .order_by("starts_at", "id")
        )
        upcoming = [a for a in upcoming if activity_open_to(a, person)]
        mine = {
            r.activity_id: r
            for r in Registration.objects.filter(person=person, activity__in=[a.pk for a in upcoming]).exclude(
                status=Registration.Status.CANCELLED
            )
        }
        positions = _waiting_positions(list(mine.values()))
        for a in upcoming:
            r = mine.get(a.pk)
            overview.upcoming.append(
                Card(
                    activity=a,
                    places_left=places_left(a),
                    registration=r,
                    position=positions.get(r.pk) if r else None,
                    can_register=policy.can(user, "programme.activity.register", a),
                )
            )
        attended = list(
            Registration.objects.filter(
                person=person,
                status=REGISTERED,
                activity__status=Activity.Status.PUBLISHED,
                activity__starts_at__lte=now,
                activity__starts_at__gte=now - timedelta(days=PAST_DAYS),
            )
            .exclude(attended=False)
            .select_related("activity")
            .order_by("-activity__starts_at", "-id")
        )
        given = set(
            FeedbackReceipt.objects.filter(person=person, activity__in=[r.activity_id for r in attended]).values_list(
                "activity_id", flat=True
            )
        )
        overview.attended = [(r, r.activity_id in given) for r in attended]

    managed = visible if overview.can_create else visible.filter(organiser_id=getattr(user, "pk", None))
    managed = list(
        _with_places(managed.filter(starts_at__gte=now - timedelta(days=PAST_DAYS))).order_by("-starts_at", "-id")[
            : MANAGED_LIMIT + 1
        ]
    )
    overview.managed_more = len(managed) > MANAGED_LIMIT
    overview.managed = managed[:MANAGED_LIMIT]
    return overview


def activity_get_for_user(*, user, pk) -> Activity:
    """One activity the user may see, with its places counted, audience and organiser joined."""
    pk = database_id(pk)
    activity = (
        _with_places(activities_visible_to(user).filter(pk=pk))
        .select_related("organiser__person", "task")
        .prefetch_related("units")
        .first()
        if pk
        else None
    )
    if activity is None or not policy.can(user, "programme.activity.view", activity):
        raise Http404
    return activity


def activity_get_for_manager(*, user, pk) -> Activity:
    """One activity the user manages (its organiser, the leading group); 404 for anyone else."""
    activity = activity_get_for_user(user=user, pk=pk)
    if not policy.can(user, "programme.activity.manage", activity):
        raise Http404
    return activity


def my_registration(*, user, activity: Activity) -> Registration | None:
    """The signed-in person's registration for ``activity`` (a cancelled one included), or None."""
    person = me(user)
    if person is None:
        return None
    registration = Registration.objects.filter(activity=activity, person=person).first()
    if registration is not None:
        registration.activity = activity
    return registration


def feedback_given(*, activity: Activity, person: Person | None) -> bool:
    return person is not None and FeedbackReceipt.objects.filter(activity=activity, person=person).exists()


def registrations_for_manager(*, activity: Activity) -> dict[str, list[Registration]]:
    """The registration list for the organiser: registered people, then the waiting list in turn
    (names and units; cancelled places are left out)."""
    rows = list(
        Registration.objects.filter(activity=activity, status__in=[REGISTERED, WAITLISTED])
        .select_related("person__unit")
        .order_by("created_at", "id")
    )
    return {
        "registered": [r for r in rows if r.status == REGISTERED],
        "waiting": [r for r in rows if r.status == WAITLISTED],
    }


def registered_for_attendance(*, activity: Activity) -> list[Registration]:
    return list(
        Registration.objects.filter(activity=activity, status=REGISTERED)
        .select_related("person__unit")
        .order_by("person__full_name", "id")
    )


def materials_of(*, activity: Activity) -> list[ActivityMaterial]:
    return list(activity.materials.defer("content").order_by("created_at", "id"))


def material_get_for_user(*, user, activity_pk, material_pk) -> ActivityMaterial:
    """A material of an activity the user may see (404 otherwise), with its content."""
    activity = activity_get_for_user(user=user, pk=activity_pk)
    material = ActivityMaterial.objects.filter(activity=activity, pk=database_id(material_pk) or 0).first()
    if material is None:
        raise Http404
    return material


@dataclass
class FeedbackSummary:
    shown: bool
    minimum: int
    count: int = 0
    average: float | None = None
    comments: list[str] = field(default_factory=list)


def feedback_summary(*, activity: Activity) -> FeedbackSummary:
    """The anonymous feedback over an activity, or nothing but the threshold when fewer than
    ``STATS_MIN_GROUP_SIZE`` people answered (not even how many did). Comments come in the order of
    their random keys, which says nothing about who wrote them or when."""
    k = settings.STATS_MIN_GROUP_SIZE
    totals = Feedback.objects.filter(activity=activity).aggregate(count=Count("id"), average=Avg("rating"))
    if totals["count"] < k:
        return FeedbackSummary(shown=False, minimum=k)
    comments = list(
        Feedback.objects.filter(activity=activity).exclude(comment="").order_by("id").values_list("comment", flat=True)
    )
    return FeedbackSummary(
        shown=True, minimum=k, count=totals["count"], average=round(totals["average"], 1), comments=comments
    )


def plan_tasks_for_activities() -> QuerySet[PlanTask]:
    """The plan tasks an activity may belong to (the leading group picks one), newest plan first."""
    return PlanTask.objects.select_related("plan").order_by("-plan__year", "due_on", "id")
