"""What an attacker's and a careless integrator's review of the HR sync found (issue 12), each shown
fixed: deep or long unit chains, crafted ids in paths, replays that skipped the rate limit or outlived
the client's scopes, an Authorization header read two ways, If-Match left out of a key's fingerprint,
and a person brought back keeping their old leaving date."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import ACTOR
from tests.wellbeing.test_hr_api_guarantees import ALL_SCOPES, PEOPLE, UNITS, assert_error, bearer, rec
from wellbeing import services
from wellbeing.models import ApiClient, AuditEvent, OrgUnit, Person
from wellbeing.services.sync import MAX_UNIT_DEPTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_client(org) -> ApiClient:
    client, token = services.api_client_create(actor=ACTOR, name="hr-review", scopes=ALL_SCOPES)
    client.token = token
    return client


@pytest.fixture
def hr(hr_client):
    return bearer(hr_client.token)


def chain(length: int, prefix: str = "CH") -> list[dict]:
    """Units each below the one before, the first below the fixture's town A."""
    records = [{"code": f"{prefix}-0", "name": "链0", "kind": "section", "parent": "A"}]
    records += [
        {"code": f"{prefix}-{i}", "name": f"链{i}", "kind": "section", "parent": f"{prefix}-{i - 1}"}
        for i in range(1, length)
    ]
    return records


def test_a_unit_chain_deeper_than_the_tree_allows_is_reported_not_a_500(org, hr):
    town = OrgUnit.objects.get(code="A")
    response = hr.post(UNITS, {"records": chain(70)}, format="json")
    assert response.status_code == 200, response.content[:300]
    answer = response.json()
    fits = MAX_UNIT_DEPTH - town.depth
    assert answer["created"] == fits
    assert len(answer["errors"]) == 70 - fits
    assert all(e["errors"] == {"parent": [e["errors"]["parent"][0]]} for e in answer["errors"])
    assert OrgUnit.objects.filter(code__startswith="CH-").count() == fits


def test_a_long_chain_sent_deepest_first_is_no_recursion_error(org, hr):
    records = list(reversed(chain(1200)))
    response = hr.post(UNITS, {"records": records}, format="json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == MAX_UNIT_DEPTH - OrgUnit.objects.get(code="A").depth


def test_moving_a_subtree_below_a_deep_unit_is_refused_on_that_record(org, hr):
    hr.post(UNITS, {"records": chain(MAX_UNIT_DEPTH - 3)}, format="json")
    deepest = OrgUnit.objects.filter(code__startswith="CH-").order_by("-depth").first()
    # Town B has sections below it: moving B under the deepest unit would overflow the tree.
    response = hr.patch(
        f"/api/v1/org-units/{OrgUnit.objects.get(code='B').pk}/", {"parent": deepest.code}, format="json"
    )
    assert_error(response, 400, "parent")
    assert OrgUnit.objects.get(code="B").depth == 2


@pytest.mark.parametrize("pk", ["%C2%B2", "1" * 40])
def test_a_unit_id_that_is_no_number_is_a_404(org, hr, pk):
    assert_error(hr.patch(f"/api/v1/org-units/{pk}/", {"name": "x"}, format="json"), 404)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_null_character_in_a_person_path_is_a_400(org, hr, method):
    response = getattr(hr, method)("/api/v1/people/a%00b/", rec("a\x00b"), format="json")
    assert_error(response, 400, "external_id")
    # The call is still audited, its path made storable.
    assert AuditEvent.objects.filter(action=AuditEvent.Action.API_CALL, target_label__contains="/people/a").exists()


def test_a_replay_counts_against_the_rate_limit(org, hr, hr_client):
    cache.clear()
    services.api_client_set_rate_limit(actor=ACTOR, client=hr_client, rate_limit=2)
    headers = {"Idempotency-Key": "k-flood"}
    assert hr.post(PEOPLE, {"records": [rec("HR-1")]}, format="json", headers=headers).status_code == 200
    assert hr.post(PEOPLE, {"records": [rec("HR-1")]}, format="json", headers=headers).status_code == 200
    third = hr.post(PEOPLE, {"records": [rec("HR-1")]}, format="json", headers=headers)
    assert_error(third, 429)
    assert int(third["Retry-After"]) >= 1
    cache.clear()


def test_a_replay_needs_the_scopes_the_answer_was_given_under(org, hr, hr_client):
    headers = {"Idempotency-Key": "k-scopes"}
    assert hr.post(PEOPLE, {"records": [rec("HR-1")]}, format="json", headers=headers).status_code == 200
    ApiClient.objects.filter(pk=hr_client.pk).update(scopes=["org:read"])
    assert_error(hr.post(PEOPLE, {"records": [rec("HR-1")]}, format="json", headers=headers), 403)


def test_a_token_after_a_non_breaking_space_is_no_one_s_call(org, hr_client):
    api = bearer("x")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer\xa0{hr_client.token}")
    response = api.post(PEOPLE, {"records": []}, format="json")
    assert response.status_code in (401, 403)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.API_CALL, actor_api_client=hr_client).exists()


def test_a_retry_with_a_fresh_etag_is_another_request_not_a_replay_of_the_412(org, hr):
    # If-Match is part of what a key stands for: the 412 is not replayed for a request with a new ETag.
    staff = org.people["staff"]
    url = f"/api/v1/people/{staff.external_id}/"
    stale = hr.get(url)["ETag"]
    services.person_update(actor=ACTOR, person=staff, position="副主任科员")
    headers = {"Idempotency-Key": "k-etag", "If-Match": stale}
    assert_error(hr.patch(url, {"position": "科长"}, format="json", headers=headers), 412)
    fresh = hr.get(url)["ETag"]
    assert_error(hr.patch(url, {"position": "科长"}, format="json", headers={**headers, "If-Match": fresh}), 422)
    retry = hr.patch(
        url, {"position": "科长"}, format="json", headers={"Idempotency-Key": "k-etag-2", "If-Match": fresh}
    )
    assert retry.status_code == 200 and not retry.has_header("Idempotent-Replayed")
    assert Person.objects.get(pk=staff.pk).position == "科长"


def test_a_patch_that_brings_someone_back_clears_their_leaving_date(org, hr):
    colleague = org.people["colleague"]
    url = f"/api/v1/people/{colleague.external_id}/"
    assert hr.patch(url, {"status": "left", "left_on": "2026-01-15"}, format="json").status_code == 200
    back = hr.patch(url, {"status": "active"}, format="json")
    assert back.status_code == 200
    assert back.json()["status"] == "active" and back.json()["left_on"] is None
