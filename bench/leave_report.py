"""Benchmark: the HR leave report and a balance explained line by line, on PostgreSQL, against a raw-SQL
baseline measured in the same run (issue 11, "Done when").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tanxin_bench_leave .venv/bin/python bench/leave_report.py

Creates (and drops, unless --keep) its own database, named by DATABASE_URL (default
``tanxin_bench_leave``), and seeds with bulk inserts 10,000 people in 50 units (a county, 5 towns, 9
sections each; an HR officer over the whole county) with three years (2024-2026) of ledger lines: the
year's allocation, days carried in for some, leave taken (half days to three days at a time, some
cancelled), what was left carried over or expired at the end of 2024 and 2025, and time off in lieu
accrued from confirmed work on weekends, holidays and nights (the overtime records themselves), used,
and expired: 10-30 lines per person per year. One more person has 2,000 lines of time off in lieu.
The lines go in by ``bulk_create``, so the yearly totals are then summed from them once
(``ledger.rebuild_totals``, as ``manage.py leave_totals --rebuild``).
Then it measures, each the median of ``--repeat`` runs after a warm-up:

- baseline: one raw SQL ``GROUP BY`` over the same ledger: annual leave entitled, taken and left per
  unit for 2026;
- selector: ``leave.selectors_report.untaken_by_unit`` for the HR officer over the whole county
  (the units, people per unit, annual leave and time off in lieu accrued per unit from the yearly
  totals the ledger keeps, people below the share per unit, time off in lieu still usable, rest-day
  work per unit); target: within 3x of the baseline. Its figures are checked against the baseline's,
  which sums the ledger's lines themselves;
- page: ``GET /leave/reports/?year=2026`` through Django's test client, signed in as the HR officer
  with a verified second factor (and the same with one unit's people opened), reported beside it;
- a balance explained line by line (``leave.selectors.balances_for`` and ``ledger_for``) for a
  person with a short ledger and for the person with 2,000 lines: the queries each runs must be the
  same (target: a fixed number whatever the ledger's length), and the times.

It prints the figures and the ratios and exits 1 when a target is missed.
Options: --people 10000 --units 50 --repeat 20 --keep (do not drop the database) --reuse (measure a
database kept by an earlier --keep run again, without seeding).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _pgbench import drop, point_at_bench_db, setup_django  # noqa: E402

DEFAULT_DB = "tanxin_bench_leave"
SELECTOR_TARGET = 3.0
YEARS = (2024, 2025, 2026)
REPORT_YEAR = 2026
LONG_LEDGER = 2_000
D = Decimal
HALF = D("0.5")


def _point_at_bench_db(*, reuse: bool = False) -> tuple[str, str]:
    return point_at_bench_db(DEFAULT_DB, reuse=reuse)


_drop = drop
_setup_django = setup_django


# --- Seeding ----------------------------------------------------------------------------------------


def _rest_days(rng: random.Random, year: int, n: int, last: date) -> list[date]:
    """``n`` distinct weekend days of ``year`` up to ``last``."""
    day, days = date(year, 1, 1), []
    while day <= min(last, date(year, 12, 31)):
        if day.weekday() >= 5:
            days.append(day)
        day += timedelta(days=1)
    return sorted(rng.sample(days, min(n, len(days))))


class Ledger:
    """Lines to insert, lots first (their ids are needed by the lines that draw on them)."""

    def __init__(self, model, types, batch: int = 5000) -> None:
        self.model, self.types, self.batch = model, types, batch
        self.lots: list = []
        self.draws: list[tuple] = []  # (line, lot)
        self.count = 0

    def lot(self, person_id, category, year, kind, days, on, expires=None, overtime=None, basis=""):
        line = self.model(
            person_id=person_id,
            leave_type=self.types[category],
            year=year,
            kind=kind,
            days=days,
            effective_on=on,
            expires_on=expires,
            overtime=overtime,
            basis=basis,
            created_label="bench",
        )
        self.lots.append(line)
        return line

    def draw(self, lot, kind, days, on, year=None):
        line = self.model(
            person_id=lot.person_id,
            leave_type=lot.leave_type,
            year=year or lot.year,
            kind=kind,
            days=days,
            effective_on=on,
            created_label="bench",
            basis="use_by" if kind == "expired" else "",
        )
        self.draws.append((line, lot))
        return line

    def flush(self) -> None:
        self.model.objects.bulk_create(self.lots, batch_size=self.batch)
        lines = []
        for line, lot in self.draws:
            line.lot_id = lot.pk
            lines.append(line)
        self.model.objects.bulk_create(lines, batch_size=self.batch)
        self.count += len(self.lots) + len(lines)
        self.lots, self.draws = [], []


def _seed(n_people: int, n_units: int) -> dict:
    """The organisation and the HR officer through the services; the people, the overtime records and
    the ledger with bulk inserts."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from leave.models import LeaveLedgerEntry, LeaveType, OvertimeRecord
    from wellbeing import services
    from wellbeing.actors import command_actor
    from wellbeing.models import OrgUnit, Person, Role

    actor = command_actor("bench")
    rng = random.Random(20261012)
    User = get_user_model()
    county = services.org_unit_create(actor=actor, code="BENCH", name="基准县", kind=OrgUnit.Kind.COUNTY)
    towns = max(1, round(n_units / 10))
    units = []
    for t in range(towns):
        town = services.org_unit_create(
            actor=actor, code=f"BT{t}", name=f"基准镇{t}", kind=OrgUnit.Kind.TOWN, parent=county
        )
        units.append(town)
        for s in range(n_units // towns - 1):
            units.append(
                services.org_unit_create(
                    actor=actor, code=f"BT{t}S{s}", name=f"基准镇{t}科室{s}", kind=OrgUnit.Kind.SECTION, parent=town
                )
            )
    hr_user = User.objects.create_user(username="bench_hr", email="bench_hr@example.invalid")
    supervisor_user = User.objects.create_user(username="bench_supervisor", email="bench_sup@example.invalid")
    services.person_create(
        actor=actor,
        external_id="BENCH-hr",
        full_name="吴人事",
        unit=county,
        user=hr_user,
        date_of_birth=date(1985, 5, 1),
        work_start_date=date(2008, 7, 1),
        hire_date=date(2012, 3, 1),
        position="人事干部",
    )
    services.role_assign(actor=actor, user=hr_user, role=Role.HR_OFFICER, unit=county, valid_from=date(2020, 1, 1))

    types = {t.category: t for t in LeaveType.objects.filter(category__in=["annual", "in_lieu"])}
    K, W = LeaveLedgerEntry.Kind, OvertimeRecord.Kind
    today = date(REPORT_YEAR, 10, 12)  # the report's "now": three quarters into the last year
    ledger = Ledger(LeaveLedgerEntry, types)
    with transaction.atomic():
        people = Person.objects.bulk_create(
            [
                Person(
                    external_id=f"BL{i:06d}",
                    full_name=f"员工{i}",
                    name_pinyin=f"yg{i}",
                    unit=units[i % len(units)],
                    date_of_birth=date(1966 + i % 34, 1 + i % 12, 1 + i % 28),
                    work_start_date=date(1966 + i % 34 + 20 + i % 5, 7, 1),  # 3 to 40 years of service
                    hire_date=date(2010, 3, 1),
                    position="科员",
                )
                for i in range(n_people)
            ],
            batch_size=5000,
        )
        long_person = Person.objects.create(
            external_id="BL-long",
            full_name="值班最多",
            name_pinyin="zbzd",
            unit=units[1],
            date_of_birth=date(1980, 1, 1),
            work_start_date=date(2000, 7, 1),
        )
        # Rest-day work first (the accrued lines name their record).
        records, earned = [], []
        for person in people:
            for year in YEARS:
                last = today if year == REPORT_YEAR else date(year, 12, 31)
                for day in _rest_days(rng, year, rng.randint(2, 7), last):
                    kind = rng.choice([W.WEEKEND, W.WEEKEND, W.WEEKEND, W.HOLIDAY, W.NIGHT])
                    hours = D(rng.choice([4, 6, 8, 8, 10]))
                    status = OvertimeRecord.Status.CONFIRMED if rng.random() < 0.85 else OvertimeRecord.Status.PENDING
                    record = OvertimeRecord(
                        person_id=person.pk,
                        work_date=day,
                        kind=kind,
                        hours=hours,
                        purpose="值班",
                        status=status,
                        recorded_by=supervisor_user,
                        confirmed_by=supervisor_user if status == "confirmed" else None,
                    )
                    records.append(record)
                    if status == "confirmed":
                        earned.append(record)
        OvertimeRecord.objects.bulk_create(records, batch_size=5000)
        by_person: dict[int, list] = {}
        for record in earned:
            by_person.setdefault(record.person_id, []).append(record)

        for person in people:
            service = REPORT_YEAR - person.work_start_date.year
            band = D(5 if service < 10 else 10 if service < 20 else 15)
            carried = None  # (days, year) carried into the next year
            for year in YEARS:
                last = today if year == REPORT_YEAR else date(year, 12, 31)
                allocation = ledger.lot(person.pk, "annual", year, K.ALLOCATION, band, date(year, 1, 1), basis="band")
                entitled = band
                lots = [allocation]
                if carried is not None:
                    lots.insert(
                        0,
                        ledger.lot(
                            person.pk,
                            "annual",
                            year,
                            K.CARRIED_IN,
                            carried,
                            date(year, 1, 1),
                            date(year, 12, 31),
                            basis="carried",
                        ),
                    )
                    entitled += carried
                # Leave taken through the year, a share of the entitlement; now and then cancelled.
                share = rng.choice([0.2, 0.4, 0.6, 0.8, 1.0]) * (0.75 if year == REPORT_YEAR else 1)
                left = {id(lot): lot.days for lot in lots}
                to_take = (D(entitled) * D(str(share)) / HALF).to_integral_value() * HALF
                while to_take > 0:
                    lot = next(lot for lot in lots if left[id(lot)] > 0)
                    days = min(to_take, left[id(lot)], D(rng.choice(["0.5", "1", "1", "2", "3"])))
                    on = date(year, 1, 1) + timedelta(days=rng.randint(0, (last - date(year, 1, 1)).days))
                    ledger.draw(lot, K.TAKEN, -days, on)
                    if rng.random() < 0.08:
                        ledger.draw(lot, K.CANCELLED, days, on)
                    else:
                        left[id(lot)] -= days
                        to_take -= days
                # The end of a past year: some carried over (at most the allocation's rest), the rest expires.
                carried = None
                if year != REPORT_YEAR:
                    for lot in lots:
                        rest = left[id(lot)]
                        if rest <= 0:
                            continue
                        if lot.kind == K.ALLOCATION and rng.random() < 0.2:
                            carried = min(rest, D(rng.randint(1, 5)))
                            ledger.draw(lot, K.CARRIED_OUT, -carried, date(year, 12, 31))
                            rest -= carried
                        if rest > 0:
                            ledger.draw(lot, K.EXPIRED, -rest, date(year, 12, 31))
                # Time off in lieu: accrued per confirmed record, mostly used, some expired.
                for record in by_person.get(person.pk, []):
                    if record.work_date.year != year:
                        continue
                    days = max(HALF, (record.hours / 8 / HALF).to_integral_value() * HALF)
                    expires = record.work_date + timedelta(days=60)
                    lot = ledger.lot(
                        person.pk,
                        "in_lieu",
                        year,
                        K.ACCRUED,
                        days,
                        record.work_date + timedelta(days=2),
                        expires,
                        overtime=record,
                        basis="overtime",
                    )
                    roll = rng.random()
                    if roll < 0.6 and expires <= today:
                        ledger.draw(lot, K.USED, -days, record.work_date + timedelta(days=rng.randint(3, 55)))
                    elif roll < 0.8 and expires < today:
                        ledger.draw(lot, K.EXPIRED, -days, expires + timedelta(days=1))
            if len(ledger.lots) > 50_000:
                ledger.flush()
        # One person who has worked (and taken time off for) every rest day for years: 2,000 lines.
        for i in range(LONG_LEDGER // 2):
            on = date(2024, 1, 6) + timedelta(days=i)
            lot = ledger.lot(
                long_person.pk, "in_lieu", on.year, K.ACCRUED, HALF, on, on + timedelta(days=60), basis="overtime"
            )
            ledger.draw(lot, K.USED, -HALF, on + timedelta(days=7))
        ledger.flush()
    # The lines went in by bulk_create, past LeaveLedgerEntry.save: their yearly totals are summed
    # once, as `manage.py leave_totals --rebuild` does after a bulk load.
    from leave.services import ledger as ledger_service

    t0 = time.perf_counter()
    totals = ledger_service.rebuild_totals()
    print(f"  {totals:,} yearly totals summed from the ledger in {time.perf_counter() - t0:.1f}s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    short_person = people[0]
    return {
        "hr": hr_user,
        "units": units,
        "lines": ledger.count,
        "records": len(records),
        "short": short_person,
        "long": long_person,
    }


def _seeded() -> dict:
    """What ``_seed`` returned, read back from a database kept with --keep."""
    from django.contrib.auth import get_user_model

    from leave.models import LeaveLedgerEntry, OvertimeRecord
    from wellbeing.models import OrgUnit, Person

    return {
        "hr": get_user_model().objects.get(username="bench_hr"),
        "units": list(OrgUnit.objects.filter(code__startswith="BT")),
        "lines": LeaveLedgerEntry.objects.count(),
        "records": OvertimeRecord.objects.count(),
        "short": Person.objects.get(external_id="BL000000"),
        "long": Person.objects.get(external_id="BL-long"),
    }


# --- Measuring --------------------------------------------------------------------------------------

BASELINE_SQL = """
SELECT p.unit_id,
       SUM(l.days) FILTER (WHERE l.kind IN ('allocation', 'carried_in')) AS entitled,
       -SUM(l.days) FILTER (WHERE l.kind IN ('taken', 'cancelled')) AS taken,
       SUM(l.days) AS balance
FROM leave_leaveledgerentry l
JOIN wellbeing_person p ON p.id = l.person_id
WHERE l.leave_type_id = %(annual)s AND l.year = %(year)s
GROUP BY p.unit_id
"""


def _baseline(annual_id: int, year: int):
    from django.db import connection

    def run() -> dict:
        with connection.cursor() as cur:
            cur.execute(BASELINE_SQL, {"annual": annual_id, "year": year})
            return {row[0]: row[1:] for row in cur.fetchall()}

    return run


#: The report's other figures by hand, for reference (not the target's baseline): the same four
#: statements the selector runs over the big tables, written directly in SQL.
SAME_FIGURES_SQL = [
    # Annual leave and time off in lieu accrued per unit, from the yearly totals, with the people
    # below the share.
    """
    SELECT p.unit_id,
           SUM(t.granted) FILTER (WHERE t.leave_type_id = %(annual)s),
           SUM(t.taken) FILTER (WHERE t.leave_type_id = %(annual)s),
           SUM(t.balance) FILTER (WHERE t.leave_type_id = %(annual)s),
           COUNT(*) FILTER (WHERE t.leave_type_id = %(annual)s AND t.granted > 0
                            AND t.taken < t.granted * %(share)s),
           SUM(t.accrued) FILTER (WHERE t.leave_type_id = %(in_lieu)s)
    FROM leave_leaveyeartotal t JOIN wellbeing_person p ON p.id = t.person_id
    WHERE t.leave_type_id IN (%(annual)s, %(in_lieu)s) AND t.year = %(year)s AND p.status <> 'left'
    GROUP BY p.unit_id
    """,
    # Time off in lieu still usable today (open lots less their draws).
    """
    SELECT p.unit_id,
           SUM(l.days + COALESCE((SELECT SUM(d.days) FROM leave_leaveledgerentry d WHERE d.lot_id = l.id), 0))
    FROM leave_leaveledgerentry l JOIN wellbeing_person p ON p.id = l.person_id
    WHERE l.leave_type_id = %(in_lieu)s AND l.expires_on >= %(today)s AND p.status <> 'left'
    GROUP BY p.unit_id
    """,
    # Confirmed work on rest days in the year.
    """
    SELECT p.unit_id, SUM(o.hours) FILTER (WHERE o.kind = 'weekend'), SUM(o.hours) FILTER (WHERE o.kind = 'holiday'),
           SUM(o.hours) FILTER (WHERE o.kind = 'night')
    FROM leave_overtimerecord o JOIN wellbeing_person p ON p.id = o.person_id
    WHERE o.status = 'confirmed' AND o.work_date BETWEEN %(first)s AND %(last)s AND p.status <> 'left'
    GROUP BY p.unit_id
    """,
]


def _same_figures(annual_id: int, in_lieu_id: int, year: int):
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    params = {
        "annual": annual_id,
        "in_lieu": in_lieu_id,
        "year": year,
        "share": Decimal(str(settings.LEAVE_REST_MIN_SHARE)),
        "today": today,
        "first": date(year, 1, 1),
        "last": date(year, 12, 31),
    }

    def run() -> int:
        rows = 0
        with connection.cursor() as cur:
            for sql in SAME_FIGURES_SQL:
                cur.execute(sql, params)
                rows += len(cur.fetchall())
        return rows

    return run


def _medians(funcs: dict, repeat: int) -> dict[str, float]:
    """The median time of each function, run in turn in every round (after a warm-up), so that
    whatever else the machine does weighs on all of them alike."""
    for func in funcs.values():
        for _ in range(3):
            func()  # warm-up: caches, prepared plans, the session
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _queries(func) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def _breakdown(func) -> str:
    """Each query's time in one run, as Django's debug cursor recorded it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        func()
    return ", ".join(f"{float(q['time']) * 1000:.0f}" for q in ctx.captured_queries) + " ms"


def _request(client, url: str, params: dict):
    def run() -> int:
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)
        return len(response.content)

    return run


def _explain(person, leave_type):
    """What the person's balance page reads: the balances, and the balance line by line with each
    line's lot, request, record and author (touched, so a lazy load would show as a query)."""
    from leave import selectors

    def run() -> int:
        selectors.balances_for(person, REPORT_YEAR)
        lines = selectors.ledger_for(person, leave_type, None)
        for line in lines:
            entry = line.entry
            _ = (line.explanation, entry.lot, entry.request, entry.overtime, entry.created_by)
        return len(lines)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep (implies --keep)")
    args = parser.parse_args()
    args.keep = args.keep or args.reuse
    admin, name = _point_at_bench_db(reuse=args.reuse)
    _setup_django()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from leave import selectors_report
    from leave.models import LeaveType
    from tests.conftest import verified_login

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    missed = []
    try:
        t0 = time.perf_counter()
        seeded = _seeded() if args.reuse else _seed(args.people, args.units)
        print(
            f"leave report benchmark: PostgreSQL, {args.people:,} people in {len(seeded['units'])} units, "
            f"{seeded['lines']:,} ledger lines and {seeded['records']:,} rest-day records over {YEARS[0]}-{YEARS[-1]} "
            f"(seeded in {time.perf_counter() - t0:.1f}s), median of {args.repeat}"
        )
        hr = seeded["hr"]
        annual = LeaveType.objects.get(category="annual")
        in_lieu = LeaveType.objects.get(category="in_lieu")
        # The report's figures are the baseline's.
        expected = _baseline(annual.pk, REPORT_YEAR)()
        report = selectors_report.untaken_by_unit(hr, REPORT_YEAR)
        got = {r.unit_id: (r.entitled, r.taken, r.balance) for r in report.units}
        want = {k: tuple(v or 0 for v in row) for k, row in expected.items()}
        want.update(dict.fromkeys(got.keys() - want.keys(), (0, 0, 0)))  # units with nobody's leave
        assert got == want, f"figures differ: {sorted(set(got.items()) ^ set(want.items()))[:6]}"
        client = Client()
        verified_login(client, hr)
        url = reverse("leave:report")
        unit = report.units[1].unit_id
        people = {"year": REPORT_YEAR, "unit": unit}
        t = _medians(
            {
                "baseline": _baseline(annual.pk, REPORT_YEAR),
                "same_figures": _same_figures(annual.pk, in_lieu.pk, REPORT_YEAR),
                "selector": lambda: selectors_report.untaken_by_unit(hr, REPORT_YEAR),
                "people": lambda: selectors_report.people_in_unit(hr, REPORT_YEAR, unit),
                "page": _request(client, url, {"year": REPORT_YEAR}),
                "page_people": _request(client, url, people),
                "export": _request(client, reverse("leave:report-export", args=["xlsx"]), {"year": REPORT_YEAR}),
            },
            args.repeat,
        )
        baseline = t["baseline"]
        ratio = t["selector"] / baseline
        n = _queries(lambda: selectors_report.untaken_by_unit(hr, REPORT_YEAR))
        print(
            f"report by unit: baseline {baseline * 1000:.1f} ms; selector {t['selector'] * 1000:.1f} ms "
            f"({n} queries), ratio {ratio:.2f}x (target <= {SELECTOR_TARGET:g}x)"
        )
        if ratio > SELECTOR_TARGET:
            missed.append(f"selector {ratio:.2f}x")
        print(
            f"  for reference: the same figures by hand-written SQL {t['same_figures'] * 1000:.1f} ms "
            f"({t['same_figures'] / baseline:.2f}x the baseline); the selector is "
            f"{t['selector'] / t['same_figures']:.2f}x that"
        )
        print(
            "  the selector's queries, one run: "
            + _breakdown(lambda: selectors_report.untaken_by_unit(hr, REPORT_YEAR))
        )
        n = _queries(lambda: selectors_report.people_in_unit(hr, REPORT_YEAR, unit))
        print(f"one unit's people ({report.units[1].people}): {t['people'] * 1000:.1f} ms ({n} queries)")
        for label, key, params in (
            ("page", "page", {"year": REPORT_YEAR}),
            ("page with a unit's people", "page_people", people),
        ):
            n = _queries(_request(client, url, params))
            print(f"{label}: {t[key] * 1000:.1f} ms ({n} queries), {t[key] / baseline:.2f}x the baseline")
        export = _request(client, reverse("leave:report-export", args=["xlsx"]), {"year": REPORT_YEAR})
        print(f"Excel export of the units: {t['export'] * 1000:.1f} ms ({_queries(export)} queries)")

        counts = {}
        for who in ("short", "long"):
            person = seeded[who]
            lines = _explain(person, in_lieu)()
            counts[who] = _queries(_explain(person, in_lieu))
            took = _medians({who: _explain(person, in_lieu)}, args.repeat)[who]
            print(f"balance explained, {who} ledger ({lines:,} lines): {counts[who]} queries, {took * 1000:.1f} ms")
        if counts["short"] != counts["long"]:
            missed.append(f"ledger queries {counts['short']} vs {counts['long']}")
    finally:
        if not args.keep:
            _drop(admin, name)
    if missed:
        print("targets missed: " + ", ".join(missed))
        sys.exit(1)
    print("all targets met")


if __name__ == "__main__":
    main()
