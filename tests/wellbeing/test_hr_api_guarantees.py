"""What every HR system can rely on around the sync (issue 12): Idempotency-Key, ETag / If-Match, rate
limits, body size limits, token rotation without downtime, an audit row per call, and the change feed.

Every refusal is in the one error shape ``{"message": ..., "errors": {...}}``. The two races (a parallel
duplicate, transactions committing in reverse order) are in test_hr_concurrency.py (PostgreSQL).
"""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.models import Max
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import ACTOR
from wellbeing import services
from wellbeing.models import ApiClient, AuditEvent, ChangeEntry, IdempotencyKey, OrgUnit, Person
from wellbeing.selectors_changes import horizon
from wellbeing.services import sync as sync_service

PEOPLE = "/api/v1/sync/people/"
UNITS = "/api/v1/sync/org-units/"
CHANGES = "/api/v1/changes/"
SHAPE = {"message", "errors"}
ALL_SCOPES = "people:read,people:write,org:read,org:write,leave:read"


def bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == SHAPE and body["message"], body
    if field is not None:
        assert body["errors"].get(field), body
    return body


def rec(external_id: str, full_name: str | None = None, unit: str = "A1", **fields) -> dict:
    return {"external_id": external_id, "full_name": full_name or f"同事{external_id}", "unit": unit, **fields}


@pytest.fixture
def hr_client(org) -> ApiClient:
    client, token = services.api_client_create(actor=ACTOR, name="hr-writer", scopes=ALL_SCOPES)
    client.token = token
    return client


@pytest.fixture
def hr(hr_client) -> APIClient:
    return bearer(hr_client.token)


def post(api: APIClient, records: list, key: str | None = None, url: str = PEOPLE, **body):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(url, {"records": records, **body}, format="json", headers=headers)


def not_call_audits() -> int:
    return AuditEvent.objects.exclude(action=AuditEvent.Action.API_CALL).count()


# --- Idempotency-Key ---------------------------------------------------------------------------------


def test_a_replay_gets_the_same_answer_and_applies_nothing(org, hr):
    first = post(hr, [rec("HR-1", "李强"), rec("HR-2", unit="NOPE")], key="batch-0001")
    assert first.status_code == 200 and first.json()["created"] == 1
    assert not first.has_header("Idempotent-Replayed")
    # Meanwhile someone renames the person in the admin: a replay must not undo it.
    services.person_update(actor=ACTOR, person=Person.objects.get(external_id="HR-1"), full_name="李刚")
    people, audits, lines = Person.objects.count(), not_call_audits(), ChangeEntry.objects.count()

    again = post(hr, [rec("HR-1", "李强"), rec("HR-2", unit="NOPE")], key="batch-0001")

    assert again.status_code == 200
    assert again.json() == first.json() and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"]
    assert Person.objects.get(external_id="HR-1").full_name == "李刚"
    assert (Person.objects.count(), not_call_audits(), ChangeEntry.objects.count()) == (people, audits, lines)


def test_a_refusal_is_kept_and_replayed_too(org, hr):
    first = hr.post(PEOPLE, {"records": "nope"}, format="json", headers={"Idempotency-Key": "k-400"})
    assert_error(first, 400, "records")
    again = hr.post(PEOPLE, {"records": "nope"}, format="json", headers={"Idempotency-Key": "k-400"})
    assert again.status_code == 400 and again.content == first.content and again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    "second",
    [
        {"url": PEOPLE, "records": [rec("HR-1", "王静")]},
        {"url": UNITS, "records": [rec("HR-1", "李强")]},
        {"url": PEOPLE, "records": [rec("HR-1", "李强")], "full": True},
    ],
    ids=["another body", "another path", "another flag"],
)
def test_the_same_key_for_another_request_is_a_422_and_applies_nothing(org, hr, second):
    assert post(hr, [rec("HR-1", "李强")], key="k-1").status_code == 200
    audits = not_call_audits()
    url = second.pop("url")
    body = assert_error(post(hr, key="k-1", url=url, **second), 422)
    assert "Idempotency-Key" in body["message"]
    assert Person.objects.get(external_id="HR-1").full_name == "李强"
    assert not_call_audits() == audits
    assert not Person.objects.filter(status=Person.Status.LEFT).exists()  # the "full" one did not run


def test_keys_are_per_client(org, hr):
    _, token = services.api_client_create(actor=ACTOR, name="hr-other", scopes="people:write")
    assert post(hr, [rec("HR-1")], key="shared-key").status_code == 200
    other = post(bearer(token), [rec("HR-2")], key="shared-key")
    assert other.status_code == 200 and not other.has_header("Idempotent-Replayed")
    assert Person.objects.filter(external_id="HR-2").exists()


def test_a_key_expires_after_24_hours(org, hr):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert post(hr, [rec("HR-1", "李强")], key="k-day").status_code == 200
        clock.shift(timedelta(hours=23, minutes=59))
        assert_error(post(hr, [rec("HR-1", "王静")], key="k-day"), 422)  # still kept
        replay = post(hr, [rec("HR-1", "李强")], key="k-day")
        assert replay["Idempotent-Replayed"] == "true"

        clock.shift(timedelta(minutes=2))  # 24 h and a minute
        later = post(hr, [rec("HR-1", "王静")], key="k-day")
        assert later.status_code == 200 and not later.has_header("Idempotent-Replayed")
        assert later.json()["updated"] == 1
        assert Person.objects.get(external_id="HR-1").full_name == "王静"
        # The key now holds the new request for another 24 h.
        assert post(hr, [rec("HR-1", "王静")], key="k-day")["Idempotent-Replayed"] == "true"


def test_purge_drops_expired_keys(org, hr):
    post(hr, [rec("HR-1")], key="k-old")
    assert sync_service.purge_expired(now=timezone.now() + timedelta(hours=23)) == 0
    assert sync_service.purge_expired(now=timezone.now() + timedelta(hours=25)) == 1
    assert not IdempotencyKey.objects.exists()


def test_a_server_error_is_not_kept_so_the_client_can_retry_with_the_same_key(org, hr, monkeypatch):
    real = sync_service.sync_people
    calls = []

    def fails_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(sync_service, "sync_people", fails_once)
    hr.raise_request_exception = False
    assert_error(post(hr, [rec("HR-1")], key="k-500"), 500)
    assert not IdempotencyKey.objects.filter(key="k-500").exists()
    assert not Person.objects.filter(external_id="HR-1").exists()

    retry = post(hr, [rec("HR-1")], key="k-500")
    assert retry.status_code == 200 and not retry.has_header("Idempotent-Replayed")
    assert retry.json()["created"] == 1
    assert IdempotencyKey.objects.get(key="k-500").state == IdempotencyKey.State.DONE


def test_a_batch_that_keeps_losing_races_is_a_503_to_send_again_with_the_same_key(org, hr, monkeypatch):
    # A unique key another call takes each time (three tries): not the client's fault, so not a 400.
    class UniqueViolation(Exception):
        sqlstate = "23505"

    real = sync_service._sync_people
    tries = []

    def races(*args):
        tries.append(1)
        if len(tries) <= 3:
            raise IntegrityError("duplicate key value") from UniqueViolation()
        return real(*args)

    monkeypatch.setattr(sync_service, "_sync_people", races)
    response = post(hr, [rec("HR-1")], key="k-busy")
    assert_error(response, 503)
    assert response["Retry-After"] == "2"
    assert len(tries) == 3
    assert not IdempotencyKey.objects.filter(key="k-busy").exists()  # released: the same key works
    assert not Person.objects.filter(external_id="HR-1").exists()

    retry = post(hr, [rec("HR-1")], key="k-busy")
    assert retry.status_code == 200 and retry.json()["created"] == 1


def test_the_same_key_while_the_first_request_runs_is_a_409(org, hr, monkeypatch):
    # The second request arrives while the first is being applied (here: from inside it).
    real = sync_service.sync_people
    inner = []

    def with_a_second_request(**kwargs):
        if not inner:
            inner.append(post(hr, [rec("HR-1")], key="k-dup"))
        return real(**kwargs)

    monkeypatch.setattr(sync_service, "sync_people", with_a_second_request)
    first = post(hr, [rec("HR-1")], key="k-dup")
    assert first.status_code == 200 and first.json()["created"] == 1
    body = assert_error(inner[0], 409)
    assert "still being applied" in body["message"]
    assert Person.objects.filter(external_id="HR-1").count() == 1


def test_a_key_left_running_by_a_worker_that_died_is_freed_after_a_while(org, hr, hr_client, settings):
    settings.IDEMPOTENCY_STALE_MINUTES = 15
    row = IdempotencyKey.objects.create(
        client=hr_client, key="k-dead", fingerprint="0" * 64, expires_at=timezone.now() + timedelta(hours=24)
    )
    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert_error(post(hr, [rec("HR-1")], key="k-dead"), 422)  # still taken (another request's)
    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    response = post(hr, [rec("HR-1")], key="k-dead")
    assert response.status_code == 200 and response.json()["created"] == 1


@pytest.mark.parametrize("key", ["", "k" * 256, "clé-é", "tab\there"], ids=["empty", "too long", "non-ascii", "tab"])
def test_a_key_that_is_not_a_key_is_a_400(org, hr, key):
    response = hr.post(PEOPLE, {"records": [rec("HR-1")]}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert_error(response, 400, "Idempotency-Key")
    assert not Person.objects.filter(external_id="HR-1").exists()


def test_a_write_without_a_key_is_applied_each_time(org, hr):
    assert post(hr, [rec("HR-1")]).json()["created"] == 1
    assert post(hr, [rec("HR-1")]).json()["unchanged"] == 1
    assert not IdempotencyKey.objects.exists()


# --- ETag / If-Match -----------------------------------------------------------------------------------


def test_a_put_with_the_current_etag_applies_and_a_stale_one_is_a_412(org, hr):
    read = hr.get("/api/v1/people/EX-colleague/")
    etag = read["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    first = hr.put(
        "/api/v1/people/EX-colleague/", rec("EX-colleague", "李明", position="科长"), format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200 and first.json()["position"] == "科长"
    assert first["ETag"] != etag and first["ETag"] == hr.get("/api/v1/people/EX-colleague/")["ETag"]

    stale = hr.put(
        "/api/v1/people/EX-colleague/", rec("EX-colleague", "李明", position="科员"), format="json", HTTP_IF_MATCH=etag
    )
    assert_error(stale, 412)
    assert Person.objects.get(external_id="EX-colleague").position == "科长"
    # PATCH too.
    assert_error(hr.patch("/api/v1/people/EX-colleague/", {"phone": "1"}, format="json", HTTP_IF_MATCH=etag), 412)
    patched = hr.patch(
        "/api/v1/people/EX-colleague/", {"phone": "13800000000"}, format="json", HTTP_IF_MATCH=first["ETag"]
    )
    assert patched.status_code == 200 and patched.json()["phone"] == "13800000000"


def test_a_sync_that_changes_a_person_makes_their_etag_stale_and_one_that_changes_nothing_does_not(org, hr):
    etag = hr.get("/api/v1/people/EX-colleague/")["ETag"]
    post(hr, [rec("EX-colleague", "李明")])  # unchanged
    assert hr.get("/api/v1/people/EX-colleague/")["ETag"] == etag
    post(hr, [rec("EX-colleague", "李明", phone="13900000000")])
    assert_error(hr.patch("/api/v1/people/EX-colleague/", {"position": "x"}, format="json", HTTP_IF_MATCH=etag), 412)


def test_if_match_star_means_any_current_record(org, hr):
    ok = hr.patch("/api/v1/people/EX-colleague/", {"position": "科长"}, format="json", HTTP_IF_MATCH="*")
    assert ok.status_code == 200
    # A record that does not exist matches nothing: PUT does not create it.
    assert_error(hr.put("/api/v1/people/HR-NEW/", rec("HR-NEW"), format="json", HTTP_IF_MATCH="*"), 412)
    assert not Person.objects.filter(external_id="HR-NEW").exists()
    created = hr.put("/api/v1/people/HR-NEW/", rec("HR-NEW"), format="json")
    assert created.status_code == 201 and created.has_header("ETag")


def test_a_weak_or_made_up_etag_never_matches(org, hr):
    etag = hr.get("/api/v1/people/EX-colleague/")["ETag"]
    for value in (f"W/{etag}", '"abc"', "garbage"):
        assert_error(
            hr.patch("/api/v1/people/EX-colleague/", {"position": "x"}, format="json", HTTP_IF_MATCH=value), 412
        )
    listed = hr.patch("/api/v1/people/EX-colleague/", {"position": "x"}, format="json", HTTP_IF_MATCH=f'"abc", {etag}')
    assert listed.status_code == 200


def test_a_signed_in_hr_officer_setting_work_ids_is_held_to_if_match_too(org, as_principal):
    officer = as_principal("hr_officer", api=True)
    etag = officer.get("/api/v1/people/EX-colleague/")["ETag"]
    first = officer.patch(
        "/api/v1/people/EX-colleague/", {"wecom_user_id": "LiMing"}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200 and first["ETag"] != etag
    stale = officer.patch(
        "/api/v1/people/EX-colleague/", {"wecom_user_id": "LiMing2"}, format="json", HTTP_IF_MATCH=etag
    )
    assert_error(stale, 412)
    assert Person.objects.get(external_id="EX-colleague").wecom_user_id == "LiMing"


def test_org_units_carry_an_etag_too(org, hr):
    url = f"/api/v1/org-units/{org.section_b1.pk}/"
    etag = hr.get(url)["ETag"]
    renamed = hr.patch(url, {"name": "综合一科"}, format="json", HTTP_IF_MATCH=etag)
    assert renamed.status_code == 200 and renamed.json()["name"] == "综合一科"
    assert_error(hr.patch(url, {"name": "综合二科"}, format="json", HTTP_IF_MATCH=etag), 412)
    moved = hr.put(
        url, {"name": "综合一科", "kind": "section", "parent": "A"}, format="json", HTTP_IF_MATCH=renamed["ETag"]
    )
    assert moved.status_code == 200 and moved.json()["parent"] == org.town_a.pk
    assert OrgUnit.objects.get(pk=org.section_b1.pk).name == "综合一科"


def test_the_people_put_needs_people_write(org, as_principal):
    reader = as_principal("api_client", api=True)  # people:read, org:read
    assert_error(reader.put("/api/v1/people/EX-colleague/", rec("EX-colleague", "李明"), format="json"), 403)


# --- Rate limits ---------------------------------------------------------------------------------------


def test_a_client_over_its_rate_gets_429_with_retry_after(org, hr, hr_client):
    # edda4fc never limited anyone: DRF's SimpleRateThrottle lets every request through while rate is None.
    cache.clear()
    hr_client.rate_limit = 2
    hr_client.save(update_fields=["rate_limit"])
    assert hr.get("/api/v1/people/EX-colleague/").status_code == 200
    assert hr.get("/api/v1/people/EX-colleague/").status_code == 200
    limited = hr.get("/api/v1/people/EX-colleague/")
    assert_error(limited, 429)
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another client has its own count; a 429 under a key is not kept (the retry is applied later).
    _, token = services.api_client_create(actor=ACTOR, name="hr-other", scopes="people:read")
    assert bearer(token).get("/api/v1/people/EX-colleague/").status_code == 200
    assert_error(post(hr, [rec("HR-1")], key="k-429"), 429)
    assert not IdempotencyKey.objects.filter(key="k-429").exists()
    cache.clear()


def test_signed_in_users_are_not_rate_limited_by_the_client_limits(org, as_principal):
    cache.clear()
    admin = as_principal("administrator", api=True)
    for _ in range(5):
        assert admin.get("/api/v1/org-units/").status_code == 200


# --- Body size ---------------------------------------------------------------------------------------


def test_a_sync_body_over_the_limit_is_a_413_and_nothing_is_applied(org, hr, settings):
    settings.SYNC_MAX_BODY_BYTES = 2000
    records = [rec(f"HR-{i}") for i in range(40)]
    body = assert_error(post(hr, records, key="k-big"), 413)
    assert "2000" in body["message"]
    assert not Person.objects.filter(external_id__startswith="HR-").exists()
    assert not IdempotencyKey.objects.exists()
    assert post(hr, records[:5]).status_code == 200


def test_the_rest_of_the_api_has_its_own_smaller_limit(org, hr, settings):
    settings.API_MAX_BODY_BYTES = 200
    settings.SYNC_MAX_BODY_BYTES = 100_000
    big = {"position": "科" * 100}
    assert_error(hr.patch("/api/v1/people/EX-colleague/", big, format="json"), 413)
    assert Person.objects.get(external_id="EX-colleague").position != big["position"]
    # The sync endpoints take more.
    assert post(hr, [rec(f"HR-{i}") for i in range(20)]).status_code == 200


# --- Token rotation ----------------------------------------------------------------------------------


def test_a_rotated_token_keeps_working_for_the_grace_period_then_stops(org, hr_client):
    old = bearer(hr_client.token)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client, token = services.api_client_rotate(actor=ACTOR, client=hr_client, grace_hours=24)
        new = bearer(token)
        assert old.get("/api/v1/people/EX-colleague/").status_code == 200
        assert new.get("/api/v1/people/EX-colleague/").status_code == 200
        # Writes too, in the client's name.
        assert post(old, [rec("HR-1")]).status_code == 200
        clock.shift(timedelta(hours=23, minutes=59))
        assert old.get("/api/v1/people/EX-colleague/").status_code == 200
        clock.shift(timedelta(minutes=2))
        assert_error(old.get("/api/v1/people/EX-colleague/"), 401)
        assert_error(post(old, [rec("HR-2")], key="k-old-token"), 401)
        assert new.get("/api/v1/people/EX-colleague/").status_code == 200
    assert not Person.objects.filter(external_id="HR-2").exists()
    [rotated] = AuditEvent.objects.filter(action=AuditEvent.Action.API_CLIENT_ROTATED, target_id=str(client.pk))
    assert rotated.actor_label == ACTOR.name


def test_a_second_rotation_ends_the_first_old_token_at_once(org, hr_client):
    first_token = hr_client.token
    client, second_token = services.api_client_rotate(actor=ACTOR, client=hr_client)
    client, third_token = services.api_client_rotate(actor=ACTOR, client=client)
    assert_error(bearer(first_token).get("/api/v1/people/EX-colleague/"), 401)
    assert bearer(second_token).get("/api/v1/people/EX-colleague/").status_code == 200
    assert bearer(third_token).get("/api/v1/people/EX-colleague/").status_code == 200


def test_a_rotation_without_grace_ends_the_old_token_now(org, hr_client):
    _, token = services.api_client_rotate(actor=ACTOR, client=hr_client, grace_hours=0)
    assert_error(bearer(hr_client.token).get("/api/v1/people/EX-colleague/"), 401)
    assert bearer(token).get("/api/v1/people/EX-colleague/").status_code == 200


def test_revoking_a_client_ends_both_of_its_tokens(org, hr_client):
    client, token = services.api_client_rotate(actor=ACTOR, client=hr_client)
    services.api_client_revoke(actor=ACTOR, client=client)
    assert_error(bearer(hr_client.token).get("/api/v1/people/EX-colleague/"), 401)
    assert_error(bearer(token).get("/api/v1/people/EX-colleague/"), 401)
    with pytest.raises(ValidationError, match="revoked"):
        services.api_client_rotate(actor=ACTOR, client=client)


def test_the_rotate_command_prints_a_working_token(org, hr_client, capsys):
    call_command("rotate_api_client_token", "hr-writer", "--grace-hours", "2")
    out = capsys.readouterr().out
    token = out.split("(shown once): ")[1].split()[0]
    assert "The old token works until" in out
    assert bearer(token).get("/api/v1/people/EX-colleague/").status_code == 200
    assert bearer(hr_client.token).get("/api/v1/people/EX-colleague/").status_code == 200
    [rotated] = AuditEvent.objects.filter(action=AuditEvent.Action.API_CLIENT_ROTATED)
    assert rotated.actor_label.endswith("rotate_api_client_token")


# --- One audit row per call ----------------------------------------------------------------------------


def call_rows(client: ApiClient) -> list[tuple[str, int]]:
    rows = AuditEvent.objects.filter(action=AuditEvent.Action.API_CALL, actor_api_client=client).order_by("id")
    assert set(rows.values_list("actor_label", flat=True)) <= {f"api:{client.name}"}
    return [(row.target_label, row.changes["status"]) for row in rows]


def test_every_call_of_a_client_is_one_audit_row_with_its_name(org, hr, hr_client):
    hr.get("/api/v1/people/?search=王静")
    post(hr, [rec("HR-1")], key="k-a")
    post(hr, [rec("HR-1")], key="k-a")  # a replay is a call too
    hr.get("/api/v1/people/NOBODY/")
    hr.get("/api/v1/follow-ups/")
    hr.get(CHANGES, {"cursor": "bad"})
    assert call_rows(hr_client) == [
        ("GET /api/v1/people/", 200),
        ("POST /api/v1/sync/people/", 200),
        ("POST /api/v1/sync/people/", 200),
        ("GET /api/v1/people/NOBODY/", 404),
        ("GET /api/v1/follow-ups/", 403),
        ("GET /api/v1/changes/", 400),
    ]
    # Never the query or the body (they may carry personal data).
    rows = AuditEvent.objects.filter(action=AuditEvent.Action.API_CALL)
    assert not any("王静" in str(row.changes) + row.target_label for row in rows)


def test_calls_with_an_old_token_in_its_grace_period_are_audited_under_the_client(org, hr_client):
    services.api_client_rotate(actor=ACTOR, client=hr_client)
    bearer(hr_client.token).get("/api/v1/org-units/")
    assert call_rows(hr_client) == [("GET /api/v1/org-units/", 200)]


def test_calls_without_a_valid_token_and_signed_in_users_write_no_call_row(org, as_principal):
    bearer("tx_nope").get("/api/v1/people/")
    as_principal("administrator", api=True).get("/api/v1/people/")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.API_CALL).exists()


# --- The change feed -------------------------------------------------------------------------------
# On PostgreSQL the feed serves only lines of finished transactions: these tests commit (transaction=True).

feed = pytest.mark.django_db(transaction=True)


def settle() -> None:
    """On PostgreSQL, until every feed line written so far is final. The feed's horizon is the oldest
    transaction still writing anywhere on the server, so another database's (another test worker's)
    open transaction holds it back for a while."""
    if connection.vendor != "postgresql":
        return
    last = ChangeEntry.objects.aggregate(last=Max("txid"))["last"] or 0
    deadline = time.monotonic() + 300
    while horizon() <= last:
        assert time.monotonic() < deadline, "the feed's horizon never passed the last line"
        time.sleep(0.05)


def read_all(api: APIClient, cursor: str = "", limit: int = 1000, **params) -> tuple[list[dict], str]:
    settle()
    lines = []
    while True:
        page = api.get(CHANGES, {"cursor": cursor, "limit": limit, **params})
        assert page.status_code == 200, page.content[:300]
        data = page.json()
        lines += data["results"]
        assert data["next_cursor"] or not data["results"]
        cursor = data["next_cursor"]
        if not data["has_more"]:
            return lines, cursor


@feed
def test_the_feed_gives_every_change_in_order_and_resumes_from_a_cursor(org, hr):
    _, start = read_all(hr, streams="people")
    post(hr, [rec("HR-1", "李强"), rec("HR-2", "王静", manager="HR-1")])
    post(hr, [rec("HR-1", "李刚")])
    lines, cursor = read_all(hr, start, streams="people")
    assert [(line["key"], line["op"], line["data"]["full_name"]) for line in lines] == [
        ("HR-1", "upsert", "李强"),
        ("HR-2", "upsert", "王静"),
        ("HR-1", "upsert", "李刚"),
    ]
    assert lines[1]["data"]["manager"] == "HR-1" and lines[0]["type"] == "person"
    assert all(line["stream"] == "people" for line in lines)
    # Page by page, from each line's own cursor: the same lines.
    paged, _ = read_all(hr, start, limit=1, streams="people")
    assert paged == lines
    assert read_all(hr, lines[0]["cursor"], streams="people")[0] == lines[1:]
    # Nothing new: an empty page and the same cursor.
    page = hr.get(CHANGES, {"cursor": cursor, "streams": "people"}).json()
    assert page == {"results": [], "next_cursor": cursor, "has_more": False}
    post(hr, [rec("HR-3")])
    assert [line["key"] for line in read_all(hr, cursor, streams="people")[0]] == ["HR-3"]


@feed
def test_people_who_left_and_units_out_of_use_are_tombstones(org, hr):
    _, start = read_all(hr)
    post(hr, [rec("EX-colleague", "李明", status="left")])
    post(hr, [{"code": "B1", "name": "综合办B", "kind": "section", "parent": "B", "is_active": False}], url=UNITS)
    lines, _ = read_all(hr, start)
    ops = {(line["stream"], line["key"]): (line["op"], line["data"]) for line in lines}
    op, data = ops[("people", "EX-colleague")]
    assert op == "tombstone" and data["status"] == "left" and data["left_on"]
    op, data = ops[("org-units", "B1")]
    assert op == "tombstone" and data["is_active"] is False and data["parent"] == "B"


@feed
def test_the_feed_shows_only_the_streams_the_token_covers(org, as_principal, hr):
    post(hr, [rec("HR-1")])
    post(hr, [{"code": "N1", "name": "新科", "kind": "section", "parent": "A"}], url=UNITS)
    reader = as_principal("api_client", api=True)  # people:read, org:read
    streams = {line["stream"] for line in read_all(reader)[0]}
    assert streams == {"people", "org-units"}
    _, token = services.api_client_create(actor=ACTOR, name="people-only", scopes="people:read")
    assert {line["stream"] for line in read_all(bearer(token))[0]} == {"people"}
    assert_error(bearer(token).get(CHANGES, {"streams": "people,org-units"}), 403)
    assert_error(as_principal("api_client", api=True).get(CHANGES, {"streams": "leave"}), 403)


def cursor_of(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "Zm9v", cursor_of("c1:x:1"), cursor_of("c1:-1:3"), cursor_of("c2:1:1"), cursor_of("c1:1"), "%%%%"],
    ids=["text", "base64 of text", "not a number", "negative", "other version", "one part", "not base64"],
)
def test_a_cursor_the_feed_did_not_give_out_is_a_400(org, hr, cursor):
    assert_error(hr.get(CHANGES, {"cursor": cursor}), 400, "cursor")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"streams": "payroll"}, "streams"),
        ({"streams": ","}, "streams"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"limit": "1001"}, "limit"),
    ],
)
def test_bad_feed_parameters_are_a_400(org, hr, params, field):
    assert_error(hr.get(CHANGES, params), 400, field)


@pytest.mark.parametrize("principal", ["administrator", "hr_officer", "staff"])
def test_signed_in_users_cannot_read_the_feed(org, as_principal, principal):
    assert_error(as_principal(principal, api=True).get(CHANGES), 403)


def test_the_feed_needs_a_token(org):
    assert_error(APIClient().get(CHANGES), 401)


@feed
def test_the_feed_of_a_big_batch_pages_without_losing_a_line(org, hr):
    _, start = read_all(hr, streams="people")
    post(hr, [rec(f"HR-{i:03d}") for i in range(250)])
    lines, _ = read_all(hr, start, limit=100, streams="people")
    assert [line["key"] for line in lines] == [f"HR-{i:03d}" for i in range(250)]
    assert len({line["cursor"] for line in lines}) == 250


def test_pages_keep_djangos_own_body_limit(db, client):
    # PAGE_MAX_BODY_BYTES (2.5 MB, Django's own default): larger page bodies are refused before a view runs.
    response = client.post("/i18n/setlang/", {"language": "en", "filler": "x" * 3_000_000})
    assert response.status_code == 413
