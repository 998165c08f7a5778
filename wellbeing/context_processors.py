from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wellbeing import policy, selectors

#: Callables (user) -> [(label, url)] that apps append from their AppConfig.ready() (the cases app:
#: the caseload, emergency access, asking for help), shown after the core's work items.
NAV_EXTENSIONS: list = []


def navigation(request):
    """Navigation items for the user's roles, all decided by the access policy, and the inbox's
    unread count for the header (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "api_client", None) is not None:
        return {"nav_items": []}
    items = [(_("Home"), reverse("home"))]
    if policy.can(user, "followup.mine"):
        items.append((_("My follow-ups"), reverse("followups:mine")))
    if policy.can(user, "followup.team"):
        items.append((_("Team follow-ups"), reverse("followups:team")))
    if policy.can(user, "talk.log"):
        items.append((_("Log a talk"), reverse("talks:new")))
        items.append((_("Talk overview"), reverse("talks:overview")))
    if policy.can(user, "referral.intake"):
        items.append((_("Referrals"), reverse("referrals")))
    for extension in NAV_EXTENSIONS:
        items.extend(extension(user))
    if policy.can(user, "oncall.view"):
        items.append((_("On-call rota"), reverse("screening:oncall")))
    if policy.can(user, "campaign.list"):
        items.append((_("Check-ups"), reverse("screening:campaigns")))
    if policy.can(user, "role.confirm"):
        items.append((_("Roles to confirm"), reverse("roles-pending")))
    if getattr(policy.access_for(user).person, "pk", None) is not None:
        items.append((_("My talks"), reverse("talks:mine")))
        items.append((_("My records"), reverse("my-records")))
    if policy.can(user, "screening.take"):
        items.append((_("Screening"), reverse("screening:home")))
    if policy.can(user, "person.directory"):
        items.append((_("People"), reverse("people")))
    if policy.can(user, "admin.access"):
        items.append((_("Administration"), reverse("admin:index")))
    return {
        "nav_items": items,
        "unread_count": selectors.unread_notification_count(user=user),
        # Outside the main navigation, for the roles that work with the API only.
        "show_api_docs_link": policy.can(user, "api.docs_link"),
    }
