from django.urls import path

from wellbeing.views import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("people/", pages.person_directory, name="people"),
    path("people/<str:external_id>/", pages.person_detail, name="person"),
]
