"""Leave as care (issue 11, item 9): a counsellor's "time off recommended" becomes a leave request
drafted for the person, an ordinary request to them and their supervisor; approved care leave is only
ever counted (k >= 5)."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases import services
from leave import selectors as leave_selectors
from leave import services as leave_services
from leave.models import LeaveRequest
from tests.conftest import client_for
from wellbeing.models import AuditEvent
from wellbeing.services import referral_create


def _case(org):
    referral = referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure"
    )
    return services.case_open(actor=org.users["lead_counsellor"], referral=referral, counsellor=org.users["counsellor"])


@pytest.mark.django_db
@time_machine.travel("2026-03-02 10:00 +0800", tick=False)
def test_time_off_recommended_drafts_an_ordinary_request_for_the_person(org):
    staff = org.people["staff"]
    staff.work_start_date = date(2012, 1, 1)
    staff.save(update_fields=["work_start_date"])
    case = _case(org)
    intervention = services.intervention_add(
        actor=org.users["counsellor"],
        case=case,
        data=services.InterventionInput(kind="time_off", occurred_on=date(2026, 3, 2), details="睡眠差，建议休息"),
    )
    request = intervention.leave_request
    assert request.status == LeaveRequest.Status.DRAFT and request.care
    assert request.person == staff and request.leave_type.code == "annual"
    # The next five working days (Tue 3 March to Mon 9 March).
    assert (request.start_date, request.end_date, request.days) == (date(2026, 3, 3), date(2026, 3, 9), 5)
    # No audit row of its own (the intervention is audited in the case): nothing tells it apart.
    assert not AuditEvent.objects.filter(target_type__model="leaverequest", target_id=str(request.pk)).exists()

    # The person sends it like their own; the supervisor approves an ordinary request.
    leave_services.annual_reconcile(actor=org.users["hr_officer"], person=staff, year=2026)
    sent = leave_services.request_submit(
        actor=org.users["staff"],
        person=staff,
        data=leave_services.RequestInput(request.leave_type, request.start_date, request.end_date),
        draft=request,
    )
    assert sent.pk == request.pk and sent.status == LeaveRequest.Status.PENDING
    leave_services.request_decide(actor=org.users["supervisor"], request=sent, approve=True)
    for who in ("staff", "supervisor"):
        page = client_for(org, who).get(f"/leave/requests/{request.pk}/")
        if page.status_code == 200:  # the pages exist
            text = page.content.decode()
            assert "睡眠" not in text and "counsell" not in text.lower() and "咨询" not in text
            assert str(LeaveRequest.Origin.CARE.label) not in text

    # Counted only from five people up.
    assert leave_selectors.care_leave_figures(2026) == {"people": None, "days": None}


@pytest.mark.django_db
@time_machine.travel("2026-03-02 10:00 +0800", tick=False)
def test_leave_days_are_for_time_off_only_and_checked(org):
    case = _case(org)
    with pytest.raises(ValidationError) as exc:
        services.intervention_add(
            actor=org.users["counsellor"],
            case=case,
            data=services.InterventionInput(
                kind="counselling", occurred_on=date(2026, 3, 2), leave_from=date(2026, 3, 5)
            ),
        )
    assert "leave_from" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.intervention_add(
            actor=org.users["counsellor"],
            case=case,
            data=services.InterventionInput(
                kind="time_off",
                occurred_on=date(2026, 3, 2),
                leave_from=date(2026, 3, 10),
                leave_until=date(2026, 3, 9),
            ),
        )
    assert "leave_until" in exc.value.message_dict
    assert not LeaveRequest.objects.exists()
    assert not case.interventions.exists()
