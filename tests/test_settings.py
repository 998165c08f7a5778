"""Production settings refuse to start without their secrets; the embedded default needs nothing.

Every secret may also come from a file (NAME_FILE=/path), as container secrets and systemd
credentials provide them.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

PROD_ENV = {
    "SECRET_KEY": "x" * 60,
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LTE=",
    "ALLOWED_HOSTS": "tanxin.example.gov.cn",
    "DATABASE_URL": "postgres://tanxin@db.invalid/tanxin",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
}


def _load(module: str, env: dict, expr: str | None = None) -> subprocess.CompletedProcess:
    """Load `module` in a fresh interpreter with `env` instead of any secret (NAME or NAME_FILE) inherited.

    Prints the database engine, or `expr` as JSON (so a stray line break in a value shows).
    """
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PROD_ENV and k.removesuffix("_FILE") not in PROD_ENV and not k.startswith("DJANGO")
    }
    clean.update(env, DJANGO_SETTINGS_MODULE=module)
    shown = "settings.DATABASES['default']['ENGINE']" if expr is None else f"json.dumps({expr})"
    code = f"import json, django; django.setup(); from django.conf import settings; print({shown})"
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, cwd=settings.BASE_DIR, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("missing", list(PROD_ENV))
def test_production_refuses_to_start_without_each_secret(missing):
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    result = _load("config.settings.production", env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


def test_production_refuses_sqlite():
    result = _load("config.settings.production", PROD_ENV | {"DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


def test_production_starts_with_its_secrets_on_postgresql():
    result = _load("config.settings.production", PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_the_embedded_default_needs_no_configuration(tmp_path):
    result = _load("config.settings.local", {"TANXIN_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_postgresql_uses_a_connection_pool(monkeypatch):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['pool']['max_size'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=PROD_ENV["DATABASE_URL"], DATABASE_POOL_MAX="7"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "7"


# --- Secrets from files (NAME_FILE) -----------------------------------------------------------------

# Per secret: the settings expression that shows it, the file contents, and what the settings must hold.
SECRET_SETTING = {
    "SECRET_KEY": "settings.SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS": "settings.FIELD_ENCRYPTION_KEYS",
    "DATABASE_URL": "{k: settings.DATABASES['default'][k] for k in ('USER', 'PASSWORD', 'HOST', 'PORT', 'NAME')}",
    "CELERY_BROKER_URL": "settings.CELERY_BROKER_URL",
}
FILE_SECRETS = {
    "SECRET_KEY": "k" * 59 + "!",
    "FIELD_ENCRYPTION_KEYS": (
        "dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LTE=,dGVzdC1rZXktdHdvLXRlc3Qta2V5LXR3by10ZXN0LTI="
    ),
    "DATABASE_URL": "postgres://tanxin:s3cr3t-db-pass@db.invalid:5433/tanxin",
    "CELERY_BROKER_URL": "redis://:s3cr3t-redis-pass@redis.invalid:6379/0",
}
EXPECTED = {
    "SECRET_KEY": FILE_SECRETS["SECRET_KEY"],
    "FIELD_ENCRYPTION_KEYS": FILE_SECRETS["FIELD_ENCRYPTION_KEYS"].split(","),
    "DATABASE_URL": {
        "USER": "tanxin",
        "PASSWORD": "s3cr3t-db-pass",
        "HOST": "db.invalid",
        "PORT": 5433,
        "NAME": "tanxin",
    },
    "CELERY_BROKER_URL": FILE_SECRETS["CELERY_BROKER_URL"],
}


def _secret_file(tmp_path, name: str, content: str):
    path = tmp_path / name.lower()
    path.write_bytes(content.encode())
    return path


def _loaded(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", list(FILE_SECRETS))
def test_production_reads_each_secret_from_a_file(tmp_path, name):
    path = _secret_file(tmp_path, name, FILE_SECRETS[name] + "\n")  # as `echo value > file` writes it
    env = {k: v for k, v in PROD_ENV.items() if k != name} | {f"{name}_FILE": str(path)}
    assert _loaded(_load("config.settings.production", env, SECRET_SETTING[name])) == EXPECTED[name]


def test_production_reads_all_four_secrets_from_files(tmp_path):
    env = {k: v for k, v in PROD_ENV.items() if k not in FILE_SECRETS}
    env |= {f"{name}_FILE": str(_secret_file(tmp_path, name, value + "\n")) for name, value in FILE_SECRETS.items()}
    expr = "[" + ", ".join(SECRET_SETTING[name] for name in FILE_SECRETS) + "]"
    assert _loaded(_load("config.settings.production", env, expr)) == [EXPECTED[name] for name in FILE_SECRETS]


@pytest.mark.parametrize("ending", ["", "\n", "\r\n", "\n\n"], ids=["none", "lf", "crlf", "blank-line"])
def test_trailing_line_breaks_of_a_secret_file_are_stripped(tmp_path, ending):
    path = _secret_file(tmp_path, "SECRET_KEY", FILE_SECRETS["SECRET_KEY"] + ending)
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"} | {"SECRET_KEY_FILE": str(path)}
    assert _loaded(_load("config.settings.production", env, "settings.SECRET_KEY")) == FILE_SECRETS["SECRET_KEY"]


def test_local_settings_read_files_too(tmp_path):
    path = _secret_file(tmp_path, "SECRET_KEY", FILE_SECRETS["SECRET_KEY"] + "\n")
    env = {"TANXIN_VAR_DIR": str(tmp_path / "var"), "SECRET_KEY_FILE": str(path)}
    assert _loaded(_load("config.settings.local", env, "settings.SECRET_KEY")) == FILE_SECRETS["SECRET_KEY"]


def _assert_clear_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """The process failed with one ImproperlyConfigured (no chained OSError traceback); return its message."""
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert "During handling of the above exception" not in result.stderr
    assert "FileNotFoundError" not in result.stderr and "IsADirectoryError" not in result.stderr
    for fragment in fragments:
        assert fragment in last
    return last


@pytest.mark.parametrize("name", list(FILE_SECRETS))
def test_a_missing_secret_file_is_a_clear_error(tmp_path, name):
    missing = tmp_path / "no-such-secret"
    env = {k: v for k, v in PROD_ENV.items() if k != name} | {f"{name}_FILE": str(missing)}
    result = _load("config.settings.production", env)
    _assert_clear_error(result, f"{name}_FILE={missing}", "cannot be read", "No such file")
    for value in PROD_ENV.values():  # no secret of any kind in the output
        assert value not in result.stderr and value not in result.stdout


def test_an_unreadable_secret_file_is_a_clear_error(tmp_path):
    # A directory cannot be read as a file, whoever runs the tests (root ignores file modes).
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"} | {"SECRET_KEY_FILE": str(tmp_path)}
    _assert_clear_error(_load("config.settings.production", env), f"SECRET_KEY_FILE={tmp_path}", "cannot be read")


def test_a_secret_file_that_is_not_text_is_a_clear_error(tmp_path):
    path = tmp_path / "secret_key"
    path.write_bytes(b"\xff\xfe-not-utf-8")
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"} | {"SECRET_KEY_FILE": str(path)}
    _assert_clear_error(_load("config.settings.production", env), "SECRET_KEY_FILE", "not UTF-8")


def test_an_empty_secret_file_counts_as_missing(tmp_path):
    path = _secret_file(tmp_path, "SECRET_KEY", "\n")
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"} | {"SECRET_KEY_FILE": str(path)}
    _assert_clear_error(_load("config.settings.production", env), "SECRET_KEY", "SECRET_KEY_FILE")


@pytest.mark.parametrize("name", list(FILE_SECRETS))
def test_name_and_name_file_together_are_refused(tmp_path, name):
    path = _secret_file(tmp_path, name, FILE_SECRETS[name] + "\n")
    env = PROD_ENV | {f"{name}_FILE": str(path)}
    result = _load("config.settings.production", env)
    _assert_clear_error(result, f"Both {name} and {name}_FILE are set")
    assert PROD_ENV[name] not in result.stderr and FILE_SECRETS[name] not in result.stderr


def test_an_empty_name_file_is_ignored():
    result = _load("config.settings.production", PROD_ENV | {"SECRET_KEY_FILE": ""}, "settings.SECRET_KEY")
    assert _loaded(result) == PROD_ENV["SECRET_KEY"]
