"""``manage.py backup`` and ``manage.py restore`` (issue 14, point 3; docs/backups.md): a backup of a
database holding records of every app restores into a FRESH database (PostgreSQL: a scratch database;
SQLite: a new file) with every table's rows and encrypted text that still decrypts with the keys; a
restore is refused with another key set and into a database that is not empty; files are private;
old backups are pruned; missing or old PostgreSQL client tools are named clearly.

Runs on whichever database the suite runs on (DATABASE_URL): PostgreSQL in CI, SQLite locally."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from psycopg import sql

from cases import services as case_services
from leave import services as leave_services
from leave.calendar import Calendar
from leave.models import LeaveLedgerEntry, LeaveRequest, LeaveType
from programme import services as programme_services
from programme.models import CareRecord
from talks.models import Talk
from wellbeing.actors import command_actor
from wellbeing.encryption import decrypt_text, generate_key
from wellbeing.models import AuditEvent, Instrument, Screening
from wellbeing.screening.services import screening_submit
from wellbeing.services import backup

#: pg_dump reads what is committed, from another connection: the test data must be committed.
committed = pytest.mark.django_db(transaction=True)

POSTGRES = connection.vendor == "postgresql"
NOTE = "自述近两周失眠，担心孩子的病"
PLAN = "独处、拒接电话"
LEAVE_NOTE = "陪孩子复查"
CARE_NOTE = "家属住院，已协调值班"
PHQ9 = [1, 1, 1, 1, 1, 1, 1, 0, 0]


# --- A fresh database to restore into, and a connection to it that is not Django's ---------------------


class Fresh:
    """PostgreSQL: a scratch database with a unique name (dropped afterwards); SQLite: a new file."""

    def __init__(self, tmp_path: Path):
        if POSTGRES:
            self.target = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
        else:
            self.target = str(tmp_path / f"restored-{uuid.uuid4().hex[:8]}.sqlite3")

    def _params(self, dbname: str) -> dict:
        s = connection.settings_dict
        params = {"dbname": dbname, "host": s["HOST"], "port": s["PORT"], "user": s["USER"], "password": s["PASSWORD"]}
        return {k: str(v) for k, v in params.items() if v}

    def connect(self):
        if POSTGRES:
            return psycopg.connect(**self._params(self.target), autocommit=True)
        return sqlite3.connect(self.target)

    def exists(self) -> bool:
        if not POSTGRES:
            return Path(self.target).exists()
        with psycopg.connect(**self._params("postgres"), autocommit=True) as admin:
            return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.target]).fetchone() is not None

    def make_non_empty(self) -> None:
        if POSTGRES:
            with psycopg.connect(**self._params("postgres"), autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.target)))
        with self.connect() as conn:
            conn.execute("CREATE TABLE someone_elses (id integer)")

    def drop(self) -> None:
        if not POSTGRES:
            Path(self.target).unlink(missing_ok=True)
            return
        with psycopg.connect(**self._params("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.target)))


@pytest.fixture
def fresh(tmp_path):
    target = Fresh(tmp_path)
    yield target
    target.drop()


def scalar(conn, query: str):
    cursor = conn.cursor()
    cursor.execute(query)
    return cursor.fetchone()[0]


def raw(conn, table: str, column: str, pk: int) -> str:
    return scalar(conn, f'SELECT "{column}" FROM "{table}" WHERE id = {int(pk)}')


def model_tables():
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            yield model


# --- Records of every app that holds data ---------------------------------------------------------------


def records(org) -> dict:
    """The org fixture (people, roles, a talk with encrypted notes, a referral, follow-ups, API clients,
    audit entries) and a case with a note and a safety plan, a screening, leave with its ledger, a care
    record: each written through its service."""
    counsellor, lead, staff = org.users["counsellor"], org.users["lead_counsellor"], org.people["staff"]
    case = case_services.case_open(actor=lead, referral=org.referral, risk=None, counsellor=counsellor)
    note = case_services.note_add(actor=counsellor, case=case, data=case_services.NoteInput(data=NOTE))
    plan = case_services.safety_plan_save(actor=counsellor, case=case, sections={"warning_signs": PLAN})
    screening = screening_submit(actor=org.users["staff"], instrument="phq9", answers=PHQ9, consent=True).screening
    year = timezone.localdate().year
    leave_services.annual_reconcile(actor=command_actor("test"), person=staff, year=year)
    calendar, day = Calendar(), timezone.localdate() + timedelta(days=14)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    request = leave_services.request_submit(
        actor=org.users["staff"],
        person=staff,
        data=leave_services.RequestInput(LeaveType.objects.get(code="annual"), day, day, note=LEAVE_NOTE),
    )
    request = leave_services.request_decide(actor=org.users["supervisor"], request=request, approve=True)
    care, _suggestion = programme_services.care_record_create(
        actor=org.users["supervisor"],
        person=org.people["colleague"],
        situation="family",
        occurred_on=timezone.localdate(),
        help_arranged=True,
        note=CARE_NOTE,
    )
    assert LeaveLedgerEntry.objects.filter(person=staff).count() >= 2  # the allocation and the leave taken
    assert AuditEvent.objects.exists()
    return {"case": case, "note": note, "plan": plan, "screening": screening, "leave": request, "care": care}


def run_backup(directory: Path, *extra: str) -> Path:
    """``manage.py backup --dir directory``; the newest backup file."""
    call_command("backup", "--dir", str(directory), *extra, stdout=io.StringIO(), stderr=io.StringIO())
    return backup.backups_in(directory)[0][1]


def restore(path: Path, *args: str) -> str:
    """``manage.py restore path ...``; what it printed."""
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out, stderr=out)
    return out.getvalue()


# --- Tests ----------------------------------------------------------------------------------------------


@committed
def test_it_restores_every_record_into_a_fresh_database_and_encrypted_text_still_decrypts(org, fresh, tmp_path):
    made = records(org)
    expected = {model._meta.db_table: model._base_manager.count() for model in model_tables()}
    path = run_backup(tmp_path / "backups")

    summary = restore(path, "--target", fresh.target, "--create-if-missing")

    assert "Every table's row count matches the manifest." in summary
    with fresh.connect() as conn:
        found = {table: scalar(conn, f'SELECT COUNT(*) FROM "{table}"') for table in expected}
        assert found == expected
        for table in ("wellbeing_person", "talks_talk", "cases_casenote", "wellbeing_auditevent"):
            assert found[table] > 0
        # Stored encrypted (not in clear), and the configured keys read it back.
        talk = org.talk
        stored = raw(conn, Talk._meta.db_table, "main_content", talk.pk)
        assert "睡眠" not in stored and decrypt_text(stored) == "最近加班多，睡眠不好"
        assert decrypt_text(raw(conn, Talk._meta.db_table, "shared_summary", talk.pk)) == "已约定下月调整值班"
        assert decrypt_text(raw(conn, "cases_casenote", "data", made["note"].pk)) == NOTE
        assert decrypt_text(raw(conn, "cases_safetyplan", "warning_signs", made["plan"].pk)) == PLAN
        answers = raw(conn, Screening._meta.db_table, "answers", made["screening"].pk)
        assert json.loads(decrypt_text(answers)) == PHQ9
        assert decrypt_text(raw(conn, LeaveRequest._meta.db_table, "note", made["leave"].pk)) == LEAVE_NOTE
        assert decrypt_text(raw(conn, CareRecord._meta.db_table, "note", made["care"].pk)) == CARE_NOTE
        assert raw(conn, "cases_case", "person_id", made["case"].pk) == org.people["colleague"].pk


@committed
def test_the_manifest_and_the_files_are_private_and_hold_no_key(org, tmp_path):
    directory = tmp_path / "backups"
    path = run_backup(directory)
    manifest_path = backup.manifest_path_for(path)
    for file in (path, manifest_path):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert path.name.startswith(f"tanxin-{connection.vendor}-{datetime.now(UTC):%Y%m%d}")
    text = manifest_path.read_text(encoding="utf-8")
    manifest = json.loads(text)
    created = datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset() == timedelta(0) and abs(datetime.now(UTC) - created) < timedelta(minutes=5)
    assert manifest["engine"] == connection.vendor
    latest = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        latest[app] = max(name, latest.get(app, ""))
    assert manifest["migrations"] == latest
    assert manifest["tables"]["wellbeing.person"] == {"table": "wellbeing_person", "rows": len(org.people)}
    keys = django_settings.FIELD_ENCRYPTION_KEYS
    assert all(key not in text for key in keys)
    assert manifest["encryption"]["key_fingerprints"] == [backup.key_fingerprint(key) for key in keys]
    assert manifest["encryption"]["keys_in_use"] == [backup.key_fingerprint(keys[0])]


@committed
def test_restore_with_another_key_set_is_refused_and_names_the_missing_key(org, fresh, tmp_path, settings):
    records(org)
    path = run_backup(tmp_path / "backups")
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [generate_key()]

    with pytest.raises(CommandError) as excinfo:
        restore(path, "--target", fresh.target, "--create-if-missing")

    message = str(excinfo.value)
    assert f"fingerprint {backup.key_fingerprint(keys[0])}" in message
    assert "Nothing was restored" in message
    assert not fresh.exists()
    # With the key put back (behind a newer one, as after a rotation), the same backup restores.
    settings.FIELD_ENCRYPTION_KEYS = [generate_key(), *keys]
    assert "Every table's row count matches" in restore(path, "--target", fresh.target, "--create-if-missing")


@committed
def test_restore_into_a_database_that_is_not_empty_is_refused_unless_forced_and_still_verified(db, fresh, tmp_path):
    path = run_backup(tmp_path / "backups")
    fresh.make_non_empty()

    with pytest.raises(CommandError) as excinfo:
        restore(path, "--target", fresh.target)

    assert "restore goes into" in str(excinfo.value) and "--force" in str(excinfo.value)
    with fresh.connect() as conn:
        assert scalar(conn, "SELECT COUNT(*) FROM someone_elses") == 0  # untouched
    # Forced, it replaces the contents and still checks them: a row the manifest counted and the
    # database does not hold fails the restore (exit code 1).
    manifest_path = backup.manifest_path_for(path)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["tables"]["wellbeing.instrument"]["rows"] += 1  # as if a row had been lost on the way
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CommandError, match="1 tables do not match the manifest") as excinfo:
        restore(path, "--target", fresh.target, "--force-clean")
    assert excinfo.value.returncode == 1
    with fresh.connect() as conn:
        assert scalar(conn, "SELECT COUNT(*) FROM wellbeing_instrument") == Instrument.objects.count() > 0


@committed
def test_keep_prunes_older_backups_and_bad_input_is_a_clear_error(db, tmp_path):
    directory = tmp_path / "backups"
    first = run_backup(directory)
    run_backup(directory)
    newest = run_backup(directory, "--keep", "2")
    kept = [path for _created, path in backup.backups_in(directory)]
    assert len(kept) == 2 and newest in kept and first not in kept
    assert not backup.manifest_path_for(first).exists()

    with pytest.raises(CommandError, match="--keep must be at least 1"):
        call_command("backup", "--dir", str(directory), "--keep", "0", stdout=io.StringIO())
    with pytest.raises(CommandError, match="is not a backup file"):
        restore(directory / "nothing.dump")
    backup.manifest_path_for(newest).unlink()
    with pytest.raises(CommandError, match="manifest"):
        restore(newest)
    damaged = kept[1]
    damaged.write_bytes(damaged.read_bytes()[:-10])
    with pytest.raises(CommandError, match="damaged or incomplete"):
        restore(damaged, "--target", str(tmp_path / "x.sqlite3"))


def test_missing_or_old_postgresql_client_tools_are_named(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(backup, "PG_BIN_GLOB", str(tmp_path / "none" / "*" / "bin"))
    with pytest.raises(backup.BackupError, match=r"pg_dump was not found on PATH .*postgresql-client-16"):
        backup.pg_tool("pg_dump", server_major=16)

    old = tmp_path / "old"
    old.mkdir()
    script = old / "pg_restore"
    script.write_text("#!/bin/sh\necho 'pg_restore (PostgreSQL) 13.4'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(old))
    with pytest.raises(
        backup.BackupError, match=r"pg_restore at .* is version 13, older than needed \(PostgreSQL 16\)"
    ):
        backup.pg_tool("pg_restore", server_major=16)
    assert backup.pg_tool("pg_restore", server_major=13) == script
