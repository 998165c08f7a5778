"""Test settings: the embedded default unless DATABASE_URL / CELERY_BROKER_URL point elsewhere."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, INSTALLED_APPS, VAR_DIR, env

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-1b6e0c"  # noqa: S105 (tests only)
# Two keys: the first encrypts, both decrypt (rotation is tested).
FIELD_ENCRYPTION_KEYS = [
    "dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LTE=",
    "dGVzdC1rZXktdHdvLXRlc3Qta2V5LXR3by10ZXN0LTI=",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"  # tasks run in-process; the fault test starts real workers on Redis
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"
STATIC_ROOT = VAR_DIR / "test-static"  # whitenoise wants the directory to exist
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
TWO_FACTOR_REQUIRED_ROLES = ["counsellor", "lead_counsellor", "administrator"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# The pool and parallel test databases do not mix well; tests use plain connections.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A model used only by the encryption tests.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.support"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": env.str("LOG_LEVEL", default="WARNING")}}
# Rate limits are tested with a client's own limit; the rest of the suite (the fuzzing too) is not limited.
API_CLIENT_RATE_PER_MINUTE = 1_000_000
API_USER_RATE_PER_MINUTE = 1_000_000
