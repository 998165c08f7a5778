"""Benchmark: the caseload on PostgreSQL - /api/v1/cases/ and the caseload board page /cases/ against a
raw-SQL baseline measured in the same run (issue 10, "Done when").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tanxin_bench_cases .venv/bin/python bench/caseload.py

Creates (and drops) its own database, named by DATABASE_URL (default ``tanxin_bench_cases``), and seeds
5,000 cases (a counsellor holding 200 of them, the rest with the lead counsellor or waiting unassigned,
a tenth closed) and 100,000 case notes with bulk inserts (the note fields encrypt themselves). Then, for
the counsellor (their caseload) and the lead counsellor (every case), it prints:

- baseline: the same page of rows (the API's page size, in the board's order: overdue contacts first,
  then risk, then the next contact due) fetched by one raw SQL query and dumped with ``json.dumps``;
- api: ``GET /api/v1/cases/`` through Django's test client, signed in with a verified second factor
  (session, middleware, policy, serializers: everything a request pays); target within 3x the baseline;
- board: ``GET /cases/`` (``cases:board``), the caseload page; target within 5x the baseline;
- the queries each request ran.

Each figure is the median of ``--repeat`` runs after a warm-up. The exit status is 1 when a target is
missed. Options: --cases 5000 --notes 100000 --caseload 200 --repeat 30 --keep (do not drop the database).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _pgbench import drop, point_at_bench_db, setup_django  # noqa: E402

DEFAULT_DB = "tanxin_bench_cases"
API_TARGET = 3.0
BOARD_TARGET = 5.0


def _point_at_bench_db() -> tuple[str, str]:
    return point_at_bench_db(DEFAULT_DB)


_drop = drop
_setup_django = setup_django


# --- Seeding ----------------------------------------------------------------------------------------


def _seed(n_cases: int, n_notes: int, caseload: int) -> dict:
    """The counselling team and a unit of staff through the services, then the cases, their contact
    follow-ups and notes with bulk inserts (a few seconds for 100,000 notes)."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.models import Case, CaseNote, Risk
    from wellbeing import services
    from wellbeing.actors import command_actor
    from wellbeing.models import FollowUp, OrgUnit, Person, Role

    actor = command_actor("bench")
    rng = random.Random(20261120)
    User = get_user_model()
    county = services.org_unit_create(actor=actor, code="BENCH", name="基准县", kind=OrgUnit.Kind.COUNTY)
    units = [
        services.org_unit_create(
            actor=actor, code=f"BENCH{i}", name=f"基准镇{i}", kind=OrgUnit.Kind.TOWN, parent=county
        )
        for i in range(10)
    ]

    def member(username: str, full_name: str, role: str) -> object:
        user = User.objects.create_user(username=username, email=f"{username}@example.invalid")
        services.person_create(
            actor=actor,
            external_id=f"BENCH-{username}",
            full_name=full_name,
            unit=county,
            user=user,
            date_of_birth=date(1985, 5, 1),
            work_start_date=date(2008, 7, 1),
            hire_date=date(2012, 3, 1),
            position="心理咨询师",
        )
        services.role_assign(actor=actor, user=user, role=role, valid_from=date(2020, 1, 1))
        return user

    counsellor = member("bench_counsellor", "刘咨询", Role.COUNSELLOR)
    lead = member("bench_lead", "周主管", Role.LEAD_COUNSELLOR)

    now = timezone.now()
    with transaction.atomic():
        people = Person.objects.bulk_create(
            [
                Person(
                    external_id=f"BP{i:06d}",
                    full_name=f"员工{i}",
                    unit=units[i % len(units)],
                    date_of_birth=date(1980 + i % 20, 1 + i % 12, 1 + i % 28),
                    work_start_date=date(2005, 7, 1),
                    hire_date=date(2010, 3, 1),
                    position="科员",
                )
                for i in range(n_cases)
            ],
            batch_size=2000,
        )
        risks = list(Risk.values)
        cases = []
        for i, person in enumerate(people):
            holder = counsellor if i < caseload else rng.choice([lead, lead, None])
            closed = i >= caseload and rng.random() < 0.1
            case = Case(
                person=person,
                status=Case.Status.CLOSED if closed else rng.choice(Case.OPEN_STATUSES),
                risk=rng.choice(risks),
                counsellor=holder,
                opened_by=lead,
            )
            if closed:
                case.outcome, case.closed_at, case.closed_by = Case.Outcome.STABLE, now, lead
            cases.append(case)
        Case.objects.bulk_create(cases, batch_size=2000)
        case_type = ContentType.objects.get_for_model(Case)
        open_cases = [c for c in cases if c.status != Case.Status.CLOSED]
        followups = FollowUp.objects.bulk_create(
            [
                FollowUp(
                    subject_type=case_type,
                    subject_id=str(c.pk),
                    person_id=c.person_id,
                    owner=c.counsellor or lead,
                    kind=FollowUp.Kind.CASE_CONTACT,
                    title_key="case.contact",
                    title_params={"ref": c.reference},
                    # A tenth overdue, the rest due over the coming month (the board's red/amber markers).
                    due_at=now + timedelta(hours=rng.randint(-72, 0) if rng.random() < 0.1 else rng.randint(1, 720)),
                    tier=Risk(c.risk).tier,
                    escalation=FollowUp.Escalation.LEAD_COUNSELLOR,
                )
                for c in open_cases
            ],
            batch_size=2000,
        )
        for case, followup in zip(open_cases, followups, strict=True):
            case.contact_followup = followup
        Case.objects.bulk_update(open_cases, ["contact_followup"], batch_size=2000)
        texts = ["电话联系，情绪稳定。", "面谈，睡眠改善。", "本人表示工作压力大。", "家属反映近期状态好转。"]
        batch = []
        for i in range(n_notes):
            case = cases[i % n_cases]
            batch.append(
                CaseNote(
                    case=case,
                    author=case.counsellor or lead,
                    form=CaseNote.Form.DAP,
                    data=texts[i % 4],
                    assessment="风险评估：中",
                    plan="一周后再次联系",
                    contact=CaseNote.Contact.PHONE,
                )
            )
            if len(batch) == 5000:
                CaseNote.objects.bulk_create(batch)
                batch = []
        if batch:
            CaseNote.objects.bulk_create(batch)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"counsellor": counsellor, "lead_counsellor": lead}


# --- Measuring --------------------------------------------------------------------------------------

BASELINE_SQL = """
SELECT c.id, c.status, c.risk, c.created_at, c.updated_at, c.closure_requested_at,
       p.external_id, p.full_name, u.name AS unit, c.counsellor_id, cp.full_name AS counsellor_name,
       f.due_at, f.status AS followup_status
FROM cases_case c
JOIN wellbeing_person p ON p.id = c.person_id
JOIN wellbeing_orgunit u ON u.id = p.unit_id
LEFT JOIN wellbeing_person cp ON cp.user_id = c.counsellor_id
LEFT JOIN wellbeing_followup f ON f.id = c.contact_followup_id
WHERE c.status IN ('new', 'active', 'monitoring') {scope}
ORDER BY (f.due_at < now()) DESC NULLS LAST,
         CASE c.risk WHEN 'imminent' THEN -3 WHEN 'high' THEN -2 WHEN 'moderate' THEN -1 ELSE 0 END,
         f.due_at ASC NULLS LAST, c.id
LIMIT %(limit)s
"""


def _baseline(user, role: str, page_size: int) -> callable:
    """One raw query for the same page of rows, dumped with json.dumps."""
    from django.db import connection

    scope = "AND c.counsellor_id = %(user)s" if role == "counsellor" else ""
    sql = BASELINE_SQL.format(scope=scope)

    def run() -> int:
        with connection.cursor() as cur:
            cur.execute(sql, {"user": user.pk, "limit": page_size})
            columns = [c.name for c in cur.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
        return len(json.dumps(rows, default=str, ensure_ascii=False))

    return run


def _client(user):
    from django.test import Client

    from tests.conftest import verified_login

    client = Client()
    verified_login(client, user)
    return client


def _request(client, url: str) -> callable:
    def run() -> int:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(response.content)

    return run


def _median(func, repeat: int) -> float:
    for _ in range(3):
        func()  # warm-up: caches, prepared plans, the session
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _queries(func) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--caseload", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    admin, name = _point_at_bench_db()
    _setup_django()
    from django.conf import settings
    from django.urls import NoReverseMatch, reverse

    from cases.api import BoardPagination

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    page_size = BoardPagination.page_size
    missed = []
    try:
        t0 = time.perf_counter()
        users = _seed(args.cases, args.notes, args.caseload)
        print(
            f"caseload benchmark: PostgreSQL, {args.cases:,} cases, {args.notes:,} notes "
            f"(seeded in {time.perf_counter() - t0:.1f}s), page size {page_size}, median of {args.repeat}"
        )
        api_url = reverse("case-list")
        try:
            board_url = reverse("cases:board")
        except NoReverseMatch:
            board_url = None
            print("the caseload page (cases:board) does not exist yet: not measured")
        for role, user in users.items():
            client = _client(user)
            baseline = _median(_baseline(user, role, page_size), args.repeat)
            api = _median(_request(client, api_url), args.repeat)
            ratio = api / baseline
            line = (
                f"{role:>15}: baseline {baseline * 1000:.2f} ms; api {api * 1000:.1f} ms "
                f"({_queries(_request(client, api_url))} queries), ratio {ratio:.2f}x (target <= {API_TARGET:g}x)"
            )
            if ratio > API_TARGET:
                missed.append(f"{role} api {ratio:.2f}x")
            if board_url is not None:
                board = _median(_request(client, board_url), args.repeat)
                board_ratio = board / baseline
                line += (
                    f"; board {board * 1000:.1f} ms ({_queries(_request(client, board_url))} queries), "
                    f"ratio {board_ratio:.2f}x (target <= {BOARD_TARGET:g}x)"
                )
                if board_ratio > BOARD_TARGET:
                    missed.append(f"{role} board {board_ratio:.2f}x")
            print(line)
    finally:
        if not args.keep:
            _drop(admin, name)
    if missed:
        print("targets missed: " + ", ".join(missed))
        sys.exit(1)
    print("all targets met")


if __name__ == "__main__":
    main()
