"""Screening pages, under /screening/ (namespace ``screening``): a person's own screening (consent,
questionnaires, results), the counselling team's (results, trajectories, the on-call rota) and
check-ups (campaigns)."""

from wellbeing.screening import urls_campaigns, urls_counsel, urls_staff

app_name = "screening"

urlpatterns = [*urls_staff.urlpatterns, *urls_counsel.urlpatterns, *urls_campaigns.urlpatterns]
