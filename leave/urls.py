"""Leave pages (namespace ``leave``): one's own leave, requests, approvals and the team calendar
(``leave.views``), and the HR reports (``leave.views_report``)."""

from django.urls import path

from leave import views, views_report

app_name = "leave"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("request/", views.request_new, name="new"),
    path("request/preview/", views.request_preview, name="preview"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/send/", views.request_send, name="send"),
    path("requests/<int:pk>/decide/", views.request_decide, name="decide"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="cancel"),
    path("ledger/", views.ledger, name="ledger"),
    path("approvals/", views.approvals, name="approvals"),
    path("team/", views.team_calendar, name="team"),
    path("overtime/", views.overtime, name="overtime"),
    path("overtime/<int:pk>/decide/", views.overtime_decide, name="overtime-decide"),
    path("people/<int:person_id>/", views.person_leave, name="person"),
    path("people/<int:person_id>/adjust/", views.adjust, name="adjust"),
    path("people/<int:person_id>/carry-over/", views.carry_over, name="carry-over"),
    path("calendar/", views.holiday_calendar, name="calendar"),
    path("reports/", views_report.report, name="report"),
    path("reports/export/<str:fmt>/", views_report.report_export, name="report-export"),
]
