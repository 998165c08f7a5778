"""The HR sync under concurrency (issue 12), on PostgreSQL: threads with a database connection each,
ordered by events (and, where one must be blocked on a row lock, by waiting until PostgreSQL says it
is), never by sleeping and hoping.

- Two POSTs with the same Idempotency-Key at once: one is applied (2xx), the other is a 409.
- Two PUTs with the same If-Match at once: one 200, one 412.
- Two PUTs creating the same person at once: one 201, one 200.
- Two syncs creating the same person at once: both succeed, one person.
- Two transactions committing in reverse order: a client reading the feed from its cursor sees both
  lines, none skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.db.models import Max
from rest_framework.test import APIClient

from tests.factories import ACTOR
from wellbeing import services
from wellbeing.models import AuditEvent, ChangeEntry, IdempotencyKey, Person
from wellbeing.selectors_changes import horizon
from wellbeing.services import changes
from wellbeing.services import sync as sync_service

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL; CI does)"),
    pytest.mark.django_db(transaction=True),
]

PEOPLE = "/api/v1/sync/people/"
CHANGES = "/api/v1/changes/"
WAIT = 20  # seconds: only ever reached when something is broken
SETTLE = 300  # seconds: another test run on the same server may hold a transaction open this long


def bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def rec(external_id: str, full_name: str | None = None, unit: str = "A1", **fields) -> dict:
    return {"external_id": external_id, "full_name": full_name or f"同事{external_id}", "unit": unit, **fields}


@pytest.fixture
def token(org) -> str:
    _, token = services.api_client_create(
        actor=ACTOR, name="hr-writer", scopes="people:read,people:write,org:read,org:write"
    )
    return token


class Worker:
    """A call run in its own thread, with its own database connection (closed at the end)."""

    def __init__(self, call: Callable[[], object]):
        self.result: object = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self.thread.start()

    def _run(self, call) -> None:
        try:
            self.result = call()
        except BaseException as exc:  # handed to the test by value()
            self.error = exc
        finally:
            connection.close()

    def value(self):
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "a thread is stuck (a deadlock?)"
        if self.error is not None:
            raise self.error
        return self.result


def wait_until_blocked_on_a_lock(count: int = 1) -> None:
    """Until ``count`` sessions of this database wait for a lock another transaction holds."""
    deadline = time.monotonic() + WAIT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.01)
    raise AssertionError("the second request never waited for the first one's lock")


def settle() -> None:
    """Until every feed line written so far is final. The feed's horizon is the oldest transaction
    still writing anywhere on the PostgreSQL server, so another database's (another test worker's)
    open transaction holds it back for a while."""
    last = ChangeEntry.objects.aggregate(last=Max("txid"))["last"] or 0
    deadline = time.monotonic() + SETTLE
    while horizon() <= last:
        assert time.monotonic() < deadline, "the feed's horizon never passed the last line"
        time.sleep(0.05)


def read_all(api: APIClient, cursor: str = "") -> tuple[list[dict], str]:
    lines = []
    while True:
        page = api.get(CHANGES, {"cursor": cursor, "streams": "people"})
        assert page.status_code == 200, page.content[:300]
        data = page.json()
        lines += data["results"]
        cursor = data["next_cursor"]
        if not data["has_more"]:
            return lines, cursor


# --- Idempotency-Key: a parallel duplicate -------------------------------------------------------------


def test_two_posts_with_the_same_key_at_once_are_applied_once(org, token, monkeypatch):
    real = sync_service.sync_people
    running, release = threading.Event(), threading.Event()

    def slow(**kwargs):
        running.set()
        assert release.wait(WAIT), "the test never let the first request finish"
        return real(**kwargs)

    monkeypatch.setattr(sync_service, "sync_people", slow)
    body = {"records": [rec("HR-1", "李强"), rec("HR-2", "王静", manager="HR-1")]}

    def send():
        return bearer(token).post(PEOPLE, body, format="json", headers={"Idempotency-Key": "batch-42"})

    first = Worker(send)
    try:
        assert running.wait(WAIT)
        second = Worker(send)  # arrives while the first is being applied
        second.thread.join(timeout=WAIT)
    finally:
        release.set()
    first_response, second_response = first.value(), second.value()

    assert first_response.status_code == 200 and first_response.json()["created"] == 2
    assert second_response.status_code == 409
    assert set(second_response.json()) == {"message", "errors"}
    assert Person.objects.filter(external_id__in=["HR-1", "HR-2"]).count() == 2
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, actor_label="api:hr-writer").count() == 2
    # Once answered, the same request gets the first answer.
    replay = send()
    assert replay.status_code == 200 and replay.content == first_response.content
    assert replay["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.get(key="batch-42").state == IdempotencyKey.State.DONE


def test_two_syncs_creating_the_same_person_at_once_both_succeed_with_one_person(org, token, monkeypatch):
    # The first holds its transaction open after inserting; the second inserts the same external ID,
    # waits for the first's commit on the unique index, fails, and is applied again as an update.
    real = changes.record_many
    inserted, release = threading.Event(), threading.Event()
    first_call = threading.Lock()

    def held(lines):
        if first_call.acquire(blocking=False):
            inserted.set()
            assert release.wait(WAIT)
        return real(lines)

    monkeypatch.setattr(changes, "record_many", held)

    first = Worker(lambda: bearer(token).post(PEOPLE, {"records": [rec("HR-1", "李强")]}, format="json"))
    try:
        assert inserted.wait(WAIT)
        second = Worker(
            lambda: bearer(token).post(PEOPLE, {"records": [rec("HR-1", "李强", position="科长")]}, format="json")
        )
        wait_until_blocked_on_a_lock()  # on the unique index, behind the first's uncommitted row
    finally:
        release.set()
    answers = [first.value(), second.value()]

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["created"] == 1
    assert answers[1].json() == {"created": 0, "updated": 1, "unchanged": 0, "errors": []}
    assert Person.objects.get(external_id="HR-1").position == "科长"


def test_two_syncs_changing_the_same_people_in_opposite_orders_both_succeed(org, token, monkeypatch):
    # A retry sent while the first call still runs (a client time-out), with the records in another
    # order: each call locks people one by one through the lifecycle service. Forced interleaving: the
    # first holds staff's row, the second takes colleague's and waits for staff's, then the first asks
    # for colleague's.
    staff, colleague = org.people["staff"], org.people["colleague"]
    real = sync_service.person_update
    first_locked, go = threading.Event(), threading.Event()

    def held(**kwargs):
        person = real(**kwargs)
        if not first_locked.is_set():  # the first call's first person: hold their row
            first_locked.set()
            assert go.wait(WAIT)
        return person

    monkeypatch.setattr(sync_service, "person_update", held)

    def send(records):
        def call():
            api = bearer(token)
            api.raise_request_exception = False
            return api.post(PEOPLE, {"records": records}, format="json")

        return call

    moved = [rec(p.external_id, p.full_name, unit="B1") for p in (staff, colleague)]
    first = Worker(send(moved))
    try:
        assert first_locked.wait(WAIT)
        second = Worker(send([rec(p.external_id, p.full_name, unit="O1") for p in (colleague, staff)]))
        wait_until_blocked_on_a_lock()
    finally:
        go.set()
    statuses = sorted([first.value().status_code, second.value().status_code])

    assert statuses == [200, 200], statuses
    units = set(Person.objects.filter(pk__in=[staff.pk, colleague.pk]).values_list("unit__code", flat=True))
    assert len(units) == 1  # one call's result, whole


# --- If-Match: a parallel PUT --------------------------------------------------------------------------


def test_two_puts_with_the_same_if_match_at_once_one_200_one_412(org, token, monkeypatch):
    api = bearer(token)
    etag = api.get("/api/v1/people/EX-colleague/")["ETag"]
    real = sync_service.person_update
    inside, release = threading.Event(), threading.Event()

    def held(**kwargs):
        inside.set()
        assert release.wait(WAIT)
        return real(**kwargs)

    monkeypatch.setattr(sync_service, "person_update", held)

    def put(position):
        return lambda: bearer(token).put(
            "/api/v1/people/EX-colleague/",
            rec("EX-colleague", "李明", position=position),
            format="json",
            HTTP_IF_MATCH=etag,
        )

    first = Worker(put("科长"))
    try:
        assert inside.wait(WAIT)  # the first holds the row, checked and about to write
        second = Worker(put("主任"))
        wait_until_blocked_on_a_lock()  # the second waits for the row
    finally:
        release.set()
    first_response, second_response = first.value(), second.value()

    assert first_response.status_code == 200
    assert second_response.status_code == 412 and set(second_response.json()) == {"message", "errors"}
    assert Person.objects.get(external_id="EX-colleague").position == "科长"
    assert api.get("/api/v1/people/EX-colleague/")["ETag"] == first_response["ETag"] != etag


def test_two_puts_creating_the_same_person_at_once_one_201_one_200(org, token, monkeypatch):
    # The first holds its transaction open after inserting (its feed line is written in it); the
    # second inserts the same external ID, waits on the unique index, and is applied as a change.
    real = changes.record_many
    inserted, release = threading.Event(), threading.Event()
    first_call = threading.Lock()

    def held(lines):
        lines = list(lines)
        if any(line[2] == "HR-NEW" for line in lines) and first_call.acquire(blocking=False):
            inserted.set()
            assert release.wait(WAIT)
        return real(lines)

    monkeypatch.setattr(changes, "record_many", held)

    def put(position):
        return lambda: bearer(token).put("/api/v1/people/HR-NEW/", rec("HR-NEW", position=position), format="json")

    first = Worker(put("科员"))
    try:
        assert inserted.wait(WAIT)
        second = Worker(put("科长"))
        wait_until_blocked_on_a_lock()
    finally:
        release.set()
    first_response, second_response = first.value(), second.value()

    assert (first_response.status_code, second_response.status_code) == (201, 200)
    assert Person.objects.filter(external_id="HR-NEW").count() == 1
    assert Person.objects.get(external_id="HR-NEW").position == "科长"


# --- The change feed: transactions committing in reverse order -----------------------------------------


def test_a_transaction_that_commits_after_a_later_one_is_not_skipped(org, token):
    reader = bearer(token)
    settle()
    _, cursor = read_all(reader)
    written, commit = threading.Event(), threading.Event()

    def slow_writer():
        with transaction.atomic():
            person = Person.objects.get(external_id="EX-colleague")
            services.person_update(actor=ACTOR, person=person, position="T1")
            written.set()
            assert commit.wait(WAIT)

    t1 = Worker(slow_writer)
    try:
        assert written.wait(WAIT)  # T1 has written its line and not committed
        # T2 starts later, writes and commits first.
        response = bearer(token).post(PEOPLE, {"records": [rec("HR-T2", "后提交")]}, format="json")
        assert ChangeEntry.objects.filter(key="HR-T2").exists()  # committed
        # A read now must not move the cursor past T1's place: T2's line waits for T1.
        held_back = reader.get(CHANGES, {"cursor": cursor, "streams": "people"}).json()
    finally:
        commit.set()
    t1.value()
    assert response.status_code == 200 and response.json()["created"] == 1
    assert held_back["results"] == [] and held_back["next_cursor"] == cursor
    settle()
    lines, cursor = read_all(reader, cursor)
    assert [(line["key"], line["data"]["position"]) for line in lines] == [("EX-colleague", "T1"), ("HR-T2", "")]
    # And nothing comes twice.
    assert read_all(reader, cursor)[0] == []


def test_a_transaction_that_started_earlier_but_wrote_later_is_not_skipped(org, token):
    reader = bearer(token)
    settle()
    _, cursor = read_all(reader)
    started, write = threading.Event(), threading.Event()

    def late_writer():
        with transaction.atomic():
            person = Person.objects.get(external_id="EX-colleague")  # begun, nothing written yet
            started.set()
            assert write.wait(WAIT)
            services.person_update(actor=ACTOR, person=person, position="late")

    t1 = Worker(late_writer)
    try:
        assert started.wait(WAIT)
        assert bearer(token).post(PEOPLE, {"records": [rec("HR-T2")]}, format="json").status_code == 200
        settle()  # T1 has no transaction id yet: it holds nothing back
        first_read, cursor = read_all(reader, cursor)
    finally:
        write.set()
    t1.value()
    assert [line["key"] for line in first_read] == ["HR-T2"]  # the cursor is now past T2's line
    settle()
    lines, _ = read_all(reader, cursor)
    assert [(line["key"], line["data"]["position"]) for line in lines] == [("EX-colleague", "late")]


def test_lines_recorded_directly_in_two_transactions_are_both_read(org, token):
    reader = bearer(token)
    settle()
    _, cursor = read_all(reader)
    written, commit = threading.Event(), threading.Event()

    def write(key: str, hold: bool):
        def run():
            with transaction.atomic():
                changes.record_many([("people", "person", key, "upsert", {"external_id": key})])
                if hold:
                    written.set()
                    assert commit.wait(WAIT)

        return run

    t1 = Worker(write("K-1", hold=True))
    try:
        assert written.wait(WAIT)
        Worker(write("K-2", hold=False)).value()  # committed first
        held_back, cursor = read_all(reader, cursor)
    finally:
        commit.set()
    t1.value()
    assert held_back == []
    settle()
    seen, _ = read_all(reader, cursor)
    assert [s["key"] for s in seen] == ["K-1", "K-2"]


def test_a_line_recorded_outside_a_transaction_is_not_skipped(org, token, monkeypatch):
    reader = bearer(token)
    settle()
    _, cursor = read_all(reader)
    real = changes.current_txid
    mine = threading.local()
    got_txid, insert = threading.Event(), threading.Event()
    held_txid: list[int] = []

    def slow_between(*args, **kwargs):
        txid = real(*args, **kwargs)
        if getattr(mine, "hold", False):
            held_txid.append(txid)
            got_txid.set()
            assert insert.wait(WAIT)
        return txid

    monkeypatch.setattr(changes, "current_txid", slow_between)

    def autocommit_save():
        mine.hold = True
        person = Person.objects.get(external_id="EX-colleague")
        person.position = "直接保存"
        person.save(update_fields=["position", "updated_at"])  # no transaction.atomic

    writer = Worker(autocommit_save)
    try:
        assert got_txid.wait(WAIT)
        assert bearer(token).post(PEOPLE, {"records": [rec("HR-T2")]}, format="json").status_code == 200
        later_txid = ChangeEntry.objects.get(key="HR-T2").txid
        # Until the reader may pass HR-T2's line, or only the held writer holds the feed back.
        deadline = time.monotonic() + SETTLE
        while not (horizon() > later_txid or horizon() == held_txid[0]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first_read, cursor = read_all(reader, cursor)
    finally:
        insert.set()
    writer.value()
    settle()
    lines, _ = read_all(reader, cursor)
    keys = [line["key"] for line in first_read + lines]
    assert sorted(keys) == ["EX-colleague", "HR-T2"], keys
