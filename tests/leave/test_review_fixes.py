"""Findings of the attacker-side review of the leave app (issue 11), each pinned."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import Sum

from cases import services as case_services
from leave import selectors, services, tasks
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType, OvertimeRecord
from tests.conftest import client_for
from wellbeing.actors import command_actor
from wellbeing.models import AuditEvent
from wellbeing.services import person_leave, referral_create

pytestmark = pytest.mark.django_db
SYSTEM = command_actor("test")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        yield


def _type(code):
    return LeaveType.objects.get(code=code)


def _ready(org):
    staff = org.people["staff"]
    staff.work_start_date = date(2012, 1, 1)
    staff.save(update_fields=["work_start_date"])
    services.annual_reconcile(actor=SYSTEM, person=staff, year=2026)
    return staff


def _submit(org, code, start, end, **kw):
    return services.request_submit(
        actor=org.users["staff"], person=org.people["staff"], data=services.RequestInput(_type(code), start, end, **kw)
    )


def _care_draft(org):
    referral = referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure"
    )
    case = case_services.case_open(
        actor=org.users["lead_counsellor"], referral=referral, counsellor=org.users["counsellor"]
    )
    intervention = case_services.intervention_add(
        actor=org.users["counsellor"],
        case=case,
        data=case_services.InterventionInput(kind="time_off", occurred_on=date(2026, 3, 2)),
    )
    return intervention.leave_request


def test_a_withdrawn_care_draft_stays_the_persons_own(org):
    _ready(org)
    draft = _care_draft(org)
    services.request_cancel(actor=org.users["staff"], request=draft, reason="")
    for who in ("supervisor", "hr_officer", "administrator", "counsellor"):
        assert not selectors.requests_visible_to(org.users[who]).filter(pk=draft.pk).exists(), who
        assert client_for(org, who).get(f"/leave/requests/{draft.pk}/").status_code == 404, who
    assert selectors.requests_visible_to(org.users["staff"]).filter(pk=draft.pk).exists()
    # Neither its drafting nor its withdrawal left an audit row that would tell it apart.
    assert not AuditEvent.objects.filter(target_type__model="leaverequest", target_id=str(draft.pk)).exists()


def test_the_note_is_shown_only_to_the_person_their_supervisor_and_hr(org):
    _ready(org)
    request = _submit(org, "sick", date(2026, 3, 4), date(2026, 3, 4), note="肿瘤医院复查")
    referral = referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure"
    )
    case_services.case_open(actor=org.users["lead_counsellor"], referral=referral, counsellor=org.users["counsellor"])
    for who, shown in (
        ("staff", True),
        ("supervisor", True),
        ("hr_officer", True),
        ("administrator", False),
        ("counsellor", False),
    ):
        page = client_for(org, who).get(f"/leave/requests/{request.pk}/")
        assert page.status_code == 200, who
        assert ("肿瘤医院复查" in page.content.decode()) is shown, who


def test_a_request_may_share_only_the_other_half_of_a_day(org):
    _ready(org)
    _submit(org, "annual", date(2026, 3, 9), date(2026, 3, 11), end_am=True)  # Mon to Wed noon
    _submit(org, "annual", date(2026, 3, 11), date(2026, 3, 13), start_pm=True)  # Wed afternoon to Fri
    with pytest.raises(ValidationError) as exc:  # Tue to Wed noon overlaps the first on Tuesday
        _submit(org, "annual", date(2026, 3, 10), date(2026, 3, 11), end_am=True)
    assert "start_date" in exc.value.message_dict
    assert LeaveRequest.objects.filter(person=org.people["staff"]).count() == 2


def test_an_afternoon_then_a_morning_fit_on_the_same_day(org):
    _ready(org)
    _submit(org, "annual", date(2026, 3, 11), date(2026, 3, 11), start_pm=True)
    fits = _submit(org, "annual", date(2026, 3, 10), date(2026, 3, 11), end_am=True)
    assert fits.days == Decimal("1.5")


def test_the_year_end_keeps_days_of_leave_still_waiting_and_december_allocates_january(org):
    staff = _ready(org)
    with time_machine.travel("2026-12-21 10:00 +0800", tick=False):
        request = _submit(org, "annual", date(2026, 12, 28), date(2026, 12, 31))
        tasks.allocate_year.run()
        january = LeaveLedgerEntry.objects.filter(person=staff, year=2027, kind="allocation").aggregate(s=Sum("days"))
        assert january["s"] == 10  # January leave can be requested in December
    expired = LeaveLedgerEntry.objects.filter(person=staff, year=2026, kind="expired")
    with time_machine.travel("2027-01-01 01:00 +0800", tick=False):
        services.expire_lots(actor=SYSTEM)  # everyone else's untaken 2026 days expire
        assert not expired.exists()
    with time_machine.travel("2027-01-04 10:00 +0800", tick=False):
        services.request_decide(actor=org.users["supervisor"], request=request, approve=True)
        assert services.expire_lots(actor=SYSTEM) == 1
        assert expired.get().days == -6
    assert selectors.balances_for(staff, 2026)[0].balance == 0
    assert selectors.balances_for(staff, 2026)[0].taken == 4


def test_approved_leave_after_the_last_day_is_cancelled_when_the_person_leaves(org, django_capture_on_commit_callbacks):
    staff = _ready(org)
    later = _submit(org, "annual", date(2026, 6, 1), date(2026, 6, 5))
    services.request_decide(actor=org.users["supervisor"], request=later, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        person_leave(actor=SYSTEM, person=staff, left_on=date(2026, 3, 31))
    later.refresh_from_db()
    assert later.status == LeaveRequest.Status.CANCELLED
    assert services.approved_on([org.users["staff"].pk], date(2026, 6, 2)) == set()


def test_a_care_draft_needs_working_days_and_a_person_still_here(org):
    _ready(org)
    with pytest.raises(ValidationError) as exc:
        services.care_draft(
            actor=SYSTEM, person=org.people["staff"], start_date=date(2026, 3, 7), end_date=date(2026, 3, 8)
        )
    assert "leave_until" in exc.value.message_dict
    gone = person_leave(actor=SYSTEM, person=org.people["staff"], left_on=date(2026, 3, 2))
    with pytest.raises(ValidationError) as exc:
        services.care_draft(actor=SYSTEM, person=gone, start_date=date(2026, 3, 9), end_date=date(2026, 3, 9))
    assert "leave_from" in exc.value.message_dict
    assert not LeaveRequest.objects.exists()


@pytest.mark.parametrize(
    ("day", "kind", "ok"),
    [
        (date(2026, 1, 10), "weekend", True),  # a Saturday
        (date(2026, 2, 28), "weekend", False),  # a Saturday worked instead of a holiday (调休上班)
        (date(2026, 2, 24), "weekend", False),  # a Tuesday
        (date(2026, 2, 17), "holiday", True),  # Spring Festival
        (date(2026, 1, 10), "holiday", False),  # a Saturday, no holiday
        (date(2026, 2, 17), "weekend", False),  # a holiday is recorded as one
        (date(2026, 2, 14), "weekend", False),  # a make-up workday
        (date(2026, 2, 24), "night", True),
    ],
)
def test_rest_day_work_matches_the_calendar(org, day, kind, ok):
    _ready(org)
    data = services.OvertimeInput(day, kind, Decimal(4), "值班")
    if ok:
        services.overtime_record(actor=org.users["staff"], person=org.people["staff"], data=data)
    else:
        with pytest.raises(ValidationError) as exc:
            services.overtime_record(actor=org.users["staff"], person=org.people["staff"], data=data)
        assert "kind" in exc.value.message_dict
        assert not OvertimeRecord.objects.exists()


def test_a_day_holds_at_most_24_hours_of_work(org):
    _ready(org)
    staff, user = org.people["staff"], org.users["staff"]
    services.overtime_record(
        actor=user, person=staff, data=services.OvertimeInput(date(2026, 1, 10), "weekend", Decimal(20), "防汛")
    )
    with pytest.raises(ValidationError) as exc:
        services.overtime_record(
            actor=user, person=staff, data=services.OvertimeInput(date(2026, 1, 10), "night", Decimal(8), "防汛")
        )
    assert "hours" in exc.value.message_dict
    assert OvertimeRecord.objects.count() == 1
