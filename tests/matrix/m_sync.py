"""The access matrix for the HR sync (issue 12): the bulk upserts and the change feed are for API
clients with the scope each needs, and for nobody signed in.

The fixture's clients: "api_client" has people:read and org:read (no write scope: 403 on every sync;
the feed's people and org-unit streams: 200); "api_client_no_scope" has leave:read (the feed's leave
stream: 200; no write scope). tests/wellbeing/test_hr_*.py and tests/leave/test_hr_sync.py check what
the writers get.
"""

from __future__ import annotations

from tests.matrix import Entry, api

#: A sync is a write scope's alone: every signed-in user and both fixture clients are refused.
SYNC = api({}, default_user=403) | {"api_client": 403, "api_client_no_scope": 403}

ENTRIES = {
    "sync-org-units": Entry(SYNC, method="post", data={"records": []}, api=True),
    "sync-people": Entry(SYNC, method="post", data={"records": []}, api=True),
    "sync-leave": Entry(SYNC, method="post", data={"records": []}, api=True),
    "changes": Entry(api({}, default_user=403) | {"api_client": 200, "api_client_no_scope": 200}, api=True),
}
