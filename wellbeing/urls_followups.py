from django.urls import path

from wellbeing.views import followups

app_name = "followups"

urlpatterns = [
    path("", followups.my_followups, name="mine"),
    path("team/", followups.team_followups, name="team"),
    path("<int:pk>/", followups.followup_detail, name="detail"),
    path("<int:pk>/complete/", followups.followup_complete, name="complete"),
    path("<int:pk>/snooze/", followups.followup_snooze, name="snooze"),
    path("<int:pk>/acknowledge/", followups.followup_acknowledge, name="acknowledge"),
    path("<int:pk>/set-aside/", followups.followup_set_aside, name="set_aside"),
]
