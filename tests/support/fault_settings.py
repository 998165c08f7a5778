"""Settings for the real Celery worker and beat processes started by the fault test.

Test settings, but with a real Redis broker, a real SMTP server (the test's), tasks sent to the
worker instead of run in-process, and timings shortened so the test takes seconds, not hours.
"""

import os

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["FAULT_BROKER_URL"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 20}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["FAULT_SMTP_PORT"])
EMAIL_USE_TLS = False
EMAIL_TIMEOUT = 5
FOLLOWUP_SCAN_SECONDS = 1
FOLLOWUP_SCAN_BATCH = 250
DELIVERY_RETRY_BASE_SECONDS = 1
DELIVERY_RETRY_MAX_SECONDS = 3
DELIVERY_MAX_ATTEMPTS = 100
DELIVERY_LEASE_SECONDS = 5
FOLLOWUP_QUIET_HOURS = ""
CELERY_BEAT_SCHEDULE_FILENAME = os.environ["FAULT_BEAT_SCHEDULE"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
