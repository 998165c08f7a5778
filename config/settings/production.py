"""Production: PostgreSQL, Redis, SMTP, HTTPS. Refuses to start without its secrets.

Each secret may come from a file instead of the environment: SECRET_KEY_FILE=/run/secrets/...
(see base.py, FileAwareEnv, and docs/operations.md, "Secrets from files").
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, env


def _require(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"Production settings need the environment variable {name} (or {name}_FILE, the path of a file holding it)."
        )
    return value


DEBUG = False
SECRET_KEY = _require("SECRET_KEY")
FIELD_ENCRYPTION_KEYS = [k for k in _require("FIELD_ENCRYPTION_KEYS").split(",") if k.strip()]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production settings need ALLOWED_HOSTS (comma-separated host names).")
_require("DATABASE_URL")
_require("CELERY_BROKER_URL")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: DATABASE_URL must be postgres://...")

# The demo relaxation never applies in production.
TANXIN_DEMO_RELAX_2FA = False

# HTTPS and hardening (manage.py check --deploy --fail-level WARNING passes with these). The content
# security policy, Permissions-Policy, no-sniff, the same-origin referrer and opener policies and
# X-Frame-Options: DENY come from base.py, so development and the tests send them too.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
