"""Fuzz the whole API from its own OpenAPI schema with schemathesis, in-process against the WSGI app.

Everything is derived from the schema ``/api/schema/`` serves (drf-spectacular): every operation in
it becomes a test here, so an endpoint added later is fuzzed without touching this file. Each
operation is fuzzed as every kind of caller that uses the API - an HR system whose token holds every
scope, and a signed-in staff member, supervisor, counsellor, lead counsellor and HR officer (with a
verified second factor where it is required). schemathesis runs its examples, coverage and fuzzing
phases, valid and invalid input, with a fixed seed, and checks that

- no response is a server error (5xx), and
- every response conforms to the schema: a documented status code, the documented content type and
  headers, and a body matching the documented schema (the error shape included).

Data: the ``org`` fixture's organisation (tests/conftest.py), plus the staff member the schema's
examples name (``HR-000123``, in the supervisor's unit, with a year's annual leave and a request waiting),
on a fixed clock: the documented examples are real requests that succeed (logging the example talk,
requesting the example leave, for two). Path parameters are drawn from the
generated values *and* from the ids the caller really sees (read from the collection each detail path
belongs to: ``/api/v1/talks/`` for ``/api/v1/talks/{id}/...``), so details and actions are reached, not
only their 404s. Each request runs in a savepoint rolled back afterwards: every case starts from the
same organisation, and a request that breaks the database transaction cannot spoil the next one.

Run it with ``pytest -m fuzz`` (``.ci/run`` has a step for it). Bounds: ``FUZZ_MAX_EXAMPLES``
(default 50) examples per operation and caller in the fuzzing phase, ``FUZZ_SEED`` (default fixed).
"""

from __future__ import annotations

import json
import os
import re
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import hypothesis
import pytest
import schemathesis
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from hypothesis import strategies as st
from rest_framework.test import APIRequestFactory, force_authenticate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from werkzeug.test import Client as WerkzeugClient

from cases import services as case_services
from leave import services as leave_services
from leave.models import LeaveType
from tests.conftest import Org, verified_login
from tests.factories import ACTOR, make_person
from wellbeing import services
from wellbeing.api.views import OrgUnitViewSet
from wellbeing.models import ApiClient, Scope
from wellbeing.policy import ApiPrincipal

pytestmark = pytest.mark.fuzz

#: Every kind of caller that uses the API (access.md): an HR system, and the signed-in roles.
PRINCIPALS = [
    "api_client_all_scopes",
    "staff",
    "supervisor",
    "counsellor",
    "lead_counsellor",
    "hr_officer",
    "leading_group",
]
SCHEMA_URL = "/api/schema/"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))
SEED = int(os.environ.get("FUZZ_SEED", "20261120"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: The clock the fuzzing runs on (the schema's examples are dated relative to it).
CLOCK = datetime(2026, 11, 21, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
#: A fixed CSRF secret: session-authenticated writes send it as cookie and header, as a browser does.
CSRF_SECRET = "FuzzCsrfSecret0123456789abcdefgh"  # 32 characters


def served_schema() -> dict:
    """The schema exactly as ``GET /api/schema/?format=json`` serves it, fetched through its view.

    It is read when this module is collected, before any database exists, so the request carries an
    API client built in memory (the schema is the same for every caller)."""
    request = APIRequestFactory().get(SCHEMA_URL, {"format": "json"})
    force_authenticate(request, user=ApiPrincipal(ApiClient(name="fuzz-schema-reader", scopes=[])))
    response = resolve(SCHEMA_URL).func(request)
    response.render()
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def fuzz_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # valid and invalid input
                "max-examples": MAX_EXAMPLES,
                "database": "none",  # no .hypothesis directory: every run is the same run
                # The caller's own credentials, not generated ones (a random Bearer token is a 401 -
                # conforming, but it would hide the signed-in caller from every case).
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )


APP = WSGIHandler()
APP.server_errors = []  # tracebacks of unhandled exceptions, shown with a failing case
schema = schemathesis.openapi.from_dict(served_schema(), config=fuzz_config())
schema.app = APP

#: Path parameters the current caller really sees, by path (filled by the ``known_ids`` fixture).
KNOWN_PATH_PARAMETERS: dict[str, list[dict]] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Sometimes swap the generated path parameters for ones naming a record the caller sees."""
    known = KNOWN_PATH_PARAMETERS.get(context.operation.path) if context.operation is not None else None
    return st.sampled_from([path_parameters, *known]) if known else st.just(path_parameters)


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, sharing the test's database connection.

    Like Django's test client, it stops closing "old" connections at the start and end of each
    request (that would close the connection holding the test's transaction), and collects the
    traceback of any unhandled exception."""

    def record(sender, request=None, **kwargs):
        APP.server_errors.append(f"{request.method} {request.get_full_path()}\n{traceback.format_exc()}")

    APP.server_errors.clear()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(record, weak=False)
    try:
        yield APP
    finally:
        got_request_exception.disconnect(record)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def fixed_clock():
    """The day the schema's examples were written for (its example talk was held the day before)."""
    with time_machine.travel(CLOCK, tick=True):
        yield


@pytest.fixture
def example_person(org: Org):
    """The staff member the schema's examples name, one of the supervisor's reports."""
    return make_person(org.section_a1, full_name="王静", external_id="HR-000123")


@pytest.fixture
def example_case(org: Org, example_person):
    """A case on the counsellor's caseload, with a note and an intervention, so the case endpoints
    are fuzzed past their 404s."""
    person = make_person(org.section_a1, full_name="林个案", external_id="HR-000124")
    referral = services.referral_create(actor=org.users["supervisor"], person=person, urgency="urgent", reason="family")
    case = case_services.case_open(
        actor=org.users["lead_counsellor"], referral=referral, counsellor=org.users["counsellor"]
    )
    case_services.note_add(actor=org.users["counsellor"], case=case, data=case_services.NoteInput(data="电话联系"))
    case_services.intervention_add(
        actor=org.users["counsellor"],
        case=case,
        data=case_services.InterventionInput(kind="counselling", occurred_on=timezone.localdate(), details="面谈"),
    )
    return case


@pytest.fixture
def example_leave(org: Org, example_person):
    """The example person's annual leave for the year and a request waiting for the supervisor, so the
    leave endpoints are fuzzed past their 404s (the schema's example request is for other days)."""
    leave_services.annual_reconcile(actor=ACTOR, person=example_person, year=CLOCK.year)
    return leave_services.request_submit(
        actor=org.users["supervisor"],
        person=example_person,
        data=leave_services.RequestInput(
            LeaveType.objects.get(code="annual"), date(2026, 12, 14), date(2026, 12, 16), note="家中有事"
        ),
    )


@pytest.fixture(params=PRINCIPALS)
def principal(request) -> str:
    return request.param


@dataclass(frozen=True)
class Credentials:
    """How a caller authenticates: headers (a Bearer token, or the CSRF token) and cookies (a session)."""

    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)

    def client(self, app) -> WerkzeugClient:
        client = WerkzeugClient(app)
        for name, value in self.cookies.items():
            client.set_cookie(name, value, domain="localhost")
        return client

    def request(self, app, method: str, path: str, **kwargs):
        """One request outside the fuzzing, rolled back like the fuzzed ones."""
        with transaction.atomic():
            response = self.client(app).open(path, method=method, headers=self.headers, **kwargs)
            transaction.set_rollback(True)
        return response


def credentials_for(org: Org, principal: str) -> Credentials:
    """A Bearer token with every scope, or a verified session (two-factor where required) and CSRF token."""
    if principal == "api_client_all_scopes":
        _, token = services.api_client_create(actor=ACTOR, name="fuzz-all-scopes", scopes=",".join(Scope.values))
        return Credentials(headers={"Authorization": f"Bearer {token}"})
    client = Client()
    verified_login(client, org.users[principal])
    return Credentials(
        headers={"X-CSRFToken": CSRF_SECRET},
        cookies={"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_SECRET},
    )


@pytest.fixture
def credentials(org: Org, example_person, example_case, example_leave, principal: str) -> Credentials:
    return credentials_for(org, principal)


@pytest.fixture
def known_ids(wsgi_app, credentials):
    """For each path with one parameter, the values the caller sees in the collection it belongs to,
    under the same name (``id``, ``external_id``)."""
    KNOWN_PATH_PARAMETERS.clear()
    for path in schema.raw_schema["paths"]:
        names = re.findall(r"{(\w+)}", path)
        collection = path[: path.find("{")]
        if len(names) != 1 or collection not in schema.raw_schema["paths"]:
            continue
        response = credentials.request(wsgi_app, "GET", collection)
        body = response.get_json(silent=True) if response.status_code == 200 else None
        rows = body.get("results", []) if isinstance(body, dict) else []
        values = [row[names[0]] for row in rows if isinstance(row, dict) and names[0] in row]
        if values:
            KNOWN_PATH_PARAMETERS[path] = [{names[0]: value} for value in values]
    yield KNOWN_PATH_PARAMETERS
    KNOWN_PATH_PARAMETERS.clear()


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck), print_blob=True)
def test_the_api_answers_every_request_within_its_schema(case, wsgi_app, credentials, known_ids):
    wsgi_app.server_errors.clear()
    with transaction.atomic():
        response = case.call(headers=credentials.headers, cookies=credentials.cookies)
        transaction.set_rollback(True)  # every case starts from the same organisation
    try:
        case.validate_response(response, checks=CHECKS, headers=credentials.headers)
    except Exception:
        for error in wsgi_app.server_errors:
            print(f"Server traceback for {error}")  # shown with the failing case
        raise


# --- The fuzzing itself is sound ------------------------------------------------------------------


def test_the_fuzzed_schema_is_the_one_served(org, as_principal):
    response = as_principal("staff", api=True).get(SCHEMA_URL, {"format": "json"})
    assert response.status_code == 200
    assert json.loads(response.content) == schema.raw_schema


def test_every_caller_is_really_signed_in(wsgi_app, credentials, principal):
    """A caller whose credentials did not work would see only 401/403 - conforming, and useless."""
    lists = ["/api/v1/org-units/"] if principal.startswith("api_client") else ["/api/v1/follow-ups/", "/api/v1/talks/"]
    for path in lists:
        response = credentials.request(wsgi_app, "GET", path)
        assert response.status_code == 200, (principal, path, response.get_data()[:200])


def test_a_session_write_passes_the_csrf_check(org, wsgi_app):
    url = f"/api/v1/follow-ups/{org.followups['staff_task'].pk}/complete/"
    response = credentials_for(org, "staff").request(wsgi_app, "POST", url, json={})
    assert response.status_code == 200, response.get_data()[:200]


def test_the_checks_fail_on_a_server_error(org, wsgi_app, monkeypatch):
    """The checks are live: a planted 500 is reported, not swallowed."""

    def boom(self):
        raise RuntimeError("planted")

    monkeypatch.setattr(OrgUnitViewSet, "get_queryset", boom)
    headers = {"Authorization": f"Bearer {org.tokens['api_client']}"}
    case = schema["/api/v1/org-units/"]["GET"].Case()
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    assert response.status_code == 500
    assert "RuntimeError: planted" in "".join(wsgi_app.server_errors)
    with pytest.raises(FailureGroup) as failed:
        case.validate_response(response, checks=CHECKS, headers=headers)
    assert "Server error" in {failure.title for failure in failed.value.exceptions}
