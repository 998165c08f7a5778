from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from wellbeing import selectors, services
from wellbeing.api.errors import ErrorSerializer
from wellbeing.api.filters import OrgUnitFilter, PersonFilter
from wellbeing.api.pagination import StableCursorPagination
from wellbeing.api.permissions import SELECTOR_CHECKS, IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.serializers import OrgUnitSerializer, PersonSerializer, PersonWorkIdsInput
from wellbeing.models import OrgUnit

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; field messages in `errors`."),
    401: OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed (missing scope or role)."),
}
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="Not found, or not visible to you.")}

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
    policy_actions = {"list": "org.view", "retrieve": "org.view"}
    queryset = OrgUnit.objects.none()  # for the schema; real querysets come from the selector

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
        "partial_update": "person.set_work_ids",
    }
    policy_object_actions = {"partial_update": "person.set_work_ids"}

    def get_queryset(self):
        return selectors.person_list_for_user(user=self.request.user)

    def get_object(self):
        person = selectors.person_get_for_user(user=self.request.user, external_id=self.kwargs["external_id"])
        self.check_object_permissions(self.request, person)  # policy_object_actions
        return person

    @extend_schema(
        summary="Set a person's WeCom / DingTalk user ids",
        description=(
            "Only `wecom_user_id` and `dingtalk_user_id` can be changed; any other field is a 400. An empty "
            "string removes an id. Needs the `people:write` scope (and `people:read` to find the person), or "
            "a signed-in HR officer for people in their units, or an administrator. An id another person "
            "already has is a 400 on that field. The change is audited."
        ),
        request=PersonWorkIdsInput,
        responses={200: PersonSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Set the WeCom id", value={"wecom_user_id": "WangJing", "dingtalk_user_id": ""}, request_only=True
            ),
            OpenApiExample("The person", value=PERSON_EXAMPLE, response_only=True),
        ],
    )
    def partial_update(self, request, external_id=None):
        person = self.get_object()
        data = PersonWorkIdsInput(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_set_work_ids(actor=request.user, person=person, **data.validated_data)
        return Response(PersonSerializer(person).data)
