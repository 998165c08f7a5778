from django.urls import path

from talks import views, views_amend, views_request

app_name = "talks"

urlpatterns = [
    path("new/", views.talk_new, name="new"),
    path("people/", views.person_picker, name="picker"),
    path("action-row/", views.action_row, name="action-row"),
    path("carried/", views.carried_actions, name="carried"),
    path("mine/", views.my_talks, name="mine"),
    path("request/", views_request.talk_request, name="request"),
    path("overview/", views.overview, name="overview"),
    path("person/<str:external_id>/", views.person_talks, name="person"),
    path("<int:pk>/", views.talk_detail, name="detail"),
    path("<int:pk>/amend/", views_amend.talk_amend, name="amend"),
    path("<int:pk>/annotate/", views_amend.talk_annotate, name="annotate"),
]
