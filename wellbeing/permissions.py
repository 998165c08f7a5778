"""The authentication backends: the signed-in user loaded with their person record, and Django model
permissions derived from roles (used by the admin).

Administrators manage configuration and accounts; they get no permission on clinical models
(access.md: "administrator — configuration and accounts; no clinical text").
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from wellbeing import policy


class PersonModelBackend(ModelBackend):
    """Django's ``ModelBackend`` (user name and password), loading the user of each signed-in request
    with their person record and unit in the same query: the access policy (``policy.access_for``)
    reads them on every request, so this saves a query on every page and API call. Sessions made by
    the plain ``ModelBackend`` (listed after this one) stay valid."""

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("person__unit").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


#: Apps whose models an administrator may manage in the admin.
ADMIN_MANAGED_APPS = {"wellbeing", "auth", "otp_totp", "axes"}
#: Configuration models of other apps (never their records).
ADMIN_MANAGED_MODELS = {
    "talks.cadencepolicy",
    "talks.agendatemplate",
    "cases.caseloadlimit",
    "leave.leavetype",
    "leave.holidayyear",
    "leave.calendarday",
}


def _model_of(perm: str) -> str:
    app_label, codename = perm.split(".", 1)
    return f"{app_label}.{codename.split('_', 1)[-1]}"


class RolePermissionBackend:
    def authenticate(self, request, **credentials):
        return None

    def _is_admin(self, user_obj) -> bool:
        return bool(user_obj and user_obj.is_active and policy.can(user_obj, "admin.access"))

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        app_label = perm.split(".", 1)[0]
        managed = app_label in ADMIN_MANAGED_APPS or _model_of(perm) in ADMIN_MANAGED_MODELS
        return managed and self._is_admin(user_obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        managed = app_label in ADMIN_MANAGED_APPS or any(m.startswith(f"{app_label}.") for m in ADMIN_MANAGED_MODELS)
        return managed and self._is_admin(user_obj)

    def get_user(self, user_id):
        return None
