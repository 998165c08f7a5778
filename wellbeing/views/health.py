from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wellbeing import selectors


@never_cache
@require_GET
def health(request):
    """For monitoring: 200 while the overdue scan ran recently, 503 if beat (or the worker) stopped.
    Reports only timings, nothing about people."""
    status = selectors.pipeline_status()
    body = {
        "status": "ok" if status["healthy"] else "stale",
        "last_scan_at": status["last_scan_at"].isoformat() if status["last_scan_at"] else None,
        "last_scan_age_seconds": round(status["last_scan_age_seconds"], 1)
        if status["last_scan_age_seconds"] is not None
        else None,
    }
    return JsonResponse(body, status=200 if status["healthy"] else 503)
