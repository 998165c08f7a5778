"""One case's page and its actions: /cases/<pk>/... (names in the "cases" namespace)."""

from django.urls import path

from cases import views_case, views_case_actions, views_case_notes

urlpatterns = [
    path("<int:pk>/", views_case.case_detail, name="detail"),
    path("<int:pk>/notes/", views_case_notes.note_add, name="note-add"),
    path("<int:pk>/notes/<int:note_pk>/edit/", views_case_notes.note_edit, name="note-edit"),
    path("<int:pk>/notes/<int:note_pk>/addendum/", views_case_notes.note_addendum, name="note-addendum"),
    path("<int:pk>/next-contact/", views_case_notes.next_contact, name="next-contact"),
    path("<int:pk>/safety-plan/", views_case_notes.safety_plan, name="safety-plan"),
    path("<int:pk>/safety-plan/print/", views_case_notes.safety_plan_print, name="safety-plan-print"),
    path("<int:pk>/risk/", views_case_actions.risk, name="risk"),
    path("<int:pk>/status/", views_case_actions.status, name="status"),
    path("<int:pk>/flags/", views_case_actions.flag, name="flag"),
    path("<int:pk>/flags/<int:flag_pk>/clear/", views_case_actions.flag_clear, name="flag-clear"),
    path("<int:pk>/interventions/", views_case_actions.intervention_add, name="intervention-add"),
    path(
        "<int:pk>/interventions/<int:intervention_pk>/",
        views_case_actions.intervention_update,
        name="intervention-update",
    ),
    path("<int:pk>/transfer/", views_case_actions.transfer, name="transfer"),
    path("<int:pk>/transfer/accept/", views_case_actions.transfer_accept, name="transfer-accept"),
    path("<int:pk>/transfer/decline/", views_case_actions.transfer_decline, name="transfer-decline"),
    path("<int:pk>/transfer/cancel/", views_case_actions.transfer_cancel, name="transfer-cancel"),
    path("<int:pk>/rescreen/", views_case_actions.rescreen, name="rescreen"),
    path("<int:pk>/closure/", views_case_actions.closure_request, name="closure-request"),
    path("<int:pk>/closure/approve/", views_case_actions.closure_approve, name="closure-approve"),
    path("<int:pk>/closure/refuse/", views_case_actions.closure_refuse, name="closure-refuse"),
    path("<int:pk>/reopen/", views_case_actions.reopen, name="reopen"),
]
