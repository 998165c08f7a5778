"""After every leave test that used the database: the yearly totals the HR report reads
(``LeaveYearTotal``) agree with the ledger, whatever the services wrote. Every path that writes a
ledger line (requests, approvals, cancellations, allocations, carry-over, expiry, time off in lieu, HR
pushes, adjustments) is walked by some test here, so a path that forgets its total fails its own test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _totals_agree_with_the_ledger(request):
    if not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    yield
    from leave.services import ledger

    assert ledger.total_mismatches() == [], "the yearly totals differ from the ledger"
