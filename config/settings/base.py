"""Settings shared by every environment.

Every value comes from an environment variable with a documented default (see README.md,
"Configuration"). Production (config.settings.production) refuses to start without its secrets.
Any variable NAME may instead be given as NAME_FILE=/path/to/a/file holding the value (container
secrets, systemd credentials); setting both is refused (see _SecretFileMapping).
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from environ.fileaware_mapping import FileAwareMapping


class _SecretFileMapping(FileAwareMapping):
    """django-environ's NAME_FILE lookup (FileAwareMapping), adjusted for real secret files.

    - Trailing line breaks are stripped. FileAwareMapping (django-environ 0.14) returns the file
      verbatim, but secret files almost always end with one (``echo ... > file``, editors,
      ``systemd-creds``): a SECRET_KEY or password with a stray line break silently differs from the
      intended one, and a URL with one may not parse. Only line breaks go; spaces etc. are kept.
    - A file that cannot be read is an ImproperlyConfigured naming the variable and the path (never
      the contents), not a raw FileNotFoundError/PermissionError traceback.
    - NAME and NAME_FILE are exclusive: both non-empty is an ImproperlyConfigured. The library lets
      the file win silently; we refuse because a silent choice can run with the wrong secret, and
      because Celery reads CELERY_BROKER_URL from the environment itself, ahead of the settings, so
      with both set the workers would use a different broker from the one the settings name.
      An empty NAME_FILE (or NAME) counts as unset.

    Values given directly as NAME=value are returned unchanged.
    """

    def __getitem__(self, key):
        path = self.env.get(f"{key}_FILE")
        if path and self.env.get(key):
            raise ImproperlyConfigured(f"Both {key} and {key}_FILE are set: set only one of them.")
        try:
            value = super().__getitem__(key)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{key}_FILE={path} cannot be read ({exc.strerror or exc.__class__.__name__}): "
                f"point {key}_FILE at a readable file holding {key}, or unset it."
            ) from None
        except UnicodeDecodeError:
            raise ImproperlyConfigured(f"{key}_FILE={path} is not UTF-8 text.") from None
        return value.rstrip("\r\n") if path else value


class FileAwareEnv(environ.FileAwareEnv):
    """environ.FileAwareEnv reading through _SecretFileMapping.

    Our own mapping instance rather than the library's class-level shared one, and no cache: each
    setting is read once at start-up anyway, and a rotated file is never shadowed by a stale copy.
    """

    ENVIRON = _SecretFileMapping(cache=False)


env = FileAwareEnv()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.str("TANXIN_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.admin_config.TanxinAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_bootstrap5",
    "treebeard",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "wellbeing",
    "leave",
    "cases",
    "talks",
    "programme",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before everything that can answer early (static files, 413s, two-factor redirects, the lock-out
    # page): every response carries the content security policy and the permissions policy.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # The client's address from the proxy's X-Real-IP, for the audit trail and the lock-out below.
    "wellbeing.middleware.TrustedProxyMiddleware",
    "wellbeing.middleware.AuditContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is chosen (its 409 / 413 / 422 messages are translated), before the views.
    "wellbeing.api.middleware.ApiClientMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wellbeing.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "wellbeing.middleware.TwoFactorRequiredMiddleware",
    "wellbeing.middleware.AdminBadInputMiddleware",
    # A view that meets a lost connection or a read-only / full database answers 503 (docs/faults.md).
    "wellbeing.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wellbeing.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# Embedded default: an SQLite file under var/. Production: DATABASE_URL=postgres://... (psycopg 3).
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tanxin.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3 connection pool, one per process (Django >= 5.1). Persistent connections must be off.
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # After a database restart, a pooled or persistent connection is checked before it is used and
    # replaced if it died (tests/wellbeing/test_faults.py, scripts/faults/pg_restart.py).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat share the embedded file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Authentication, sessions, lock-out, two-factor --------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with the user's person record loaded in the same query (a query less per request).
    "wellbeing.permissions.PersonModelBackend",
    # Sessions signed in before PersonModelBackend name this one: kept so that they stay valid.
    "django.contrib.auth.backends.ModelBackend",
    "wellbeing.permissions.RolePermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout (no request for this long ends the session) and absolute timeout (a session never
# lives longer than this, however active). HIPAA §164.312(a)(2)(iii) "automatic log-off".
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env.int("SESSION_ABSOLUTE_HOURS", default=12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# django-axes: lock an account (per user name and address) after repeated failed log-ins.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Addresses (or networks) of the reverse proxies whose X-Real-IP names the client
# (wellbeing.middleware.TrustedProxyMiddleware); empty: REMOTE_ADDR as it comes.
TRUSTED_PROXY_IPS = env.list("TRUSTED_PROXY_IPS", default=[])

# Roles that must use TOTP two-factor authentication unless an administrator overrides a role in
# the admin (wellbeing.RoleSecurityPolicy). Production requires it for clinical and admin roles.
TWO_FACTOR_REQUIRED_ROLES = env.list(
    "TWO_FACTOR_REQUIRED_ROLES", default=["counsellor", "lead_counsellor", "administrator"]
)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Tanxin")

# --- Encryption at rest -------------------------------------------------------------------------
# Fernet keys, newest first: the first encrypts, all decrypt (rotation). See docs/security.md.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Where `manage.py backup` writes (mode 0700, files 0600) and `--keep N` prunes. See docs/backups.md.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files (served locally by whitenoise; no CDN) ------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Content security policy and browser security headers (docs/security.md) ------------------------
# Every environment sends them (dev and tests see what production does). Scripts come only from this
# site's own files: no inline <script>, no on*= handler attribute, no javascript: URL, no eval (the
# vendored htmx, Bootstrap and ECharts need none of them; pages wire behaviour with data- attributes
# in static/js/). Styles allow 'unsafe-inline' because templates use style="" attributes (e.g. a
# case's risk colour) and htmx adds its indicator <style>: styles cannot run code. Images: this site
# and data: URIs (Bootstrap's icons in its CSS, the blank favicon); the 2FA QR code is inline SVG.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Browser features the site never uses are off for it and anything it could embed
# (django-permissions-policy: Permissions-Policy header).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tanxin <noreply@tanxin.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "wellbeing.api.authentication.BearerTokenAuthentication",
        "wellbeing.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["wellbeing.api.permissions.IsAuthenticatedPrincipal"],
    "DEFAULT_PAGINATION_CLASS": "wellbeing.api.pagination.StableCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "wellbeing.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only; a body nested too deeply is a 400, not a RecursionError (wellbeing/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["wellbeing.api.parsers.SafeJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Requests per minute per HR system and per signed-in user: 429 with Retry-After beyond it
    # (wellbeing/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "wellbeing.api.throttling.ApiClientRateThrottle",
        "wellbeing.api.throttling.SignedInUserRateThrottle",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tanxin API",
    "DESCRIPTION": (
        "Staff wellbeing case management. HR systems authenticate with `Authorization: Bearer <token>`; "
        'each token carries scopes. Errors share one shape: `{"message": ..., "errors": {field: [...]}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TalkKindEnum": "talks.models.Talk.Kind",
        "FollowUpKindEnum": "wellbeing.models.followups.FollowUp.Kind",
        "OrgUnitKindEnum": "wellbeing.models.org.OrgUnit.Kind",
        "ScreeningTierEnum": "wellbeing.models.instruments.ScreeningTier",
        "InterventionKindEnum": "cases.models.Intervention.Kind",
        "InterventionStatusEnum": "cases.models.Intervention.Status",
        "ReferralStatusEnum": "wellbeing.models.referrals.Referral.Status",
        "PersonStatusEnum": "wellbeing.models.org.Person.Status",
    },
    "SERVE_PERMISSIONS": ["wellbeing.api.permissions.CanReadApiDocs"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "wellbeing.api.schema.add_common_answers",
    ],
}

# --- Celery -----------------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport (no server). Production: redis://...
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    _control_dir = VAR_DIR / "celery" / "control"  # kombu's default is ./control, in whatever directory runs it
    _control_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
    }
else:
    # Tasks are acknowledged after they finish; the visibility timeout must exceed every time limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Organisation -------------------------------------------------------------------------------------
# Statistics over fewer people than this are suppressed everywhere (access.md, "k >= 5").
STATS_MIN_GROUP_SIZE = env.int("STATS_MIN_GROUP_SIZE", default=5)

# --- Logging: never log request bodies (they may hold sensitive free text) ---------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- Follow-ups and reminders (defaults; administrators refine them per kind/tier in the admin) -------
# Timings per tier, in minutes: grace after due, escalation after overdue, repeat while overdue, and
# (red only) how soon an item must be acknowledged before it escalates (design/domain.md risk tiers).
FOLLOWUP_TIMINGS = {
    "red": {"grace": 0, "escalation_delay": 60, "repeat_interval": 240, "acknowledge_within": 60},
    "orange": {"grace": 120, "escalation_delay": 24 * 60, "repeat_interval": 24 * 60},
    "yellow": {"grace": 24 * 60, "escalation_delay": 2 * 24 * 60, "repeat_interval": 24 * 60},
    "routine": {"grace": 24 * 60, "escalation_delay": 3 * 24 * 60, "repeat_interval": 24 * 60},
}
# Non-red reminders wait until the end of quiet hours (organisation time zone).
FOLLOWUP_QUIET_HOURS = env.str("FOLLOWUP_QUIET_HOURS", default="22:00-07:00")
FOLLOWUP_SCAN_SECONDS = env.float("FOLLOWUP_SCAN_SECONDS", default=60)
FOLLOWUP_SCAN_BATCH = env.int("FOLLOWUP_SCAN_BATCH", default=1000)
FOLLOWUP_MAX_SNOOZE_DAYS = env.int("FOLLOWUP_MAX_SNOOZE_DAYS", default=14)
FOLLOWUP_HEALTH_MAX_AGE_SECONDS = env.int("FOLLOWUP_HEALTH_MAX_AGE_SECONDS", default=300)
# E-mail and webhook retries: exponential back-off from the base, then "failed" for an admin to retry.
DELIVERY_RETRY_BASE_SECONDS = env.float("DELIVERY_RETRY_BASE_SECONDS", default=60)
DELIVERY_RETRY_MAX_SECONDS = env.float("DELIVERY_RETRY_MAX_SECONDS", default=6 * 3600)
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=8)
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=600)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
# Personal work notifications (docs/reminders.md, "WeCom and DingTalk"): each channel is on when all
# its credentials are set, and then reaches everyone whose profile has their user id there. The
# secrets may come from files (WECOM_SECRET_FILE, DINGTALK_APP_SECRET_FILE). Half a set is reported
# as a configuration error (followup_status, /health/). Calls time out after WORK_MESSAGE_TIMEOUT_SECONDS.
WECOM_CORP_ID = env.str("WECOM_CORP_ID", default="")
WECOM_AGENT_ID = env.str("WECOM_AGENT_ID", default="")
WECOM_SECRET = env.str("WECOM_SECRET", default="")
WECOM_API_BASE = env.str("WECOM_API_BASE", default="https://qyapi.weixin.qq.com").rstrip("/")
DINGTALK_APP_KEY = env.str("DINGTALK_APP_KEY", default="")
DINGTALK_APP_SECRET = env.str("DINGTALK_APP_SECRET", default="")
DINGTALK_AGENT_ID = env.str("DINGTALK_AGENT_ID", default="")
DINGTALK_API_BASE = env.str("DINGTALK_API_BASE", default="https://oapi.dingtalk.com").rstrip("/")
WORK_MESSAGE_TIMEOUT_SECONDS = env.float("WORK_MESSAGE_TIMEOUT_SECONDS", default=10)
# Escalations never go back to an item's own owner. With nobody above the owner they go to a second
# line (user names, in order): ESCALATION_SECOND_LINE for agreed actions and talks (e.g. the office
# of the leading group), ESCALATION_SECOND_LINE_CLINICAL for counselling work (a deputy lead counsellor
# or an emergency contact; only members of the counselling team are used). A missing second line is
# reported by `manage.py followup_status`, the admin's pipeline view and /health/.
ESCALATION_SECOND_LINE = env.list("ESCALATION_SECOND_LINE", default=[])
ESCALATION_SECOND_LINE_CLINICAL = env.list("ESCALATION_SECOND_LINE_CLINICAL", default=[])
# Lifecycle events (a person left or moved, a role ended) whose receivers failed are announced again
# after this many seconds, doubling on each failure (at most every 6 hours).
LIFECYCLE_RETRY_SECONDS = env.int("LIFECYCLE_RETRY_SECONDS", default=60)
# Absolute links in e-mails and webhooks.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Heart-to-heart talks ------------------------------------------------------------------------------
# Default cadence: each supervisor with each report every 90 days (per unit / per person in the admin).
TALK_CADENCE_DAYS = env.int("TALK_CADENCE_DAYS", default=90)
# A member of staff who asks for a talk (their home page) gets one within this many days.
TALK_REQUEST_WITHIN_DAYS = env.int("TALK_REQUEST_WITHIN_DAYS", default=3)
# A talk's author may amend it for this many days after saving it (every version kept); after that
# they may only add annotations.
TALK_AMEND_DAYS = env.int("TALK_AMEND_DAYS", default=7)

# --- Screening (design/domain.md "Screening instruments", "Risk tiers and response") ----------------
# A yellow result reminds the person to take the questionnaire again after this many days.
SCREENING_RESCREEN_DAYS = env.int("SCREENING_RESCREEN_DAYS", default=28)
# Results are deleted after this many days (PIPL §19), except those that led to a referral; the
# consent notice states it.
SCREENING_RETENTION_DAYS = env.int("SCREENING_RETENTION_DAYS", default=3 * 365)

# --- Retention (docs/data-lifecycle.md: every kind, its anchor date and the reason for its period) -----
# Days each record kind is kept before the daily task (wellbeing.retention) deletes or anonymises it,
# each from RETENTION_<KIND>_DAYS. A system check refuses an audit trail under 1095 days (PIPL §55-56)
# and logs, API calls and message records under 183 days (网络安全法 §21).
RETENTION = {
    "audit": env.int("RETENTION_AUDIT_DAYS", default=5 * 365),
    "api_calls": env.int("RETENTION_API_CALLS_DAYS", default=365),
    "access_log": env.int("RETENTION_ACCESS_LOG_DAYS", default=365),
    "login_attempts": env.int("RETENTION_LOGIN_ATTEMPTS_DAYS", default=365),
    "deliveries": env.int("RETENTION_DELIVERIES_DAYS", default=365),
    "notifications": env.int("RETENTION_NOTIFICATIONS_DAYS", default=365),
    "change_feed": env.int("RETENTION_CHANGE_FEED_DAYS", default=365),
    "sessions": env.int("RETENTION_SESSIONS_DAYS", default=0),
    "people": env.int("RETENTION_PEOPLE_DAYS", default=5 * 365),
    "talks.text": env.int("RETENTION_TALKS_TEXT_DAYS", default=5 * 365),
    "cases.text": env.int("RETENTION_CASES_TEXT_DAYS", default=5 * 365),
    "programme.care": env.int("RETENTION_PROGRAMME_CARE_DAYS", default=3 * 365),
    "programme.feedback": env.int("RETENTION_PROGRAMME_FEEDBACK_DAYS", default=3 * 365),
    "leave.notes": env.int("RETENTION_LEAVE_NOTES_DAYS", default=2 * 365),
}

# --- Cases (design/domain.md "Case follow-up cadence") -------------------------------------------------
# Days until the next contact by the case's current risk: imminent daily, high every 3 days,
# moderate weekly, low monthly ("imminent=1,high=3,moderate=7,low=30").
CASE_CONTACT_CADENCE_DAYS = {
    key: int(value)
    for key, value in env.dict(
        "CASE_CONTACT_CADENCE_DAYS", default={"imminent": 1, "high": 3, "moderate": 7, "low": 30}
    ).items()
}
# Open cases a counsellor holds at most (per counsellor in the admin); more needs a stated reason.
CASELOAD_LIMIT = env.int("CASELOAD_LIMIT", default=20)
# A case note can be corrected by its author for this many hours; after that, addenda only.
CASE_NOTE_EDIT_HOURS = env.int("CASE_NOTE_EDIT_HOURS", default=24)
# Emergency (break-glass) access to a case lasts this many hours.
BREAK_GLASS_HOURS = env.int("BREAK_GLASS_HOURS", default=4)

# --- Leave (design/domain.md "Annual paid leave", "Other leave") --------------------------------------
# Which annual-leave rules apply: "public" (机关事业单位工作人员带薪年休假实施办法) or "enterprise"
# (企业职工带薪年休假实施办法: new joiners and leavers pro-rated).
LEAVE_RULE_SET = env.str("LEAVE_RULE_SET", default="public")
# 条例 §4 (2): paid personal leave (事假) of this many days or more in a year: no annual leave.
LEAVE_PERSONAL_LIMIT_DAYS = env.int("LEAVE_PERSONAL_LIMIT_DAYS", default=20)
# 条例 §4 (3)-(5): sick leave of this many months (service under 10 / 10 to 20 / 20+ years): none.
LEAVE_SICK_MONTHS = tuple(env.list("LEAVE_SICK_MONTHS", cast=int, default=[2, 3, 4]))
# A "month" of sick leave, in calendar days.
LEAVE_SICK_MONTH_DAYS = env.int("LEAVE_SICK_MONTH_DAYS", default=30)
# Annual leave carried over (at most one year) is used by this day of the next year ("MM-DD").
LEAVE_CARRY_OVER_UNTIL = env.str("LEAVE_CARRY_OVER_UNTIL", default="12-31")
# Time off in lieu: hours of rest-day work that make a day; days until it must be used; nudge before.
LEAVE_TOIL_HOURS_PER_DAY = env.int("LEAVE_TOIL_HOURS_PER_DAY", default=8)
LEAVE_TOIL_VALID_DAYS = env.int("LEAVE_TOIL_VALID_DAYS", default=60)
LEAVE_TOIL_NUDGE_DAYS = env.int("LEAVE_TOIL_NUDGE_DAYS", default=14)
# Nobody without rest: by this day of the year ("MM-DD"), people who have taken less than this share
# of their annual leave, or hold at least this many days of time off in lieu, are raised with their
# supervisor (once a year each).
LEAVE_REST_CHECK_DATE = env.str("LEAVE_REST_CHECK_DATE", default="09-30")
LEAVE_REST_MIN_SHARE = env.float("LEAVE_REST_MIN_SHARE", default=0.5)
LEAVE_REST_TOIL_DAYS = env.int("LEAVE_REST_TOIL_DAYS", default=5)
# A leave request waits this many days for its approver before the reminders start.
LEAVE_APPROVAL_DAYS = env.int("LEAVE_APPROVAL_DAYS", default=2)

# --- The leading group's programme (docs/programme.md) -----------------------------------------------
# Workload signals: a suggested talk is due this many days after it is made, and no second one is
# made for the same person within the cooldown.
WORKLOAD_SUGGESTION_DUE_DAYS = env.int("WORKLOAD_SUGGESTION_DUE_DAYS", default=14)
WORKLOAD_SUGGESTION_COOLDOWN_DAYS = env.int("WORKLOAD_SUGGESTION_COOLDOWN_DAYS", default=60)
# A "talk due" overdue by more than this many days is a signal (and no longer counts as planned).
WORKLOAD_TALK_OVERDUE_DAYS = env.int("WORKLOAD_TALK_OVERDUE_DAYS", default=14)
# No talk with a person for this many days is a signal.
WORKLOAD_NO_TALK_DAYS = env.int("WORKLOAD_NO_TALK_DAYS", default=180)
# Weekend work in this many weekends in a row (confirmed overtime records) is a signal.
WORKLOAD_WEEKEND_STREAK = env.int("WORKLOAD_WEEKEND_STREAK", default=3)
# The plan's periodic review: every this many months (quarterly by default).
PROGRAMME_REVIEW_MONTHS = env.int("PROGRAMME_REVIEW_MONTHS", default=3)
# Evidence and activity materials: the largest file accepted (kept in the database, so every web
# server sees it without shared storage). A page's whole request may carry PAGE_MAX_BODY_BYTES (2.5 MB),
# so a larger file would be refused before the form could say why: keep this below it.
PROGRAMME_MAX_FILE_BYTES = env.int("PROGRAMME_MAX_FILE_BYTES", default=2 * 1024 * 1024)

# --- HR sync (docs/hr-integration.md) ----------------------------------------------------------------
# Records one bulk upsert call may carry.
SYNC_MAX_RECORDS = env.int("SYNC_MAX_RECORDS", default=5000)
# The calls of a multi-call full sync (a "run") must all arrive within this many hours.
SYNC_RUN_HOURS = env.int("SYNC_RUN_HOURS", default=24)
# Request bodies: the sync endpoints take up to SYNC_MAX_BODY_BYTES, the rest of the API
# API_MAX_BODY_BYTES; a larger body is a 413.
SYNC_MAX_BODY_BYTES = env.int("SYNC_MAX_BODY_BYTES", default=16 * 1024 * 1024)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
# Pages: a body with a larger Content-Length is a 413 (wellbeing/api/middleware.py); Django's own
# limit (a body read without a length) is the largest of the three.
PAGE_MAX_BODY_BYTES = env.int("PAGE_MAX_BODY_BYTES", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(SYNC_MAX_BODY_BYTES, API_MAX_BODY_BYTES, PAGE_MAX_BODY_BYTES)
# A full sync that would mark more than this share of the active people as left is refused.
SYNC_FULL_MAX_LEFT_SHARE = env.float("SYNC_FULL_MAX_LEFT_SHARE", default=0.2)
# Idempotency-Key: a key and its stored answer are kept this long.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
# A request still "running" under its key after this many minutes is taken to have died with its
# worker: the key may be used again (the sync is idempotent by external ID, so re-applying is safe).
IDEMPOTENCY_STALE_MINUTES = env.int("IDEMPOTENCY_STALE_MINUTES", default=15)
# Requests per minute per API client (each client can have its own in the admin); beyond: 429.
API_CLIENT_RATE_PER_MINUTE = env.int("API_CLIENT_RATE_PER_MINUTE", default=600)
# API requests per minute per signed-in user (session); the pages themselves are not counted.
API_USER_RATE_PER_MINUTE = env.int("API_USER_RATE_PER_MINUTE", default=600)
# After a token rotation the old token keeps working this long.
API_TOKEN_ROTATION_GRACE_HOURS = env.int("API_TOKEN_ROTATION_GRACE_HOURS", default=24)

# django-bootstrap5: no green "valid" marks on filters and re-shown forms; errors stay red.
BOOTSTRAP5 = {
    "success_css_class": "",
    "field_renderers": {"default": "wellbeing.bootstrap.ErrorsOnlyFieldRenderer"},
}
