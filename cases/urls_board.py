"""/cases/ list pages: the caseload board, intake and triage, the team view (and quick assignment),
self-referral, emergency access and the transfers waiting for the reader."""

from django.urls import path

from cases import views_board

urlpatterns = [
    path("", views_board.board, name="board"),
    path("intake/", views_board.intake, name="intake"),
    path("intake/<int:referral_pk>/", views_board.triage, name="triage"),
    path("team/", views_board.team, name="team"),
    path("<int:pk>/assign/", views_board.assign, name="assign"),
    path("self-referral/", views_board.self_referral, name="self-referral"),
    path("emergency/", views_board.break_glass, name="break-glass"),
    path("transfers/", views_board.transfers, name="transfers"),
]
