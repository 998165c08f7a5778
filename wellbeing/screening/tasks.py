"""Check-up tasks: thin, named, time-limited wrappers that call services (schedules live in
config/celery.py). Each is idempotent: a second beat or a re-delivered task changes nothing."""

from celery import shared_task

from wellbeing.actors import task_actor
from wellbeing.models import ScreeningCampaign
from wellbeing.screening import campaigns, services


@shared_task(name="wellbeing.screening_open_campaigns", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def screening_open_campaigns() -> None:
    """Daily: invite the people of every open check-up who are not invited yet; cancel the
    invitations left open by check-ups that have closed."""
    campaigns.campaigns_daily(actor=task_actor("wellbeing.screening_open_campaigns"))


@shared_task(name="wellbeing.screening_invite_campaign", ignore_result=True, time_limit=900, soft_time_limit=840)
def screening_invite_campaign(campaign_id: int) -> None:
    """Invite a check-up's people now (queued when a check-up that opens today is set up). Re-checks
    that the check-up exists and is open; people invited already are skipped."""
    campaign = ScreeningCampaign.objects.filter(pk=campaign_id).first()
    if campaign is not None:
        campaigns.campaign_invite(actor=task_actor("wellbeing.screening_invite_campaign"), campaign=campaign)


@shared_task(name="wellbeing.screening_purge_expired", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def screening_purge_expired() -> None:
    """Daily: delete results kept longer than SCREENING_RETENTION_DAYS (PIPL §19)."""
    services.screenings_purge_expired(actor=task_actor("wellbeing.screening_purge_expired"))
