"""/cases/...: the caseload board, intake, the team view and self-referral (urls_board), one case's
page and its actions (urls_case)."""

from django.urls import include, path

app_name = "cases"

urlpatterns = [
    path("", include("cases.urls_board")),
    path("", include("cases.urls_case")),
]
