"""Production settings refuse to start without their secrets; the embedded default needs nothing."""

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


def _load(module: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PROD_ENV and not k.startswith("DJANGO")}
    clean.update(env, DJANGO_SETTINGS_MODULE=module)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
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
