"""The REST API router: /api/v1/..."""

from rest_framework.routers import DefaultRouter

from cases.api import CaseViewSet, ReferralViewSet
from talks.api import TalkViewSet
from wellbeing.api.followups import FollowUpViewSet
from wellbeing.api.views import OrgUnitViewSet, PersonViewSet
from wellbeing.screening.api import InstrumentViewSet, ScreeningViewSet


class Router(DefaultRouter):
    include_root_view = False


router = Router(trailing_slash=True)
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("people", PersonViewSet, basename="person")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")
router.register("talks", TalkViewSet, basename="talk")
router.register("screenings", ScreeningViewSet, basename="screening")
router.register("instruments", InstrumentViewSet, basename="instrument")
router.register("cases", CaseViewSet, basename="case")
# "referral-detail" is the referral's page: the API's names are api-referral-list / -detail.
router.register("referrals", ReferralViewSet, basename="api-referral")

urlpatterns = router.urls
