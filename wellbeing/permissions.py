"""Django model permissions derived from roles (used by the admin).

Administrators manage configuration and accounts; they get no permission on clinical models
(access.md: "administrator — configuration and accounts; no clinical text").
"""

from wellbeing import policy

#: Apps whose models an administrator may manage in the admin.
ADMIN_MANAGED_APPS = {"wellbeing", "auth", "otp_totp", "axes", "leave"}


class RolePermissionBackend:
    def authenticate(self, request, **credentials):
        return None

    def _is_admin(self, user_obj) -> bool:
        return bool(user_obj and user_obj.is_active and policy.can(user_obj, "admin.access"))

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        app_label = perm.split(".", 1)[0]
        return app_label in ADMIN_MANAGED_APPS and self._is_admin(user_obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return app_label in ADMIN_MANAGED_APPS and self._is_admin(user_obj)

    def get_user(self, user_id):
        return None
