from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wellbeing import selectors


@never_cache
@require_GET
def health(request):
    """For monitoring. 503 while the overdue scan has not run recently (beat or the workers stopped);
    otherwise 200, with ``"status": "degraded"`` and counts when follow-ups were set aside by the
    scan, escalations found nobody, lifecycle receivers failed or the configuration is incomplete
    (alert on status != "ok"; a load balancer may keep using the status code). Reports counts and
    timings only, nothing about people."""
    status = selectors.pipeline_status()
    degraded = bool(status["failing"] or status["unrouted"] or status["lifecycle_unhandled"] or status["problems"])
    body = {
        "status": "stale" if not status["healthy"] else ("degraded" if degraded else "ok"),
        "last_scan_at": status["last_scan_at"].isoformat() if status["last_scan_at"] else None,
        "last_scan_age_seconds": round(status["last_scan_age_seconds"], 1)
        if status["last_scan_age_seconds"] is not None
        else None,
        "followups_set_aside": status["failing"],
        "escalations_unrouted": status["unrouted"],
        "lifecycle_events_failing": status["lifecycle_unhandled"],
        "configuration_errors": len(status["problems"]),
    }
    return JsonResponse(body, status=200 if status["healthy"] else 503)
