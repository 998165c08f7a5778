"""The dashboard's figures as JSON: GET /api/v1/programme/figures/ (the leading group, signed in;
never an API client). The same suppressed figures as the page and the work ledger
(``programme.selectors.dashboard``); a hidden figure is null."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from programme.selectors.dashboard import dashboard_for
from wellbeing.api.permissions import IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.views import ERRORS, NOT_FOUND


class FiguresQuery(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    unit = serializers.IntegerField(required=False, min_value=1, max_value=2**62)

    def validate_year(self, value):
        if value > timezone.localdate().year:
            raise serializers.ValidationError(_("Give this year or an earlier one."))
        return value


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    is_sum = serializers.BooleanField()


class RowSerializer(serializers.Serializer):
    unit = serializers.IntegerField(allow_null=True, source="unit_id", help_text="The unit's id; null for all units.")
    label = serializers.CharField()
    depth = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["total", "unit", "direct"])
    values = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Column key -> number of people; null where the figure is not shown (under k, or one it "
        "could be worked out from).",
    )


class AreaSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    explanation = serializers.CharField(source="dimension.explanation")
    available = serializers.BooleanField(help_text="False for an area describing the present, in a past year.")
    columns = ColumnSerializer(many=True)
    rows = RowSerializer(many=True)


class FiguresSerializer(serializers.Serializer):
    year = serializers.IntegerField(source="period.year")
    unit = serializers.IntegerField(source="unit.pk", allow_null=True, default=None)
    k = serializers.IntegerField(help_text="The smallest group a figure may describe.")
    areas = AreaSerializer(many=True, source="tables")


EXAMPLE = {
    "year": 2026,
    "unit": None,
    "k": 5,
    "areas": [
        {
            "key": "talks.coverage",
            "title": "Heart-to-heart talks",
            "explanation": "People who took part in at least one talk this year.",
            "available": True,
            "columns": [
                {"key": "staff", "label": "Staff", "is_sum": False},
                {"key": "talks.coverage:none", "label": "no talk this year", "is_sum": False},
                {"key": "talks.coverage:talked", "label": "talked to this year", "is_sum": False},
            ],
            "rows": [
                {
                    "unit": 1,
                    "label": "County",
                    "depth": 0,
                    "kind": "unit",
                    "values": {"staff": 271, "talks.coverage:none": 112, "talks.coverage:talked": 159},
                },
                {
                    "unit": 7,
                    "label": "Town A",
                    "depth": 1,
                    "kind": "unit",
                    "values": {"staff": 32, "talks.coverage:none": None, "talks.coverage:talked": None},
                },
            ],
        }
    ],
}


class FiguresView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, PolicyPermission]
    policy_actions = {"get": "programme.dashboard"}

    @extend_schema(
        summary="The programme's figures (the leading group's dashboard)",
        description=(
            "Counts of people by unit for a year, in every area of the dashboard (talks, overdue follow-ups, "
            "the check-up, open cases by risk, leave, rest-day work, activities, care). Every figure is over at "
            "least `k` people, and no figure shown lets one work out a hidden one; a hidden figure is null. "
            "`unit` narrows the rows to a unit and the units directly below it (the same figures as the whole "
            "table). For members of the leading group, signed in; everyone else, API clients included, 403. "
            "An unknown unit is a 404; a year in the future or before 2000 a 400."
        ),
        parameters=[
            OpenApiParameter("year", int, description="The year (default: this year)."),
            OpenApiParameter("unit", int, description="A unit's id (default: all units)."),
        ],
        responses={200: FiguresSerializer, **ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("Talks (part)", value=EXAMPLE, response_only=True)],
    )
    def get(self, request):
        query = FiguresQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        board = dashboard_for(
            user=request.user, year=query.validated_data.get("year"), unit_id=query.validated_data.get("unit")
        )
        return Response(FiguresSerializer(board).data)
