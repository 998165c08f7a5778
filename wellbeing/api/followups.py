"""/api/v1/follow-ups/: the signed-in user's follow-ups (and their team's), with complete and snooze.

Not reachable by API clients: no scope covers follow-ups.
"""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from wellbeing import policy, selectors, services
from wellbeing.api.permissions import IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.serializers import DATETIME_HELP, OrgDateTimeField
from wellbeing.api.views import ERRORS, NOT_FOUND, page_example
from wellbeing.models import FollowUp, Tier


class FollowUpSerializer(serializers.ModelSerializer):
    # In the request's language (Accept-Language): a system-made title is worded when it is read.
    title = serializers.CharField(source="display_title", read_only=True)
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    person = serializers.SlugRelatedField(slug_field="external_id", read_only=True, allow_null=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "title",
            "kind",
            "tier",
            "status",
            "due_at",
            "snoozed_until",
            "snooze_reason",
            "acknowledged_at",
            "completed_at",
            "owner",
            "person",
            "is_overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_overdue(self, f: FollowUp) -> bool:
        return f.is_active and f.anchor_at < timezone.now()


class CompleteInput(serializers.Serializer):
    outcome = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SnoozeInput(serializers.Serializer):
    until = OrgDateTimeField(
        help_text=format_lazy("{} {}", _("Remind again from this time; within the snooze limit."), DATETIME_HELP)
    )
    reason = serializers.CharField(max_length=200)


class FollowUpFilterInput(serializers.Serializer):
    bucket = serializers.ChoiceField(choices=selectors.BUCKETS, required=False)
    kind = serializers.ChoiceField(choices=FollowUp.Kind.choices, required=False)
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    team = serializers.BooleanField(required=False, default=False)


EXAMPLE = {
    "id": 42,
    "title": "与李明谈心",
    "kind": "talk_due",
    "tier": "routine",
    "status": "open",
    "due_at": "2026-03-03T10:00:00+08:00",
    "snoozed_until": None,
    "snooze_reason": "",
    "acknowledged_at": None,
    "completed_at": None,
    "owner": "zhangsan",
    "person": "HR-000123",
    "is_overdue": True,
    "created_at": "2026-02-01T09:00:00+08:00",
    "updated_at": "2026-02-01T09:00:00+08:00",
}
FILTERS = [
    OpenApiParameter("bucket", str, enum=list(selectors.BUCKETS), description="overdue, today, upcoming or done"),
    OpenApiParameter("kind", str, enum=FollowUp.Kind.values),
    OpenApiParameter("tier", str, enum=Tier.values),
    OpenApiParameter("team", bool, description="My team's items instead of mine (supervisors, lead counsellor)"),
]


@extend_schema_view(
    list=extend_schema(
        summary="My follow-ups",
        parameters=FILTERS,
        responses={200: FollowUpSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("A page of follow-ups", value=page_example(EXAMPLE), response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One follow-up",
        responses={200: FollowUpSerializer, **ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("A follow-up", value=EXAMPLE, response_only=True)],
    ),
)
class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FollowUpSerializer
    permission_classes = [IsAuthenticatedPrincipal, PolicyPermission]
    # Reads: one's own follow-ups (and the team's, below), the selector answering 404 for others'.
    # complete/snooze are writes: the same view-level rule, then "followup.manage" on the record.
    policy_actions = {
        "list": "followup.mine",
        "retrieve": "followup.mine",
        "complete": "followup.mine",
        "snooze": "followup.mine",
    }
    policy_object_actions = {"complete": "followup.manage", "snooze": "followup.manage"}
    filter_backends = []
    queryset = FollowUp.objects.none()

    def get_queryset(self):
        data = {}
        if self.action == "list":
            params = FollowUpFilterInput(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            data = params.validated_data
            if data.get("team") and not policy.can(self.request.user, "followup.team"):
                raise PermissionDenied
        filters = selectors.FollowUpFilters(
            bucket=data.get("bucket"), kind=data.get("kind"), tier=data.get("tier"), owner_is_me=not data.get("team")
        )
        return selectors.followup_list_for_user(user=self.request.user, filters=filters, team=bool(data.get("team")))

    def get_object(self):
        followup = selectors.followup_get_for_user(user=self.request.user, followup_id=self.kwargs["pk"])
        self.check_object_permissions(self.request, followup)  # policy_object_actions
        return followup

    @extend_schema(
        summary="Mark a follow-up done",
        request=CompleteInput,
        responses={200: FollowUpSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("Done, with an outcome", value={"outcome": "已谈，情况稳定"}, request_only=True),
            OpenApiExample("The follow-up", value=EXAMPLE | {"status": "done"}, response_only=True),
        ],
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        followup = self.get_object()
        data = CompleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        followup = services.followup_complete(actor=request.user, followup=followup, **data.validated_data)
        return Response(FollowUpSerializer(followup).data)

    @extend_schema(
        summary="Snooze a follow-up",
        request=SnoozeInput,
        responses={200: FollowUpSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Until Friday morning",
                value={"until": "2026-11-27T09:00:00+08:00", "reason": "对方出差"},
                request_only=True,
            ),
            OpenApiExample("The follow-up", value=EXAMPLE | {"status": "snoozed"}, response_only=True),
        ],
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        followup = self.get_object()
        data = SnoozeInput(data=request.data)
        data.is_valid(raise_exception=True)
        followup = services.followup_snooze(actor=request.user, followup=followup, **data.validated_data)
        return Response(FollowUpSerializer(followup).data)
