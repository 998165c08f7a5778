"""What every benchmark shares: its own PostgreSQL database (never ``postgres`` nor ``tanxin``), made
afresh and dropped afterwards, and Django set up and migrated on it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent


def point_at_bench_db(default_db: str, *, reuse: bool = False) -> tuple[str, str]:
    """Create (unless ``reuse``) the database ``DATABASE_URL`` names - ``default_db`` when it names none,
    the server's own or the development one - and point ``DATABASE_URL`` at it. Returns the server's
    admin URL and the database's name."""
    url = os.environ.get("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{default_db}")
    parts = urlparse(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    name = parts.path.lstrip("/") or default_db
    if name in ("postgres", "tanxin"):
        name = default_db  # never the server's own database, nor the development one
    import psycopg

    admin = urlunparse(parts._replace(path="/postgres", query=""))
    if not reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunparse(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_POOL"] = "false"
    return admin, name


def drop(admin_url: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("TANXIN_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """gunicorn serving ``config.wsgi`` on a free port of 127.0.0.1 with the connection pool on, as
    production runs it (docs/operations.md); its log (errors, and the access log with ``access_log``)
    goes to ``log``. ``stop()`` ends it."""

    def __init__(
        self,
        workers: int,
        log: Path,
        *,
        settings: str = "config.settings.local",
        timeout: int = 120,
        access_log: bool = False,
        start_within: float = 90,
    ):
        import socket
        import subprocess
        import time

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        log.unlink(missing_ok=True)  # this run's requests only
        env = {**os.environ, "DATABASE_POOL": "true", "DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": str(ROOT)}
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{self.port}",
            f"--timeout={timeout}",
            f"--error-logfile={log}",
        ]
        if access_log:
            command.append(f"--access-logfile={log}")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own venv's gunicorn
        deadline = time.monotonic() + start_within
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gunicorn did not start; see {log}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        import signal
        import subprocess

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
