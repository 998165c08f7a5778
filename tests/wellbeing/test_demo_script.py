"""scripts/demo.sh stops cleanly: after SIGTERM or Ctrl-C (SIGINT) no process it started is left
(the Celery worker, its pool processes, beat, the web server). Runs the real script on a free port
with a temporary TANXIN_VAR_DIR, skipping its pip install (TANXIN_SKIP_INSTALL=1)."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the script's processes through /proc"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(var_dir: Path) -> dict[int, str]:
    """Every process started with this TANXIN_VAR_DIR (the script's children inherit it)."""
    marker = f"TANXIN_VAR_DIR={var_dir}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone, or not ours
    return found


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a local URL
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    # Shared by both runs: the second one migrates and seeds nothing new, so it starts faster.
    return tmp_path_factory.mktemp("demo-var")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_it_leaves_no_process_behind(var_dir, sig):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "REDIS_", "TANXIN_", "PYTEST_"))
    }
    env |= {"TANXIN_VAR_DIR": str(var_dir), "TANXIN_SKIP_INSTALL": "1", "PORT": str(port), "STOP_TIMEOUT": "3"}
    log = open(var_dir / f"demo-{sig.name}.out", "w")  # noqa: SIM115 - closed in finally
    script = subprocess.Popen(
        [shutil.which("bash") or "/bin/bash", str(ROOT / "scripts" / "demo.sh")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/health/"), 90, "the web server")

        def celery_started():
            started = [cmd for cmd in processes_of(var_dir).values() if "celery" in cmd]
            # The worker, its two pool processes and beat.
            return started if len(started) >= 4 else None

        wait_for(celery_started, 30, "the worker's pool and beat")
        script.send_signal(sig)
        script.wait(timeout=30)
        left = processes_of(var_dir)
        assert not left, f"left behind: {left}"
        assert not answers(f"http://127.0.0.1:{port}/health/")
    finally:
        if script.poll() is None:
            script.kill()
        for pid in processes_of(var_dir):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        log.close()
