"""Access matrix: the HR leave report and its export (issue 11, items 7 and 8). HR officers only, for
their units (design/access.md, "leave balances and requests: HR officer - their units"); everyone else
signed in gets 403 as on the other role pages, the administrator included (administration is not HR);
the leading group's leave figures are aggregates on its own pages. An unknown export format is a 404
(tests/leave/test_report.py)."""

from __future__ import annotations

from tests.matrix import Entry, pages

HR_ONLY = pages({}, default_user=403) | {"hr_officer": 200}

ENTRIES = {
    "leave:report": Entry(HR_ONLY),
    "leave:report-export": Entry(HR_ONLY, kwargs=lambda org: {"fmt": "csv"}),
}
