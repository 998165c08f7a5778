"""The HR sync endpoints: bulk upsert of org units and people, and the change feed.

``POST /api/v1/sync/org-units/`` (``org:write``) and ``POST /api/v1/sync/people/`` (``people:write``)
take ``{"records": [...], "full": false, "run": null}`` and answer ``{"created", "updated",
"unchanged", "errors": [{"index", "external_id", "errors": {field: [...]}}]}``; the rules are in
wellbeing/services/sync.py. ``GET /api/v1/changes/`` reads the feed (wellbeing/selectors_changes.py).

The record serializers here document the contract in the OpenAPI schema. The endpoints do not run
them: 5,000 records go through the service's own checks, which give the same field messages per
record far faster, and report each record apart instead of refusing the batch.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from wellbeing import policy
from wellbeing.api.errors import ErrorSerializer
from wellbeing.api.permissions import IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.models import ChangeEntry, OrgUnit, Person
from wellbeing.rules import FEED_SCOPES
from wellbeing.selectors_changes import MAX_LIMIT, changes_page, encode_cursor
from wellbeing.services import sync

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="The body is not a sync body (field messages in `errors`)."),
    401: OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed (the scope is missing)."),
}


class OrgUnitRecordSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text=_("The unit's key in the HR system (its external ID)."))
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=OrgUnit.Kind.choices)
    parent = serializers.CharField(
        max_length=64, allow_null=True, required=False, help_text=_("The parent unit's code; null for a top unit.")
    )
    is_active = serializers.BooleanField(required=False, help_text=_("false: out of use (units are never deleted)."))


class PersonRecordSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    full_name = serializers.CharField(max_length=100)
    unit = serializers.CharField(
        max_length=64,
        help_text=_("The unit's code, as GET /api/v1/org-units/ shows it (its integer id is accepted too)."),
    )
    manager = serializers.CharField(
        max_length=64, allow_null=True, required=False, help_text=_("The manager's external ID; null for none.")
    )
    gender = serializers.ChoiceField(choices=Person.Gender.choices, required=False)
    date_of_birth = serializers.DateField(allow_null=True, required=False)
    work_start_date = serializers.DateField(allow_null=True, required=False)
    hire_date = serializers.DateField(allow_null=True, required=False)
    position = serializers.CharField(max_length=120, allow_blank=True, required=False)
    status = serializers.ChoiceField(
        choices=Person.Status.choices, required=False, help_text=_("left: marked left (never deleted).")
    )
    left_on = serializers.DateField(
        allow_null=True,
        required=False,
        help_text=_("null: the status decides (today for someone leaving now; kept for someone who left)."),
    )
    email = serializers.CharField(max_length=254, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=32, allow_blank=True, required=False)
    wecom_user_id = serializers.CharField(max_length=64, allow_blank=True, required=False)
    dingtalk_user_id = serializers.CharField(max_length=64, allow_blank=True, required=False)


def sync_body(name: str, record) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "records": serializers.ListField(child=record, max_length=5000),
            "full": serializers.BooleanField(
                required=False,
                default=False,
                help_text=_(
                    "true: this call (or, with run, the calls of the run) holds everyone; people missing "
                    "are marked left, units missing taken out of use."
                ),
            ),
            "run": serializers.CharField(
                required=False,
                allow_null=True,
                max_length=64,
                help_text=_("A full sync over several calls: the same run id on each; the last says full: true."),
            ),
        },
    )


class RecordErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("The record's position in `records`, from 0."))
    external_id = serializers.CharField(allow_null=True, help_text=_("The record's key, when it had one."))
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class SyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = RecordErrorSerializer(many=True)


RESULT_EXAMPLE = {
    "created": 997,
    "updated": 0,
    "unchanged": 0,
    "errors": [
        {"index": 17, "external_id": "HR-000140", "errors": {"unit": ["Give the code of an existing org unit."]}}
    ],
}


def _body(request) -> tuple[object, object, object]:
    data = request.data
    if not isinstance(data, dict):
        raise ValidationError({"records": [_('Send an object: {"records": [...], "full": false}.')]})
    return data.get("records"), data.get("full", False), data.get("run")


def _client(request):
    return policy.access_for(request.user).api_client


class SyncPeopleView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, PolicyPermission]
    policy_actions = {"post": "person.sync"}

    @extend_schema(
        summary="Create or update people in bulk (HR sync)",
        description=(
            "Up to 5,000 records keyed by `external_id`; `unit` is the unit's code and `manager` an external ID, "
            "in any order within the batch. Valid records are applied and invalid ones reported, in one "
            "transaction per call. Fields a record leaves out keep their value. Unchanged records write "
            "nothing. Leaving, a new unit or a new manager go through the same lifecycle as in the admin. "
            "Needs `people:write`. Send an `Idempotency-Key` to retry safely."
        ),
        request=sync_body("PeopleSyncBody", PersonRecordSerializer()),
        responses={200: SyncResultSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Two people",
                value={
                    "records": [
                        {"external_id": "HR-000045", "full_name": "李强", "unit": "QX-TOWN-01", "manager": None},
                        {"external_id": "HR-000123", "full_name": "王静", "unit": "QX-TOWN-01", "manager": "HR-000045"},
                    ],
                    "full": False,
                },
                request_only=True,
            ),
            OpenApiExample("The answer", value=RESULT_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request):
        records, full, run = _body(request)
        result = sync.sync_people(actor=request.user, records=records, full=full, run=run, client=_client(request))
        return Response(result.as_dict())


class SyncOrgUnitsView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, PolicyPermission]
    policy_actions = {"post": "org.sync"}

    @extend_schema(
        summary="Create or update org units in bulk (HR sync)",
        description=(
            "Up to 5,000 records keyed by `code` (the unit's external ID; `external_id` is accepted as its "
            "other name); `parent` is the parent's code, in any order within the batch. A unit whose parent "
            "changes moves with everything below it. Units are never deleted: `is_active: false`, or missing "
            "from a full sync, takes one out of use. Needs `org:write`."
        ),
        request=sync_body("OrgUnitsSyncBody", OrgUnitRecordSerializer()),
        responses={200: SyncResultSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "A county and a town",
                value={
                    "records": [
                        {"code": "QX-TOWN-01", "name": "城关镇", "kind": "town", "parent": "QX"},
                        {"code": "QX", "name": "清溪县", "kind": "county", "parent": None},
                    ],
                    "full": False,
                },
                request_only=True,
            ),
            OpenApiExample("The answer", value={**RESULT_EXAMPLE, "created": 2, "errors": []}, response_only=True),
        ],
    )
    def post(self, request):
        records, full, run = _body(request)
        result = sync.sync_org_units(actor=request.user, records=records, full=full, run=run, client=_client(request))
        return Response(result.as_dict())


class ChangeSerializer(serializers.Serializer):
    cursor = serializers.CharField(help_text=_("This line's position: resume after it."))
    stream = serializers.ChoiceField(choices=ChangeEntry.Stream.choices)
    type = serializers.CharField(help_text=_("person, org_unit, leave_request or leave_ledger_entry"))
    key = serializers.CharField(help_text=_("The record's key: external ID, unit code, L-000123, E-000045."))
    op = serializers.ChoiceField(choices=ChangeEntry.Op.choices)
    data = serializers.DictField(help_text=_("The record as it was after the change."))
    changed_at = serializers.DateTimeField()


class ChangesPageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_cursor = serializers.CharField(help_text=_("Pass it as `cursor` next time (store it after each page)."))
    has_more = serializers.BooleanField()


class ChangesView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, PolicyPermission]
    policy_actions = {"get": "changes.read"}

    @extend_schema(
        summary="What changed since a cursor (people, org units, leave)",
        description=(
            "Lines in the order they are final, each with its own `cursor`. Resume with the last cursor you "
            "stored: no line is ever skipped, even one a slower transaction committed late. A person who "
            "left, a unit taken out of use and cancelled leave are `tombstone` lines. `streams` defaults "
            "to every stream the token's scopes cover (people: `people:read`; org-units: `org:read`; "
            "leave: `leave:read`); asking for another is a 403."
        ),
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="Where the last page ended; empty: the start."),
            OpenApiParameter(
                "streams",
                OpenApiTypes.STR,
                description="Comma-separated: people, org-units, leave (default: all yours).",
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"Lines per page, 1 to {MAX_LIMIT} (default 500)."),
        ],
        responses={200: ChangesPageSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "A page",
                value={
                    "results": [
                        {
                            "cursor": "YzE6NzQxOjEwMjQ",
                            "stream": "people",
                            "type": "person",
                            "key": "HR-000123",
                            "op": "upsert",
                            "data": {
                                "external_id": "HR-000123",
                                "full_name": "王静",
                                "unit": "QX-TOWN-01",
                                "manager": "HR-000045",
                                "status": "active",
                                "updated_at": "2026-11-01T09:30:00+08:00",
                            },
                            "changed_at": "2026-11-01T09:30:00+08:00",
                        },
                        {
                            "cursor": "YzE6NzQ1OjEwMzA",
                            "stream": "people",
                            "type": "person",
                            "key": "HR-000077",
                            "op": "tombstone",
                            "data": {"external_id": "HR-000077", "status": "left", "left_on": "2026-10-31"},
                            "changed_at": "2026-11-01T10:02:00+08:00",
                        },
                    ],
                    "next_cursor": "YzE6NzQ1OjEwMzA",
                    "has_more": False,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        raw = request.query_params.get("streams")
        if raw:
            streams = sorted({s.strip() for s in raw.split(",") if s.strip()})
            unknown = [s for s in streams if s not in FEED_SCOPES]
            if unknown or not streams:
                raise ValidationError({"streams": [_("Give streams from: people, org-units, leave.")]})
            refused = [s for s in streams if not policy.can(request.user, "changes.read", s)]
            if refused:
                raise PermissionDenied(_("Your token's scopes do not cover: %(s)s.") % {"s": ", ".join(refused)})
        else:
            streams = [s for s in FEED_SCOPES if policy.can(request.user, "changes.read", s)]
        try:
            limit = int(request.query_params.get("limit", 500))
        except ValueError:
            raise ValidationError({"limit": [_("Give a whole number.")]}) from None
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({"limit": [_("Give 1 to %(n)d.") % {"n": MAX_LIMIT}]})
        page = changes_page(streams=streams, cursor=request.query_params.get("cursor"), limit=limit)
        return Response(
            {
                "results": [
                    {
                        "cursor": encode_cursor(line.txid, line.id),
                        "stream": line.stream,
                        "type": line.type,
                        "key": line.key,
                        "op": line.op,
                        "data": line.data,
                        "changed_at": timezone.localtime(line.created_at).isoformat(),
                    }
                    for line in page.lines
                ],
                "next_cursor": page.next_cursor,
                "has_more": page.has_more,
            }
        )
