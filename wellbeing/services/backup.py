"""Backups and restores of the whole database (``manage.py backup`` / ``manage.py restore``,
docs/backups.md).

- PostgreSQL: ``pg_dump -Fc --no-owner --no-privileges`` from an exported snapshot, so the dump and
  the manifest's row counts describe the same moment; ``pg_restore --single-transaction`` into an
  empty database (a non-empty one only when asked to replace its contents).
- SQLite (the embedded default): the sqlite3 online backup API, consistent while the system runs.

Each backup file has a manifest next to it (``<file>.manifest.json``): when it was made (aware
UTC), the latest migration per app, the row count of every model's table, the engine, the file's
SHA-256, and the fingerprints of the encryption keys the stored ciphertext needs. The keys
themselves are never in a backup (docs/security.md, "Encryption at rest"): a restore refuses to
start when a key the backup needs is not configured, and after restoring it checks that a sample of
every encrypted column decrypts and that every table holds the rows the manifest counted.

Passwords reach the PostgreSQL client tools through ``PGPASSWORD`` in their environment, never on
their command line. Nothing here logs or prints stored text.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

from wellbeing.encryption import DecryptionError, decrypt_text, encrypted_fields

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
#: Where Debian and Ubuntu install each PostgreSQL major version's client tools (besides PATH).
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: Encrypted values checked per column, from each end of the table (oldest and newest rows).
SAMPLE_PER_END = 20
MANIFEST_SUFFIX = ".manifest.json"
EXTENSIONS = {"postgresql": ".dump", "sqlite": ".sqlite3"}
NAME_PATTERN = re.compile(r"^tanxin-(postgresql|sqlite)-\d{8}T\d{6}Z(-\d+)?\.(dump|sqlite3)$")
#: libpq connection parameters Django's OPTIONS may carry, and the environment variable of each.
LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
}


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: dict
    pruned: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Mismatch:
    model: str
    table: str
    expected: int
    found: int | None  # None: the table is missing


@dataclass(frozen=True)
class RestoreResult:
    target: str
    manifest: dict
    tables: int
    rows: int
    decrypted: int
    mismatches: list[Mismatch]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches


# --- Keys ---------------------------------------------------------------------------------------


def key_fingerprint(key: str) -> str:
    """A key's identifier for manifests and messages: a one-way hash, never the key."""
    return hashlib.sha256(b"tanxin-field-key:" + key.strip().encode("ascii")).hexdigest()[:16]


def configured_keys() -> dict[str, Fernet]:
    """The keys of FIELD_ENCRYPTION_KEYS by fingerprint, newest first."""
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise BackupError("FIELD_ENCRYPTION_KEYS is empty: configure the keys before a backup or restore.")
    try:
        return {key_fingerprint(k): Fernet(k.encode("ascii")) for k in keys}
    except ValueError:
        raise BackupError("FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key.") from None


def _key_of(token: str, keys: dict[str, Fernet]) -> str | None:
    for fingerprint, fernet in keys.items():
        try:
            fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            continue
        return fingerprint
    return None


# --- What a database holds ----------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _model_tables() -> list[tuple[str, str]]:
    """(model label, table) of every table the installed models keep, many-to-many tables included."""
    seen, found = set(), []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        found.append((meta.label_lower, meta.db_table))
    return sorted(found)


def _encrypted_columns() -> list[dict]:
    return [
        {
            "model": model._meta.label_lower,
            "table": model._meta.db_table,
            "pk": model._meta.pk.column,
            "columns": [model._meta.get_field(name).column for name in names],
        }
        for model, names in encrypted_fields()
    ]


def _existing_tables(conn, vendor: str) -> set[str]:
    cursor = conn.cursor()
    if vendor == "postgresql":
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = ANY(current_schemas(false))")
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return {row[0] for row in cursor.fetchall()}


def _count(conn, table: str) -> int:
    cursor = conn.cursor()
    cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
    return int(cursor.fetchone()[0])


def _sample_tokens(conn, encrypted: list[dict], existing: set[str]):
    """(table, column, token) for a sample of every encrypted column: its first and last rows."""
    cursor = conn.cursor()
    for spec in encrypted:
        if spec["table"] not in existing:
            continue
        table, pk = _quote(spec["table"]), _quote(spec["pk"])
        for column in spec["columns"]:
            col = _quote(column)
            for order in ("ASC", "DESC"):
                cursor.execute(
                    f"SELECT {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> '' "
                    f"ORDER BY {pk} {order} LIMIT {SAMPLE_PER_END}"
                )
                for (token,) in cursor.fetchall():
                    yield spec["table"], column, token


def _inventory(conn, vendor: str) -> dict:
    """Migrations, row counts and the keys in use, read through one DB-API connection (one snapshot)."""
    existing = _existing_tables(conn, vendor)
    cursor = conn.cursor()
    migrations: dict[str, str] = {}
    if "django_migrations" in existing:
        cursor.execute("SELECT app, name FROM django_migrations")
        for app, name in cursor.fetchall():
            migrations[app] = max(name, migrations.get(app, ""))
    tables = {
        label: {"table": table, "rows": _count(conn, table)} for label, table in _model_tables() if table in existing
    }
    keys = configured_keys()
    encrypted = _encrypted_columns()
    in_use: set[str] = set()
    sampled = undecryptable = 0
    for _table, _column, token in _sample_tokens(conn, encrypted, existing):
        sampled += 1
        fingerprint = _key_of(token, keys)
        if fingerprint is None:
            undecryptable += 1
        else:
            in_use.add(fingerprint)
    return {
        "migrations": dict(sorted(migrations.items())),
        "tables": tables,
        "encryption": {
            "key_fingerprints": list(keys),
            "keys_in_use": [fp for fp in keys if fp in in_use],
            "sampled": sampled,
            "undecryptable": undecryptable,
            "columns": [spec for spec in encrypted if spec["table"] in existing],
        },
    }


# --- Files --------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path_for(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def _backup_dir(directory: Path | str | None) -> Path:
    path = Path(directory or settings.BACKUP_DIR).expanduser()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"The backup directory {path} cannot be created: {exc.strerror}.") from None
    if not path.is_dir() or not os.access(path, os.W_OK):
        raise BackupError(f"The backup directory {path} is not a writable directory.")
    return path


def _new_name(directory: Path, vendor: str, now: datetime) -> Path:
    stem = f"tanxin-{vendor}-{now:%Y%m%dT%H%M%SZ}"
    ext = EXTENSIONS[vendor]
    candidate, n = directory / f"{stem}{ext}", 1
    while candidate.exists() or manifest_path_for(candidate).exists():
        n += 1
        candidate = directory / f"{stem}-{n}{ext}"
    return candidate


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), whole or not at all."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backups_in(directory: Path) -> list[tuple[datetime, Path]]:
    """The backups this command wrote in ``directory`` (a readable manifest next to each), newest first."""
    found = []
    for path in directory.iterdir():
        if not NAME_PATTERN.match(path.name):
            continue
        try:
            manifest = json.loads(manifest_path_for(path).read_text(encoding="utf-8"))
            created = datetime.fromisoformat(manifest["created_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found.append((created, path))
    return sorted(found, reverse=True)


def backups_prune(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups (and their manifests) in ``directory``."""
    if keep < 1:
        raise BackupError("--keep must be at least 1.")
    removed = []
    for _created, path in backups_in(directory)[keep:]:
        path.unlink(missing_ok=True)
        manifest_path_for(path).unlink(missing_ok=True)
        removed.append(path)
    return removed


# --- PostgreSQL connection and client tools -----------------------------------------------------


def _pg_params(settings_dict: dict, dbname: str) -> dict[str, str]:
    params = {"dbname": dbname}
    for key, param in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if settings_dict.get(key):
            params[param] = str(settings_dict[key])
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if key in LIBPQ_ENV and key not in params and value not in (None, ""):
            params[key] = str(value)
    return params


def _pg_env(params: dict[str, str]) -> dict[str, str]:
    """The client tools' environment: the connection (password included) as PG* variables."""
    env = dict(os.environ)
    env.update({LIBPQ_ENV[key]: value for key, value in params.items() if key in LIBPQ_ENV})
    return env


def _conninfo_dbname(dbname: str) -> str:
    """``dbname='...'`` for ``-d``: a name is never taken for a connection string or an option."""
    return "dbname='" + dbname.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _pg_connect(params: dict[str, str], **kwargs):
    try:
        return psycopg.connect(**params, **kwargs)
    except psycopg.OperationalError as exc:
        raise BackupError(f"Cannot connect to PostgreSQL database {params['dbname']!r}: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def client_major(path: Path) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 (a fixed argument list)
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out) or re.search(r"\b(\d+)\.\d+", out)
    return int(match.group(1)) if match else None


def pg_tool(name: str, *, server_major: int, at_least: int = 0) -> Path:
    """The ``name`` client tool (pg_dump, pg_restore) of a major version no older than the server's
    (and ``at_least``): from PATH first, then the newest under /usr/lib/postgresql/*/bin."""
    needed = max(server_major, at_least)
    candidates: list[Path] = []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for directory in glob.glob(PG_BIN_GLOB):
        tool = Path(directory) / name
        if tool.is_file() and os.access(tool, os.X_OK) and tool not in candidates:
            candidates.append(tool)
    versions = [(path, client_major(path)) for path in candidates]
    for path, major in sorted(versions, key=lambda pv: -(pv[1] or 0)):
        if major is not None and major >= needed:
            return path
    advice = (
        f"install the PostgreSQL {needed} client tools (Debian/Ubuntu: apt install postgresql-client-{needed}; "
        "or the PGDG packages) and put their bin directory on PATH"
    )
    if not versions:
        raise BackupError(f"{name} was not found on PATH or under {PG_BIN_GLOB}: {advice}.")
    path, major = max(versions, key=lambda pv: pv[1] or 0)
    what = f"is version {major}" if major is not None else "does not say its version"
    raise BackupError(f"{name} at {path} {what}, older than needed (PostgreSQL {needed}): {advice}.")


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = (done.stderr or done.stdout or "").strip()[-2000:]
        raise BackupError(f"{what} failed (exit {done.returncode}): {detail}")


# --- Backup -------------------------------------------------------------------------------------


def _vendor(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in EXTENSIONS:
        raise BackupError(f"The database {using!r} uses {vendor}: backups support PostgreSQL and SQLite.")
    return vendor


def backup_create(
    *, using: str = "default", directory: Path | str | None = None, keep: int | None = None
) -> BackupResult:
    """Back up the database ``using`` into ``directory`` (BACKUP_DIR by default), with its manifest.
    ``keep``: then delete all but the ``keep`` newest backups there."""
    if keep is not None and keep < 1:
        raise BackupError("--keep must be at least 1.")
    vendor = _vendor(using)
    target_dir = _backup_dir(directory)
    now = datetime.now(UTC)
    path = _new_name(target_dir, vendor, now)
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".tmp-", suffix=path.suffix)  # mode 0600
    os.close(fd)
    tmp = Path(tmp_name)
    manifest_path = manifest_path_for(path)
    try:
        details = _backup_postgresql(using, tmp) if vendor == "postgresql" else _backup_sqlite(using, tmp)
        os.chmod(tmp, 0o600)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": now.isoformat(),
            "engine": vendor,
            "file": path.name,
            "size": tmp.stat().st_size,
            "sha256": _sha256(tmp),
            **details,
        }
        # The manifest first: a backup file under its final name always has its manifest.
        _write_private(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        manifest_path.unlink(missing_ok=True)
        raise BackupError(f"Writing the backup {path} failed: {exc.strerror or exc}.") from None
    except (psycopg.Error, sqlite3.Error) as exc:
        raise BackupError(f"Reading the database failed: {_first_line(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    warnings = []
    if manifest["encryption"]["undecryptable"]:
        warnings.append(
            f"{manifest['encryption']['undecryptable']} sampled encrypted values could not be decrypted with any "
            "configured key: the database already holds text no key in FIELD_ENCRYPTION_KEYS can read."
        )
    pruned = backups_prune(directory=target_dir, keep=keep) if keep else []
    logger.info("Backup written: %s (%s bytes); %s older backups pruned", path, manifest["size"], len(pruned))
    return BackupResult(path=path, manifest_path=manifest_path, manifest=manifest, pruned=pruned, warnings=warnings)


def _backup_postgresql(using: str, out: Path) -> dict:
    settings_dict = connections[using].settings_dict
    params = _pg_params(settings_dict, settings_dict["NAME"])
    # One snapshot for the dump and the manifest: the counts describe exactly what was dumped.
    with _pg_connect(params) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        server_major = conn.info.server_version // 10000
        inventory = _inventory(conn, "postgresql")
        tool = pg_tool("pg_dump", server_major=server_major)
        _run(
            [
                str(tool),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={out}",
                f"--dbname={_conninfo_dbname(params['dbname'])}",
            ],
            _pg_env(params),
            "pg_dump",
        )
        conn.rollback()
    return {
        "database": params["dbname"],
        "server_version": server_major,
        "client_version": client_major(tool),
        **inventory,
    }


def _backup_sqlite(using: str, out: Path) -> dict:
    connection = connections[using]
    connection.ensure_connection()
    destination = sqlite3.connect(out)
    try:
        # pages=-1: the whole database in one step, one consistent read; writers are not blocked (WAL).
        connection.connection.backup(destination, pages=-1)
        inventory = _inventory(destination, "sqlite")
    finally:
        destination.close()
    return {
        "database": str(connection.settings_dict["NAME"]),
        "server_version": sqlite3.sqlite_version,
        **inventory,
    }


# --- Restore ------------------------------------------------------------------------------------


def manifest_read(path: Path) -> dict:
    manifest_path = manifest_path_for(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a backup file.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{manifest_path.name} is missing: a backup is restored with its manifest.") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{manifest_path.name} cannot be read: {exc}") from None
    required = {"format", "engine", "sha256", "tables", "encryption", "migrations"}
    if not isinstance(manifest, dict) or not required <= set(manifest):
        raise BackupError(f"{manifest_path.name} is not a Tanxin backup manifest.")
    if manifest["format"] != FORMAT_VERSION:
        raise BackupError(f"{manifest_path.name} has format {manifest['format']}; this version reads {FORMAT_VERSION}.")
    return manifest


def missing_keys(manifest: dict) -> list[str]:
    """Fingerprints of keys the backup's ciphertext needs that FIELD_ENCRYPTION_KEYS does not hold."""
    current = configured_keys()
    return [fp for fp in manifest["encryption"]["keys_in_use"] if fp not in current]


def _keys_message(missing: list[str], *, restored: bool) -> str:
    current = ", ".join(configured_keys())
    state = "The database was restored but its encrypted text cannot be read" if restored else "Nothing was restored"
    needed = ", ".join(missing) if missing else "a key its manifest does not list"
    return (
        f"The backup's encrypted fields need the encryption key with fingerprint {needed}, which is not in "
        f"FIELD_ENCRYPTION_KEYS (configured: {current}). {state}. Add that key (kept apart from the backups, "
        "see docs/backups.md) to FIELD_ENCRYPTION_KEYS and run restore again."
    )


def restore_run(
    *,
    path: Path | str,
    using: str = "default",
    target: str | None = None,
    force: bool = False,
    create: bool = False,
) -> RestoreResult:
    """Restore the backup ``path`` into ``target`` (a database name for PostgreSQL, a file for SQLite;
    by default the database ``using`` names), then check it against the manifest."""
    path = Path(path)
    manifest = manifest_read(path)
    vendor = _vendor(using)
    if manifest["engine"] != vendor:
        raise BackupError(
            f"{path.name} is a {manifest['engine']} backup; the database {using!r} is {vendor}. "
            "Restore it with DATABASE_URL pointing at a database of the same kind."
        )
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(f"{path.name} does not match its manifest's SHA-256: the file is damaged or incomplete.")
    missing = missing_keys(manifest)
    if missing:
        raise BackupError(_keys_message(missing, restored=False))
    try:
        if vendor == "postgresql":
            return _restore_postgresql(path, manifest, using, target, force=force, create=create)
        return _restore_sqlite(path, manifest, using, target, force=force)
    except (psycopg.Error, sqlite3.Error) as exc:
        raise BackupError(f"The restore failed: {_first_line(exc)}") from None
    except OSError as exc:
        raise BackupError(f"The restore failed: {exc.strerror or exc}.") from None


def _restore_postgresql(path: Path, manifest: dict, using: str, target: str | None, *, force: bool, create: bool):
    settings_dict = connections[using].settings_dict
    dbname = target or settings_dict["NAME"]
    params = _pg_params(settings_dict, dbname)
    with _pg_connect({**params, "dbname": "postgres"}, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if not exists:
            if not create:
                raise BackupError(
                    f"The database {dbname!r} does not exist: create an empty one (createdb {dbname}) "
                    "or pass --create-if-missing."
                )
            try:
                admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(dbname)))
            except psycopg.Error as exc:
                raise BackupError(f"The database {dbname!r} cannot be created: {_first_line(exc)}") from None
    with _pg_connect(params, autocommit=True) as conn:
        server_major = conn.info.server_version // 10000
        tables = _existing_tables(conn, "postgresql")
    if tables and not force:
        raise BackupError(
            f"The database {dbname!r} already has {len(tables)} tables: restore goes into an empty database "
            f"only. Create a new one (createdb NAME, then --target NAME) or pass --force-clean to replace "
            "its contents."
        )
    tool = pg_tool("pg_restore", server_major=server_major, at_least=manifest.get("client_version") or 0)
    command = [
        str(tool),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={_conninfo_dbname(dbname)}",
    ]
    if tables:
        command += ["--clean", "--if-exists"]
    _run([*command, str(path)], _pg_env(params), "pg_restore")
    with _pg_connect(params, autocommit=True) as conn:
        return _verify(conn, "postgresql", dbname, manifest)


def _restore_sqlite(path: Path, manifest: dict, using: str, target: str | None, *, force: bool):
    connection = connections[using]
    if target is None and connection.is_in_memory_db():
        raise BackupError("The database is in memory: name the file to restore into with --target.")
    target_path = Path(target or connection.settings_dict["NAME"]).expanduser()
    if target_path.exists() and not force:
        raise BackupError(
            f"{target_path} exists: restore goes into a new file only. Name another with --target, or pass "
            "--force to overwrite it (stop the web server, worker and beat first)."
        )
    if not target_path.parent.is_dir():
        raise BackupError(f"{target_path.parent} is not a directory.")
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{path.name} fails SQLite's integrity check.")
        if not target_path.exists():
            os.close(os.open(target_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        destination = sqlite3.connect(target_path)
        try:
            source.backup(destination, pages=-1)
            return _verify(destination, "sqlite", str(target_path), manifest)
        finally:
            destination.close()
    finally:
        source.close()


def _verify(conn, vendor: str, target: str, manifest: dict) -> RestoreResult:
    existing = _existing_tables(conn, vendor)
    mismatches, rows = [], 0
    for label, entry in sorted(manifest["tables"].items()):
        found = _count(conn, entry["table"]) if entry["table"] in existing else None
        rows += found or 0
        if found != entry["rows"]:
            mismatches.append(Mismatch(label, entry["table"], entry["rows"], found))
    decrypted = 0
    for _table, _column, token in _sample_tokens(conn, manifest["encryption"]["columns"], existing):
        try:
            decrypt_text(token)
        except DecryptionError:
            raise BackupError(_keys_message(missing_keys(manifest), restored=True)) from None
        decrypted += 1
    logger.info("Restored into %s: %s tables, %s mismatches", target, len(manifest["tables"]), len(mismatches))
    return RestoreResult(
        target=target,
        manifest=manifest,
        tables=len(manifest["tables"]),
        rows=rows,
        decrypted=decrypted,
        mismatches=mismatches,
        notes=migration_notes(manifest),
    )


def migration_notes(manifest: dict) -> list[str]:
    """How the backup's migrations compare with this code's: newer code needs ``migrate``; an older
    code than the backup's cannot run it."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    leaves = dict(graph.leaf_nodes())
    notes = []
    for app, name in sorted(manifest["migrations"].items()):
        if (app, name) not in graph.nodes and app in leaves:
            notes.append(
                f"{app}: the backup is at migration {name}, which this code does not have: it was made by a newer "
                "version of Tanxin; deploy that version before using the restored database."
            )
        elif app in leaves and leaves[app] != name:
            notes.append(f"{app}: the backup is at {name}, this code at {leaves[app]}: run manage.py migrate.")
    return notes
