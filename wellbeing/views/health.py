from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from wellbeing import selectors
from wellbeing.middleware import database_fault
from wellbeing.models import ScanRun

#: Seconds the broker check waits for the broker to answer (a load balancer's check must stay quick).
BROKER_TIMEOUT_SECONDS = 2


def _check_database() -> dict:
    """The database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"ok": False, "error": database_fault(exc) or type(exc).__name__}
    return {"ok": True}


def _check_database_writes() -> dict:
    """The database takes a write: an UPDATE (of no row) in a transaction that is rolled back, so a
    read-only database (a standby, ``default_transaction_read_only``) shows here. A full disk shows
    when a write must reach it: the scan's own writes stop, and its age turns the check red."""
    try:
        with transaction.atomic():
            ScanRun.objects.filter(pk=-1).update(quiet_hours=False)
            transaction.set_rollback(True)
    except DatabaseError as exc:
        return {"ok": False, "error": database_fault(exc) or type(exc).__name__}
    return {"ok": True}


def _check_broker() -> dict:
    """The Celery broker (Redis in production) accepts a connection."""
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options={
                **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
                "socket_timeout": BROKER_TIMEOUT_SECONDS,
            },
        ) as broker:
            broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure to connect is the answer, whatever the transport raises
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


@never_cache
@require_GET
def health(request):
    """For monitoring. Named checks, each ``{"ok": ..., "error": ...}`` under ``checks``: the database
    answers (``database``), it takes writes (``database_writes``), the broker accepts a connection
    (``broker``), the overdue scan ran recently (``scan``). 503 when any fails - ``"status":
    "failing"`` for the first three, ``"stale"`` when only the scan is late (beat or the workers
    stopped); otherwise 200, with ``"status": "degraded"`` and counts when follow-ups were set aside by
    the scan, escalations found nobody, lifecycle receivers failed or the configuration is incomplete
    (alert on status != "ok"; a load balancer may keep using the status code). Reports counts,
    timings and error kinds only, nothing about people."""
    checks = {"database": _check_database()}
    checks["database_writes"] = _check_database_writes() if checks["database"]["ok"] else {"ok": False}
    checks["broker"] = _check_broker()
    if not checks["database"]["ok"]:
        return JsonResponse({"status": "failing", "checks": checks}, status=503)
    status = selectors.pipeline_status()
    checks["scan"] = {"ok": status["healthy"]} if status["healthy"] else {"ok": False, "error": "stale"}
    failing = not all(check["ok"] for name, check in checks.items() if name != "scan")
    degraded = bool(status["failing"] or status["unrouted"] or status["lifecycle_unhandled"] or status["problems"])
    body = {
        "status": "failing" if failing else "stale" if not status["healthy"] else "degraded" if degraded else "ok",
        "checks": checks,
        "last_scan_at": status["last_scan_at"].isoformat() if status["last_scan_at"] else None,
        "last_scan_age_seconds": round(status["last_scan_age_seconds"], 1)
        if status["last_scan_age_seconds"] is not None
        else None,
        "followups_set_aside": status["failing"],
        "escalations_unrouted": status["unrouted"],
        "lifecycle_events_failing": status["lifecycle_unhandled"],
        "configuration_errors": len(status["problems"]),
    }
    healthy = status["healthy"] and not failing
    return JsonResponse(body, status=200 if healthy else 503)
