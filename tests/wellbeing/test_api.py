from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import ACTOR, make_person
from wellbeing import services
from wellbeing.models import ApiClient, Person


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- Tokens ---------------------------------------------------------------------------------------


def test_the_command_prints_the_token_once_on_its_last_line(db):
    out = StringIO()
    call_command("create_api_client", "hr-system", "--scopes", "people:read,org:read", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    assert token.startswith("tx_")
    client = ApiClient.objects.get(name="hr-system")
    assert client.scopes == ["org:read", "people:read"]
    assert token not in repr(list(ApiClient.objects.values()))  # only the hash is stored
    assert bearer(token).get("/api/v1/people/").status_code == 200


@pytest.mark.parametrize("scopes", ["people:read,cases:read", "", "   ,  "])
def test_the_command_refuses_unknown_or_missing_scopes(db, scopes):
    with pytest.raises(CommandError, match="scope"):
        call_command("create_api_client", "bad", "--scopes", scopes, stdout=StringIO())
    assert not ApiClient.objects.exists()


def test_a_revoked_token_stops_working_at_once(org):
    client = ApiClient.objects.get(name="hr-sync")
    api = bearer(org.tokens["api_client"])
    assert api.get("/api/v1/people/").status_code == 200
    call_command("revoke_api_client", "hr-sync", stdout=StringIO())
    response = api.get("/api/v1/people/")
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid or revoked token.", "errors": {}}
    client.refresh_from_db()
    assert client.revoked_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer tx_not-a-real-token", "Bearer tökén".encode().decode("latin-1")],
    ids=["no-token", "two-parts", "unknown", "non-ascii"],
)
def test_bad_authorization_headers_get_401(org, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/people/")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "errors"}


def test_tokens_record_when_they_were_last_used(org):
    bearer(org.tokens["api_client"]).get("/api/v1/org-units/")
    assert ApiClient.objects.get(name="hr-sync").last_used_at is not None


# --- People ---------------------------------------------------------------------------------------


def test_people_filter_by_unit_includes_units_below(org):
    api = bearer(org.tokens["api_client"])
    got = {r["external_id"] for r in api.get("/api/v1/people/", {"unit": org.town_a.pk}).json()["results"]}
    assert got == {"EX-supervisor", "EX-staff", "EX-colleague", "EX-hr_officer"}
    got = {r["external_id"] for r in api.get("/api/v1/people/", {"unit": org.section_a1.pk}).json()["results"]}
    assert got == {"EX-staff", "EX-colleague"}


def test_people_filter_by_status_and_updated_since(org):
    api = bearer(org.tokens["api_client"])
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        services.person_leave(actor=ACTOR, person=org.people["colleague"])
    since = (timezone.now() + timedelta(hours=12)).isoformat()
    rows = api.get("/api/v1/people/", {"updated_since": since}).json()["results"]
    assert [r["external_id"] for r in rows] == ["EX-colleague"]
    rows = api.get("/api/v1/people/", {"status": "left"}).json()["results"]
    assert [(r["external_id"], r["status"]) for r in rows] == [("EX-colleague", "left")]


def test_a_person_by_external_id(org):
    response = bearer(org.tokens["api_client"]).get("/api/v1/people/EX-staff/")
    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "王静"
    assert body["unit"] == org.section_a1.pk
    assert body["manager"] == "EX-supervisor"


def test_cursor_pagination_walks_every_person_once(org):
    api = bearer(org.tokens["api_client"])
    seen, url = [], "/api/v1/people/?page_size=3"
    while url:
        page = api.get(url).json()
        seen += [r["external_id"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(Person.objects.values_list("external_id", flat=True))
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unit": 999999}, "unit"),
        ({"unit": "abc"}, "unit"),
        ({"unit": "1\x00"}, "unit"),
        ({"status": "retired"}, "status"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"search": "王\x00"}, "search"),
        ({"search": "王" * 101}, "search"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
    ids=["unknown-unit", "unit-not-int", "unit-nul", "bad-status", "bad-date", "search-nul", "search-long", "cursor"],
)
def test_bad_filters_are_a_400_with_field_messages(org, params, field):
    response = bearer(org.tokens["api_client"]).get("/api/v1/people/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["message"]
    assert field in body["errors"] and body["errors"][field]


@pytest.mark.parametrize("external_id", ["nobody", "EX-staff%00", "x" * 300])
def test_an_unknown_person_is_a_404_in_the_error_shape(org, external_id):
    response = bearer(org.tokens["api_client"]).get(f"/api/v1/people/{external_id}/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "errors": {}}


def test_writes_are_not_allowed_on_read_endpoints(org):
    api = bearer(org.tokens["api_client"])
    assert api.post("/api/v1/people/", {"external_id": "x"}, format="json").status_code == 405
    assert api.delete("/api/v1/people/EX-staff/").status_code == 405


def test_the_people_list_has_a_fixed_number_of_queries(org):
    api = bearer(org.tokens["api_client"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/people/", {"page_size": 500}).status_code == 200
        return len(ctx)

    count()  # the first call also records the token's use
    few = count()
    for _ in range(50):
        make_person(org.section_b1, manager=org.people["outsider_supervisor"])
    assert count() == few


# --- Org units ------------------------------------------------------------------------------------


def test_org_units_in_tree_order_with_parents(org):
    rows = bearer(org.tokens["api_client"]).get("/api/v1/org-units/").json()["results"]
    by_code = {r["code"]: r for r in rows}
    assert [r["code"] for r in rows][:3] == ["C", "A", "A1"]
    assert by_code["A1"]["parent"] == org.town_a.pk
    assert by_code["C"]["parent"] is None


def test_org_units_filter_under_and_parent(org):
    api = bearer(org.tokens["api_client"])
    under = {r["code"] for r in api.get("/api/v1/org-units/", {"under": org.town_a.pk}).json()["results"]}
    assert under == {"A", "A1"}
    children = {r["code"] for r in api.get("/api/v1/org-units/", {"parent": org.county.pk}).json()["results"]}
    assert children == {"A", "B", "O"}
    bad = api.get("/api/v1/org-units/", {"parent": 424242})
    assert bad.status_code == 400 and "parent" in bad.json()["errors"]


def test_the_org_unit_list_has_a_fixed_number_of_queries(org):
    from tests.factories import make_unit

    api = bearer(org.tokens["api_client"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/org-units/", {"page_size": 500}).status_code == 200
        return len(ctx)

    count()  # the first call also records the token's use
    few = count()
    for i in range(50):
        make_unit(f"科室{i}", parent=org.town_b, kind="section")
    assert count() == few


def test_an_unknown_org_unit_is_a_404(org):
    api = bearer(org.tokens["api_client"])
    assert api.get("/api/v1/org-units/999999/").status_code == 404
    assert api.get("/api/v1/org-units/abc/").status_code == 404


# --- Schema ---------------------------------------------------------------------------------------


def test_the_schema_documents_every_operation_with_an_example(org):
    response = bearer(org.tokens["api_client"]).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert operations
    for path, method, op in operations:
        success = "201" if method == "post" and "200" not in op["responses"] else "200"
        ok = op["responses"][success]["content"]["application/json"]
        assert ok.get("examples"), f"{method.upper()} {path} has no example"
        assert "401" in op["responses"] and "403" in op["responses"], f"{method.upper()} {path}"
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_the_interactive_docs_load_their_assets_locally(as_principal):
    response = as_principal("staff").get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
