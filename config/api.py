"""The REST API router: /api/v1/..."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from cases.api import CaseViewSet, ReferralViewSet
from leave.api import BalancesView, HolidaysView, LeaveRequestViewSet, LeaveTypesView, LedgerView, WorkingDaysView
from leave.api_sync import SyncLeaveView
from programme.api import FiguresView
from talks.api import TalkViewSet
from wellbeing.api.followups import FollowUpViewSet
from wellbeing.api.sync import ChangesView, SyncOrgUnitsView, SyncPeopleView
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
# "leave:request" is the request's page: the API's names are leave-request-list / -detail / -decide / -cancel.
router.register("leave/requests", LeaveRequestViewSet, basename="leave-request")

urlpatterns = [
    *router.urls,
    path("sync/org-units/", SyncOrgUnitsView.as_view(), name="sync-org-units"),
    path("sync/people/", SyncPeopleView.as_view(), name="sync-people"),
    path("sync/leave/", SyncLeaveView.as_view(), name="sync-leave"),
    path("changes/", ChangesView.as_view(), name="changes"),
    path("leave/types/", LeaveTypesView.as_view(), name="leave-types"),
    path("leave/balances/", BalancesView.as_view(), name="leave-balances"),
    path("leave/ledger/", LedgerView.as_view(), name="leave-ledger"),
    path("leave/working-days/", WorkingDaysView.as_view(), name="leave-working-days"),
    path("leave/holidays/", HolidaysView.as_view(), name="leave-holidays"),
    path("programme/figures/", FiguresView.as_view(), name="programme-figures"),
]
