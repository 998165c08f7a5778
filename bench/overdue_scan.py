"""Benchmark: the overdue scan on PostgreSQL, against a raw-SQL baseline measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/overdue_scan.py

Creates (and drops) its own database, ``tanxin_bench``. For each table size (100,000 and 1,000,000
open follow-ups, of which 10,000 are overdue) it prints:

- baseline: the raw SQL query that returns the same 10,000 due rows, plus the cost of writing the
  reminder and notification rows (a bulk insert of the same number of rows);
- scan: ``run_scan`` (claim, plan, route, record reminders, notifications and digests);
- the ratio scan / baseline (target: within 3x), the growth of the scan from 100k to 1M (target:
  under 1.5x: cost follows the overdue count, not the table size), and the scan's peak Python memory
  (tracemalloc; target: under 200 MB).

Options: --sizes 100000,1000000  --overdue 10000  --keep (do not drop the database at the end).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "tanxin_bench"


def _point_at_bench_db() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlparse(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    import psycopg

    admin = urlunparse(parts._replace(path="/postgres", query=""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = urlunparse(parts._replace(path=f"/{BENCH_DB}", query=parts.query))
    os.environ["DATABASE_POOL"] = "false"
    return admin


def _drop(admin_url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("TANXIN_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _seed(total: int, overdue: int, owners: list[int]) -> None:
    """Fill the follow-up table with SQL (generate_series): ``overdue`` rows due a minute ago, the rest
    due over the coming year."""
    from django.db import connection

    from wellbeing.encryption import encrypt_text

    empty_outcome = encrypt_text("")
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE wellbeing_followup, wellbeing_reminder, wellbeing_notification, "
            "wellbeing_delivery, wellbeing_scanrun RESTART IDENTITY CASCADE"
        )
        cur.execute(
            """
            INSERT INTO wellbeing_followup (
                created_at, updated_at, subject_id, owner_id, kind, title, due_at, tier, escalation, status,
                snooze_reason, outcome, cycle, stages_sent, repeats_sent, next_action_at, confidential,
                scan_failures, scan_error, escalation_unrouted)
            SELECT now(), now(), '', (%(owners)s::bigint[])[1 + (g %% %(n_owners)s)], 'general', %(title)s,
                   due, 'routine', 'manager', 'open', %(outcome)s, %(outcome)s, 1, 0, 0, due, false, 0, '', false
            FROM (
                SELECT g, CASE WHEN g <= %(overdue)s THEN now() - interval '1 minute'
                               ELSE now() + (g || ' seconds')::interval END AS due
                FROM generate_series(1, %(total)s) AS g
            ) AS rows
            """,
            {
                "owners": owners,
                "n_owners": len(owners),
                "title": encrypt_text("事项"),  # titles are encrypted at rest: one ciphertext serves every row
                "outcome": empty_outcome,
                "overdue": overdue,
                "total": total,
            },
        )
        cur.execute("ANALYZE wellbeing_followup")


def _reset_due(overdue: int) -> None:
    """Put the overdue rows back as they were before the scan, and forget what it wrote."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE wellbeing_reminder, wellbeing_notification, wellbeing_delivery, "
            "wellbeing_scanrun RESTART IDENTITY CASCADE"
        )
        cur.execute("UPDATE wellbeing_followup SET stages_sent = 0, next_action_at = due_at WHERE id <= %s", [overdue])
        cur.execute("ANALYZE wellbeing_followup")


def _owners(n: int) -> list[int]:
    from django.contrib.auth import get_user_model

    from wellbeing import services
    from wellbeing.actors import command_actor
    from wellbeing.models import OrgUnit

    unit = OrgUnit.objects.filter(code="BENCH").first() or services.org_unit_create(
        actor=command_actor("bench"), code="BENCH", name="基准", kind=OrgUnit.Kind.COUNTY
    )
    User = get_user_model()
    users = [User(username=f"bench{i}", email=f"bench{i}@example.invalid") for i in range(n)]
    User.objects.bulk_create(users, ignore_conflicts=True)
    ids = list(User.objects.filter(username__startswith="bench").values_list("pk", flat=True))
    from wellbeing.models import Person

    Person.objects.bulk_create(
        [Person(external_id=f"B{pk}", full_name=f"员工{pk}", unit=unit, user_id=pk) for pk in ids],
        ignore_conflicts=True,
    )
    return ids


def _time(func, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def _baseline(overdue: int) -> tuple[float, float]:
    """The raw query for the due rows, and a bulk insert of as many reminder and notification rows."""
    from django.db import connection, transaction
    from django.utils import timezone

    from wellbeing.models import Notification, Reminder, ScanRun

    def query():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id, owner_id, due_at, tier, kind, cycle, stages_sent, repeats_sent FROM wellbeing_followup "
                "WHERE status IN ('open', 'snoozed') AND next_action_at <= now() ORDER BY next_action_at"
            )
            rows = cur.fetchall()
        assert len(rows) == overdue, len(rows)

    with connection.cursor() as cur:
        cur.execute("SELECT id, owner_id, due_at FROM wellbeing_followup WHERE id <= %s", [overdue])
        due = cur.fetchall()

    def write():
        with transaction.atomic():
            scan = ScanRun.objects.create(started_at=timezone.now())
            reminders = Reminder.objects.bulk_create(
                [
                    Reminder(followup_id=i, cycle=1, stage="due", recipient_id=o, scheduled_for=d, scan=scan)
                    for i, o, d in due
                ],
                batch_size=2000,
            )
            Notification.objects.bulk_create(
                [Notification(recipient_id=r.recipient_id, reminder=r, title="x", url="/") for r in reminders],
                batch_size=2000,
            )
            transaction.set_rollback(True)

    return _time(query), _time(write)


def _scan_time(overdue: int) -> tuple[float, float]:
    from django.utils import timezone

    from wellbeing.models import Reminder
    from wellbeing.reminders import scan

    # run_scan records and digests; queueing the digests is the task's job, so no broker is involved.
    times = []
    for _ in range(5):
        _reset_due(overdue)
        start = time.perf_counter()
        scan.run_scan(timezone.now())
        times.append(time.perf_counter() - start)
        assert Reminder.objects.count() == overdue
    _reset_due(overdue)
    tracemalloc.start()
    scan.run_scan(timezone.now())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    admin = _point_at_bench_db()
    _setup_django()
    from django.conf import settings

    print(f"overdue scan benchmark: PostgreSQL, batch size {settings.FOLLOWUP_SCAN_BATCH}, {args.overdue} overdue")
    owners = _owners(1000)
    results = {}
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            t0 = time.perf_counter()
            _seed(size, args.overdue, owners)
            seeded = time.perf_counter() - t0
            query, write = _baseline(args.overdue)
            scan, peak = _scan_time(args.overdue)
            results[size] = scan
            ratio = scan / (query + write)
            print(
                f"{size:>9,} follow-ups (seeded in {seeded:.1f}s): baseline query {query * 1000:.0f} ms + "
                f"write {write * 1000:.0f} ms = {(query + write) * 1000:.0f} ms; scan {scan * 1000:.0f} ms; "
                f"ratio {ratio:.2f}x (target <= 3x); peak memory {peak:.1f} MB (target < 200 MB)"
            )
        sizes = sorted(results)
        if len(sizes) >= 2:
            growth = results[sizes[-1]] / results[sizes[0]]
            print(f"growth {sizes[0]:,} -> {sizes[-1]:,}: {growth:.2f}x (target < 1.5x)")
    finally:
        if not args.keep:
            _drop(admin)


if __name__ == "__main__":
    main()
