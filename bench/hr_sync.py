"""Benchmark: the HR sync of people on PostgreSQL - 100,000 people through ``POST /api/v1/sync/people/``
against a psycopg COPY + ``INSERT ... ON CONFLICT`` baseline measured in the same run (issue 12).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tanxin_bench_sync .venv/bin/python bench/hr_sync.py

Creates (and drops, unless --keep) its own database, named by DATABASE_URL (default ``tanxin_bench_sync``;
never ``postgres`` nor ``tanxin``), migrates it, creates 42 org units (a county, 5 county offices, 6 towns
with 5 sections each) through the services and an API client with ``people:write``. It generates 100,000
person records (seeded: Chinese names, dates of birth, work start and hire, positions, mobile numbers,
some e-mails and WeCom / DingTalk ids, 2 % left and 1 % suspended, 10 % with a manager who is another
person of the data) and sends them, in calls of 5,000, to a real HTTP server: gunicorn with one sync
worker (``config.wsgi``, ``DEBUG`` off, the connection pool on, as in production) on 127.0.0.1, each
call a JSON body with a Bearer token and an ``Idempotency-Key``. ``--transport test-client`` sends the
same calls through Django's test client in this process instead. The phases, each timed over all its
calls (building the JSON body and reading the answer included):

1. first load: 100,000 new people, 20 calls;
2. 10 % update, changed records only: 10,000 people with a new position and phone (changes that are no
   part of anyone's working life), 2 calls of 5,000;
3. daily push: all 100,000 again with another 10 % changed the same way, 20 calls;
4. unchanged replay: all 100,000 again, 20 calls. It must write nothing: checked by counting people,
   audit rows (other than the ``api.call`` row of each call) and change-feed lines before and after, by
   ``max(updated_at)`` of people, by the row versions of the person table written since the replay began
   (``xmin``), and by the ``pg_stat_user_tables`` counters (read after the server's backend has flushed
   them: PostgreSQL 15 flushes an idle backend's statistics within 10 s).

Baseline, same phases, same batches, same server: a psycopg connection COPYs each batch's records (the
same dicts, as text) into a temporary staging table and runs ``INSERT INTO bench_person ... SELECT ...
JOIN wellbeing_orgunit ON code ... ON CONFLICT (external_id) DO UPDATE ... WHERE (columns) IS DISTINCT
FROM (excluded columns)`` and one ``UPDATE`` setting managers by external id, one transaction per batch.
``bench_person`` is ``LIKE wellbeing_person INCLUDING ALL`` (same columns, defaults, checks and indexes;
no foreign keys). The baseline does no validation, no pinyin, no audit rows, no change feed, no
idempotency key and no HTTP or JSON.

Target: the API within 3x of the baseline for the first load and the 10 % update; the replay writes 0
rows. It prints a table and always exits 0 (a measurement). ``--profile`` adds, afterwards, one call each
of 5,000 new, changed and unchanged people through the test client in this process with timers around
the service's steps and the SQL added up by table (where the time goes), and cProfile of a call of new
and one of changed people. The server's log is var/bench/hr_sync_gunicorn.log (TANXIN_VAR_DIR).
Options: --people 100000 --batch 5000 --transport http|test-client --workers 1 --seed --profile --keep.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import random
import re
import sys
import time
import uuid
import warnings
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _pgbench import GunicornServer, drop, point_at_bench_db, setup_django  # noqa: E402

DEFAULT_DB = "tanxin_bench_sync"
TARGET = 3.0
SYNC_PATH = "/api/v1/sync/people/"
#: PostgreSQL 15 flushes an idle backend's table statistics after at most 10 s (PGSTAT_IDLE_INTERVAL).
STATS_FLUSH_WAIT = 11.5
PERSON_TABLES = ("wellbeing_person", "wellbeing_auditevent", "wellbeing_changeentry")


def _point_at_bench_db() -> tuple[str, str]:
    admin, name = point_at_bench_db(DEFAULT_DB)
    os.environ.setdefault("DEBUG", "false")  # as in production: no query log
    return admin, name


_drop = drop
_setup_django = setup_django


# --- The data -------------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "令狐")
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志海燕玉红梅晓东文斌辉鹏飞宇浩然婷雪琳颖慧欣怡佳"
    "俊峰波宁鑫亮凯帅倩丹萍琴云莉秀英荣庆春林森宏伟嘉欢瑞祥福贵安康健德"
)
POSITIONS = (
    "科员",
    "一级科员",
    "四级主任科员",
    "三级主任科员",
    "二级主任科员",
    "副科长",
    "科长",
    "副主任",
    "主任",
    "办事员",
    "专业技术人员",
    "工勤技能人员",
    "会计",
    "出纳",
    "文书",
    "网格员",
    "驻村工作队员",
    "副镇长",
    "镇长",
    "党委委员",
)
LEADER_EVERY = 50  # every 50th person is someone's manager
MANAGER_SHARE = 0.10


def _units() -> list[tuple[str, str, str, str | None]]:
    """(code, name, kind, parent code), parents first: 42 units."""
    units = [("QX", "清溪县", "county", None)]
    offices = ("人力资源和社会保障局", "财政局", "教育局", "卫生健康局", "农业农村局")
    units += [(f"QX-D{i:02d}", f"清溪县{name}", "office", "QX") for i, name in enumerate(offices, 1)]
    towns = ("城关镇", "东坝镇", "西河镇", "南山镇", "北岭镇", "青石镇")
    sections = ("党政办", "经济发展办", "社会事务办", "综合执法队", "便民服务中心")
    for t, town in enumerate(towns, 1):
        units.append((f"QX-T{t:02d}", town, "town", "QX"))
        units += [
            (f"QX-T{t:02d}-S{s:02d}", f"{town}{section}", "section", f"QX-T{t:02d}")
            for s, section in enumerate(sections, 1)
        ]
    return units


def _name(rng: random.Random) -> str:
    if rng.random() < 0.005:
        surname = rng.choice(COMPOUND_SURNAMES)
    else:  # common surnames far more often
        surname = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
    return surname + "".join(rng.choice(GIVEN) for _ in range(2 if rng.random() < 0.7 else 1))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max((end - start).days, 1)))


def _people(n: int, batch: int, seed: int) -> list[dict]:
    """n person records as an HR system sends them (JSON-ready: dates as strings)."""
    rng = random.Random(seed)
    codes = [code for code, _name_, _kind, _parent in _units()]
    records = []
    for i in range(n):
        key = f"HR{i + 1:06d}"
        birth = _day(rng, date(1966, 1, 1), date(2003, 12, 31))
        start = min(birth + timedelta(days=365 * rng.randint(18, 25) + rng.randrange(365)), date(2025, 9, 1))
        hire = min(start + timedelta(days=rng.randrange(365 * 15)), date(2026, 6, 30))
        status = rng.choices(("active", "suspended", "left"), weights=(97, 1, 2))[0]
        gender = rng.choices(("male", "female", "unspecified"), weights=(52, 47, 1))[0]
        record = {
            "external_id": key,
            "full_name": _name(rng),
            "gender": gender,
            "date_of_birth": birth.isoformat(),
            "work_start_date": start.isoformat(),
            "hire_date": hire.isoformat(),
            "unit": codes[i % len(codes)],
            "manager": None,
            "position": rng.choice(POSITIONS),
            "status": status,
            "left_on": _day(rng, date(2024, 1, 1), date(2026, 6, 30)).isoformat() if status == "left" else None,
            "email": f"hr{i + 1:06d}@qingxi.gov.cn" if rng.random() < 0.4 else "",
            "phone": _phone(rng),
            "wecom_user_id": f"QX{i + 1:06d}" if rng.random() < 0.6 else "",
            "dingtalk_user_id": f"dt-{i + 1:06d}" if rng.random() < 0.2 else "",
        }
        records.append(record)
    # Managers: a leader of the same call (the API takes managers in any order within a call, and
    # people of earlier calls); leaders are every 50th person.
    for i, record in enumerate(records):
        if i % LEADER_EVERY and rng.random() < MANAGER_SHARE:
            first = i // batch * batch
            leaders = range(first, min(first + batch, n), LEADER_EVERY)
            record["manager"] = records[rng.choice(leaders)]["external_id"]
    return records


def _change(records: list[dict], share: float, rng: random.Random) -> list[int]:
    """A new position and phone for a share of the people (nothing of their working life): the indexes."""
    changed = sorted(rng.sample(range(len(records)), int(len(records) * share)))
    for i in changed:
        record = records[i]
        record["position"] = rng.choice([p for p in POSITIONS if p != record["position"]])
        record["phone"] = _phone(rng)
    return changed


def _batches(records: list[dict], size: int) -> list[list[dict]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def _seed_units_and_client() -> str:
    from wellbeing import services
    from wellbeing.actors import command_actor
    from wellbeing.models import OrgUnit

    actor = command_actor("bench")
    created: dict[str, OrgUnit] = {}
    for code, name, kind, parent in _units():
        created[code] = services.org_unit_create(
            actor=actor, code=code, name=name, kind=kind, parent=created[parent] if parent else None
        )
    _client, token = services.api_client_create(actor=actor, name="HR system (bench)", scopes=["people:write"])
    return token


# --- Sending calls --------------------------------------------------------------------------------


class HttpServer(GunicornServer):
    """gunicorn serving config.wsgi on 127.0.0.1, as production runs it (docs/operations.md)."""

    def __init__(self, workers: int, log_dir: Path):
        super().__init__(workers, log_dir / "hr_sync_gunicorn.log", timeout=600, access_log=True, start_within=60)


class HttpTransport:
    name = "HTTP (gunicorn, 1 sync worker, 127.0.0.1)"

    def __init__(self, server: HttpServer, token: str):
        self.server, self.token = server, token

    def post(self, records: list[dict]) -> tuple[int, dict]:
        body = json.dumps({"records": records, "full": False}, ensure_ascii=False).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=600)
        try:
            conn.request(
                "POST",
                SYNC_PATH,
                body=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
            response = conn.getresponse()
            raw = response.read()
            status = response.status
        finally:
            conn.close()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {"raw": raw[:500].decode(errors="replace")}


class TestClientTransport:
    name = "Django test client, in process"

    def __init__(self, token: str):
        from django.conf import settings
        from django.test import Client

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        self.client, self.token = Client(), token

    def post(self, records: list[dict]) -> tuple[int, dict]:
        body = json.dumps({"records": records, "full": False}, ensure_ascii=False)
        response = self.client.post(
            SYNC_PATH,
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": str(uuid.uuid4())},
        )
        return response.status_code, json.loads(response.content)


def _api_phase(transport, batches: list[list[dict]]) -> tuple[float, dict]:
    totals = {"created": 0, "updated": 0, "unchanged": 0, "errors": 0, "calls": 0, "slowest": 0.0}
    start = time.perf_counter()
    for batch in batches:
        t = time.perf_counter()
        status, answer = transport.post(batch)
        totals["slowest"] = max(totals["slowest"], time.perf_counter() - t)
        totals["calls"] += 1
        if status != 200:
            print(f"  !! call {totals['calls']}: HTTP {status}: {str(answer)[:500]}")
            totals["errors"] += len(batch)
            continue
        for name in ("created", "updated", "unchanged"):
            totals[name] += answer[name]
        if answer["errors"]:
            print(f"  !! call {totals['calls']}: {len(answer['errors'])} record errors, first: {answer['errors'][0]}")
        totals["errors"] += len(answer["errors"])
    return time.perf_counter() - start, totals


# --- The baseline ---------------------------------------------------------------------------------

COLUMNS = (
    "external_id",
    "full_name",
    "gender",
    "date_of_birth",
    "work_start_date",
    "hire_date",
    "unit",
    "manager",
    "position",
    "status",
    "left_on",
    "email",
    "phone",
    "wecom_user_id",
    "dingtalk_user_id",
)
#: Columns the upsert sets (the unit by its code's id; the manager in a second statement).
UPSERT = (
    "full_name",
    "gender",
    "date_of_birth",
    "work_start_date",
    "hire_date",
    "unit_id",
    "position",
    "status",
    "left_on",
    "email",
    "phone",
    "wecom_user_id",
    "dingtalk_user_id",
)
STAGE_DDL = """
CREATE TEMP TABLE bench_stage (
    external_id text, full_name text, gender text, date_of_birth date, work_start_date date, hire_date date,
    unit text, manager text, position text, status text, left_on date, email text, phone text,
    wecom_user_id text, dingtalk_user_id text
) ON COMMIT DELETE ROWS
"""
UPSERT_SQL = f"""
INSERT INTO bench_person AS p (external_id, name_pinyin, {", ".join(UPSERT)}, created_at, updated_at)
SELECT s.external_id, '', s.full_name, s.gender, s.date_of_birth, s.work_start_date, s.hire_date, u.id,
       s.position, s.status, s.left_on, s.email, s.phone, s.wecom_user_id, s.dingtalk_user_id, now(), now()
FROM bench_stage s JOIN wellbeing_orgunit u ON u.code = s.unit
ON CONFLICT (external_id) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in UPSERT)}, updated_at = now()
WHERE ({", ".join(f"p.{c}" for c in UPSERT)}) IS DISTINCT FROM ({", ".join(f"excluded.{c}" for c in UPSERT)})
RETURNING (xmax = 0) AS inserted
"""
MANAGER_SQL = """
UPDATE bench_person p SET manager_id = m.id, updated_at = now()
FROM bench_stage s LEFT JOIN bench_person m ON m.external_id = s.manager
WHERE p.external_id = s.external_id AND p.manager_id IS DISTINCT FROM m.id
"""


class Baseline:
    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("DROP TABLE IF EXISTS bench_person")
        self.conn.execute("CREATE TABLE bench_person (LIKE wellbeing_person INCLUDING ALL)")
        self.conn.execute(STAGE_DDL)

    def phase(self, batches: list[list[dict]]) -> tuple[float, dict]:
        totals = {"created": 0, "updated": 0, "managers": 0}
        start = time.perf_counter()
        for batch in batches:
            with self.conn.transaction(), self.conn.cursor() as cur:
                with cur.copy(f"COPY bench_stage ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for record in batch:
                        copy.write_row([record.get(c) for c in COLUMNS])
                cur.execute(UPSERT_SQL)
                inserted = [row[0] for row in cur.fetchall()]
                totals["created"] += sum(inserted)
                totals["updated"] += len(inserted) - sum(inserted)
                cur.execute(MANAGER_SQL)
                totals["managers"] += cur.rowcount
        return time.perf_counter() - start, totals

    def close(self) -> None:
        self.conn.close()


# --- Checking what a phase wrote ------------------------------------------------------------------


def _snapshot(conn, *, wait_for_stats: bool) -> dict:
    """Counts, the newest updated_at, the transaction id, and the statistics counters of the tables."""
    if wait_for_stats:
        time.sleep(STATS_FLUSH_WAIT)  # the server's backend flushes its counters when idle
    conn.execute("SELECT pg_stat_force_next_flush()")  # ours (the baseline's), for completeness
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute(
        """
        SELECT (SELECT count(*) FROM wellbeing_person),
               (SELECT max(updated_at) FROM wellbeing_person),
               (SELECT count(*) FROM wellbeing_auditevent WHERE action <> 'api.call'),
               (SELECT count(*) FROM wellbeing_auditevent WHERE action = 'api.call'),
               (SELECT count(*) FROM wellbeing_changeentry),
               (SELECT count(*) FROM wellbeing_idempotencykey),
               pg_current_xact_id()::text::bigint
        """
    ).fetchone()
    stats = {
        name: (ins, upd, dele)
        for name, ins, upd, dele in conn.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(PERSON_TABLES)],
        )
    }
    keys = ("people", "max_updated_at", "audit", "api_calls", "feed", "idempotency_keys", "xid")
    return {**dict(zip(keys, row, strict=True)), "stats": stats}


def _written_since(conn, xid: int) -> int:
    """Row versions of wellbeing_person written by transactions that began after ``xid``."""
    return conn.execute(
        "SELECT count(*) FROM wellbeing_person WHERE age(xmin) < age((%s %% 4294967296)::text::xid)", [xid]
    ).fetchone()[0]


# --- Profiling ------------------------------------------------------------------------------------


def _profile(token: str, records: list[dict], label: str) -> str:
    transport = TestClientTransport(token)
    profiler = cProfile.Profile()
    profiler.enable()
    status, answer = transport.post(records)
    profiler.disable()
    out = io.StringIO()
    summary = {k: answer.get(k) for k in ("created", "updated", "unchanged")}
    out.write(f"\n--- profile: {label}: HTTP {status} {summary} ---\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_callees("_sync_people")  # the steps of a call
    stats.strip_dirs().sort_stats("tottime").print_stats(20)
    stats.print_callers(r"method 'sub' of|_dump_list|builtins.compile")
    return out.getvalue()


#: The verb and first table of a statement, to add up the database time by table.
STATEMENT = re.compile(r'\s*(insert into|update|select|delete from|savepoint|release)\b.*?(?:"(\w+)"|$)', re.I | re.S)


def _breakdown(token: str, records: list[dict], label: str) -> str:
    """One call through the test client with timers around its steps (no profiler overhead): where
    the time goes, Python and database apart."""
    from django.db import connection
    from django.db.models.query import QuerySet

    from wellbeing.api.parsers import SafeJSONParser
    from wellbeing.services import changes, sync

    spent: dict[str, float] = defaultdict(float)

    def timed(name: str, func):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start

        return wrapper

    def per_model(name: str, func):
        def wrapper(self, *args, **kwargs):
            return timed(f"{name} {self.model.__name__}", func)(self, *args, **kwargs)

        return wrapper

    def statements(execute, sql, params, many, context):
        match = STATEMENT.match(sql)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = f"{match[1].upper()} {match[2]}" if match else sql[:30]
            spent[f"  sql: {kind}"] += time.perf_counter() - start

    patches = [
        (sync, "_sync_people", "sync_people (the service's work)"),
        (sync, "_person_record", "  checking the records (_person_record)"),
        (sync, "_check_work_ids", "  work ids unique (_check_work_ids)"),
        (sync, "name_to_pinyin", "  pinyin of names (name_to_pinyin)"),
        (sync, "audit_records", "  audit rows (audit_records, with its bulk_create)"),
        (changes, "record_many", "  change feed (changes.record_many, with its bulk_create)"),
        (SafeJSONParser, "parse", "reading the JSON body (SafeJSONParser)"),
        (connection, "_commit", "commit (with the deferred foreign-key checks)"),
        (QuerySet, "bulk_create", None),
        (QuerySet, "bulk_update", None),
    ]
    originals = [(owner, attr, getattr(owner, attr)) for owner, attr, _label in patches]
    for owner, attr, name in patches:
        func = getattr(owner, attr)
        setattr(owner, attr, per_model(f"  {attr}", func) if name is None else timed(name, func))
    transport = TestClientTransport(token)
    try:
        with connection.execute_wrapper(statements):
            start = time.perf_counter()
            status, answer = transport.post(records)
            total = time.perf_counter() - start
    finally:
        for owner, attr, func in originals:
            setattr(owner, attr, func)
        del connection._commit  # the instance's wrapper: back to the class's method
    summary = {k: answer.get(k) for k in ("created", "updated", "unchanged")}
    lines = [f"\n--- where the time goes: {label}: HTTP {status} {summary}, {total:.2f}s in all ---"]
    lines += [f"  {value:7.3f}s  {name}" for name, value in sorted(spent.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines)


# --- Main -----------------------------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def _row(phase: str, api: float, base: float | None, target: float | None, note: str = "") -> str:
    if base is None:
        return f"| {phase:<44} | {api:8.2f} | {'':>8} | {'':>6} | {'':>6} | {note}"
    ratio = api / base
    verdict = "" if target is None else ("MET" if ratio <= target else "MISSED")
    target_text = f"{target:g}x" if target else "-"
    return f"| {phase:<44} | {api:8.2f} | {base:8.2f} | {ratio:5.2f}x | {target_text:>6} | {verdict} {note}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--transport", choices=("http", "test-client"), default="http")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (the calls are sequential)")
    parser.add_argument("--seed", type=int, default=20261212)
    parser.add_argument("--profile", action="store_true", help="cProfile one call of new and one of changed people")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    admin, name = _point_at_bench_db()
    _setup_django()
    warnings.filterwarnings("ignore", message="No directory at")  # staticfiles: not collected, not needed
    import psycopg
    from django.db import connection

    server = None
    baseline = None
    try:
        token = _seed_units_and_client()
        connection.close()
        t0 = time.perf_counter()
        records = _people(args.people, args.batch, args.seed)
        rng = random.Random(args.seed + 1)
        version = psycopg.connect(os.environ["DATABASE_URL"]).info.server_version
        if args.transport == "http":
            server = HttpServer(args.workers, Path(os.environ["TANXIN_VAR_DIR"]))
            transport = HttpTransport(server, token)
        else:
            transport = TestClientTransport(token)
        baseline = Baseline(os.environ["DATABASE_URL"])
        check = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        status, answer = transport.post([])  # warm-up: the worker loads Django on its first request
        if status != 200:
            sys.exit(f"The warm-up call failed: HTTP {status} {answer}")
        managers = sum(1 for r in records if r["manager"])
        print(
            f"HR sync benchmark: PostgreSQL {version // 10000}.{version % 10000}, {args.people:,} people "
            f"({managers:,} with a manager; generated in {time.perf_counter() - t0:.1f}s), calls of {args.batch:,}, "
            f"through {transport.name}; load average {_load()}"
        )
        results: list[str] = []
        verdicts: list[str] = []

        def phase(label: str, batches: list[list[dict]], target: float | None, expect: dict) -> None:
            api, answer = _api_phase(transport, batches)
            base, base_answer = baseline.phase(batches)
            got = {k: answer[k] for k in expect}
            ok = got == expect and answer["errors"] == 0
            print(
                f"{label}: api {api:.2f}s ({answer['calls']} calls, slowest {answer['slowest']:.2f}s, "
                f"{answer['created']:,} created, {answer['updated']:,} updated, {answer['unchanged']:,} unchanged, "
                f"{answer['errors']} errors){'' if ok else f'  !! expected {expect}'}; baseline {base:.2f}s "
                f"({base_answer['created']:,} inserted, {base_answer['updated']:,} updated, "
                f"{base_answer['managers']:,} managers set)"
            )
            results.append(_row(label, api, base, target))
            if target is not None:
                verdicts.append(f"{label}: {api / base:.2f}x {'MET' if api / base <= target else 'MISSED'}")

        n = args.people
        phase("1. first load", _batches(records, args.batch), TARGET, {"created": n})
        changed = _change(records, 0.10, rng)
        phase(
            "2. 10% update, changed records only",
            _batches([records[i] for i in changed], args.batch),
            TARGET,
            {"updated": len(changed), "unchanged": 0},
        )
        changed = _change(records, 0.10, rng)
        phase(
            "3. daily push: all, 10% changed",
            _batches(records, args.batch),
            TARGET,
            {"updated": len(changed), "unchanged": n - len(changed)},
        )
        before = _snapshot(check, wait_for_stats=args.transport == "http")
        phase("4. unchanged replay: all", _batches(records, args.batch), None, {"unchanged": n})
        written = _written_since(check, before["xid"])
        after = _snapshot(check, wait_for_stats=args.transport == "http")

        print("\nUnchanged replay, what it wrote:")
        zero = True
        for key in ("people", "audit", "feed"):
            delta = after[key] - before[key]
            zero &= delta == 0
            print(f"  {key:<28} {before[key]:>9,} -> {after[key]:>9,}  ({delta:+,})")
        moved = after["max_updated_at"] != before["max_updated_at"]
        zero &= not moved and written == 0
        print(f"  {'max(updated_at) of people':<28} {before['max_updated_at']} ({'MOVED' if moved else 'unchanged'})")
        print(f"  {'person row versions written':<28} {written:,} (xmin newer than the replay's start)")
        for table in PERSON_TABLES:
            b, a = before["stats"].get(table, (0, 0, 0)), after["stats"].get(table, (0, 0, 0))
            ins, upd, dele = (a[i] - b[i] for i in range(3))
            if table == "wellbeing_person":
                zero &= ins == upd == dele == 0
            print(f"  {'pg_stat ' + table:<28} inserted {ins:+,}, updated {upd:+,}, deleted {dele:+,}")
        print(
            f"  bookkeeping of the calls: api.call audit rows {after['api_calls'] - before['api_calls']:+,}, "
            f"idempotency keys {after['idempotency_keys'] - before['idempotency_keys']:+,}"
        )
        if args.transport != "http":
            print("  (test client: the statistics counters are read without waiting for a flush)")
        verdicts.append(f"unchanged replay writes 0 rows: {'MET' if zero else 'MISSED'}")
        results[-1] += f"writes 0 rows: {'MET' if zero else 'MISSED'}"

        print(f"\n| {'phase':<44} | {'api s':>8} | {'base s':>8} | {'ratio':>6} | {'target':>6} | verdict")
        print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 8}|{'-' * 8}|--------")
        for line in results:
            print(line)
        print("\n" + "; ".join(verdicts) + f"\nload average at the end {_load()}")

        if args.profile:
            # New people after the n (their managers are leaders of the same call).
            extra = _people(n + 2 * args.batch, args.batch, args.seed)[n:]
            print(_breakdown(token, extra[: len(extra) // 2], f"{len(extra) // 2:,} new people"))
            print(_profile(token, extra[len(extra) // 2 :], f"{len(extra) - len(extra) // 2:,} new people"))
            some = records[: args.batch]
            _change(some, 1.0, rng)
            print(_breakdown(token, some, f"{len(some):,} changed people (position, phone)"))
            _change(some, 1.0, rng)
            print(_profile(token, some, f"{len(some):,} changed people (position, phone)"))
            print(_breakdown(token, records[: args.batch], f"{args.batch:,} unchanged people"))
        check.close()
    finally:
        if server is not None:
            server.stop()
        if baseline is not None:
            baseline.close()
        if not args.keep:
            _drop(admin, name)


if __name__ == "__main__":
    main()
