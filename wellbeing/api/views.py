from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from wellbeing import policy, selectors, services
from wellbeing.api.errors import ErrorSerializer
from wellbeing.api.filters import OrgUnitFilter, PersonFilter
from wellbeing.api.pagination import StableCursorPagination
from wellbeing.api.permissions import SELECTOR_CHECKS, IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.serializers import OrgUnitSerializer, PersonSerializer, PersonWorkIdsInput
from wellbeing.api.sync import OrgUnitRecordSerializer, PersonRecordSerializer
from wellbeing.etags import etag_for
from wellbeing.models import OrgUnit, Person
from wellbeing.services import sync

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; field messages in `errors`."),
    401: OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed (missing scope or role)."),
}
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="Not found, or not visible to you.")}
PRECONDITION = {
    412: OpenApiResponse(ErrorSerializer, description="If-Match does not match the record's current ETag."),
}
ETAG_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "The ETag a GET of the record returned: the change applies only if the record has not changed since "
        "(else 412). Leave it out to write whatever the record holds now."
    ),
)


def with_etag(response: Response, instance) -> Response:
    response["ETag"] = etag_for(instance)
    return response


UNIT_EXAMPLE = {
    "id": 3,
    "code": "QX-TOWN-01",
    "name": "城关镇",
    "kind": "town",
    "is_active": True,
    "parent": 1,
    "depth": 2,
    "updated_at": "2026-11-01T09:30:00+08:00",
}
PERSON_EXAMPLE = {
    "external_id": "HR-000123",
    "full_name": "王静",
    "gender": "female",
    "date_of_birth": "1988-04-12",
    "work_start_date": "2010-07-01",
    "hire_date": "2015-03-01",
    "unit": 3,
    "unit_code": "QX-TOWN-01",
    "unit_name": "城关镇",
    "position": "科员",
    "status": "active",
    "left_on": None,
    "email": "wangjing@example.gov.cn",
    "phone": "13800000000",
    "manager": "HR-000045",
    "wecom_user_id": "WangJing",
    "dingtalk_user_id": "",
    "created_at": "2026-01-05T10:00:00+08:00",
    "updated_at": "2026-11-01T09:30:00+08:00",
}


def page_example(example: dict) -> dict:
    """A page of a list in the schema's examples (shared by every API list)."""
    return {"next": "https://tanxin.example/api/v1/...?cursor=cD0xMjM%3D", "previous": None, "results": [example]}


class OrgUnitCursorPagination(StableCursorPagination):
    ordering = ("path",)


@extend_schema_view(
    list=extend_schema(
        summary="List org units",
        description="The org tree in depth-first order. Needs a signed-in user or the `org:read` scope.",
        responses={200: OrgUnitSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("A page of units", value=page_example(UNIT_EXAMPLE), response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One org unit",
        responses={200: OrgUnitSerializer, **ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("A town", value=UNIT_EXAMPLE, response_only=True)],
    ),
)
class OrgUnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilter
    pagination_class = OrgUnitCursorPagination
    permission_classes = [IsAuthenticatedPrincipal, PolicyPermission]
    policy_actions = {"list": "org.view", "retrieve": "org.view", "update": "org.sync", "partial_update": "org.sync"}
    queryset = OrgUnit.objects.none()  # for the schema; real querysets come from the selector

    def retrieve(self, request, *args, **kwargs):
        unit = self.get_object()
        return with_etag(Response(self.get_serializer(unit).data), unit)

    def _write(self, request, partial: bool):
        pk = str(self.kwargs["pk"])
        unit = OrgUnit.objects.filter(pk=int(pk)).first() if pk.isascii() and pk.isdigit() and len(pk) < 18 else None
        if unit is None:
            raise Http404
        unit = sync.org_unit_put(
            actor=request.user, unit=unit, raw=request.data, if_match=request.headers.get("If-Match"), partial=partial
        )
        return with_etag(Response(self.get_serializer(unit).data), unit)

    @extend_schema(
        summary="Change an org unit (HR sync)",
        description=(
            "The bulk endpoint's record for one unit: name, kind, `parent` (a code; the unit moves with "
            "everything below it) and `is_active`. Its code cannot change. Needs `org:write`. With "
            "`If-Match` (the ETag of a GET) it applies only if the unit has not changed since, else 412."
        ),
        request=OrgUnitRecordSerializer,
        parameters=[ETAG_HEADER],
        responses={
            200: OrgUnitSerializer,
            **ERRORS,
            **NOT_FOUND,
            **PRECONDITION,
        },
        examples=[
            OpenApiExample("Rename a town", value={"name": "城关镇", "kind": "town", "parent": "C"}, request_only=True),
            OpenApiExample("The unit", value=UNIT_EXAMPLE, response_only=True),
        ],
    )
    def update(self, request, pk=None):
        return self._write(request, partial=False)

    @extend_schema(
        summary="Change some fields of an org unit (HR sync)",
        description="As PUT, with only the fields to change.",
        request=OrgUnitRecordSerializer(partial=True),
        parameters=[ETAG_HEADER],
        responses={200: OrgUnitSerializer, **ERRORS, **NOT_FOUND, **PRECONDITION},
        examples=[
            OpenApiExample("Take a unit out of use", value={"is_active": False}, request_only=True),
            OpenApiExample("The unit", value=UNIT_EXAMPLE, response_only=True),
        ],
    )
    def partial_update(self, request, pk=None):
        return self._write(request, partial=True)

    def get_queryset(self):
        return selectors.org_unit_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.org_unit_get_for_user(user=self.request.user, unit_id=self.kwargs["pk"])

    def get_serializer_context(self):
        context = super().get_serializer_context()
        # One query for every unit's parent id, whatever the page size.
        context["parent_ids"] = dict(OrgUnit.objects.filter(numchild__gt=0).values_list("path", "id"))
        return context


class PersonCursorPagination(StableCursorPagination):
    # Sync clients walk people in the order they changed: pass the last updated_at as updated_since.
    ordering = ("updated_at", "id")


@extend_schema_view(
    list=extend_schema(
        summary="List people",
        description=(
            "People visible to the caller: an HR system with the `people:read` scope sees all; a signed-in "
            "user sees what their roles allow. `unit` includes the units below it. Use `updated_since` for "
            "incremental sync."
        ),
        responses={200: PersonSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("A page of people", value=page_example(PERSON_EXAMPLE), response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One person, by the HR system's external ID",
        responses={200: PersonSerializer, **ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("A staff member", value=PERSON_EXAMPLE, response_only=True)],
    ),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    pagination_class = PersonCursorPagination
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"
    permission_classes = [IsAuthenticatedPrincipal, PolicyPermission]
    # Listing needs a directory role or scope; one record needs only visibility (the selector: 404 if not).
    # PATCH changes the work messaging ids alone: a rule to try at all, then the rule on the record.
    policy_actions = {
        "list": "person.directory",
        "retrieve": SELECTOR_CHECKS,
        "update": "person.sync",
        "partial_update": "person.set_work_ids",
    }
    policy_object_actions = {"partial_update": "person.set_work_ids"}

    def retrieve(self, request, *args, **kwargs):
        person = self.get_object()
        return with_etag(Response(self.get_serializer(person).data), person)

    def _read_back(self, person: Person, status: int = 200) -> Response:
        person = Person.objects.select_related("unit", "manager").get(pk=person.pk)
        return with_etag(Response(PersonSerializer(person).data, status=status), person)

    @extend_schema(
        summary="Create or replace one person by external ID (HR sync)",
        description=(
            "The bulk endpoint's record for one person (`unit`: a unit code, `manager`: an external ID); "
            "fields left out keep their value. Creates the person when the external ID is new (201). "
            "Needs `people:write`. With `If-Match` (the ETag of a GET) it applies only if the person has "
            "not changed since, else 412."
        ),
        request=PersonRecordSerializer,
        parameters=[ETAG_HEADER],
        responses={
            200: PersonSerializer,
            201: PersonSerializer,
            **ERRORS,
            **PRECONDITION,
        },
        examples=[
            OpenApiExample(
                "A staff member's record",
                value={
                    "external_id": "HR-000123",
                    "full_name": "王静",
                    "unit": "QX-TOWN-01",
                    "manager": "HR-000045",
                    "position": "科员",
                    "phone": "13800000000",
                },
                request_only=True,
            ),
            OpenApiExample("The person", value=PERSON_EXAMPLE, response_only=True),
        ],
    )
    def update(self, request, external_id=None):
        person, created = sync.person_put(
            actor=request.user,
            external_id=self.kwargs["external_id"],
            raw=request.data,
            if_match=request.headers.get("If-Match"),
        )
        return self._read_back(person, 201 if created else 200)

    def get_queryset(self):
        return selectors.person_list_for_user(user=self.request.user)

    def get_object(self):
        person = selectors.person_get_for_user(user=self.request.user, external_id=self.kwargs["external_id"])
        self.check_object_permissions(self.request, person)  # policy_object_actions
        return person

    @extend_schema(
        summary="Change some fields of a person",
        description=(
            "An HR system with `people:write`: any field of the sync record (`unit` a unit code, `manager` an "
            "external ID); leaving, a new unit or a new manager go through the same lifecycle as in the admin. "
            "A signed-in HR officer (people in their units) or administrator: only `wecom_user_id` and "
            "`dingtalk_user_id`; any other field is a 400, and an empty string removes an id. An id another "
            "person already has is a 400 on that field. With `If-Match` (the ETag of a GET) it applies "
            "only if the person has not changed since, else 412. Audited."
        ),
        request=PersonRecordSerializer(partial=True),
        parameters=[ETAG_HEADER],
        responses={200: PersonSerializer, **ERRORS, **NOT_FOUND, **PRECONDITION},
        examples=[
            OpenApiExample(
                "Set the WeCom id", value={"wecom_user_id": "WangJing", "dingtalk_user_id": ""}, request_only=True
            ),
            OpenApiExample("The person", value=PERSON_EXAMPLE, response_only=True),
        ],
    )
    def partial_update(self, request, external_id=None):
        if policy.can(request.user, "person.sync"):
            try:
                person, _created = sync.person_put(
                    actor=request.user,
                    external_id=self.kwargs["external_id"],
                    raw=request.data,
                    if_match=request.headers.get("If-Match"),
                    partial=True,
                )
            except Person.DoesNotExist:
                raise Http404 from None
            return self._read_back(person)
        person = self.get_object()
        data = PersonWorkIdsInput(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_set_work_ids(
            actor=request.user, person=person, if_match=request.headers.get("If-Match"), **data.validated_data
        )
        return self._read_back(person)
