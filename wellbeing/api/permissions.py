from rest_framework.permissions import BasePermission

from wellbeing import policy


class IsAuthenticatedPrincipal(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)


class PolicyPermission(BasePermission):
    """Allows the view when the access policy grants ``view.policy_action`` to the principal."""

    def has_permission(self, request, view):
        action = getattr(view, "policy_action", None)
        if action is None:
            return False
        return bool(request.user and request.user.is_authenticated and policy.can(request.user, action))


class CanReadApiDocs(BasePermission):
    """The OpenAPI schema and its interactive docs: any signed-in user with a role, or an API client."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and policy.can(request.user, "api.docs"))
