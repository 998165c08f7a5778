"""The core's REST API: authentication, permissions, errors, pagination, org units and people."""
