"""The programme's pages (/programme/...)."""

from django.urls import path

from programme import views_activities, views_care, views_dashboard, views_plan

app_name = "programme"

urlpatterns = [
    # The plan and its responsibility list (the leading group), one's own tasks and corrections.
    path("", views_plan.plan_current, name="home"),
    path("plans/new/", views_plan.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views_plan.plan_detail, name="plan"),
    path("plans/<int:pk>/tasks/new/", views_plan.task_new, name="task_new"),
    path("plans/<int:pk>/reviews/new/", views_plan.review_new, name="review_new"),
    path("reviews/<int:pk>/", views_plan.review_detail, name="review"),
    path("my-work/", views_plan.my_work, name="my_work"),
    path("tasks/<int:pk>/", views_plan.task_detail, name="task"),
    path("tasks/<int:pk>/edit/", views_plan.task_edit, name="task_edit"),
    path("tasks/<int:pk>/evidence/<int:evidence_id>/", views_plan.evidence_download, name="evidence"),
    path("corrections/<int:pk>/", views_plan.correction_detail, name="correction"),
    # Activities.
    path("activities/", views_activities.activity_list, name="activities"),
    path("activities/new/", views_activities.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views_activities.activity_detail, name="activity"),
    path("activities/<int:pk>/edit/", views_activities.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/attendance/", views_activities.activity_attendance, name="activity_attendance"),
    path("activities/<int:pk>/materials/<int:material_id>/", views_activities.material_download, name="material"),
    # Care for people in difficulty.
    path("care/", views_care.care_list, name="care"),
    path("care/people/<int:person_id>/new/", views_care.care_new, name="care_new"),
    path("care/<int:pk>/", views_care.care_detail, name="care_record"),
    # The leading group's dashboard and work ledger.
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("dashboard/ledger.xlsx", views_dashboard.ledger_xlsx, name="ledger_xlsx"),
    path("dashboard/ledger.pdf", views_dashboard.ledger_pdf, name="ledger_pdf"),
]
