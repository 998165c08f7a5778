"""Fuzz the whole API from its own OpenAPI schema with schemathesis, in-process against the WSGI app.

Everything is derived from the schema ``/api/schema/`` serves (drf-spectacular): every operation in
it becomes a test here, so an endpoint added later is fuzzed without touching this file. Each
operation is fuzzed as every kind of caller that uses the API - an HR system whose token holds every
scope, and a signed-in staff member, supervisor, counsellor, lead counsellor, HR officer and member of
the leading group (with a verified second factor where it is required) - with the schema's documented
examples and random valid and invalid input (schemathesis's examples and fuzzing phases), and with
the schema's boundary cases (its coverage phase: each input at its limits, of a wrong type, missing)
as each caller the operation admits: a caller the view refuses gets 403 before any input is read
(``view_admits``, checked by a test below), so its boundary cases would all be that same 403. With a
fixed seed, the tests check that

- no response is a server error (5xx), and
- every response conforms to the schema: a documented status code, the documented content type and
  headers, and a body matching the documented schema (the error shape included).

Data: the ``org`` fixture's organisation (tests/conftest.py), plus the staff member the schema's
examples name (``HR-000123``, in the supervisor's unit, with a year's annual leave and a request waiting),
on a fixed clock: the documented examples are real requests that succeed (logging the example talk,
requesting the example leave, for two). It is built once, with every caller's session or token
(``fuzz_data``, tests/shared_data.py). Path parameters are drawn from the
generated values *and* from the ids the caller really sees (read from the collection each detail path
belongs to: ``/api/v1/talks/`` for ``/api/v1/talks/{id}/...``), so details and actions are reached, not
only their 404s. Each test, and each request in it, runs in a savepoint rolled back afterwards: every
case starts from the same organisation, and a request that breaks the database transaction cannot
spoil the next one.

Run it with ``pytest -m fuzz`` (``.ci/run`` has a step for it). Bounds: in the fuzzing phase, for each
operation and caller, EXAMPLES_PER_INPUT examples for each thing a request can vary (a parameter, a
leaf of the body), at least MIN_EXAMPLES and at most ``FUZZ_MAX_EXAMPLES`` (default 50); the examples
and coverage phases run in full. ``FUZZ_SEED`` (default fixed).
"""

from __future__ import annotations

import copy
import json
import os
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import hypothesis
import pytest
import schemathesis
import time_machine
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client, override_settings
from django.urls import resolve
from django.utils import timezone
from hypothesis import strategies as st
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
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
from cases.models import Case
from leave import services as leave_services
from leave.models import LeaveRequest, LeaveType
from tests.conftest import Org, build_org, verified_login
from tests.factories import ACTOR, make_person
from tests.shared_data import ensure_shipped_data, shared_transaction
from wellbeing import services
from wellbeing.api.views import OrgUnitViewSet
from wellbeing.models import ApiClient, Person, Scope
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
#: Examples per operation and caller in the fuzzing phase: EXAMPLES_PER_INPUT for each thing a request
#: can vary (``inputs_of``), at least MIN_EXAMPLES and at most MAX_EXAMPLES.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))
MIN_EXAMPLES = 10
EXAMPLES_PER_INPUT = 5
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


def operations(raw: dict) -> Iterator[tuple[str, dict]]:
    """Each operation of the schema, as its label (``GET /api/v1/talks/``) and its definition."""
    for path, item in raw["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield f"{method.upper()} {path}", operation


def inputs_of(raw: dict, operation: dict) -> int:
    """How many things a request to the operation can vary: its path and query parameters, and the
    leaves of its request body (the properties of its objects, through arrays and references)."""

    def leaves(node, seen: frozenset[str] = frozenset()) -> int:
        if not isinstance(node, dict):
            return 1
        if "$ref" in node:
            name = node["$ref"]
            if name in seen:
                return 1
            target = raw
            for part in name.removeprefix("#/").split("/"):
                target = target[part]
            return leaves(target, seen | {name})
        for combined in ("allOf", "anyOf", "oneOf"):
            if combined in node:
                return max(leaves(option, seen) for option in node[combined])
        if "properties" in node:
            return sum(leaves(child, seen) for child in node["properties"].values()) or 1
        if node.get("type") == "array":
            return leaves(node.get("items", {}), seen)
        return 1

    parameters = sum(1 for p in operation.get("parameters", []) if p.get("in") in {"path", "query"})
    bodies = [leaves(c.get("schema", {})) for c in operation.get("requestBody", {}).get("content", {}).values()]
    return parameters + max(bodies, default=0)


def fuzzing_examples(raw: dict, operation: dict) -> int:
    """The fuzzing phase's examples for one operation and caller: as many as the schema offers to
    vary (EXAMPLES_PER_INPUT for each input), at least MIN_EXAMPLES, at most MAX_EXAMPLES."""
    return min(MAX_EXAMPLES, max(MIN_EXAMPLES, EXAMPLES_PER_INPUT * inputs_of(raw, operation)))


def fuzz_config(raw: dict, *, phases: set[str]) -> schemathesis.Config:
    """schemathesis's configuration, running the named phases (``examples``, ``coverage``, ``fuzzing``)."""
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
                "examples": {"enabled": "examples" in phases},
                "coverage": {"enabled": "coverage" in phases},
                "fuzzing": {"enabled": "fuzzing" in phases},
                "stateful": {"enabled": False},
            },
            "operations": [
                {"include-name": label, "generation": {"max-examples": fuzzing_examples(raw, operation)}}
                for label, operation in operations(raw)
            ],
        }
    )


APP = WSGIHandler()
APP.server_errors = []  # tracebacks of unhandled exceptions, shown with a failing case
SERVED = served_schema()
#: The schema's documented examples and random valid and invalid input, as every caller.
schema = schemathesis.openapi.from_dict(
    copy.deepcopy(SERVED), config=fuzz_config(SERVED, phases={"examples", "fuzzing"})
)
schema.app = APP
#: The schema's boundary cases (its coverage phase), as every caller the operation admits.
boundaries = schemathesis.openapi.from_dict(copy.deepcopy(SERVED), config=fuzz_config(SERVED, phases={"coverage"}))
boundaries.app = APP

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


def example_person_create(org: Org) -> Person:
    """The staff member the schema's examples name, one of the supervisor's reports."""
    return make_person(org.section_a1, full_name="王静", external_id="HR-000123")


def example_case_create(org: Org) -> Case:
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


def example_leave_create(org: Org, example_person: Person) -> LeaveRequest:
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


@dataclass
class FuzzData:
    """What every test of this module starts from (built once: ``fuzz_data``)."""

    org: Org
    #: Each caller's credentials, by principal.
    credentials: dict[str, Credentials]
    #: The (travelled) time when it was built: each test resumes the clock from there.
    clock: datetime
    #: By principal, the path parameters the caller sees (``known_ids``: read once per caller).
    known: dict[str, dict[str, list[dict]]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def fuzz_data(request, django_db_setup, django_db_blocker) -> Iterator[FuzzData]:
    """The organisation, the records the schema's examples name, and a signed-in session (or token)
    for every caller, built once on the fixed clock and shared by the module's tests
    (tests/shared_data.py): each test, and each request in it, is rolled back to them. Without quiet
    hours, as tests/conftest.py runs every test that does not freeze its clock."""
    with shared_transaction(request, django_db_blocker):
        with (
            django_db_blocker.unblock(),
            override_settings(FOLLOWUP_QUIET_HOURS=""),
            time_machine.travel(CLOCK, tick=True),
        ):
            ensure_shipped_data()
            org = build_org()
            person = example_person_create(org)
            example_case_create(org)
            example_leave_create(org, person)
            credentials = {principal: credentials_for(org, principal) for principal in PRINCIPALS}
            clock = timezone.now()
        yield FuzzData(org, credentials, clock)


@pytest.fixture(autouse=True)
def fixed_clock(fuzz_data):
    """The day the schema's examples were written for (its example talk was held the day before)."""
    with time_machine.travel(fuzz_data.clock, tick=True):
        yield


@pytest.fixture
def org(fuzz_data, db) -> Org:
    """The shared organisation (tests/conftest.py's, built once here)."""
    return fuzz_data.org


@pytest.fixture
def credentials(fuzz_data, db, principal: str) -> Credentials:
    return fuzz_data.credentials[principal]


def known_path_parameters(app, credentials: Credentials) -> dict[str, list[dict]]:
    """For each path with one parameter, the values the caller sees in the collection it belongs to,
    under the same name (``id``, ``external_id``)."""
    known = {}
    for path in schema.raw_schema["paths"]:
        names = re.findall(r"{(\w+)}", path)
        collection = path[: path.find("{")]
        if len(names) != 1 or collection not in schema.raw_schema["paths"]:
            continue
        response = credentials.request(app, "GET", collection)
        body = response.get_json(silent=True) if response.status_code == 200 else None
        rows = body.get("results", []) if isinstance(body, dict) else []
        values = [row[names[0]] for row in rows if isinstance(row, dict) and names[0] in row]
        if values:
            known[path] = [{names[0]: value} for value in values]
    return known


@pytest.fixture
def known_ids(wsgi_app, credentials, principal, fuzz_data):
    """The path parameters the caller sees (the data is the same in every test: read once per caller)."""
    if principal not in fuzz_data.known:
        fuzz_data.known[principal] = known_path_parameters(wsgi_app, credentials)
    KNOWN_PATH_PARAMETERS.clear()
    KNOWN_PATH_PARAMETERS.update(fuzz_data.known[principal])
    yield KNOWN_PATH_PARAMETERS
    KNOWN_PATH_PARAMETERS.clear()


def principal_for(org: Org, principal: str):
    """The ``request.user`` a principal's requests carry (read afresh: nothing cached on it)."""
    if principal == "api_client_all_scopes":
        return ApiPrincipal(ApiClient.objects.get(name="fuzz-all-scopes"))
    return get_user_model().objects.get(pk=org.users[principal].pk)


def view_admits(user, label: str) -> bool:
    """Whether the view serving the operation (``POST /api/v1/talks/``) lets ``user`` past its
    permission checks: the view's own permission classes, asking the access policy. DRF runs them
    before the view reads the request's parameters or body, so a caller refused here gets the same
    403 whatever it sends."""
    method, path = label.split(" ", 1)
    concrete = re.sub(r"{\w+}", "1", path)
    match = resolve(concrete)
    request = APIRequestFactory().generic(method, concrete)
    force_authenticate(request, user=user)
    view = match.func.cls(**match.func.initkwargs)
    if hasattr(match.func, "actions"):  # a viewset: the action its router maps the method to
        view.action_map = match.func.actions
    view.args, view.kwargs = match.args, match.kwargs
    try:
        view.check_permissions(view.initialize_request(request, *match.args, **match.kwargs))
    except (NotAuthenticated, PermissionDenied):
        return False
    return True


@pytest.fixture
def admitted(request, org: Org, principal: str) -> None:
    """Skips a caller the operation refuses before it reads any input (``view_admits``): its boundary
    cases would be a few hundred identical 403s. The refused caller is still fuzzed, with the
    documented examples and random valid and invalid input (the test above)."""
    label = request.node.operation_label
    if not view_admits(principal_for(org, principal), label):
        pytest.skip(f"{label} refuses {principal} before reading any input (fuzzed in the test above)")


def answer_within_schema(case, app, credentials: Credentials) -> None:
    """Send ``case`` as the caller, in a savepoint rolled back afterwards; fail on a 5xx or a response
    the schema does not document, with the server's traceback if there is one."""
    app.server_errors.clear()
    with transaction.atomic():
        response = case.call(headers=credentials.headers, cookies=credentials.cookies)
        transaction.set_rollback(True)  # every case starts from the same organisation
    try:
        case.validate_response(response, checks=CHECKS, headers=credentials.headers)
    except Exception:
        for error in app.server_errors:
            print(f"Server traceback for {error}")  # shown with the failing case
        raise


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck), print_blob=True)
def test_the_api_answers_every_request_within_its_schema(case, wsgi_app, credentials, known_ids):
    """The documented examples and random valid and invalid input (the examples and fuzzing phases)."""
    answer_within_schema(case, wsgi_app, credentials)


@boundaries.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck), print_blob=True)
def test_the_api_answers_every_boundary_case_within_its_schema(case, wsgi_app, credentials, admitted):
    """The schema's boundary cases (the coverage phase: each input at its limits, of a wrong type,
    missing, and so on), as each caller the operation admits."""
    answer_within_schema(case, wsgi_app, credentials)


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


def test_a_caller_refused_before_reading_input_gets_403_whatever_it_sends(org, wsgi_app, credentials, principal):
    """The boundary cases are skipped for the callers ``view_admits`` says an operation refuses: each of
    them gets 403 for a request without parameters or body, and for one with an empty JSON body."""
    user = principal_for(org, principal)
    refused = [label for label, _operation in operations(SERVED) if not view_admits(user, label)]
    for label in refused:
        method, path = label.split(" ", 1)
        url = re.sub(r"{\w+}", "1", path)
        for body in ({}, {"json": {}}):
            response = credentials.request(wsgi_app, method, url, **body)
            assert response.status_code == 403, (label, principal, body, response.get_data()[:200])


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
