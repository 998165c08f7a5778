"""URL roots: pages, accounts, the admin, the API and its schema."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("wellbeing.urls")),
    path("accounts/", include("wellbeing.urls_accounts")),
    path("follow-ups/", include("wellbeing.urls_followups")),
    path("talks/", include("talks.urls")),
    path("screening/", include("wellbeing.screening.urls")),
    path("cases/", include("cases.urls")),
    path("leave/", include("leave.urls")),
    path("programme/", include("programme.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline: the content
    # security policy allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Errors outside a view's own handling: JSON in the API's error shape under /api/ (an unknown API path,
# an id the route refuses), the site's own pages everywhere else (wellbeing/api/errors.py).
handler400 = "wellbeing.api.errors.bad_request"
handler403 = "wellbeing.api.errors.permission_denied"
handler404 = "wellbeing.api.errors.page_not_found"
handler500 = "wellbeing.api.errors.server_error"
