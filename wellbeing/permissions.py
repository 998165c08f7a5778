"""Django model permissions derived from roles (used by the admin).

Administrators manage configuration and accounts; they get no permission on clinical models
(access.md: "administrator — configuration and accounts; no clinical text").
"""

from wellbeing import policy

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
