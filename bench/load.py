"""Load benchmark (issue 14): a morning of the demo county scaled to 5,000 people, 64 concurrent users for
two minutes against gunicorn + PostgreSQL + Redis on loopback, each page's p95 against a one-query view's
measured in the same run.

    .venv/bin/python bench/load.py                                    # 5,000 people, 64 users, 120 s
    .venv/bin/python bench/load.py --people 300 --users 8 --duration 15   # a quick run

What it does, in order:

1. Creates its own PostgreSQL database (``DATABASE_URL`` names the server and the database; default
   ``tanxin_bench_load``, never ``postgres`` nor ``tanxin``), migrates it, and empties Redis database 8,
   its broker (``redis://127.0.0.1:6379/8``; no other Redis database is touched).
2. Seeds the demo county (``wellbeing.demo.seed``: every app's demo, through the services) and scales it
   to ``--people``: new sections of 25 under each town and office (``org_unit_create``), their people by
   the HR sync service in calls of 5,000 (``sync_people``: each section's chief managing it, the chief
   managed by the head of the town), a login for each (bulk, one password hash for all: an import of the
   county's accounts), each chief made supervisor of their section (``role_assign``: the talks app then
   owes a talk to each of their people, due within 14 days), one talk per new supervisor a few weeks ago
   with an agreed action (``talk_create``; some actions overdue), and this year's check-up - open, from
   the demo - inviting everyone new (``campaign_invite``). Each staff account of the benchmark has given
   its consent to screening (``consent_give``); each API user is an HR system with a token of its own
   (``api_client_create``: ``people:read``, ``people:write``, ``org:read``).
3. Starts gunicorn (``--workers``, default 4, sync workers, as docs/architecture.md runs the web process)
   on 127.0.0.1 with ``bench.load_settings``: the project's settings, ``DEBUG`` off, the connection pool
   on, plus ``/bench/one-query/`` (``bench/load_urls.py``), the baseline: one query, a few bytes.
4. Signs every human account in through the log-in page (the project's password hasher; before the
   measured window, so the minutes measured are the morning's work, not its log-ins).
5. Runs locust headless (``bench/locustfile.py``): supervisors (home page, my and my team's follow-ups,
   logging a talk: the form, then the form posted with its CSRF token and an agreed action), staff (home
   page, my follow-ups, the check-up's questionnaire opened and answered), HR systems (the people API
   listed with filters, one person, a batch of 20 people sent to ``POST /api/v1/sync/people/`` with an
   ``Idempotency-Key``), and the baseline view, all at once.
6. Prints requests per second, p50 / p95 / p99 per endpoint, the errors, and each page's p95 over the
   baseline's; checks that every talk and every questionnaire reported saved is in the database.
7. Stops gunicorn, empties Redis database 8 and drops the database (``--keep`` keeps the database).

Exit status 1 on any error (a failed request, a write not found) or a page's p95 above 10x the
baseline's. No Celery worker runs: the tasks the morning queues wait in Redis database 8 and are emptied
with it. The server's log is ``$TANXIN_VAR_DIR/load_gunicorn.log`` (default ``var/bench/``), locust's
CSV files ``$TANXIN_VAR_DIR/load_*.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _pgbench import GunicornServer, drop, point_at_bench_db, setup_django  # noqa: E402

DEFAULT_DB = "tanxin_bench_load"
BROKER = "redis://127.0.0.1:6379/8"
SETTINGS = "bench.load_settings"
PASSWORD = "Tanxin-load-2026"  # noqa: S105 - the benchmark's throw-away accounts
TARGET = 10.0
TEAM = 25  # people in each new section: its chief and 24 staff
SYNC_CALL = 5_000
BASELINE = "baseline: one query"
#: Users of each kind per 8 (locust's weights in bench/locustfile.py: baseline 1, supervisor 3, staff 3, HR 1).
SHARES = {"baseline": 1, "supervisor": 3, "staff": 3, "hr": 1}


# --- Seeding -----------------------------------------------------------------------------------------


def _name(rng: random.Random, used: set[str]) -> str:
    """A name no one in the county has yet, from the demo's surnames and given names."""
    from wellbeing import demo

    while True:
        name = rng.choice(demo.SURNAMES) + "".join(rng.choice(demo.GIVEN) for _ in range(rng.choice([1, 2, 2])))
        if name not in used:
            used.add(name)
            return name


def _scale(people: int, rng: random.Random) -> dict:
    """Add sections of TEAM people until the county has ``people``; returns what was added."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from wellbeing import demo, services
    from wellbeing.actors import command_actor
    from wellbeing.models import OrgUnit, Person
    from wellbeing.services.sync import sync_people

    actor = command_actor("bench_load")
    missing = people - Person.objects.count()
    if missing <= 0:
        return {"sections": [], "people": 0}
    tops = list(
        OrgUnit.objects.filter(kind__in=[OrgUnit.Kind.TOWN, OrgUnit.Kind.OFFICE]).order_by("code").only("pk", "code")
    )
    heads = {
        p.unit_id: p.external_id
        for p in Person.objects.filter(unit__in=tops, manager__isnull=True).order_by("-external_id")
    }
    used = set(Person.objects.values_list("full_name", flat=True))
    records: list[dict] = []
    sections: list[tuple[OrgUnit, str]] = []  # (section, its chief's external id)
    serial = 0
    for index in range(math.ceil(missing / TEAM)):
        top = tops[index % len(tops)]
        number = index // len(tops) + 1
        section = services.org_unit_create(
            actor=actor,
            code=f"{top.code}-L{number:02d}",
            name=f"第{number}工作组",
            kind=OrgUnit.Kind.SECTION,
            parent=top,
        )
        size = min(TEAM, missing - index * TEAM)
        chief = None
        for member in range(size):
            serial += 1
            external_id = f"QXL{serial:05d}"
            birth_year = rng.randint(1966, 2001)
            records.append(
                {
                    "external_id": external_id,
                    "full_name": _name(rng, used),
                    "unit": section.code,
                    "manager": heads.get(top.pk) if member == 0 else chief,
                    "gender": rng.choice(["female", "male"]),
                    "date_of_birth": f"{birth_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "work_start_date": f"{birth_year + 22}-09-01",
                    "hire_date": f"{birth_year + 22 + rng.randint(0, 3)}-09-01",
                    "position": "组长" if member == 0 else rng.choice(demo.POSITIONS),
                    "email": f"{external_id.lower()}@qingxi.example.gov.cn",
                    "phone": f"139{rng.randint(10000000, 99999999)}",
                }
            )
            if member == 0:
                chief = external_id
        sections.append((section, chief))
    for start in range(0, len(records), SYNC_CALL):
        result = sync_people(actor=actor, records=records[start : start + SYNC_CALL]).as_dict()
        if result.get("errors"):
            raise RuntimeError(f"The HR sync refused records: {result['errors'][:3]}")
    # Logins: one hash for every account (each hash costs the hasher's full work; the salt is shared).
    User = get_user_model()
    password = make_password(PASSWORD)
    new_people = list(Person.objects.filter(external_id__startswith="QXL", user__isnull=True))
    User.objects.bulk_create(
        [User(username=p.external_id.lower(), email=p.email, password=password) for p in new_people], batch_size=1000
    )
    users = {u.username: u for u in User.objects.filter(username__startswith="qxl")}
    for person in new_people:
        person.user = users[person.external_id.lower()]
    Person.objects.bulk_update(new_people, ["user"], batch_size=1000)
    return {"sections": sections, "people": len(records)}


def _supervisors_and_talks(sections: list, rng: random.Random) -> None:
    """Each new section's chief supervises it (the talks app then owes each of their people a talk) and
    logged one talk a few weeks ago, with an agreed action (some past their date)."""
    from django.utils import timezone

    from talks.services import ActionInput, TalkInput, talk_create
    from wellbeing import demo, services
    from wellbeing.actors import command_actor
    from wellbeing.models import Person, Role

    actor = command_actor("bench_load")
    chiefs = {
        p.external_id: p
        for p in Person.objects.filter(external_id__in=[c for _, c in sections]).select_related("user", "unit")
    }
    now = timezone.localtime().replace(second=0, microsecond=0)
    for section, chief_id in sections:
        chief = chiefs[chief_id]
        services.role_assign(
            actor=actor, user=chief.user, role=Role.SUPERVISOR, unit=section, valid_from=demo.ROLES_FROM
        )
        member = Person.objects.filter(unit=section).exclude(pk=chief.pk).order_by("external_id").first()
        if member is None:
            continue
        days_ago = rng.randint(10, 50)
        talk_create(
            actor=chief.user,
            data=TalkInput(
                participants=[member],
                held_at=now - timedelta(days=days_ago),
                mood=rng.choice([3, 4, 4, 5]),
                main_content="谈近期工作安排和休假计划。",
                actions=[ActionInput("落实轮休安排", timezone.localdate() - timedelta(days=days_ago - 7))],
            ),
        )


def _accounts(args, rng: random.Random) -> dict:
    """The accounts locust plays, and what their requests need."""
    from django.contrib.auth import get_user_model

    from wellbeing import policy, services
    from wellbeing.actors import command_actor
    from wellbeing.models import CampaignInvitation, OrgUnit, Person, Role, RoleAssignment
    from wellbeing.screening import services as screening

    actor = command_actor("bench_load")
    per = {kind: math.ceil(args.users * share / sum(SHARES.values())) + 1 for kind, share in SHARES.items()}
    User = get_user_model()
    supervisors = [User.objects.get(username="supervisor")]
    supervisors += [
        a.user
        for a in RoleAssignment.objects.filter(role=Role.SUPERVISOR, user__username__startswith="qxl")
        .select_related("user")
        .order_by("user__username")[: per["supervisor"]]
    ]
    supervisor_ids = {u.pk for u in supervisors}
    staff = [
        inv.person.user
        for inv in CampaignInvitation.objects.filter(
            completed_at__isnull=True, person__external_id__startswith="QXL", person__position__in=["科员", "办事员"]
        )
        .exclude(person__user__in=supervisor_ids)
        .select_related("person__user")
        .order_by("person__external_id")[: per["staff"]]
    ]
    for user in staff:
        screening.consent_give(actor=user)
    sections = list(OrgUnit.objects.filter(code__contains="-L").values_list("pk", flat=True))
    people = list(Person.objects.filter(external_id__startswith="QXL").select_related("unit").order_by("external_id"))
    hr = []
    for index in range(per["hr"]):
        _client, token = services.api_client_create(
            actor=actor, name=f"HR system {index + 1} (load bench)", scopes=["people:read", "people:write", "org:read"]
        )
        mine = people[index * 200 : (index + 1) * 200]  # each HR system syncs people of its own
        hr.append(
            {
                "token": token,
                "units": sections,
                "people": [p.external_id for p in rng.sample(people, min(200, len(people)))],
                "records": [
                    {"external_id": p.external_id, "full_name": p.full_name, "unit": p.unit.code} for p in mine
                ],
            }
        )
    return {
        "password": PASSWORD,
        "supervisors": [
            {
                "username": u.username,
                "reports": [
                    list(r)
                    for r in policy.reports_of(u).exclude(user=u).order_by("?").values_list("pk", "external_id")[:300]
                ],
            }
            for u in supervisors
        ],
        "staff": [{"username": u.username} for u in staff],
        "hr": hr,
    }


# --- The server and the log-ins ------------------------------------------------------------------------


class Server(GunicornServer):
    """gunicorn serving config.wsgi with the benchmark's settings on 127.0.0.1."""

    def __init__(self, workers: int, log: Path):
        super().__init__(workers, log, settings=SETTINGS, timeout=120)


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _log_in(url: str, username: str) -> dict:
    """Sign in through the log-in page; the session's cookies."""
    import requests

    with requests.Session() as session:
        page = session.get(f"{url}/accounts/login/", timeout=120)
        token = CSRF_INPUT.search(page.text)
        if page.status_code != 200 or token is None:
            raise RuntimeError(f"The log-in page answered {page.status_code}")
        answer = session.post(
            f"{url}/accounts/login/",
            data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD, "next": "/"},
            headers={"Referer": f"{url}/accounts/login/"},
            allow_redirects=False,
            timeout=120,
        )
        if answer.status_code != 302 or "sessionid" not in session.cookies:
            raise RuntimeError(f"{username} could not sign in: HTTP {answer.status_code}")
        return session.cookies.get_dict()


def _warm_up(url: str, workers: int) -> None:
    """Each worker loads the URL configuration and templates on its first requests."""
    import requests

    for _ in range(4 * workers):
        requests.get(f"{url}/bench/one-query/", timeout=120)
        requests.get(f"{url}/accounts/login/", timeout=120)


# --- Results -------------------------------------------------------------------------------------------


def _stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _ms(value: str) -> float:
    return float(value) if value not in ("", "N/A") else float("nan")


def _report(rows: list[dict], duration: float) -> tuple[list[str], list[str]]:
    """The table, and what missed a target."""
    by_name = {r["Name"]: r for r in rows if r["Name"] != "Aggregated"}
    base = _ms(by_name[BASELINE]["95%"]) if BASELINE in by_name else float("nan")
    lines = [
        f"| {'endpoint':<40} | {'requests':>8} | {'req/s':>6} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} "
        f"| {'errors':>6} | {'p95 / baseline':>14} |",
        f"|{'-' * 42}|{'-' * 10}|{'-' * 8}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 16}|",
    ]
    missed = []
    for name in sorted(by_name, key=lambda n: (n != BASELINE, n)):
        row = by_name[name]
        p95 = _ms(row["95%"])
        ratio = p95 / base if base else float("nan")
        if name != BASELINE and not ratio <= TARGET:
            missed.append(f"{name}: p95 {p95:.0f} ms = {ratio:.1f}x the baseline's {base:.0f} ms")
        lines.append(
            f"| {name:<40} | {int(row['Request Count']):>8,} | {int(row['Request Count']) / duration:>6.1f} "
            f"| {_ms(row['50%']):>7.0f} | {p95:>7.0f} | {_ms(row['99%']):>7.0f} | {int(row['Failure Count']):>6} "
            f"| {'1' if name == BASELINE else f'{ratio:.1f}x':>14} |"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    lines.append(
        f"| {'all':<40} | {int(total['Request Count']):>8,} | {int(total['Request Count']) / duration:>6.1f} "
        f"| {_ms(total['50%']):>7.0f} | {_ms(total['95%']):>7.0f} | {_ms(total['99%']):>7.0f} "
        f"| {int(total['Failure Count']):>6} | {'':>14} |"
    )
    return lines, missed


def _baseline_queries() -> int:
    """The baseline view's queries, counted once through Django's test client."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/bench/one-query/")
    if response.status_code != 200:
        raise RuntimeError(f"The baseline view answered {response.status_code}")
    return len(queries)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5_000, help="people in the county (default 5,000)")
    parser.add_argument("--users", type=int, default=64, help="concurrent locust users (default 64)")
    parser.add_argument("--duration", type=int, default=120, help="seconds of load (default 120)")
    parser.add_argument("--spawn-rate", type=float, default=16, help="users started per second (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--seed", type=int, default=20261214)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    for name in ("people", "users", "duration", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.spawn_rate <= 0:
        parser.error("--spawn-rate must be above 0")

    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["CELERY_BROKER_URL"] = BROKER
    os.environ.setdefault("TANXIN_VAR_DIR", str(ROOT / "var" / "bench"))
    var = Path(os.environ["TANXIN_VAR_DIR"])
    var.mkdir(parents=True, exist_ok=True)
    import redis

    broker = redis.Redis.from_url(BROKER)
    broker.flushdb()
    admin, name = point_at_bench_db(DEFAULT_DB)
    server = None
    failed = True
    accounts_file = var / "load_accounts.json"  # the run's session cookies and tokens: removed afterwards
    try:
        t0 = time.perf_counter()
        setup_django()
        warnings.filterwarnings("ignore", message="No directory at")
        from django.db import connection

        from talks.models import Talk
        from wellbeing import demo
        from wellbeing.models import Person, Screening

        rng = random.Random(args.seed)
        demo.seed(password=PASSWORD)
        added = _scale(args.people, rng)
        _supervisors_and_talks(added["sections"], rng)
        from wellbeing.actors import command_actor
        from wellbeing.models import ScreeningCampaign
        from wellbeing.screening import campaigns

        for campaign in ScreeningCampaign.objects.all():
            campaigns.campaign_invite(actor=command_actor("bench_load"), campaign=campaign)
        accounts = _accounts(args, rng)
        queries = _baseline_queries()
        county = Person.objects.count()
        print(
            f"Seeded {county:,} people ({added['people']:,} added in {len(added['sections'])} sections) in "
            f"{time.perf_counter() - t0:.0f} s; the baseline view runs {queries} query"
            f"{'' if queries == 1 else ' (expected 1)'}."
        )
        if queries != 1:
            return
        connection.close()

        server = Server(args.workers, var / "load_gunicorn.log")
        _warm_up(server.url, args.workers)
        t1 = time.perf_counter()
        humans = [("supervisors", a) for a in accounts["supervisors"]] + [("staff", a) for a in accounts["staff"]]
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            cookies = list(pool.map(lambda item: _log_in(server.url, item[1]["username"]), humans))
        for (_kind, account), jar in zip(humans, cookies, strict=True):
            account["cookies"] = jar
        print(f"{len(humans)} accounts signed in through the log-in page in {time.perf_counter() - t1:.1f} s.")
        accounts_file.write_text(json.dumps(accounts, ensure_ascii=False))
        talks_before, screenings_before = Talk.objects.count(), Screening.objects.count()
        connection.close()

        prefix = var / "load"
        print(
            f"locust: {args.users} users ({args.spawn_rate:g} started a second) for {args.duration} s against "
            f"gunicorn ({args.workers} workers); load average {_load()}",
            flush=True,
        )
        run = subprocess.run(  # noqa: S603 - our own venv's locust
            [
                str(Path(sys.executable).parent / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--only-summary",
                f"--users={args.users}",
                f"--spawn-rate={args.spawn_rate}",
                f"--run-time={args.duration}s",
                f"--host={server.url}",
                f"--csv={prefix}",
                "--stop-timeout=30",
                "--loglevel=WARNING",
            ],
            env={**os.environ, "LOAD_BENCH_ACCOUNTS": str(accounts_file)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if not Path(f"{prefix}_stats.csv").exists():
            print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
            print("locust wrote no statistics.")
            return
        rows = _stats(prefix)
        lines, missed = _report(rows, args.duration)
        talks_saved = int(next((r["Request Count"] for r in rows if r["Name"] == "talk: save (POST)"), 0)) - int(
            next((r["Failure Count"] for r in rows if r["Name"] == "talk: save (POST)"), 0)
        )
        answered = int(next((r["Request Count"] for r in rows if r["Name"] == "screening: submit (POST)"), 0)) - int(
            next((r["Failure Count"] for r in rows if r["Name"] == "screening: submit (POST)"), 0)
        )
        talks_new = Talk.objects.count() - talks_before
        screenings_new = Screening.objects.count() - screenings_before
        errors = int(next(r for r in rows if r["Name"] == "Aggregated")["Failure Count"])
        print("\n".join(lines))
        with open(f"{prefix}_failures.csv", newline="") as handle:
            for failure in list(csv.DictReader(handle))[:20]:
                print(
                    f"  failure: {failure['Method']} {failure['Name']}: {failure['Error']} ({failure['Occurrences']}x)"
                )
        print(
            f"\nWrites: {talks_saved} talks saved by the pages, {talks_new} new in the database; "
            f"{answered} questionnaires answered, {screenings_new} new results in the database."
        )
        if talks_new > talks_saved or screenings_new > answered:
            print("  (more in the database than reported: posts in flight when locust stopped its users)")
        if talks_new < talks_saved or screenings_new < answered:
            errors += 1
            print("  !! a write the pages reported saved is not in the database")
        with open(f"{prefix}_exceptions.csv", newline="") as handle:
            for exception in csv.DictReader(handle):  # an exception in the locustfile is an error too
                errors += int(exception["Count"])
                print(f"  exception in the locustfile: {exception['Message']} ({exception['Count']}x)")
        print(f"Errors: {errors}. Load average at the end {_load()}.")
        for line in missed:
            print(f"  MISSED (target {TARGET:g}x): {line}")
        print(
            f"Targets: 0 errors: {'MET' if errors == 0 else 'MISSED'}; every page's p95 within {TARGET:g}x "
            f"the baseline's: {'MET' if not missed else 'MISSED'}."
        )
        failed = bool(errors or missed)
    finally:
        if server is not None:
            server.stop()
        broker.flushdb()
        accounts_file.unlink(missing_ok=True)
        if not args.keep:
            drop(admin, name)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
