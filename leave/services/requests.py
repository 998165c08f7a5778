"""Leave requests: what a request will cost, submitting it, the supervisor's decision, cancelling.

Every write for one person runs under that person's row lock (``allocation.lock_person``), and the
balance and overlaps are checked again under it, so two requests submitted or approved at the same
time can never together take more than the balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leave.calendar import Calendar
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType
from leave.services import ledger
from leave.services.allocation import annual_reconcile
from leave.services.common import check, lock_person
from wellbeing import policy
from wellbeing.actors import user_of
from wellbeing.audit import audit_record, diff
from wellbeing.models import AuditEvent, FollowUp, Notification, Person
from wellbeing.services import followup_cancel, followup_complete, followup_create

Status = LeaveRequest.Status
Kind = LeaveLedgerEntry.Kind
ZERO = Decimal(0)
#: Follow-up and inbox message keys (registered by LeaveConfig.ready()): the reference only.
APPROVAL_TITLE = "leave.approval"
DECIDED_TITLE = "leave.decided"
CARE_DRAFT_TITLE = "leave.care_draft"
#: How far from today a request may reach (a sick day recorded afterwards; leave planned ahead).
MAX_PAST_DAYS = 400
MAX_AHEAD_DAYS = 400


@dataclass(frozen=True)
class RequestInput:
    leave_type: LeaveType
    start_date: date
    end_date: date
    start_pm: bool = False
    end_am: bool = False
    note: str = ""


@dataclass(frozen=True)
class Preview:
    """What a request will cost: its days, whether the count is provisional, and the balance before
    and after (None for a type without a balance)."""

    days: Decimal
    provisional: bool
    balance: Decimal | None
    balance_after: Decimal | None
    year: int


def _balance_year(leave_type: LeaveType, data: RequestInput) -> int | None:
    return None if leave_type.category == LeaveType.Category.IN_LIEU else data.start_date.year


def available(
    person: Person,
    leave_type: LeaveType,
    year: int | None,
    *,
    excluding: LeaveRequest | None = None,
    on: date | None = None,
    count_pending: bool = True,
) -> Decimal:
    """The balance less what requests still waiting for a decision would take. With ``on``: only the
    days still good on that day (a lot past its use-by date cannot be drawn on). Without
    ``count_pending``: the ledger alone (an approval draws on what is there)."""
    if on is None:
        have = ledger.balance(person, leave_type, year)
    else:
        have = sum((left for _lot, left in ledger.open_lots(person, leave_type, year, on=on)), ZERO)
    if not count_pending:
        return have
    held = LeaveRequest.objects.filter(person=person, leave_type=leave_type, status=Status.PENDING)
    if year is not None:
        held = held.filter(start_date__year=year)
    if excluding is not None:
        held = held.exclude(pk=excluding.pk)
    pending = held.aggregate(s=Sum("days"))["s"] or ZERO
    return have - pending


def validate(
    person: Person, data: RequestInput, *, calendar: Calendar | None = None, excluding=None, deciding: bool = False
) -> Preview:
    """Every check a request must pass, with the message next to its field; returns the preview."""
    calendar = calendar or Calendar()
    errors: dict[str, list[str]] = {}
    leave_type = data.leave_type
    if not leave_type.is_active:
        errors["leave_type"] = [_("This kind of leave cannot be requested.")]
    if "\x00" in (data.note or ""):
        errors["note"] = [_("Null characters are not allowed.")]
    elif len(data.note or "") > 500:
        errors["note"] = [_("Keep the note to 500 characters.")]
    today = timezone.localdate()
    if data.end_date < data.start_date:
        errors["end_date"] = [_("The last day is before the first day.")]
    for name in ("start_date", "end_date"):
        day = getattr(data, name)
        if not today - timedelta(days=MAX_PAST_DAYS) <= day <= today + timedelta(days=MAX_AHEAD_DAYS):
            errors.setdefault(name, []).append(
                _("Give a date within about a year of today (%(from)s to %(to)s).")
                % {"from": today - timedelta(days=MAX_PAST_DAYS), "to": today + timedelta(days=MAX_AHEAD_DAYS)}
            )
    if errors:
        raise ValidationError(errors)
    if data.start_date == data.end_date and data.start_pm and data.end_am:
        raise ValidationError({"end_am": [_("A one-day request cannot start in the afternoon and end at noon.")]})
    if leave_type.in_working_days:
        for flag, day, name in ((data.start_pm, data.start_date, "start_pm"), (data.end_am, data.end_date, "end_am")):
            if flag and not calendar.is_workday(day):
                errors[name] = [_("%(day)s is not a working day: a half day cannot fall on it.") % {"day": day}]
    if leave_type.category == LeaveType.Category.ANNUAL and data.start_date.year != data.end_date.year:
        errors["end_date"] = [_("Annual leave is counted per year: make one request for each year.")]
    if errors:
        raise ValidationError(errors)
    days, provisional = calendar.count(
        data.start_date,
        data.end_date,
        working_days=leave_type.in_working_days,
        start_pm=data.start_pm,
        end_am=data.end_am,
    )
    if days <= 0:
        raise ValidationError({"end_date": [_("These dates hold no working days: there is nothing to request.")]})
    if leave_type.max_days_per_request is not None and days > leave_type.max_days_per_request:
        raise ValidationError(
            {
                "end_date": [
                    _("At most %(max)s days of this leave in one request; these dates make %(days)s.")
                    % {"max": ledger.fmt_days(leave_type.max_days_per_request), "days": ledger.fmt_days(days)}
                ]
            }
        )
    overlapping = LeaveRequest.objects.filter(
        person=person, status__in=LeaveRequest.HOLDING, start_date__lte=data.end_date, end_date__gte=data.start_date
    )
    if excluding is not None:
        overlapping = overlapping.exclude(pk=excluding.pk)
    for clash in overlapping.select_related("leave_type"):
        if _half_days_fit(clash, data):
            continue
        raise ValidationError(
            {
                "start_date": [
                    _("You already have %(type)s from %(start)s to %(end)s (%(status)s) on these dates.")
                    % {
                        "type": clash.leave_type.name,
                        "start": clash.start_date,
                        "end": clash.end_date,
                        "status": clash.get_status_display(),
                    }
                ]
            }
        )
    year = _balance_year(leave_type, data)
    balance = after = None
    if leave_type.needs_balance:
        balance = available(person, leave_type, year, excluding=excluding, count_pending=not deciding)
        after = balance - days
        usable = available(person, leave_type, year, excluding=excluding, on=data.end_date, count_pending=not deciding)
        if after >= 0 and usable < days:
            raise ValidationError(
                {
                    "end_date": [
                        _("Only %(left)s of these days are still good on %(day)s: the others expire before it.")
                        % {"left": ledger.fmt_days(max(usable, ZERO)), "day": data.end_date}
                    ]
                }
            )
        if after < 0:
            raise ValidationError(
                {
                    "end_date": [
                        _("This takes %(days)s days and %(left)s are left: the balance cannot go below zero.")
                        % {"days": ledger.fmt_days(days), "left": ledger.fmt_days(balance)}
                    ]
                }
            )
    return Preview(days, provisional, balance, after, data.start_date.year)


def _halves(start: date, end: date, start_pm: bool, end_am: bool, day: date) -> set[str]:
    """The halves of ``day`` ("am", "pm") a request from ``start`` to ``end`` takes."""
    halves = {"am", "pm"}
    if day == start and start_pm:
        halves.discard("am")
    if day == end and end_am:
        halves.discard("pm")
    return halves


def _half_days_fit(other: LeaveRequest, data: RequestInput) -> bool:
    """Two requests may share one day only when they take different halves of it (one ends at noon,
    the other starts in the afternoon); sharing more than one day never fits."""
    first, last = max(other.start_date, data.start_date), min(other.end_date, data.end_date)
    if first != last:
        return False
    theirs = _halves(other.start_date, other.end_date, other.start_pm, other.end_am, first)
    mine = _halves(data.start_date, data.end_date, data.start_pm, data.end_am, first)
    return not theirs & mine


def preview(*, person: Person, data: RequestInput) -> Preview:
    return validate(person, data)


def approver_for(person: Person):
    """Who decides: the person's manager if they hold the supervisor role, else the nearest supervisor
    of their unit."""
    holders = policy.supervisors_of(person)
    if not holders:
        return None
    manager_user = person.manager.user if person.manager_id and person.manager.user_id else None
    for user in holders:
        if manager_user is not None and user.pk == manager_user.pk:
            return user
    return holders[0]


def _approval_followup(actor, request: LeaveRequest, approver) -> FollowUp:
    due = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=settings.LEAVE_APPROVAL_DAYS), time(18, 0))
    )
    # Decide before the leave starts, if that is sooner (but not in the past).
    start = timezone.make_aware(datetime.combine(request.start_date, time(9, 0)))
    if timezone.now() < start < due:
        due = start
    return followup_create(
        actor=actor,
        owner=approver,
        title_key=APPROVAL_TITLE,
        title_params={"ref": request.reference, "name": request.person.full_name},
        due_at=due,
        kind=FollowUp.Kind.LEAVE_APPROVAL,
        subject=request,
        person=request.person,
    )


@transaction.atomic
def request_submit(
    *,
    actor,
    person: Person,
    data: RequestInput,
    origin: str = LeaveRequest.Origin.PERSON,
    draft: LeaveRequest | None = None,
) -> LeaveRequest:
    """Submit a request (or a drafted one): checked, then waiting for the approver, who gets a
    follow-up (reminded, then escalated, if it waits)."""
    check(actor, "leave.request_for", person, _("You cannot request leave for this person."))
    person = lock_person(person)
    result = validate(person, data, excluding=draft)
    approver = approver_for(person)
    if approver is None:
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "Nobody can approve this leave yet: no supervisor answers for this person (for a unit's "
                        "own head, nobody holds the supervisor role above them). Ask HR to name one."
                    )
                ]
            }
        )
    fields = {
        "leave_type": data.leave_type,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "start_pm": data.start_pm,
        "end_am": data.end_am,
        "note": (data.note or "").strip(),
        "days": result.days,
        "provisional": result.provisional,
        "status": Status.PENDING,
        "approver": approver,
        "submitted_at": timezone.now(),
    }
    if draft is not None:
        draft = LeaveRequest.objects.select_for_update().get(pk=draft.pk)
        if draft.status != Status.DRAFT or draft.person_id != person.pk:
            raise ValidationError({"__all__": [_("This request has been sent already.")]})
        request = draft
        for name, value in fields.items():
            setattr(request, name, value)
        request.save()
    else:
        request = LeaveRequest.objects.create(person=person, origin=origin, requested_by=user_of(actor), **fields)
    request.approval_followup = _approval_followup(actor, request, approver)
    request.save(update_fields=["approval_followup", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        target=request,
        subject_person=person,
        changes=diff(
            {},
            {
                "type": data.leave_type.code,
                "start": data.start_date,
                "end": data.end_date,
                "days": str(result.days),
                "status": Status.PENDING,
            },
        ),
    )
    return request


def _tell_person(request: LeaveRequest) -> None:
    user = request.person.user
    if user is None or not user.is_active:
        return
    Notification.objects.create(
        recipient=user,
        message_key=DECIDED_TITLE,
        params={"ref": request.reference, "status": request.status},
        url=reverse("leave:request", args=[request.pk]),
    )


def _locked_request(request: LeaveRequest) -> LeaveRequest:
    return (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related("person", "leave_type", "approval_followup")
        .get(pk=request.pk)
    )


def _close_followup(actor, request: LeaveRequest, outcome: str) -> None:
    f = request.approval_followup
    if f is not None and f.is_active:
        followup_complete(actor=actor, followup=f, outcome=outcome, authorized=True, by_record=True)


@transaction.atomic
def request_decide(*, actor, request: LeaveRequest, approve: bool, comment: str = "") -> LeaveRequest:
    """The supervisor approves or rejects. Approval re-checks the balance and the overlaps under the
    person's lock and writes the days taken to the ledger (types with a balance)."""
    check(actor, "leave.approve", request, _("Only the person's supervisor can decide on this request."))
    comment = (comment or "").strip()
    if "\x00" in comment:
        raise ValidationError({"comment": [_("Null characters are not allowed.")]})
    if len(comment) > 500:
        raise ValidationError({"comment": [_("Keep the comment to 500 characters.")]})
    if not approve and not comment:
        raise ValidationError({"comment": [_("Say why the request is rejected.")]})
    lock_person(request.person)
    request = _locked_request(request)
    if request.status != Status.PENDING:
        raise ValidationError(
            {
                "__all__": [
                    _("This request is %(status)s: there is nothing to decide.")
                    % {"status": request.get_status_display()}
                ]
            }
        )
    old = request.status
    if approve:
        data = RequestInput(
            request.leave_type, request.start_date, request.end_date, request.start_pm, request.end_am, request.note
        )
        result = validate(request.person, data, excluding=request, deciding=True)
        request.days, request.provisional = result.days, result.provisional
        _take(actor, request)
        request.status = Status.APPROVED
    else:
        request.status = Status.REJECTED
    request.decided_by = user_of(actor)
    request.decided_at = timezone.now()
    request.decision_comment = comment
    request.save(
        update_fields=["status", "days", "provisional", "decided_by", "decided_at", "decision_comment", "updated_at"]
    )
    _close_followup(actor, request, "approved" if approve else "rejected")
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        target=request,
        subject_person=request.person,
        changes=diff({"status": old}, {"status": request.status}),
        reason=comment,
    )
    if approve and request.leave_type.affects_annual:
        _reconcile_years(actor, request)
    transaction.on_commit(lambda: _tell_person(request))
    return request


def _take(actor, request: LeaveRequest) -> None:
    leave_type = request.leave_type
    if not leave_type.needs_balance:
        return
    in_lieu = leave_type.category == LeaveType.Category.IN_LIEU
    ledger.draw(
        actor=actor,
        person=request.person,
        leave_type=leave_type,
        year=None if in_lieu else request.start_date.year,
        days=request.days,
        kind=Kind.USED if in_lieu else Kind.TAKEN,
        effective_on=request.start_date,
        valid_on=request.end_date,
        entry_year=request.start_date.year,
        request=request,
    )


def _reconcile_years(actor, request: LeaveRequest) -> None:
    """Sick or personal leave changes the annual-leave eligibility of the years it touches (and the
    knock-on to the next one)."""
    this_year = timezone.localdate().year
    for year in range(request.start_date.year, request.end_date.year + 2):
        if year <= this_year:
            annual_reconcile(actor=actor, person=request.person, year=year)


@transaction.atomic
def request_cancel(*, actor, request: LeaveRequest, reason: str = "") -> LeaveRequest:
    """Withdraw a request still waiting (or a draft), or cancel approved leave: the days taken come
    back to the balance (a "cancelled" line for each line taken)."""
    reason = (reason or "").strip()
    if "\x00" in reason:
        raise ValidationError({"reason": [_("Null characters are not allowed.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Keep the reason to 500 characters.")]})
    check(actor, "leave.cancel", request, _("You cannot cancel this request."))
    lock_person(request.person)
    request = _locked_request(request)
    old = request.status
    if request.status in (Status.DRAFT, Status.PENDING):
        request.status = Status.WITHDRAWN
        if request.approval_followup is not None and request.approval_followup.is_active:
            followup_cancel(actor=actor, followup=request.approval_followup, reason="withdrawn", authorized=True)
    elif request.status == Status.APPROVED:
        if not reason:
            raise ValidationError({"reason": [_("Say why approved leave is cancelled.")]})
        today = timezone.localdate()
        for line in LeaveLedgerEntry.objects.filter(request=request, kind__in=[Kind.TAKEN, Kind.USED]).select_related(
            "lot"
        ):
            ledger.append(
                actor=actor,
                person=request.person,
                leave_type=line.leave_type,
                year=line.year,
                kind=Kind.CANCELLED,
                days=-line.days,
                effective_on=today,
                lot=line.lot,
                request=request,
            )
            lot = line.lot
            if (
                lot is not None
                and lot.expires_on is not None
                and lot.expires_on < today
                and LeaveLedgerEntry.objects.filter(lot=lot, kind=Kind.EXPIRED).exists()
            ):
                # Back after the lot's use-by date, when it has expired already: these days cannot be
                # used either (the lot's one "expired" line is written; an adjustment says why).
                ledger.append(
                    actor=actor,
                    person=request.person,
                    leave_type=line.leave_type,
                    year=line.year,
                    kind=Kind.ADJUSTED,
                    days=line.days,
                    effective_on=today,
                    lot=lot,
                    request=request,
                    basis="use_by",
                )
        request.status = Status.CANCELLED
    else:
        raise ValidationError(
            {
                "__all__": [
                    _("This request is %(status)s: it cannot be cancelled.") % {"status": request.get_status_display()}
                ]
            }
        )
    request.cancelled_at = timezone.now()
    request.cancel_reason = reason
    request.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    if old != Status.DRAFT:
        # A draft never sent is the person's own scratch (a counsellor's recommendation starts as one):
        # like its drafting, its withdrawal leaves no row that would tell it apart.
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            target=request,
            subject_person=request.person,
            changes=diff({"status": old}, {"status": request.status}),
            reason=reason,
        )
    if old == Status.APPROVED and request.leave_type.affects_annual:
        _reconcile_years(actor, request)
    return request


@transaction.atomic
def care_draft(*, actor, person: Person, start_date: date, end_date: date) -> LeaveRequest:
    """A counsellor recommended time off (cases: the "time off recommended" intervention): a draft
    annual-leave request for the person, which they adjust and send like any other (the supervisor
    sees an ordinary request, never why). Marked so that approved care leave can be counted (k >= 5)."""
    if end_date < start_date:
        raise ValidationError({"leave_until": [_("The last day is before the first day.")]})
    if person.status == Person.Status.LEFT:
        raise ValidationError({"leave_from": [_("This person has left: no leave can be drafted for them.")]})
    annual = LeaveType.objects.get(category=LeaveType.Category.ANNUAL)
    calendar = Calendar()
    days, provisional = calendar.count(start_date, end_date)
    if days <= 0:
        raise ValidationError({"leave_until": [_("These dates hold no working days: there is nothing to request.")]})
    request = LeaveRequest.objects.create(
        person=person,
        leave_type=annual,
        start_date=start_date,
        end_date=end_date,
        days=days,
        provisional=provisional,
        status=Status.DRAFT,
        origin=LeaveRequest.Origin.PERSON,
        care=True,
        requested_by=None,
    )
    # No audit row of its own: the intervention that drafted it is audited in the case, and a row
    # here would tell administrators which requests began as care. The person's sending it writes the
    # request's first row, as for any request.
    if person.user_id and person.user.is_active:
        transaction.on_commit(
            lambda: Notification.objects.create(
                recipient=person.user,
                message_key=CARE_DRAFT_TITLE,
                params={"ref": request.reference},
                url=reverse("leave:request", args=[request.pk]),
            )
        )
    return request


def approved_on(user_ids: list[int], day: date) -> set[int]:
    """Of ``user_ids``, those on approved leave on ``day`` (the reminder pipeline's availability)."""
    return set(
        LeaveRequest.objects.filter(
            Q(person__user_id__in=user_ids), status=Status.APPROVED, start_date__lte=day, end_date__gte=day
        ).values_list("person__user_id", flat=True)
    )
