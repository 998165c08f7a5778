"""Crafted input to the API: every refusal is a 4xx in the one error shape, never a 500 or an HTML page.

Each test here failed (500, RecursionError or Django's HTML page) before the fix it pins.
"""

from __future__ import annotations

from base64 import b64encode
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from config import urls
from config.api import router
from talks.models import MAX_ACTIONS, Talk
from tests.factories import ACTOR
from wellbeing import services
from wellbeing.api import errors
from wellbeing.api.parsers import MAX_DEPTH
from wellbeing.api.permissions import SELECTOR_CHECKS, PolicyPermission
from wellbeing.api.views import OrgUnitViewSet
from wellbeing.models import FollowUp, Person

SHAPE = {"message", "errors"}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == SHAPE and body["message"], body
    if field is not None:
        assert body["errors"].get(field), body
    return body


# --- 1. Deeply nested JSON bodies -----------------------------------------------------------------

NESTED = {
    "closed": "[" * 3000 + "]" * 3000,
    "unclosed": "[" * 3000,
    "object": '{"a":' * 3000 + "1" + "}" * 3000,
    "over-the-limit": "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
}


def _post_raw(client, url: str, body: str | bytes, content_type: str = "application/json"):
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
@pytest.mark.parametrize("endpoint", ["talks", "complete", "snooze"])
def test_it_refuses_deeply_nested_json_with_a_400(org, as_principal, endpoint, body):
    if endpoint == "talks":
        client, url = as_principal("supervisor", api=True), "/api/v1/talks/"
    else:
        client, url = (
            as_principal("staff", api=True),
            f"/api/v1/follow-ups/{org.followups['staff_task'].pk}/{endpoint}/",
        )
    assert_error(_post_raw(client, url, body), 400)


def test_it_accepts_json_nested_up_to_the_limit(org, as_principal):
    # Nested as deep as allowed: the parser accepts it and the serializer refuses the shape (a field error).
    body = '{"participants": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + ', "held_at": "x"}'
    assert_error(_post_raw(as_principal("supervisor", api=True), "/api/v1/talks/", body), 400, "held_at")


@pytest.mark.parametrize("charset", ["zlib", "base64", "rot13", "hex"])
def test_a_body_in_a_charset_that_is_not_a_text_encoding_is_a_400(org, as_principal, charset):
    url = f"/api/v1/follow-ups/{org.followups['staff_task'].pk}/complete/"
    response = _post_raw(as_principal("staff", api=True), url, b"{}", f"application/json; charset={charset}")
    assert_error(response, 400)


def test_an_oversized_body_is_a_413_in_the_error_shape(org, as_principal, settings):
    settings.API_MAX_BODY_BYTES = 1000
    url = f"/api/v1/follow-ups/{org.followups['staff_task'].pk}/complete/"
    response = _post_raw(as_principal("staff", api=True), url, '{"outcome": "' + "x" * 2000 + '"}')
    assert_error(response, 413)


def test_a_body_over_django_s_own_limit_without_a_length_is_a_413(org, as_principal, settings):
    # Read through request.body (no Content-Length to refuse it early): Django's RequestDataTooBig.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    url = f"/api/v1/follow-ups/{org.followups['staff_task'].pk}/complete/"
    response = _post_raw(as_principal("staff", api=True), url, '{"outcome": "' + "x" * 2000 + '"}')
    assert_error(response, 413)


def test_a_body_in_utf16_still_parses(org, as_principal):
    url = f"/api/v1/follow-ups/{org.followups['staff_task'].pk}/complete/"
    body = '{"outcome": "已谈"}'.encode("utf-16")
    response = _post_raw(as_principal("staff", api=True), url, body, "application/json; charset=utf-16")
    assert response.status_code == 200, response.content


# --- 2. Crafted cursors ---------------------------------------------------------------------------


def cursor(position: str, *, offset: int = 0, reverse: int = 0) -> str:
    return b64encode(urlencode({"p": position, "r": reverse, "o": offset}).encode()).decode()


BAD_POSITIONS = {"abc": "abc", "nul": "1\x00", "bad-date": "2026-13-45T99:99", "huge": "9" * 30}
LISTS = {
    # endpoint: (principal, ordering field type, positions that are valid values of that type)
    "/api/v1/talks/": ("supervisor", "id"),
    "/api/v1/follow-ups/": ("staff", "id"),
    "/api/v1/people/": ("api_client", "updated_at"),
    "/api/v1/org-units/": ("api_client", "path"),
}
#: Positions that are fine for a text ordering field (an org unit's path): any text without NUL.
VALID_FOR_TEXT = {"abc", "2026-13-45T99:99", "9" * 30}


def _client(org, as_principal, principal):
    return bearer(org.tokens[principal]) if principal.startswith("api_client") else as_principal(principal, api=True)


@pytest.mark.parametrize("position", BAD_POSITIONS.values(), ids=BAD_POSITIONS.keys())
@pytest.mark.parametrize("url", LISTS.keys())
def test_a_crafted_cursor_is_a_400_on_cursor(org, as_principal, url, position):
    principal, kind = LISTS[url]
    response = _client(org, as_principal, principal).get(url, {"cursor": cursor(position)})
    if kind == "path" and position in VALID_FOR_TEXT:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, 400, "cursor")


@pytest.mark.parametrize(
    "encoded",
    ["not-base64!", b64encode(b"o=abc").decode(), b64encode(b"r=x").decode(), b64encode("p=é".encode()).decode()],
    ids=["not-base64", "bad-offset", "bad-reverse", "not-ascii"],
)
def test_a_malformed_cursor_is_a_400_on_cursor(org, encoded):
    assert_error(bearer(org.tokens["api_client"]).get("/api/v1/people/", {"cursor": encoded}), 400, "cursor")


@pytest.mark.parametrize("offset", ["+18:00", "-23:59", "+00:00", ""], ids=["plus18", "minus2359", "utc", "naive"])
def test_a_datetime_cursor_takes_any_offset_python_accepts(org, offset):
    # Everyone changed before this instant, so a forward cursor from it returns nobody.
    later = (timezone.now() + timedelta(days=1)).astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
    position = later.isoformat() + offset
    response = bearer(org.tokens["api_client"]).get("/api/v1/people/", {"cursor": cursor(position)})
    assert response.status_code == 200, response.content
    if offset in ("+00:00", ""):  # the same wall time in UTC or in the organisation's zone: still later
        assert response.json()["results"] == []


def test_a_cursor_from_a_next_link_still_walks_people_in_order(org):
    api = bearer(org.tokens["api_client"])
    seen, url = [], "/api/v1/people/?page_size=2"
    while url:
        page = api.get(url).json()
        seen += [r["external_id"] for r in page["results"]]
        url = page["next"]
    assert seen == list(Person.objects.order_by("updated_at", "id").values_list("external_id", flat=True))


def test_a_previous_link_walks_back(org):
    api = bearer(org.tokens["api_client"])
    first = api.get("/api/v1/people/?page_size=2").json()
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()
    assert [r["external_id"] for r in back["results"]] == [r["external_id"] for r in first["results"]]


# --- 3. Date-times with offsets PostgreSQL refuses ----------------------------------------------------


@pytest.mark.parametrize("offset", ["+18:00", "-23:59", "+14:30"])
def test_updated_since_takes_any_offset_python_accepts(org, offset):
    api = bearer(org.tokens["api_client"])
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        services.person_leave(actor=ACTOR, person=org.people["colleague"])
    changed = Person.objects.get(pk=org.people["colleague"].pk).updated_at
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    zone = timezone.get_fixed_timezone((1 if offset[0] == "+" else -1) * (hours * 60 + minutes))
    # Just before and just after the change, written in that zone.
    before = (changed - timedelta(hours=1)).astimezone(zone).isoformat()
    after = (changed + timedelta(hours=1)).astimezone(zone).isoformat()
    assert before.endswith(offset)
    rows = api.get("/api/v1/people/", {"updated_since": before}).json()["results"]
    assert [r["external_id"] for r in rows] == ["EX-colleague"]
    assert api.get("/api/v1/people/", {"updated_since": after}).json()["results"] == []


def test_updated_since_without_an_offset_is_read_in_the_organisations_zone(org):
    api = bearer(org.tokens["api_client"])
    with time_machine.travel(datetime(2031, 5, 1, 12, 0, tzinfo=UTC)):  # 20:00 in Shanghai
        services.person_leave(actor=ACTOR, person=org.people["colleague"])
    found = api.get("/api/v1/people/", {"updated_since": "2031-05-01T19:59:00"}).json()["results"]
    assert [r["external_id"] for r in found] == ["EX-colleague"]
    assert api.get("/api/v1/people/", {"updated_since": "2031-05-01T20:01:00"}).json()["results"] == []


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+18:00", "9999-12-31T23:59:59-18:00", "2026-01-01T00:00:00+24:00", "2026-02-30T00:00"],
    ids=["underflow", "overflow", "offset-24h", "no-such-day"],
)
def test_updated_since_out_of_range_is_a_400_on_the_field(org, value):
    assert_error(
        bearer(org.tokens["api_client"]).get("/api/v1/people/", {"updated_since": value}), 400, "updated_since"
    )


def test_a_talk_held_at_an_odd_offset_is_stored_as_that_instant(org, as_principal):
    held = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    body = {
        "main_content": "谈了近况",
        "participants": ["EX-colleague"],
        "held_at": held.astimezone(timezone.get_fixed_timezone(18 * 60)).isoformat(),
    }
    response = as_principal("supervisor", api=True).post("/api/v1/talks/", body, format="json")
    assert response.status_code == 201, response.content
    assert Talk.objects.get(pk=response.json()["id"]).held_at == held


def test_a_talk_held_at_an_instant_out_of_range_is_a_400_on_held_at(org, as_principal):
    body = {"main_content": "谈了近况", "participants": ["EX-colleague"], "held_at": "0001-01-01T00:00:00+18:00"}
    response = as_principal("supervisor", api=True).post("/api/v1/talks/", body, format="json")
    assert_error(response, 400, "held_at")


@pytest.mark.parametrize("until_offset", ["+18:00", "-23:59"])
def test_snooze_until_takes_any_offset_python_accepts(org, as_principal, until_offset):
    followup = org.followups["staff_task"]
    until = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    hours, minutes = int(until_offset[1:3]), int(until_offset[4:6])
    zone = timezone.get_fixed_timezone((1 if until_offset[0] == "+" else -1) * (hours * 60 + minutes))
    response = as_principal("staff", api=True).post(
        f"/api/v1/follow-ups/{followup.pk}/snooze/",
        {"until": until.astimezone(zone).isoformat(), "reason": "出差"},
        format="json",
    )
    assert response.status_code == 200, response.content
    followup.refresh_from_db()
    assert followup.snoozed_until == until


def test_snooze_until_without_an_offset_is_read_in_the_organisations_zone(org, as_principal):
    followup = org.followups["staff_task"]
    wall = (timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)) + timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0, tzinfo=None
    )
    with timezone.override("America/New_York"):
        response = as_principal("staff", api=True).post(
            f"/api/v1/follow-ups/{followup.pk}/snooze/", {"until": wall.isoformat(), "reason": "出差"}, format="json"
        )
    assert response.status_code == 200, response.content
    followup.refresh_from_db()
    assert followup.snoozed_until == wall.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.mark.parametrize("until", ["0001-01-01T00:00:00+18:00", "9999-12-31T23:59:59-18:00"])
def test_snooze_until_out_of_range_is_a_400_on_until(org, as_principal, until):
    response = as_principal("staff", api=True).post(
        f"/api/v1/follow-ups/{org.followups['staff_task'].pk}/snooze/", {"until": until, "reason": "x"}, format="json"
    )
    assert_error(response, 400, "until")


# --- 4. Odd ids and unknown API paths: a JSON 404 ----------------------------------------------------

ODD_PATHS = [
    "/api/v1/org-units/1.5/",
    "/api/v1/org-units/abc/",
    "/api/v1/org-units/%00/",
    "/api/v1/org-units/" + "9" * 30 + "/",
    "/api/v1/talks/abc/",
    "/api/v1/talks/1.5/",
    "/api/v1/talks/" + "9" * 30 + "/",
    "/api/v1/follow-ups/%00/",
    "/api/v1/follow-ups/1.5/",
    "/api/v1/follow-ups/" + "9" * 30 + "/",
    "/api/v1/people/a.b/",
    "/api/v1/nope/",
    "/api/v1/",
    "/api/",
    "/api/v2/people/",
]


@pytest.mark.parametrize("path", ODD_PATHS)
def test_an_odd_id_or_unknown_api_path_is_a_json_404(org, as_principal, path):
    # A signed-in supervisor reaches every list above, so a 404 is about the path, not the role.
    response = as_principal("supervisor", api=True).get(path)
    assert_error(response, 404)
    assert response.json() == {"message": "Not found.", "errors": {}}


@pytest.mark.parametrize("pk", ["9" * 30, "1.5", "%00"])
@pytest.mark.parametrize("action", ["complete", "snooze"])
def test_an_odd_id_in_a_followup_action_is_a_json_404(org, as_principal, pk, action):
    response = as_principal("staff", api=True).post(f"/api/v1/follow-ups/{pk}/{action}/", {}, format="json")
    assert_error(response, 404)


def test_an_unknown_api_path_is_a_json_404_for_anonymous_callers_too(db):
    assert_error(APIClient().get("/api/v1/nope/"), 404)


def test_an_unknown_page_outside_the_api_keeps_the_html_404(db, as_principal):
    response = as_principal("staff").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_json_and_elsewhere_html(rf: RequestFactory):
    api = errors.server_error(rf.get("/api/v1/people/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"
    assert api.content == b'{"message": "A server error occurred.", "errors": {}}'
    page = errors.server_error(rf.get("/people/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def test_an_unhandled_exception_in_an_api_view_answers_json_500(org, monkeypatch):
    def boom(self):
        raise RuntimeError("planted")

    monkeypatch.setattr(OrgUnitViewSet, "get_queryset", boom)
    client = bearer(org.tokens["api_client"])
    client.raise_request_exception = False
    assert_error(client.get("/api/v1/org-units/"), 500)


def test_django_uses_the_json_handlers():
    assert urls.handler404 == "wellbeing.api.errors.page_not_found"
    assert urls.handler500 == "wellbeing.api.errors.server_error"


# --- 5. The schema says which read-only fields may be null ---------------------------------------------


@pytest.fixture
def schema(org) -> dict:
    response = bearer(org.tokens["api_client"]).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()["components"]["schemas"]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Person", "manager"),
        ("Person", "date_of_birth"),
        ("Person", "left_on"),
        ("FollowUp", "person"),
        ("FollowUp", "snoozed_until"),
        ("OrgUnit", "parent"),
        ("Talk", "duration_minutes"),
        ("TalkDetail", "mood"),
    ],
)
def test_the_schema_marks_fields_that_may_be_null(schema, component, field):
    assert schema[component]["properties"][field].get("nullable") is True


def test_a_person_without_a_manager_is_null_in_the_api(org):
    body = bearer(org.tokens["api_client"]).get("/api/v1/people/EX-colleague/").json()
    assert body["manager"] is None


def test_the_schema_allows_an_empty_trigger_on_a_talk(schema):
    trigger = schema["Talk"]["properties"]["trigger"]
    refs = {alt.get("$ref", "").rsplit("/", 1)[-1] for alt in trigger.get("oneOf", [])}
    assert {"TriggerEnum", "BlankEnum"} <= refs


# --- 6. Talks: held_at in the organisation's zone, actions capped, no trigger on routine talks --------


def test_held_at_without_an_offset_is_read_in_the_organisations_zone(org, as_principal):
    wall = (timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)) - timedelta(hours=3)).replace(
        second=0, microsecond=0, tzinfo=None
    )
    body = {"main_content": "谈了近况", "participants": ["EX-colleague"], "held_at": wall.strftime("%Y-%m-%dT%H:%M")}
    with timezone.override("America/New_York"):  # whatever zone the request runs in
        response = as_principal("supervisor", api=True).post("/api/v1/talks/", body, format="json")
    assert response.status_code == 201, response.content
    expected = wall.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    assert Talk.objects.get(pk=response.json()["id"]).held_at == expected
    assert datetime.fromisoformat(response.json()["held_at"]) == expected


def test_the_schema_says_how_held_at_is_read(schema):
    assert "time zone" in schema["TalkCreateInputRequest"]["properties"]["held_at"]["description"]


def test_more_than_the_maximum_of_actions_is_a_400_on_actions(org, as_principal):
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    body = {
        "main_content": "谈了近况",
        "participants": ["EX-colleague"],
        "held_at": timezone.now().isoformat(),
        "actions": [{"description": f"事项{i}", "due_date": due} for i in range(MAX_ACTIONS + 1)],
    }
    before = Talk.objects.count()
    assert_error(as_principal("supervisor", api=True).post("/api/v1/talks/", body, format="json"), 400, "actions")
    assert Talk.objects.count() == before


def test_a_trigger_on_a_routine_talk_is_a_400_on_trigger(org, as_principal):
    body = {
        "main_content": "谈了近况",
        "participants": ["EX-colleague"],
        "held_at": timezone.now().isoformat(),
        "occasion": "routine",
        "trigger": "family_illness",
    }
    before = Talk.objects.count()
    assert_error(as_principal("supervisor", api=True).post("/api/v1/talks/", body, format="json"), 400, "trigger")
    assert Talk.objects.count() == before


# --- Permissions: one policy rule per action, fail-closed ------------------------------------------


class _View:
    """A stand-in viewset: PolicyPermission reads only these attributes."""

    action_map = {"get": "list"}

    def __init__(self, action, policy_actions):
        self.action = action
        self.policy_actions = policy_actions


@pytest.mark.parametrize(
    ("action", "policy_actions", "allowed"),
    [
        ("list", {"list": "org.view"}, True),
        ("retrieve", {"list": "org.view"}, False),  # no entry: refused
        ("metadata", {"list": "org.view"}, False),  # OPTIONS is refused unless named
        ("list", None, False),  # no mapping at all: refused
        ("retrieve", {"retrieve": SELECTOR_CHECKS}, True),  # the selector decides (404)
        ("list", {"list": "talk.log"}, False),  # a staff member may not log talks
        (None, {}, True),  # a method the view does not route: DRF answers 405
    ],
)
def test_policy_permission_checks_one_rule_per_action_and_fails_closed(org, rf, action, policy_actions, allowed):
    request = rf.get("/api/v1/x/")
    request.user = org.users["staff"]
    assert PolicyPermission().has_permission(request, _View(action, policy_actions)) is allowed


def test_policy_permission_refuses_anonymous_callers_even_where_the_selector_decides(rf):
    request = rf.get("/api/v1/x/")
    request.user = AnonymousUser()
    assert PolicyPermission().has_permission(request, _View("retrieve", {"retrieve": SELECTOR_CHECKS})) is False


def test_every_api_view_names_a_rule_for_each_of_its_actions():
    for _prefix, viewset, _basename in router.registry:
        actions = {"list", "retrieve", "create", "update", "partial_update", "destroy"} & set(dir(viewset))
        actions |= {a.__name__ for a in viewset.get_extra_actions()}
        assert any(issubclass(c, PolicyPermission) for c in viewset.permission_classes), viewset
        assert actions <= set(viewset.policy_actions), (viewset, actions - set(viewset.policy_actions))


def test_a_followup_one_may_see_but_not_manage_is_a_403_on_complete_and_snooze(org, as_principal):
    """followup.mine at the view level, then followup.manage on the record: the supervisor who agreed an
    action in a talk sees it, but may act on it only when its owner is one of their reports."""
    followup = services.followup_create(
        actor=org.users["supervisor"],
        owner=org.users["outsider"],
        title="约定事项",
        kind=FollowUp.Kind.TALK_ACTION,
        due_at=timezone.now() + timedelta(days=3),
        person=org.people["outsider"],
    )
    client = as_principal("supervisor", api=True)
    assert client.get(f"/api/v1/follow-ups/{followup.pk}/").status_code == 200
    assert_error(client.post(f"/api/v1/follow-ups/{followup.pk}/complete/", {}, format="json"), 403)
    snooze = {"until": (timezone.now() + timedelta(days=5)).isoformat(), "reason": "出差"}
    assert_error(client.post(f"/api/v1/follow-ups/{followup.pk}/snooze/", snooze, format="json"), 403)
    assert as_principal("outsider", api=True).post(f"/api/v1/follow-ups/{followup.pk}/complete/").status_code == 200
