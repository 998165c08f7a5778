"""Settings of the load benchmark (``bench/load.py``): the project's development settings (their fixed
demo keys) run as production runs them, plus one URL, the baseline view (``bench/load_urls.py``).

- ``DEBUG`` off (no query log, the error pages of production) and the connection pool on (base.py);
- the two-factor rule of base.py, not the demo's relaxation: the benchmark's accounts are supervisors
  and staff, whose roles do not require a second factor, so nothing is turned off for them; axes'
  lockouts stay on too (the benchmark's log-ins all succeed);
- static files found where they are (whitenoise's finders, Django's plain storage): production's
  compressed manifest needs ``collectstatic``, which takes minutes on a small machine, and the
  benchmark fetches pages, not their assets; ``{% static %}`` costs the same either way (a join or a
  dictionary look-up).

Never used by the product: only ``bench/load.py`` points gunicorn and its own set-up at it.
"""

from config.settings import base
from config.settings.local import *  # noqa: F403
from config.settings.local import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=False)
TANXIN_DEMO_RELAX_2FA = False
TWO_FACTOR_REQUIRED_ROLES = base.TWO_FACTOR_REQUIRED_ROLES
ROOT_URLCONF = "bench.load_urls"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = VAR_DIR / "static"  # empty: whitenoise serves from the finders
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
