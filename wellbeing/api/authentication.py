from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from wellbeing import policy
from wellbeing.models import ApiClient
from wellbeing.models.api_clients import hash_token


def client_for_token(token: str) -> ApiClient | None:
    """The client a token belongs to: its current token, or the one it had before a rotation while
    that is still within its grace period (two tokens are valid at once)."""
    digest = hash_token(token)
    client = ApiClient.objects.filter(Q(token_hash=digest) | Q(previous_token_hash=digest)).first()
    if client is None:
        return None
    if client.token_hash != digest and not client.previous_token_valid():
        return None
    return client


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` for HR systems. Tokens are stored as SHA-256 hashes."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: expected 'Bearer <token>'."))
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        cached = getattr(request._request, "tanxin_bearer", None)  # looked up by ApiClientMiddleware
        client = cached[1] if cached is not None and cached[0] == token else client_for_token(token)
        if client is None or not client.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        client.touch()
        return policy.ApiPrincipal(client), client

    def authenticate_header(self, request):
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """Session log-in for browser users, refused until two-factor verification where it is required."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if not user.is_verified() and policy.requires_two_factor(user):
            raise exceptions.PermissionDenied(_("Two-factor verification is required."))
        return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "wellbeing.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API client token (scoped)."}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "wellbeing.api.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
