"""Screening URLs (staff pages): a person's own consent, questionnaires and results."""

from django.urls import path

from wellbeing.screening import views_staff

urlpatterns: list = [
    path("", views_staff.home, name="home"),
    path("consent/", views_staff.consent, name="consent"),
    path("consent/withdraw/", views_staff.withdraw, name="withdraw"),
    path("take/<slug:code>/", views_staff.take, name="take"),
    path("results/<int:pk>/", views_staff.result, name="result"),
    path("results/<int:pk>/ask/", views_staff.ask, name="ask"),
    path("reminders/<int:pk>/decline/", views_staff.decline, name="decline"),
]
