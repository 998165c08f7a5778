from django.contrib.admin.apps import AdminConfig


class TanxinAdminConfig(AdminConfig):
    """The Django admin, with a site whose access is decided by the access policy."""

    default_site = "wellbeing.admin_site.TanxinAdminSite"
