"""Redis and PostgreSQL settings checked at start (wellbeing/service_checks.py, manage.py check_services).

The clients are fakes answering as a real server would (CONFIG GET, SHOW); one test at the end asks the
real local Redis and PostgreSQL, reading only.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import psycopg
import pytest
import redis
from celery.signals import worker_ready
from django.core.management import call_command

from wellbeing import service_checks
from wellbeing.service_checks import FAIL, OK, WARN, check_postgresql, check_redis

BROKER = "redis://:s3cret-pass@redis.internal:6380/2"
GOOD_REDIS = {"maxmemory-policy": "noeviction", "maxmemory": "0", "appendonly": "yes", "save": "3600 1"}
POSTGRES = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "tanxin",
    "USER": "tanxin",
    "PASSWORD": "pg-s3cret",
    "HOST": "db.internal",
    "PORT": "5432",
    "OPTIONS": {"pool": {"min_size": 1, "max_size": 10}},
}
GOOD_PG = {
    "server_version_num": "150007",
    "server_encoding": "UTF8",
    "max_connections": "100",
    "superuser_reserved_connections": "3",
    "idle_in_transaction_session_timeout": "5min",
    "statement_timeout": "0",
}


class FakeConsumer:
    """What a worker's ``worker_ready`` sender offers: its controller (the worker) and its concurrency."""

    def __init__(self, concurrency):
        self.controller = SimpleNamespace(concurrency=concurrency)


class FakeRedis:
    def __init__(self, config=None, *, unreachable=False, config_disabled=False):
        self.config = dict(GOOD_REDIS if config is None else config)
        self.unreachable = unreachable
        self.config_disabled = config_disabled
        self.closed = False

    def ping(self):
        if self.unreachable:
            raise redis.ConnectionError("Error 111 connecting to redis.internal:6380. Connection refused.")
        return True

    def config_get(self, name):
        if self.config_disabled:
            raise redis.ResponseError("unknown command 'CONFIG'")
        return {name: self.config[name]} if name in self.config else {}

    def close(self):
        self.closed = True


def redis_results(**fake) -> dict[str, service_checks.CheckResult]:
    client = FakeRedis(**fake)
    results = check_redis(BROKER, client_factory=lambda url: client)
    assert client.closed or fake.get("unreachable")
    return {r.name: r for r in results}


class FakeCursor:
    def __init__(self, answers):
        self.answers = answers
        self.value = None

    def execute(self, sql):
        assert sql.startswith("SHOW "), "the checks only read"
        self.value = self.answers[sql.removeprefix("SHOW ")]

    def fetchone(self):
        return (self.value,)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeConnection:
    def __init__(self, answers):
        self.answers = answers

    def cursor(self):
        return FakeCursor(self.answers)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def pg_results(*, needed=20, **changes) -> dict[str, service_checks.CheckResult]:
    answers = GOOD_PG | changes
    seen = {}

    def connect(**params):
        seen.update(params)
        return FakeConnection(answers)

    results = check_postgresql(POSTGRES, needed=needed, connect=connect)
    assert "pool" not in seen and seen["connect_timeout"] == service_checks.CONNECT_TIMEOUT
    assert seen["dbname"] == "tanxin" and seen["host"] == "db.internal"
    return {r.name: r for r in results}


# --- Redis --------------------------------------------------------------------------------------------


def test_it_is_ok_with_noeviction_and_appendonly():
    results = redis_results()
    assert {name: r.status for name, r in results.items()} == {
        "connection": OK,
        "maxmemory-policy": OK,
        "persistence": OK,
    }
    assert "redis.internal:6380/2" in results["connection"].message


def test_it_warns_that_an_evicting_redis_could_drop_queued_reminders():
    result = redis_results(config=GOOD_REDIS | {"maxmemory-policy": "allkeys-lru", "maxmemory": "268435456"})[
        "maxmemory-policy"
    ]
    assert result.status == WARN
    assert "allkeys-lru" in result.message and "reminder" in result.message
    assert "maxmemory-policy noeviction" in result.message  # how to fix it


def test_it_warns_that_a_redis_without_persistence_loses_queued_tasks_on_restart():
    result = redis_results(config=GOOD_REDIS | {"appendonly": "no", "save": ""})["persistence"]
    assert result.status == WARN
    assert "restart loses every queued task" in result.message
    assert "queue their deliveries again" in result.message  # what the pipeline recovers
    assert "appendonly yes" in result.message


def test_snapshots_alone_count_as_persistence_with_a_note():
    result = redis_results(config=GOOD_REDIS | {"appendonly": "no", "save": "3600 1 300 100"})["persistence"]
    assert result.status == OK
    assert "snapshots only" in result.message


def test_a_managed_redis_that_refuses_config_is_reported_as_not_checked():
    results = redis_results(config_disabled=True)
    assert results["connection"].status == OK
    assert results["settings"].status == WARN
    assert results["settings"].message.startswith("could not check")
    assert "noeviction" in results["settings"].message and "appendonly yes" in results["settings"].message


def test_an_unreachable_redis_fails_without_showing_the_password():
    results = redis_results(unreachable=True)
    assert list(results) == ["connection"]
    assert results["connection"].status == FAIL
    assert "redis.internal:6380/2" in results["connection"].message
    assert "s3cret" not in results["connection"].line()


@pytest.mark.parametrize("url", ["filesystem://", "memory://"])
def test_the_embedded_broker_has_nothing_to_check(url):
    [result] = check_redis(url, client_factory=pytest.fail)
    assert result.status == OK and "embedded mode" in result.message


# --- PostgreSQL ---------------------------------------------------------------------------------------


def test_it_is_ok_with_a_well_set_postgresql():
    results = pg_results()
    assert {name: r.status for name, r in results.items()} == {
        "connection": OK,
        "version": OK,
        "encoding": OK,
        "max_connections": OK,
        "idle_in_transaction_session_timeout": OK,
        "statement_timeout": OK,
    }
    assert results["version"].message == "15"
    assert "statement_timeout" in results["statement_timeout"].message  # the advice comes with it


def test_a_postgresql_older_than_django_supports_fails():
    result = pg_results(server_version_num="130016")["version"]
    assert result.status == FAIL
    assert "13" in result.message and "PostgreSQL 14 or later" in result.message


def test_a_database_not_in_utf8_fails():
    result = pg_results(server_encoding="SQL_ASCII")["encoding"]
    assert result.status == FAIL
    assert "createdb -E UTF8" in result.message


def test_too_few_connections_for_the_processes_warn():
    results = pg_results(needed=40, max_connections="40")
    assert results["max_connections"].status == WARN
    assert "37 for Tanxin" in results["max_connections"].message  # 3 reserved for superusers
    assert "WEB_CONCURRENCY" in results["max_connections"].message
    assert pg_results(needed=37, max_connections="40")["max_connections"].status == OK


def test_no_idle_in_transaction_timeout_warns():
    result = pg_results(idle_in_transaction_session_timeout="0")["idle_in_transaction_session_timeout"]
    assert result.status == WARN
    assert "idle_in_transaction_session_timeout = '5min'" in result.message


def test_an_unreachable_postgresql_fails_without_showing_the_password():
    def connect(**params):
        raise psycopg.OperationalError('connection to server at "db.internal" failed: password pg-s3cret')

    [result] = check_postgresql(POSTGRES, needed=10, connect=connect)
    assert result.status == FAIL and result.name == "connection"
    assert "db.internal:5432/tanxin" in result.message and "pg-s3cret" not in result.message


def test_sqlite_has_nothing_to_check():
    [result] = check_postgresql({"ENGINE": "django.db.backends.sqlite3"}, needed=10, connect=pytest.fail)
    assert result.status == OK and "embedded mode" in result.message


def test_the_connections_needed_count_every_process():
    assert service_checks.connections_needed(web_processes=5, web_threads=2, worker_concurrency=4) == 17


# --- Where they run -----------------------------------------------------------------------------------


def test_the_command_prints_each_check_and_exits_0_in_embedded_mode(monkeypatch, capsys):
    embedded = SimpleNamespace(
        CELERY_BROKER_URL="filesystem://", DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3"}}
    )
    monkeypatch.setattr(service_checks, "settings", embedded)  # as the demo runs, whatever DATABASE_URL says
    call_command("check_services")
    out = capsys.readouterr().out
    assert "OK   redis broker: embedded mode" in out
    assert "OK   postgresql database: embedded mode" in out


def test_the_command_exits_1_when_a_check_fails(monkeypatch, capsys):
    monkeypatch.setattr(
        service_checks,
        "check_postgresql",
        lambda database, needed: [service_checks.CheckResult("postgresql", "version", FAIL, "12")],
    )
    with pytest.raises(SystemExit) as exit_:
        call_command("check_services")
    assert exit_.value.code == 1
    assert "FAIL postgresql version: 12" in capsys.readouterr().out


def test_the_command_counts_the_connections_it_is_told(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        service_checks, "check_postgresql", lambda database, needed: seen.setdefault("needed", needed) and []
    )
    call_command("check_services", "--web-processes", "6", "--web-threads", "2", "--worker-concurrency", "4")
    assert seen["needed"] == 6 * 2 + 4 + service_checks.OTHER_CONNECTIONS


def test_the_command_logs_warnings_with_log(monkeypatch, caplog):
    monkeypatch.setattr(
        service_checks,
        "check_redis",
        lambda url: [service_checks.CheckResult("redis", "persistence", WARN, "off: set appendonly yes")],
    )
    monkeypatch.setattr(service_checks, "check_postgresql", lambda database, needed: [])
    with caplog.at_level(logging.INFO, logger="wellbeing.service_checks"):
        call_command("check_services", "--log")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["service check: WARN redis persistence: off: set appendonly yes"]


def test_a_celery_worker_logs_the_checks_when_ready_with_its_concurrency(monkeypatch, caplog):
    seen = {}
    monkeypatch.setattr(
        service_checks,
        "check_redis",
        lambda url: [service_checks.CheckResult("redis", "maxmemory-policy", WARN, "allkeys-lru: evicts")],
    )
    monkeypatch.setattr(
        service_checks, "check_postgresql", lambda database, needed: seen.setdefault("needed", needed) and []
    )
    monkeypatch.delenv("CELERY_WORKER_CONCURRENCY", raising=False)
    with caplog.at_level(logging.WARNING, logger="wellbeing.service_checks"):
        worker_ready.send(sender=FakeConsumer(7))
    assert "WARN redis maxmemory-policy: allkeys-lru: evicts" in caplog.text
    assert seen["needed"] == service_checks.default_web_processes() + 7 + service_checks.OTHER_CONNECTIONS


def test_a_check_that_breaks_never_stops_the_worker(monkeypatch, caplog):
    def broken(url):
        raise RuntimeError("boom")

    monkeypatch.setattr(service_checks, "check_redis", broken)
    worker_ready.send(sender=None)  # does not raise
    assert "service checks could not run" in caplog.text


# --- The real local services, read only ----------------------------------------------------------------


def test_the_real_local_redis_and_postgresql_answer_the_checks():
    url = "redis://127.0.0.1:6379/9"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        before = client.config_get("*")
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    results = {r.name: r for r in check_redis(url)}
    assert results["connection"].status == OK
    assert results["maxmemory-policy"].status in (OK, WARN) and results["persistence"].status in (OK, WARN)
    assert client.config_get("*") == before  # nothing changed
    client.close()

    local = {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres", "USER": "postgres", "HOST": "127.0.0.1"}
    try:
        psycopg.connect(dbname="postgres", user="postgres", host="127.0.0.1", connect_timeout=1).close()
    except psycopg.Error:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    pg = {r.name: r for r in check_postgresql(local, needed=10)}
    assert pg["connection"].status == OK
    assert pg["version"].status == OK and int(pg["version"].message) >= service_checks.POSTGRESQL_MIN_VERSION
    assert pg["encoding"].status == OK
    assert pg["max_connections"].status in (OK, WARN)
