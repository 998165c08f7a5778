from django.urls import path

from talks import views

app_name = "talks"

urlpatterns = [
    path("new/", views.talk_new, name="new"),
    path("people/", views.person_picker, name="picker"),
    path("action-row/", views.action_row, name="action-row"),
    path("mine/", views.my_talks, name="mine"),
    path("overview/", views.overview, name="overview"),
    path("person/<str:external_id>/", views.person_talks, name="person"),
    path("<int:pk>/", views.talk_detail, name="detail"),
]
