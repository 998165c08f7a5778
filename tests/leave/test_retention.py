"""The leave app's record kind for retention (docs/data-lifecycle.md): a request's note and comments
are cleared two years after the leave ended; the request, its days and the ledger stay (personnel
and pay records, and the balances are computed from them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from leave import services
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType
from wellbeing import retention
from wellbeing.actors import SystemActor

RUNNER = SystemActor("test:retention")


def _run(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return {r.kind.key: r for r in retention.run(actor=RUNNER, only=["leave.notes"])}["leave.notes"].count


def test_the_note_goes_the_day_after_the_period_and_the_leave_stays(org):
    sick = LeaveType.objects.get(code="sick")
    last_day = date(2021, 3, 12)
    with time_machine.travel(datetime(2021, 3, 1, 10, 0, tzinfo=UTC), tick=False):
        request = services.request_submit(
            actor=org.users["staff"],
            person=org.people["staff"],
            data=services.RequestInput(sick, date(2021, 3, 10), last_day, note="住院做手术"),
        )
        request = services.request_decide(
            actor=org.users["supervisor"], request=request, approve=True, comment="好好休息"
        )
    ledger = list(LeaveLedgerEntry.objects.filter(person=org.people["staff"]).values_list("pk", "days"))
    days = retention.kind("leave.notes").days()
    end = datetime.combine(last_day + timedelta(days=days), datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)

    assert _run(end) == 0
    assert LeaveRequest.objects.get(pk=request.pk).note == "住院做手术"
    assert _run(end + timedelta(days=1)) == 1
    request = LeaveRequest.objects.get(pk=request.pk)
    assert (request.note, request.decision_comment) == ("", "")
    assert (request.status, request.days, request.start_date) == (LeaveRequest.Status.APPROVED, 3, date(2021, 3, 10))
    assert list(LeaveLedgerEntry.objects.filter(person=org.people["staff"]).values_list("pk", "days")) == ledger
    assert _run(end + timedelta(days=2)) == 0
