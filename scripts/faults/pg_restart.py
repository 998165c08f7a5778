#!/usr/bin/env python3
"""Fault script: PostgreSQL restarted while people log talks and read pages.

Starts a PRIVATE PostgreSQL (initdb into a temporary directory, its own port; the shared server is
never touched), migrates it, adds a supervisor and a person of their unit, and runs gunicorn against it with the
connection pool on (the production default). Client threads then log talks through the API and read
pages while PostgreSQL is stopped (fast shutdown: every connection is terminated mid-request), kept
down for a few seconds, and started again.

It reports the answers by phase (2xx / 503 / other), and fails (exit 1) when any answer was a 500
or anything else but 2xx / 503, when a talk was half written (a talk without its participant or its
agreed action), when a talk answered 201 is missing, or when requests did not all succeed again
within --recover seconds of PostgreSQL being back.

    .venv/bin/python scripts/faults/pg_restart.py [--seconds-before 10] [--down 5] [--seconds-after 20]

Needs the PostgreSQL 15 server binaries (/usr/lib/postgresql/15/bin) and, as root, the postgres
system user (initdb refuses to run as root). Results: docs/faults.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "Fault-test-2026"  # noqa: S105 (a throw-away database)

SETTINGS = """\
from pathlib import Path

from config.settings.local import *  # noqa: F403
from config.settings.local import STORAGES

DEBUG = False
STATIC_ROOT = Path(r"{static}")
# Static files straight from the source folders: no collectstatic (minutes on a busy machine).
STORAGES = {{**STORAGES, "staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}}
WHITENOISE_USE_FINDERS = True
LOGGING = {{"version": 1, "disable_existing_loggers": False,
           "root": {{"level": "WARNING", "handlers": ["console"]}},
           "handlers": {{"console": {{"class": "logging.StreamHandler"}}}}}}
"""

SEED = """\
from datetime import date
from tests.factories import ACTOR, UserFactory, make_person, make_unit
from wellbeing import services
from wellbeing.models import Role
county = make_unit("青溪县", code="FC")
town = make_unit("城关镇", parent=county, code="FA")
user = UserFactory(username="supervisor")
user.set_password("{password}")
user.save()
make_person(town, full_name="张主任", user=user, external_id="F-supervisor")
for n in range({people}):
    make_person(town, full_name=f"李明{{n}}", external_id=f"F-colleague-{{n}}")
services.role_assign(actor=ACTOR, user=user, role=Role.SUPERVISOR, unit=town, valid_from=date(2020, 1, 1))
print("F-colleague 0")  # the talks of earlier runs: none (a fresh database)
"""

CHECK_ROWS = """\
import json
from talks.models import Talk, TalkAction, TalkParticipant
from django.db.models import Count
talks = Talk.objects.filter(pk__gt={first})
print(json.dumps({{
    "ids": list(talks.values_list("id", flat=True)),
    "without_participant": talks.annotate(n=Count("participations")).filter(n=0).count(),
    "without_its_action": talks.annotate(n=Count("actions")).exclude(n=1).count(),
    "orphan_actions": TalkAction.objects.filter(talk__isnull=True).count(),
    "participants": TalkParticipant.objects.filter(talk__in=talks).count(),
}}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    def __init__(self, base: Path, port: int):
        self.base, self.port, self.data = base, port, base / "pgdata"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _pg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_postgres, *args], check=check, capture_output=True, text=True)  # noqa: S603 (a fixed argument list)

    def init(self) -> None:
        if self.as_postgres:
            shutil.chown(self.base, "postgres")
        self._pg(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c max_connections=50"
        self._pg(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "pg.log"), "-w", "start"
        )

    def stop(self) -> None:
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def running(self) -> bool:
        return self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status", check=False).returncode == 0

    def createdb(self, name: str) -> None:
        self._pg(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)


class Traffic:
    """Client threads: each logs a talk through the API, then reads two pages, in a loop."""

    def __init__(self, base_url: str, participant: str, threads: int):
        # One person per client: a morning's supervisors talk with different people. (Two talks with
        # the same person logged at the same moment race to complete that person's "talk due"
        # follow-up; the loser is refused with a 400 - not a database fault.)
        self.base_url, self.participant, self.threads = base_url, participant, threads
        self.results: list[tuple[float, str, object]] = []  # (time, what, status or error name)
        self.created: list[int] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def session(self) -> requests.Session:
        s = requests.Session()
        s.get(f"{self.base_url}/accounts/login/", timeout=30)
        r = s.post(
            f"{self.base_url}/accounts/login/",
            data={"username": "supervisor", "password": PASSWORD, "csrfmiddlewaretoken": s.cookies["csrftoken"]},
            headers={"Referer": f"{self.base_url}/accounts/login/"},
            timeout=30,
        )
        r.raise_for_status()
        if "sessionid" not in s.cookies:
            raise SystemExit("could not log in as the supervisor")
        return s

    def record(self, what: str, outcome) -> None:
        with self.lock:
            self.results.append((time.monotonic(), what, outcome))

    def run_one(self, n: int) -> None:
        participant = f"{self.participant}-{n}"
        s = self.session()
        while not self.stop.is_set():
            talk = {
                "participants": [participant],
                "held_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "main_content": "fault test",
                "actions": [
                    {"description": "follow up", "due_date": (datetime.now(UTC) + timedelta(days=7)).date().isoformat()}
                ],
            }
            calls = [
                ("talk POST /api/v1/talks/", "post", "/api/v1/talks/", talk),
                ("page GET /talks/mine/", "get", "/talks/mine/", None),
                ("page GET /", "get", "/", None),
            ]
            for what, method, path, body in calls:
                try:
                    kwargs = {"json": body, "headers": {"X-CSRFToken": s.cookies.get("csrftoken", "")}} if body else {}
                    r = s.request(method, f"{self.base_url}{path}", timeout=30, allow_redirects=False, **kwargs)
                    outcome: object = r.status_code
                    if r.status_code == 201:
                        with self.lock:
                            self.created.append(r.json()["id"])
                    elif r.status_code == 503 and "Retry-After" not in r.headers:
                        outcome = "503 without Retry-After"
                    elif r.status_code >= 400 and r.status_code != 503:
                        outcome = f"{r.status_code} {r.text[:300]}"
                except requests.RequestException as exc:
                    outcome = type(exc).__name__
                self.record(what, outcome)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.run_one, args=(n,), daemon=True) for n in range(self.threads)]
        for t in threads:
            t.start()
        return threads


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds-before", type=float, default=10)
    parser.add_argument("--down", type=float, default=5, help="seconds PostgreSQL stays stopped")
    parser.add_argument("--seconds-after", type=float, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--recover", type=float, default=10, help="seconds allowed to succeed again")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="tanxin-pg-restart-"))
    os.chmod(base, 0o755)  # noqa: S103 (the postgres user reads its data directory)
    pg = PrivatePostgres(base, free_port())
    gunicorn = None
    log = open(base / "gunicorn.log", "w")  # noqa: SIM115 - closed in finally

    def cleanup(*_signal):
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        pg.stop()
        log.close()
        shutil.rmtree(base, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    try:
        print(f"private PostgreSQL on 127.0.0.1:{pg.port} in {base}")
        pg.init()
        pg.start()
        pg.createdb("tanxin_faults")
        (base / "settings").mkdir()
        (base / "settings" / "fault_pg_settings.py").write_text(SETTINGS.format(static=base / "static"))
        env = {
            **os.environ,
            "PYTHONPATH": f"{base / 'settings'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "DJANGO_SETTINGS_MODULE": "fault_pg_settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg.port}/tanxin_faults",
            "DATABASE_POOL": "true",
            "DATABASE_POOL_TIMEOUT": "3",
            "CELERY_BROKER_URL": "memory://",
            "TANXIN_VAR_DIR": str(base / "var"),
        }
        print("migrating, adding a supervisor and their unit ...")
        manage(env, "migrate", "--noinput")
        found = (
            manage(env, "shell", "-c", SEED.format(password=PASSWORD, people=args.threads))
            .stdout.strip()
            .splitlines()[-1]
            .split()
        )
        participant, first_talk = found[0], int(found[1])

        port = free_port()
        gunicorn = subprocess.Popen(  # noqa: S603 (our own command, no shell)
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--workers", str(args.workers),
             "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        for _ in range(60):
            try:
                if requests.get(f"{url}/accounts/login/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not start; see its log")

        traffic = Traffic(url, participant, args.threads)
        started = time.monotonic()
        threads = traffic.start()
        time.sleep(args.seconds_before)
        stopped_at = time.monotonic()
        print(f"{stopped_at - started:5.1f}s  stopping PostgreSQL (fast shutdown: connections terminated)")
        pg.stop()
        time.sleep(args.down)
        print(f"{time.monotonic() - started:5.1f}s  starting PostgreSQL")
        pg.start()
        up_at = time.monotonic()
        print(f"{up_at - started:5.1f}s  PostgreSQL is back")
        time.sleep(args.seconds_after)
        traffic.stop.set()
        for t in threads:
            t.join(timeout=60)

        # --- Report --------------------------------------------------------------------------------
        phases = collections.OrderedDict(
            (("before", collections.Counter()), ("down", collections.Counter()), ("after", collections.Counter()))
        )
        other: list = []
        first_ok_after: dict[str, float] = {}
        failures_after_recovery = 0
        for when, what, outcome in traffic.results:
            phase = "before" if when < stopped_at else "down" if when < up_at else "after"
            kind = "2xx" if isinstance(outcome, int) and 200 <= outcome < 400 else "503" if outcome == 503 else "other"
            phases[phase][kind] += 1
            if kind == "other":
                other.append((round(when - started, 1), what, outcome))
            if phase == "after" and kind == "2xx":
                first_ok_after.setdefault(what, when - up_at)
        last_failure_after = max(
            (when - up_at for when, _w, o in traffic.results if when >= up_at and not (isinstance(o, int) and o < 400)),
            default=0.0,
        )
        failures_after_recovery = sum(
            1
            for when, _w, o in traffic.results
            if when >= up_at + args.recover and not (isinstance(o, int) and o < 400)
        )
        rows = json.loads(
            manage(env, "shell", "-c", CHECK_ROWS.format(first=first_talk)).stdout.strip().splitlines()[-1]
        )
        missing = sorted(set(traffic.created) - set(rows["ids"]))
        unanswered = sorted(set(rows["ids"]) - set(traffic.created))

        print()
        print(f"PostgreSQL down {up_at - stopped_at:.1f}s; {args.threads} clients, {args.workers} gunicorn workers")
        for phase, counts in phases.items():
            print(f"  {phase:6}  2xx {counts['2xx']:5}   503 {counts['503']:4}   other {counts['other']:3}")
        for what in sorted({w for _t, w, _o in traffic.results}):
            ok = first_ok_after.get(what)
            print(
                f"  first success after PostgreSQL came back: {what}: " + (f"{ok:.1f}s" if ok is not None else "never")
            )
        print(f"  last failed request: {last_failure_after:.1f}s after PostgreSQL came back")
        print(
            f"  talks: {len(traffic.created)} answered 201, {len(rows['ids'])} in the database; "
            f"missing {len(missing)}; committed but answered otherwise {len(unanswered)}; "
            f"half written: {rows['without_participant']} without participant, "
            f"{rows['without_its_action']} without their action"
        )
        problems = []
        if other:
            problems.append(f"answers other than 2xx/503: {other[:10]}")
        if missing:
            problems.append(f"talks answered 201 but missing: {missing[:10]}")
        if rows["without_participant"] or rows["without_its_action"] or rows["orphan_actions"]:
            problems.append("half-written talks")
        if set(first_ok_after) != {w for _t, w, _o in traffic.results} or max(first_ok_after.values()) > args.recover:
            problems.append(f"not every request succeeded within {args.recover}s of PostgreSQL being back")
        if failures_after_recovery:
            problems.append(f"{failures_after_recovery} requests failed later than {args.recover}s after recovery")
        if not phases["down"]["503"]:
            problems.append("no request met the outage (nothing was shown)")
        print("RESULT: " + ("PASS" if not problems else "FAIL\n  " + "\n  ".join(problems)))
        return 0 if not problems else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
