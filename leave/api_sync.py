"""``POST /api/v1/sync/leave/``: leave an HR system recorded as taken (issue 12, item 5).

The envelope and the answer are the core's sync endpoints' (wellbeing/api/sync.py): ``{"records":
[...]}`` in, ``{"created", "updated", "unchanged", "errors": [{"index", "external_id", "errors"}]}``
out, valid records applied and invalid ones reported in one transaction per call. Leave is never
synced in full, so ``full: true`` (or a ``run``) is a 400. The rules are in leave/services/hr.py.

As for the core's endpoints, the record serializer documents the contract in the OpenAPI schema; the
service checks each record itself, so that one bad record is reported without refusing the batch.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from leave import services
from leave.services.hr import RECORD_STATUSES
from wellbeing import policy
from wellbeing.api.permissions import IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.sync import ERRORS, SyncResultSerializer


class LeaveSyncPermission(PolicyPermission):
    """``PolicyPermission``, saying which scope pushing leave needs."""

    message = _("Only an HR system whose token has the leave:write scope can record leave here.")


class LeaveRecordSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=64, help_text=_("The HR system's ID for this leave record (its key; your client's own).")
    )
    person = serializers.CharField(max_length=64, help_text=_("The person's external ID."))
    leave_type = serializers.CharField(max_length=32, help_text=_("A leave type's code (GET /api/v1/leave/types/)."))
    start_date = serializers.DateField(help_text=_("The first day (YYYY-MM-DD)."))
    end_date = serializers.DateField(help_text=_("The last day (YYYY-MM-DD)."))
    start_pm = serializers.BooleanField(required=False, default=False, help_text=_("The first day from the afternoon."))
    end_am = serializers.BooleanField(required=False, default=False, help_text=_("The last day until noon."))
    status = serializers.ChoiceField(
        choices=RECORD_STATUSES,
        required=False,
        default="taken",
        help_text=_(
            "taken (the default): recorded as approved leave; cancelled: withdraws the record sent earlier "
            "(only external_id is then read)."
        ),
    )


BODY = inline_serializer(
    name="LeaveSyncBody",
    fields={
        "records": serializers.ListField(child=LeaveRecordSerializer(), max_length=5000),
        "full": serializers.BooleanField(
            required=False, default=False, help_text=_("Must be false (or left out): leave is never synced in full.")
        ),
    },
)

EXAMPLE_ANSWER = {
    "created": 2,
    "updated": 1,
    "unchanged": 40,
    "errors": [
        {
            "index": 3,
            "external_id": "LV-2026-0415",
            "errors": {
                "start_date": [
                    "These dates clash with L-000123 (2026-11-02 – 2026-11-04, approved) in Tanxin: nothing was "
                    "recorded. Cancel one of them, then send the record again."
                ]
            },
        },
        {
            "index": 7,
            "external_id": "LV-2026-0419",
            "errors": {"days": ["Not enough days left: 2 more than the balance."]},
        },
    ],
}


class SyncLeaveView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, LeaveSyncPermission]
    policy_actions = {"post": "leave.sync"}

    @extend_schema(
        summary="Record leave taken elsewhere (HR sync)",
        description=(
            "Up to 5,000 records keyed by `external_id`, your system's ID for each leave record. A record "
            "becomes approved leave in Tanxin (origin `hr`); its days are counted by the holiday calendar and, "
            "for a type with a balance, drawn from the ledger. A record that would take more than the "
            "balance is reported on `days` and not recorded; one whose dates clash with leave approved or "
            "waiting in Tanxin is reported on `start_date`, naming that request (`L-000123`), and not "
            "recorded - never merged. The same record again changes nothing; a changed record cancels the "
            "leave recorded for it (its days come back) and records the new one; `status: cancelled` "
            "withdraws it. Valid records are applied and invalid ones reported, in one transaction per call. "
            "Needs `leave:write`. Send an `Idempotency-Key` to retry safely."
        ),
        request=BODY,
        responses={200: SyncResultSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Leave taken, and a record withdrawn",
                value={
                    "records": [
                        {
                            "external_id": "LV-2026-0412",
                            "person": "HR-000123",
                            "leave_type": "annual",
                            "start_date": "2026-11-02",
                            "end_date": "2026-11-04",
                        },
                        {
                            "external_id": "LV-2026-0413",
                            "person": "HR-000045",
                            "leave_type": "sick",
                            "start_date": "2026-11-05",
                            "end_date": "2026-11-05",
                            "start_pm": True,
                        },
                        {"external_id": "LV-2026-0398", "status": "cancelled"},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample("The answer", value=EXAMPLE_ANSWER, response_only=True),
        ],
    )
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"records": [_('Send an object: {"records": [...]}.')]})
        result = services.sync_leave(
            actor=request.user,
            client=policy.access_for(request.user).api_client,
            records=data.get("records"),
            full=data.get("full", False),
            run=data.get("run"),
        )
        return Response(result.as_dict())
