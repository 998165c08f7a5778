"""Access matrix: the leading group's dashboard, its work ledger (Excel and PDF) and the figures API
(issue 13, items 5 and 6). Figures only, and only for the leading group: anyone else signed in is told
they may not (403, as on the site's other role pages); the API refuses them (403), API clients included - no
scope reads the programme's figures."""

from __future__ import annotations

from tests.conftest import API_ROLES
from tests.matrix import Entry, api, pages

LEADS = pages({}, default_user=403) | {"leading_group": 200}
LEADS_API = api({}, default_user=403) | {"leading_group": 200} | dict.fromkeys(API_ROLES, 403)

ENTRIES = {
    "programme:dashboard": Entry(LEADS),
    "programme:ledger_xlsx": Entry(LEADS),
    "programme:ledger_pdf": Entry(LEADS),
    "programme-figures": Entry(LEADS_API, api=True),
}
