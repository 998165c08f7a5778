"""The settings of the services Tanxin runs on, checked at start (docs/operations.md, "Checking the
services").

Redis (the Celery broker) must not evict keys and should persist them; PostgreSQL must be recent enough,
store UTF-8, have connections for every process, and end sessions left idle in a transaction. Each
check answers OK, WARN (works, but a bad day would lose or hold up something: says what and how to fix
it) or FAIL (cannot work). They run:

- at the start of gunicorn (``when_ready`` in ``deploy/gunicorn.conf.py`` runs ``manage.py
  check_services --log`` once, from the master, in a separate process);
- when a Celery worker is ready (``worker_ready``, connected below when the app registry loads);
- on demand: ``manage.py check_services`` (exit 1 on FAIL).

They are not Django system checks: ``check --deploy`` stays about Django's own settings, and a CI Redis
without persistence is deliberate. They only read (``CONFIG GET``, ``SHOW``), never change a setting, and
never print a password: a service is named by its host, port and database.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis
from celery.signals import worker_ready
from django.conf import settings

logger = logging.getLogger(__name__)

OK = "OK"
WARN = "WARN"
FAIL = "FAIL"

#: The oldest PostgreSQL Django 5.2 supports (django.db.backends.postgresql.features).
POSTGRESQL_MIN_VERSION = 14
#: Seconds to wait for a service before saying it cannot be reached.
CONNECT_TIMEOUT = 5
#: Connections PostgreSQL keeps for superusers by default (superuser_reserved_connections).
RESERVED_DEFAULT = 3
#: One beat and a management command or two (migrate, a backup) besides the web and worker processes.
OTHER_CONNECTIONS = 3

EMBEDDED_BROKERS = ("filesystem://", "memory://")
REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+socket")


@dataclass(frozen=True)
class CheckResult:
    service: str
    name: str
    status: str
    message: str

    def line(self) -> str:
        return f"{self.status:<4} {self.service} {self.name}: {self.message}"


# --- Redis ------------------------------------------------------------------------------------------


def redis_location(url: str) -> str:
    """The broker's host, port and database, without user name or password."""
    parts = urlsplit(url)
    if parts.scheme in ("unix", "redis+socket"):
        return parts.path or "(socket)"
    db = parts.path.lstrip("/") or "0"
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}/{db}"


def _config_get(client: Any, name: str) -> str:
    answer = client.config_get(name)
    return str(answer.get(name, ""))


def check_redis(url: str, *, client_factory: Callable[[str], Any] | None = None) -> list[CheckResult]:
    """The broker's Redis: reachable, ``maxmemory-policy noeviction``, persistence on."""
    if url.startswith(EMBEDDED_BROKERS):
        return [CheckResult("redis", "broker", OK, "embedded mode (no Redis): nothing to check")]
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        return [CheckResult("redis", "broker", WARN, f"could not check: the broker is not Redis ({scheme}://)")]
    where = redis_location(url)
    factory = client_factory or (
        lambda u: redis.Redis.from_url(u, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT)
    )
    try:
        client = factory(url)
        client.ping()
    except redis.RedisError as exc:
        return [
            CheckResult(
                "redis",
                "connection",
                FAIL,
                f"cannot reach the broker at {where} ({type(exc).__name__}): start Redis or correct "
                "CELERY_BROKER_URL; no task (reminders, deliveries) is queued or run meanwhile",
            )
        ]
    results = [CheckResult("redis", "connection", OK, f"the broker at {where} answers")]
    try:
        results.append(_redis_eviction(client))
        results.append(_redis_persistence(client))
    except redis.ResponseError as exc:
        results.append(
            CheckResult(
                "redis",
                "settings",
                WARN,
                f"could not check: CONFIG GET is refused ({type(exc).__name__}; managed Redis services often "
                "disable it). Make sure with your provider that maxmemory-policy is noeviction and that "
                "persistence (appendonly yes) is on",
            )
        )
    except redis.RedisError as exc:
        results.append(CheckResult("redis", "settings", WARN, f"could not check ({type(exc).__name__})"))
    finally:
        client.close()
    return results


def _redis_eviction(client: Any) -> CheckResult:
    policy = _config_get(client, "maxmemory-policy")
    if policy == "noeviction":
        return CheckResult("redis", "maxmemory-policy", OK, "noeviction")
    maxmemory = _config_get(client, "maxmemory") or "0"
    return CheckResult(
        "redis",
        "maxmemory-policy",
        WARN,
        f"{policy} (maxmemory {maxmemory}): when Redis fills up it may evict queued tasks, among them "
        "reminder deliveries. Set `maxmemory-policy noeviction` in redis.conf (and keep the cache in "
        "another Redis if it needs eviction)",
    )


def _redis_persistence(client: Any) -> CheckResult:
    appendonly = _config_get(client, "appendonly")
    save = _config_get(client, "save").strip()
    if appendonly == "yes":
        return CheckResult("redis", "persistence", OK, "appendonly yes")
    if save:
        return CheckResult(
            "redis",
            "persistence",
            OK,
            f"snapshots only (save {save}): a crash loses the tasks queued since the last snapshot; "
            "`appendonly yes` loses at most a second's",
        )
    return CheckResult(
        "redis",
        "persistence",
        WARN,
        'off (appendonly no, save ""): a Redis restart loses every queued task. Reminders are recorded '
        "in the database and the next scans queue their deliveries again, so they go out a few minutes "
        "late; other queued work waits for its next periodic run. Set `appendonly yes` in redis.conf",
    )


# --- PostgreSQL -------------------------------------------------------------------------------------


def connection_params(database: dict) -> dict:
    """psycopg.connect() keyword arguments for a Django DATABASES entry (no pool: one short connection)."""
    options = {
        key: value
        for key, value in (database.get("OPTIONS") or {}).items()
        if key not in ("pool", "isolation_level", "assume_role", "server_side_binding")
    }
    params = {"dbname": database.get("NAME") or "postgres", **options, "connect_timeout": CONNECT_TIMEOUT}
    for key, setting in (("user", "USER"), ("password", "PASSWORD"), ("host", "HOST"), ("port", "PORT")):
        if database.get(setting):
            params[key] = database[setting]
    return params


def connections_needed(*, web_processes: int, web_threads: int = 1, worker_concurrency: int) -> int:
    """Connections this installation's processes may hold at once: one per web thread and per worker
    process, plus beat and a command or two."""
    return web_processes * web_threads + worker_concurrency + OTHER_CONNECTIONS


def _show(cursor: Any, name: str) -> str:
    cursor.execute(f"SHOW {name}")
    return str(cursor.fetchone()[0])


def _milliseconds(value: str) -> int:
    """'0', '5min', '30s', '250ms', '1h' (SHOW's units) as milliseconds."""
    for unit, factor in (("ms", 1), ("min", 60_000), ("s", 1000), ("h", 3_600_000), ("d", 86_400_000)):
        if value.endswith(unit) and value[: -len(unit)].strip().isdigit():
            return int(value[: -len(unit)]) * factor
    return int(value) if value.isdigit() else 0


def check_postgresql(database: dict, *, needed: int, connect: Callable[..., Any] | None = None) -> list[CheckResult]:
    """The database server: version, encoding, max_connections, idle-in-transaction and statement time-outs."""
    if database.get("ENGINE") != "django.db.backends.postgresql":
        return [CheckResult("postgresql", "database", OK, "embedded mode (SQLite): nothing to check")]
    params = connection_params(database)
    where = f"{params.get('host', 'localhost')}:{params.get('port', 5432)}/{params['dbname']}"
    try:
        with (connect or psycopg.connect)(**params) as conn, conn.cursor() as cursor:
            version = int(_show(cursor, "server_version_num"))
            encoding = _show(cursor, "server_encoding")
            max_connections = int(_show(cursor, "max_connections"))
            reserved = int(_show(cursor, "superuser_reserved_connections") or RESERVED_DEFAULT)
            idle = _show(cursor, "idle_in_transaction_session_timeout")
            statement = _show(cursor, "statement_timeout")
    except psycopg.Error as exc:
        return [
            CheckResult(
                "postgresql",
                "connection",
                FAIL,
                f"cannot reach the database at {where} ({type(exc).__name__}): start PostgreSQL or correct "
                "DATABASE_URL",
            )
        ]
    results = [CheckResult("postgresql", "connection", OK, f"the database at {where} answers")]
    major = version // 10000
    if major < POSTGRESQL_MIN_VERSION:
        results.append(
            CheckResult(
                "postgresql",
                "version",
                FAIL,
                f"{major}: Django 5.2 needs PostgreSQL {POSTGRESQL_MIN_VERSION} or later; upgrade the server",
            )
        )
    else:
        results.append(CheckResult("postgresql", "version", OK, str(major)))
    if encoding.upper().replace("-", "") != "UTF8":
        results.append(
            CheckResult(
                "postgresql",
                "encoding",
                FAIL,
                f"{encoding}: Chinese text needs UTF8. Create the database with `createdb -E UTF8 "
                "-T template0 ...` and restore the data into it",
            )
        )
    else:
        results.append(CheckResult("postgresql", "encoding", OK, "UTF8"))
    available = max_connections - reserved
    if needed > available:
        results.append(
            CheckResult(
                "postgresql",
                "max_connections",
                WARN,
                f"{max_connections} ({available} for Tanxin) but its processes may hold {needed}: requests "
                "and tasks will wait for a connection or fail. Raise max_connections in postgresql.conf "
                "(and restart PostgreSQL) or run fewer web workers (WEB_CONCURRENCY) or worker processes "
                "(CELERY_WORKER_CONCURRENCY)",
            )
        )
    else:
        results.append(
            CheckResult("postgresql", "max_connections", OK, f"{max_connections}, of which Tanxin may use {needed}")
        )
    if _milliseconds(idle) == 0:
        results.append(
            CheckResult(
                "postgresql",
                "idle_in_transaction_session_timeout",
                WARN,
                "0 (never): a session left idle in a transaction holds back the HR change feed and keeps its "
                "locks. Set `idle_in_transaction_session_timeout = '5min'` in postgresql.conf and reload",
            )
        )
    else:
        results.append(CheckResult("postgresql", "idle_in_transaction_session_timeout", OK, idle))
    if _milliseconds(statement) == 0:
        results.append(
            CheckResult(
                "postgresql",
                "statement_timeout",
                OK,
                "0 (none). Optional: `ALTER ROLE tanxin SET statement_timeout = '10min'` ends a query "
                "whose web worker was stopped; keep it above the longest task (1 hour) or leave it off",
            )
        )
    else:
        results.append(CheckResult("postgresql", "statement_timeout", OK, statement))
    return results


# --- Running them -----------------------------------------------------------------------------------


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


def default_web_processes() -> int:
    """Gunicorn's worker count as deploy/gunicorn.conf.py sets it (WEB_CONCURRENCY, else 2 x CPUs + 1)."""
    return _env_int("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)


def default_worker_concurrency() -> int:
    """The Celery worker's processes as the units set them (CELERY_WORKER_CONCURRENCY, else one per CPU)."""
    return _env_int("CELERY_WORKER_CONCURRENCY", os.cpu_count() or 1)


def run_all(
    *, web_processes: int | None = None, web_threads: int = 1, worker_concurrency: int | None = None
) -> list[CheckResult]:
    needed = connections_needed(
        web_processes=web_processes or default_web_processes(),
        web_threads=web_threads,
        worker_concurrency=worker_concurrency or default_worker_concurrency(),
    )
    return [
        *check_redis(settings.CELERY_BROKER_URL),
        *check_postgresql(settings.DATABASES["default"], needed=needed),
    ]


def log_results(results: Iterable[CheckResult]) -> None:
    """OK as INFO, WARN as WARNING, FAIL as ERROR: one line each."""
    levels = {OK: logging.INFO, WARN: logging.WARNING, FAIL: logging.ERROR}
    for result in results:
        logger.log(levels[result.status], "service check: %s", result.line())


@worker_ready.connect(weak=False, dispatch_uid="wellbeing.service_checks")
def check_at_worker_start(sender=None, **kwargs) -> None:
    """When a Celery worker is ready: log the checks, with its own concurrency. Never stops the worker."""
    concurrency = getattr(getattr(sender, "controller", None), "concurrency", None)
    try:
        log_results(run_all(worker_concurrency=concurrency if isinstance(concurrency, int) else None))
    except Exception:
        logger.exception("service checks could not run")
