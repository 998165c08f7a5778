"""Versions of single records for optimistic concurrency: ``ETag`` on a GET, ``If-Match`` on a PUT or
PATCH. A record's version is its last write (``updated_at``), so any write - the admin's, the sync's,
another client's - makes an older ETag stale.

Services check ``If-Match`` on the row they have locked (``SELECT ... FOR UPDATE``) in the transaction
that then writes it: no other write can come between the check and the write.
"""

from __future__ import annotations

import hashlib


class PreconditionFailed(Exception):
    """``If-Match`` does not match the record's current ETag (HTTP 412)."""


def etag_for(instance) -> str:
    version = f"{instance._meta.label_lower}:{instance.pk}:{instance.updated_at.isoformat()}"
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'


def matches(if_match: str, instance) -> bool:
    """RFC 9110 If-Match: ``*`` (any current record) or a list of strong ETags; a weak one never matches."""
    if instance is None:
        return False
    value = if_match.strip()
    if value == "*":
        return True
    current = etag_for(instance)
    return any(tag.strip() == current for tag in value.split(","))


def check(if_match: str | None, instance) -> None:
    if if_match is not None and not matches(if_match, instance):
        raise PreconditionFailed
