"""API permissions: every check asks the one access policy (wellbeing.policy)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from wellbeing import policy

#: A ``policy_actions`` value: no rule is checked before the view runs, because the view's selector
#: decides - it returns only the rows the principal may see, or answers 404 for a single record that is
#: missing *or* not visible (access.md: a denied object looks like a missing one).
SELECTOR_CHECKS = None


class IsAuthenticatedPrincipal(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)


class PolicyPermission(BasePermission):
    """Checks the policy rule a view names for each DRF action, so reads and writes are checked apart.

    A view declares ``policy_actions``, a mapping from the DRF action being run (``"list"``,
    ``"retrieve"``, ``"create"``, or an ``@action`` name such as ``"complete"``; for a plain APIView, the
    lower-case HTTP method, ``"get"`` or ``"post"``) to either

    - the name of a rule registered with the policy (``"org.view"``, ``"talk.log"``): the principal
      must hold it, else 403; or
    - ``SELECTOR_CHECKS`` (``None``): no rule at this step; the view's selector does the object-level
      check (a filtered list, or a 404 for a record the principal may not see).

    It may also declare ``policy_object_actions``, the same mapping for rules about one record (checked
    with the record when the view calls ``check_object_permissions(obj)``, e.g. ``"followup.manage"``
    for completing a follow-up). An action without an entry there has no object-level rule.

    Fail-closed: an action missing from ``policy_actions`` - including ``metadata`` (OPTIONS) and any
    ``@action`` added later without naming its rule - is refused (403), as is a view without
    ``policy_actions``. The one exception is a method the view does not route at all (DRF leaves
    ``view.action`` as ``None``): it passes here so that DRF answers 405 and nothing runs.
    """

    @staticmethod
    def action_of(request, view) -> str | None:
        """The DRF action of a viewset (None when the method is not routed); for a plain APIView, the
        lower-case HTTP method (None when the view has no handler for it)."""
        if hasattr(view, "action_map"):
            return getattr(view, "action", None)
        method = request.method.lower()
        return method if method in view.http_method_names and hasattr(view, method) else None

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        action = self.action_of(request, view)
        if action is None:  # not routed: DRF answers 405 Method Not Allowed
            return True
        actions = getattr(view, "policy_actions", None) or {}
        if action not in actions:
            return False
        rule = actions[action]
        if rule is SELECTOR_CHECKS:
            return True
        return policy.can(request.user, rule)

    def has_object_permission(self, request, view, obj):
        rule = (getattr(view, "policy_object_actions", None) or {}).get(self.action_of(request, view))
        if rule is None:
            return True
        return policy.can(request.user, rule, obj)


class CanReadApiDocs(BasePermission):
    """The OpenAPI schema and its interactive docs: any signed-in user with a role, or an API client."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and policy.can(request.user, "api.docs"))
