from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wellbeing import policy


def navigation(request):
    """Navigation items for the user's roles, all decided by the access policy."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [(_("Home"), reverse("home"))]
    if policy.can(user, "person.directory"):
        items.append((_("People"), reverse("people")))
    if policy.can(user, "api.docs"):
        items.append((_("API"), reverse("api-docs")))
    if policy.can(user, "admin.access"):
        items.append((_("Administration"), reverse("admin:index")))
    return {"nav_items": items}
