"""Embedded default for development and the demo: SQLite, file broker, console e-mail.

Nothing here is secret: the keys below protect demo data only. Production uses
config.settings.production, which refuses to start without real secrets.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-5f3c9a")
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    # A fixed development key (Fernet format) so demo data survives restarts.
    default=["ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZC0="],
)
# The demo lets a newcomer log in as every role without an authenticator app. Production ignores it.
TANXIN_DEMO_RELAX_2FA = env.bool("TANXIN_DEMO_RELAX_2FA", default=True)
if TANXIN_DEMO_RELAX_2FA:
    TWO_FACTOR_REQUIRED_ROLES = env.list("TWO_FACTOR_REQUIRED_ROLES", default=[])
# The demo county has one lead counsellor; its first counsellor stands in as the clinical second line,
# so an unacknowledged red referral escalates to someone (production: set it to your deputy).
ESCALATION_SECOND_LINE_CLINICAL = env.list("ESCALATION_SECOND_LINE_CLINICAL", default=["counsellor1"])
