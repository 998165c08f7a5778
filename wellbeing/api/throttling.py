"""API rate limits: beyond its requests per minute an HR system (per client) or a signed-in user
(per user, ``API_USER_RATE_PER_MINUTE``) gets 429 with ``Retry-After`` (seconds), in the one error
shape. Each kind has its own count: a client's limit never touches users, nor the reverse. Log-in
attempts are limited by django-axes.

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


class SignedInUserRateThrottle(SimpleRateThrottle):
    """Per signed-in user (session) on the API, so a stolen or scripted session cannot read the
    directory wholesale. Pages are not API calls and are not counted."""

    scope = "api-user"
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_rate(self):  # read per request, so a changed setting applies at once
        return None

    def allow_request(self, request, view):
        user = getattr(request, "user", None)
        if isinstance(user, policy.ApiPrincipal) or not getattr(user, "is_authenticated", False):
            return True
        self.num_requests = settings.API_USER_RATE_PER_MINUTE
        self.duration = 60
        self.rate = f"{self.num_requests}/min"
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
