"""The deployment files (deploy/, Procfile, Dockerfile, docker-compose.yml) agree with the code.

nginx's own `nginx -t` and `systemd-analyze verify` check the syntax when those programs are installed
(CI installs nginx-light); the compose file is parsed and its services checked here - it is not run
(no Docker engine in CI).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.settings import base as base_settings

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
UNITS = {name: DEPLOY / "systemd" / f"tanxin-{name}.service" for name in ("web", "worker", "beat")}
INSTALL_DIR = "/opt/tanxin"
#: Production refuses to start without these (config/settings/production.py); the units load them as
#: credentials, never from the environment file.
REQUIRED_SECRETS = {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL", "CELERY_BROKER_URL"}


def _names_read_by_the_code() -> set[str]:
    """Every environment variable production reads: the settings (base + production), the gunicorn
    config, the service checks and the units' command lines."""
    names = {"DJANGO_SETTINGS_MODULE"}
    for path in (ROOT / "config/settings/base.py", ROOT / "config/settings/production.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', text))
        names |= set(re.findall(r'_require\("([A-Z][A-Z0-9_]*)"\)', text))
    for path in (DEPLOY / "gunicorn.conf.py", ROOT / "wellbeing/service_checks.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'(?:environ\.get|_env_int)\(\s*"([A-Z][A-Z0-9_]*)"', text))
    for unit in UNITS.values():
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", unit.read_text(encoding="utf-8")))
    return names


def _example_lines() -> list[tuple[bool, str, str]]:
    """(active, name, value) of each NAME=value line of the example, commented (#NAME=) or not."""
    lines = []
    for line in (DEPLOY / "tanxin.env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            lines.append((match[1] == "", match[2], match[3]))
    return lines


def _unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in UNITS[name].read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def _nginx(name: str) -> str:
    return (DEPLOY / "nginx" / name).read_text(encoding="utf-8")


def _megabytes(value: str) -> int:
    assert value.endswith("m"), value
    return int(value[:-1]) * 1024 * 1024


# --- The environment file -------------------------------------------------------------------------------


def test_the_env_example_names_every_setting_the_code_reads_and_no_other():
    in_example = {name.removesuffix("_FILE") for _active, name, _value in _example_lines()}
    read = _names_read_by_the_code()
    assert read - in_example == set(), "add these to deploy/tanxin.env.example"
    assert in_example - read == set(), "the code reads none of these: remove them from deploy/tanxin.env.example"


def test_the_env_example_keeps_secrets_out_and_points_at_files():
    lines = _example_lines()
    active = {name for is_active, name, _value in lines if is_active}
    assert active & (REQUIRED_SECRETS | {"EMAIL_URL", "WECOM_SECRET", "DINGTALK_APP_SECRET"}) == set()
    files = {name for _active, name, _value in lines if name.endswith("_FILE")}
    assert {f"{name}_FILE" for name in REQUIRED_SECRETS} <= files
    assert {name: value for is_active, name, value in lines if is_active}["DJANGO_SETTINGS_MODULE"] == (
        "config.settings.production"
    )


def test_tanxin_manage_runs_a_command_with_the_env_file_and_the_secrets_from_files(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "secret_key").write_text("from-the-credential-file-0123456789\n")
    env_file = tmp_path / "tanxin.env"
    env_file.write_text(
        "DJANGO_SETTINGS_MODULE=config.settings.local\n"
        f"TANXIN_VAR_DIR={tmp_path / 'var'}\n"
        'DEFAULT_FROM_EMAIL="Tanxin <noreply@example.gov.cn>"\n'
    )
    env = {
        "PATH": os.environ["PATH"],
        "TANXIN_HOME": str(ROOT),
        "TANXIN_ENV_FILE": str(env_file),
        "TANXIN_CREDENTIALS": str(credentials),
    }
    code = "from django.conf import settings; print(settings.SECRET_KEY, settings.DEFAULT_FROM_EMAIL, sep='|')"
    result = subprocess.run(
        [str(DEPLOY / "tanxin-manage"), "shell", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip().splitlines()[-1] == "from-the-credential-file-0123456789|Tanxin <noreply@example.gov.cn>"
    )


# --- systemd units ---------------------------------------------------------------------------------------


def test_the_units_start_modules_that_exist():
    web = _unit("web")["ExecStart"][0].split()
    assert web[0] == f"{INSTALL_DIR}/.venv/bin/gunicorn" and web[1] == "-c"
    config_path = ROOT / web[2].removeprefix(f"{INSTALL_DIR}/")
    assert config_path == DEPLOY / "gunicorn.conf.py" and config_path.is_file()
    wsgi = _gunicorn_config()["wsgi_app"]
    assert wsgi == "config.wsgi:application" and importlib.util.find_spec("config.wsgi") is not None
    for name, role in (("worker", "worker"), ("beat", "beat")):
        command = _unit(name)["ExecStart"][0].split()
        assert command[:4] == [f"{INSTALL_DIR}/.venv/bin/celery", "-A", "config", role]
        assert importlib.util.find_spec("config.celery") is not None
    for command in ("gunicorn", "celery"):
        assert (Path(sys.executable).parent / command).exists(), f"{command} is in requirements.txt"


def test_the_worker_unit_lets_tasks_finish_and_spreads_them_fairly():
    worker = _unit("worker")
    command = worker["ExecStart"][0]
    assert "-O fair" in command
    assert "--concurrency=${CELERY_WORKER_CONCURRENCY}" in command
    assert re.search(r"--max-tasks-per-child=\d+", command)
    assert worker["KillMode"] == ["mixed"]
    assert int(worker["TimeoutStopSec"][0]) > settings.CELERY_TASK_TIME_LIMIT
    assert "CELERY_WORKER_CONCURRENCY" in {name for active, name, _v in _example_lines() if active}
    assert _unit("web")["ExecReload"] == ["/bin/kill -s HUP $MAINPID"]  # gunicorn's graceful reload


@pytest.mark.parametrize("name", list(UNITS))
def test_each_unit_is_hardened_and_loads_the_secrets_as_credentials(name):
    unit = _unit(name)
    assert unit["User"] == ["tanxin"]
    for key, value in (
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("ReadWritePaths", "/var/lib/tanxin"),
        ("StateDirectory", "tanxin"),
    ):
        assert unit[key] == [value], key
    assert unit["EnvironmentFile"] == ["/etc/tanxin/tanxin.env"]
    example = {n: v for active, n, v in _example_lines() if active}
    assert example["TANXIN_VAR_DIR"] == "/var/lib/tanxin"
    credentials = {line.split(":", 1)[0] for line in unit["LoadCredential"]}
    environment = " ".join(unit["Environment"])
    for secret in REQUIRED_SECRETS:
        assert secret.lower() in credentials
        assert f"{secret}_FILE=%d/{secret.lower()}" in environment


def test_systemd_analyze_verifies_the_units(tmp_path):
    systemd_analyze = shutil.which("systemd-analyze")
    if systemd_analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # Installed under /opt/tanxin; verify checks that the commands exist, so point them at this checkout.
    for path in UNITS.values():
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8").replace(INSTALL_DIR, str(ROOT)))
    result = subprocess.run(
        [systemd_analyze, "verify", *(str(tmp_path / p.name) for p in UNITS.values())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


# --- gunicorn ------------------------------------------------------------------------------------------------


def _gunicorn_config(env: dict | None = None) -> dict:
    namespace: dict = {"__file__": str(DEPLOY / "gunicorn.conf.py")}
    saved = dict(os.environ)
    try:
        os.environ.update(env or {})
        exec(compile((DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8"), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return namespace


def test_gunicorn_listens_on_loopback_with_workers_from_the_cpus_and_logs_no_query_strings(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    config = _gunicorn_config()
    assert config["bind"] == ["127.0.0.1:8000"]
    assert config["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert _gunicorn_config({"WEB_CONCURRENCY": "3"})["workers"] == 3
    assert "%(U)s" in config["access_log_format"]  # the path alone
    for with_query in ("%(r)s", "%(q)s", "%(f)s", "%({raw_uri}e)s"):
        assert with_query not in config["access_log_format"]
    assert config["timeout"] < _seconds(re.search(r"proxy_read_timeout (\d+s);", _nginx("tanxin.conf"))[1])
    assert config["graceful_timeout"] < int(_unit("web")["TimeoutStopSec"][0])


def _seconds(value: str) -> int:
    return int(value.removesuffix("s"))


def test_gunicorn_checks_the_services_once_from_the_master_in_another_process(monkeypatch):
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kwargs: started.append(args))
    config = _gunicorn_config()
    server = type("Arbiter", (), {})()
    server.cfg = type("Cfg", (), {"workers": 5, "threads": 1})()
    server.log = type("Log", (), {"info": lambda self, *a: None})()
    config["when_ready"](server)
    [command] = started
    assert command[0] == sys.executable
    assert command[1:] == [str(ROOT / "manage.py"), "check_services", "--log", "--web-processes=5", "--web-threads=1"]


# --- nginx ----------------------------------------------------------------------------------------------------


def test_nginx_limits_and_headers_match_the_django_settings():
    conf = _nginx("tanxin.conf")
    production = (ROOT / "config/settings/production.py").read_text(encoding="utf-8")
    # Bodies: nginx lets through at least what Django accepts, so Django gives its own clear 413.
    general = _megabytes(re.search(r"^    client_max_body_size (\w+);", conf, re.M)[1])
    sync = _megabytes(re.search(r"location /api/v1/sync/ \{\s*client_max_body_size (\w+);", conf)[1])
    assert general >= max(settings.PAGE_MAX_BODY_BYTES, settings.API_MAX_BODY_BYTES)
    assert general < settings.SYNC_MAX_BODY_BYTES
    assert sync >= settings.SYNC_MAX_BODY_BYTES
    # HTTPS as Django sees it: X-Forwarded-Proto, the header SECURE_PROXY_SSL_HEADER names; the Host
    # passed on because USE_X_FORWARDED_HOST is off.
    assert 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")' in production
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "USE_X_FORWARDED_HOST" not in production and "proxy_set_header Host $host;" in conf
    # HSTS on what nginx serves itself, the same as Django's on the rest.
    hsts = int(re.search(r'SECURE_HSTS_SECONDS", default=(\d+)', production)[1])
    assert "SECURE_HSTS_INCLUDE_SUBDOMAINS = True" in production
    assert 'env.bool("SECURE_HSTS_PRELOAD", default=True)' in production
    for header in re.findall(r'Strict-Transport-Security "([^"]+)"', conf):
        assert header == f"max-age={hsts}; includeSubDomains; preload"
    assert "server_tokens off;" in conf
    assert re.search(r"ssl_protocols TLSv1\.2 TLSv1\.3;", conf)
    assert "return 301 https://$host$request_uri;" in conf


def test_nginx_serves_the_collected_static_files_with_long_caching_for_hashed_names():
    conf = _nginx("tanxin.conf")
    assert base_settings.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    static_root = f"{INSTALL_DIR}/{Path(base_settings.STATIC_ROOT).relative_to(base_settings.BASE_DIR)}/"
    assert f"alias {static_root};" in conf
    hashed = re.search(r'location ~ "(\^/static/[^"]+)"', conf)[1].replace("(?<", "(?P<")  # PCRE -> Python
    assert re.match(hashed, "/static/js/app.3f2a9c1b7e4d.js")
    assert not re.match(hashed, "/static/js/app.js")
    assert '"public, max-age=31536000, immutable"' in conf


@pytest.mark.parametrize("name", ["tanxin.conf", "tanxin-docker.conf"])
def test_nginx_accepts_the_configuration(tmp_path, name):
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    key, cert = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    subprocess.run(
        [
            openssl,
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tanxin.example.gov.cn"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    site = (
        _nginx(name)
        .replace("/etc/ssl/tanxin/", f"{tmp_path}/")
        .replace("/var/log/nginx/", f"{tmp_path}/")
        .replace("http://web:8000", "http://127.0.0.1:8000")  # the compose service name resolves in compose only
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(tmp_path / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- Containers and the Procfile ---------------------------------------------------------------------------


def test_the_compose_file_runs_web_workers_one_beat_postgresql_and_a_persistent_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert services["nginx"]["profiles"] == ["nginx"]  # optional
    assert services["web"]["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    worker = services["worker"]["command"]
    assert worker[:4] == ["celery", "-A", "config", "worker"] and "fair" in worker
    assert any(arg.startswith("--max-tasks-per-child=") for arg in worker)
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    redis_command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_command and "--maxmemory-policy noeviction" in redis_command
    # Every setting given is one the code reads; the secrets come from files.
    app_env = services["web"]["environment"]
    read = _names_read_by_the_code()
    assert {name.removesuffix("_FILE") for name in app_env} <= read
    assert REQUIRED_SECRETS - {"CELERY_BROKER_URL"} <= {n.removesuffix("_FILE") for n in app_env if n.endswith("_FILE")}
    for name in ("web", "worker", "beat", "migrate"):
        assert set(services[name]["secrets"]) <= set(compose["secrets"])
    assert (DEPLOY / "nginx" / "tanxin-docker.conf").is_file()


def test_the_image_runs_as_a_user_without_privileges():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("#") and "\nFROM python:3.11-slim\n" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert re.search(r"^USER tanxin$", dockerfile, re.M)
    assert dockerfile.rstrip().endswith('CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]')
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "var", "secrets"} <= set(ignored)


def test_the_procfile_names_the_three_processes():
    processes = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines() if line
    )
    assert set(processes) == {"web", "worker", "beat"}
    assert processes["web"] == "gunicorn -c deploy/gunicorn.conf.py"
    assert processes["worker"].startswith("celery -A config worker") and "-O fair" in processes["worker"]
    assert processes["beat"] == "celery -A config beat --loglevel=INFO"


def test_the_compose_web_takes_the_client_address_from_its_own_nginx_only():
    """X-Real-IP is believed from the nginx service's fixed address alone: a request from anywhere
    else on the compose network (or through the published port) cannot choose its address."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    nginx_ip = compose["services"]["nginx"]["networks"]["default"]["ipv4_address"]
    trusted = compose["services"]["web"]["environment"]["TRUSTED_PROXY_IPS"].split(",")
    assert trusted == [nginx_ip]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(nginx_ip) in ipaddress.ip_network(subnet)
