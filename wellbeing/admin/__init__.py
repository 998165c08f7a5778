"""Admin for reference data and accounts, one module per concern. Writes with rules go through the
services; configuration records go through the audited configuration service
(``AuditedConfigurationAdmin``, which other apps' admins use too). Importing the modules registers
their admins with the site."""

from wellbeing.admin import accounts, configuration, org, records, roles, screening, third_party
from wellbeing.admin.base import AuditedConfigurationAdmin

__all__ = [
    "AuditedConfigurationAdmin",
    "accounts",
    "configuration",
    "org",
    "records",
    "roles",
    "screening",
    "third_party",
]
