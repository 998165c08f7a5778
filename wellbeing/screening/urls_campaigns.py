"""Screening URLs (campaigns pages): check-ups (心理体检)."""

from django.urls import path

from wellbeing.screening import views_campaigns

urlpatterns: list = [
    path("check-ups/", views_campaigns.campaign_list, name="campaigns"),
    path("check-ups/new/", views_campaigns.campaign_new, name="campaign_new"),
    path("check-ups/<int:pk>/", views_campaigns.campaign_detail, name="campaign"),
]
