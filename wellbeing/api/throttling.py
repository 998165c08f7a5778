"""Per-client rate limits for HR systems: beyond its requests per minute a client gets 429 with
``Retry-After`` (seconds), in the one error shape. Signed-in users are not limited here (their pages
and the axes lock-out guard them).

The counts live in the default cache: with several web servers, point ``CACHE_URL`` at Redis so that
they share one count (docs/operations.md).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from wellbeing import policy


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api-client"
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_rate(self):  # the rate is per client: set in allow_request
        return None

    def allow_request(self, request, view):
        user = getattr(request, "user", None)
        if not isinstance(user, policy.ApiPrincipal):
            return True
        client = user.api_client
        self.num_requests = client.rate_limit or settings.API_CLIENT_RATE_PER_MINUTE
        self.duration = 60
        self.rate = f"{self.num_requests}/min"  # DRF lets everything through while ``rate`` is None
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.api_client.pk}
