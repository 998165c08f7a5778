from django.urls import path

from wellbeing.views import access_request, followups, health, pages, referrals, roles, work_ids

urlpatterns = [
    path("", pages.home, name="home"),
    path("people/", pages.person_directory, name="people"),
    path("people/<str:external_id>/", pages.person_detail, name="person"),
    path("me/records/", pages.my_records, name="my-records"),
    path("me/records/export/", access_request.my_records_export, name="my-records-export"),
    path("inbox/", followups.inbox, name="inbox"),
    path("inbox/read/", followups.inbox_mark_read, name="inbox-read"),
    path("health/", health.health, name="health"),
    path("referrals/", referrals.referral_list, name="referrals"),
    path("referrals/<int:pk>/", referrals.referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/acknowledge/", referrals.referral_acknowledge, name="referral-acknowledge"),
    path("referrals/<int:pk>/take-in/", referrals.referral_take_in, name="referral-take-in"),
    path("referrals/<int:pk>/close/", referrals.referral_close, name="referral-close"),
    path("people/<str:external_id>/refer/", referrals.referral_new, name="referral-new"),
    path("people/<str:external_id>/work-ids/", work_ids.person_work_ids, name="person-work-ids"),
    path(
        "people/<str:external_id>/access-request/",
        access_request.person_access_request,
        name="person-access-request",
    ),
    path("roles/pending/", roles.roles_pending, name="roles-pending"),
    path("roles/<int:pk>/confirm/", roles.role_confirm, name="role-confirm"),
    path("roles/<int:pk>/refuse/", roles.role_refuse, name="role-refuse"),
]
