"""What the HR sync keeps: idempotency keys, the change feed, and the runs of a full sync.

docs/hr-integration.md describes the guarantees these carry.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` an API client sent with a POST, PUT or PATCH, and the answer it got.

    The row is written (state "running") before the request is applied, in its own transaction: a
    second request with the same key while the first runs finds it (409); one after the first has
    answered gets the stored answer, or 422 when its method, path or body differ. Keys expire after
    ``IDEMPOTENCY_KEY_HOURS`` (24 h).
    """

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("answered")

    id = models.BigAutoField(primary_key=True)
    client = models.ForeignKey("wellbeing.ApiClient", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text=_("SHA-256 of the method, path, query and body."))
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    scopes = models.JSONField(
        default=list,
        blank=True,
        help_text=_("The client's scopes when it sent the request (a replay needs them still)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique"),
            models.CheckConstraint(
                condition=Q(state="running") | Q(status_code__isnull=False), name="idempotency_key_done_has_answer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_state_display()})"


class ChangeEntry(models.Model):
    """One line of the change feed (``GET /api/v1/changes/``): a record of a stream as it was after
    a change, or its tombstone.

    Read in ``(txid, id)`` order. ``txid`` is the writing transaction's id on PostgreSQL
    (``pg_current_xact_id()``) and 0 on SQLite (one writer at a time). The feed serves only the
    lines of transactions that are no longer running, so a transaction that commits after a later
    one is still read, in its place (wellbeing/selectors_changes.py).
    """

    class Stream(models.TextChoices):
        PEOPLE = "people", _("people")
        ORG_UNITS = "org-units", _("org units")
        LEAVE = "leave", _("leave")

    class Op(models.TextChoices):
        UPSERT = "upsert", _("created or changed")
        TOMBSTONE = "tombstone", _("deleted or left")

    id = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(default=0)
    stream = models.CharField(max_length=16, choices=Stream.choices)
    type = models.CharField(max_length=32, help_text=_("person, org_unit, leave_request or leave_ledger_entry"))
    key = models.CharField(max_length=64, help_text=_("The record's key: an external ID, a unit code, L-000123."))
    op = models.CharField(max_length=16, choices=Op.choices, default=Op.UPSERT)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            models.Index(fields=["txid", "id"], name="change_order_idx"),
            models.Index(fields=["stream", "txid", "id"], name="change_stream_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stream} {self.key} {self.op}"


class SyncRunPart(models.Model):
    """The keys one call of a multi-call full sync carried (``"run": "..."`` in the body). The call
    that says ``"full": true`` closes the run: what no call of the run named is marked left (people) or
    taken out of use (units)."""

    id = models.BigAutoField(primary_key=True)
    client = models.ForeignKey("wellbeing.ApiClient", on_delete=models.CASCADE, related_name="+")
    stream = models.CharField(max_length=16, choices=ChangeEntry.Stream.choices)
    run = models.CharField(max_length=64)
    keys = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["client", "stream", "run"], name="sync_run_part_idx")]

    def __str__(self) -> str:
        return f"{self.stream} run {self.run}"
