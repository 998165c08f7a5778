"""Screening URLs (counsel pages): a person's results over time, one result and its review, the
on-call rota."""

from django.urls import path

from wellbeing.screening import views_counsel

urlpatterns = [
    path("people/<str:external_id>/", views_counsel.person, name="person"),
    path("<int:pk>/", views_counsel.detail, name="detail"),
    path("<int:pk>/review/", views_counsel.review, name="review"),
    path("on-call/", views_counsel.oncall_rota, name="oncall"),
    path("on-call/add/", views_counsel.oncall_add, name="oncall_add"),
    path("on-call/<int:pk>/remove/", views_counsel.oncall_remove, name="oncall_remove"),
]
