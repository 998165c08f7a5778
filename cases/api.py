"""/api/v1/cases/, notes and interventions under a case, and /api/v1/referrals/ (issue 10, item 8).

- ``GET /api/v1/cases/`` and ``/{id}/``: the cases the policy lets the signed-in counsellor see
  (``cases.rules.cases_visible_to`` through ``selectors.case_list_for_user``: a counsellor their
  caseload, the lead counsellor every case), in the caseload board's order (overdue contacts first,
  then by risk, then the next contact due). Filters: ``status``, ``risk``, ``mine``, ``unassigned``.
  Never clinical text: no notes, no closing summary. A fixed number of queries per page.
- ``GET|POST /api/v1/cases/{id}/notes/``: the case's notes (every note listed is an audited read,
  ``selectors.notes_for_user``); a new note through ``services.note_add`` (a contact completes the
  current contact follow-up and schedules the next).
- ``GET|POST /api/v1/cases/{id}/interventions/``: the same for interventions
  (``selectors.interventions_for_user``, ``services.intervention_add``).
- ``GET /api/v1/referrals/`` and ``/{id}/``: the referrals the user may see
  (``policy.referrals_visible_to``), each with only the fields ``policy.visible_fields`` allows: a
  referrer sees whom it is about, when, and its status - never the urgency, reason or note. The
  referrer's note appears only in one referral, for the counselling team, audited.

Cases are for counsellors and the lead counsellor (``case.board``): anyone else signed in gets 403.
No API client scope reaches any of it (access.md: case information "never"): a token gets 403.
A case the user may not see is a 404, exactly like a missing one.
"""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from urllib import parse

from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from cases import selectors, services
from cases.models import Case, CaseNote, Intervention, Risk
from cases.services.records import MAX_TEXT
from wellbeing import policy
from wellbeing import selectors as core_selectors
from wellbeing.api.pagination import StableCursorPagination
from wellbeing.api.permissions import SELECTOR_CHECKS, IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.serializers import DATETIME_HELP, OrgDateTimeField
from wellbeing.api.views import ERRORS, NOT_FOUND
from wellbeing.models import Referral

#: The rule for reading and writing cases over the API: counsellors and the lead counsellor.
CASE_RULE = "case.board"
#: The status filter's values besides a case's own statuses ("open", the default: new, active, monitoring).
STATUS_FILTERS = ["open", "all", *Case.Status.values]


# --- Policy -----------------------------------------------------------------------------------------


class CasesPolicyPermission(PolicyPermission):
    """``PolicyPermission``, refusing every API client (no scope reaches cases or referrals) and saying why."""

    def has_permission(self, request, view):
        user = request.user
        if user is not None and user.is_authenticated and policy.access_for(user).api_client is not None:
            self.message = _("No API client scope reaches cases or referrals: they are for counsellors signed in.")
            return False
        return super().has_permission(request, view)


# --- Pagination -------------------------------------------------------------------------------------


class BoardPagination(BasePagination):
    """Pages of a list kept in the order its selector gives (the caseload board's order: overdue first,
    risk, next contact due - computed values a position cursor cannot follow). The cursor is opaque
    (base64 of the offset); anything that does not decode is a 400 on ``cursor``, never a 500."""

    page_size = 50
    max_page_size = 500
    max_offset = 1_000_000
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    invalid_cursor_message = gettext_lazy("Invalid cursor: use the 'next' or 'previous' link as given.")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.size = self.get_page_size(request)
        self.offset = self.decode_cursor(request)
        rows = list(selectors.BoardRows(queryset)[self.offset : self.offset + self.size + 1])
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def get_page_size(self, request) -> int:
        try:
            size = int(request.query_params[self.page_size_query_param])
        except (KeyError, ValueError, TypeError):
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def decode_cursor(self, request) -> int:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return 0
        try:
            querystring = b64decode(encoded.encode("ascii")).decode("ascii")
            offset = int(parse.parse_qs(querystring, keep_blank_values=True)["o"][0])
        except (UnicodeError, binascii.Error, ValueError, TypeError, KeyError, IndexError):
            raise self._invalid() from None
        if not 0 <= offset <= self.max_offset:
            raise self._invalid()
        return offset

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [str(self.invalid_cursor_message)]})

    def _link(self, offset: int) -> str:
        url = self.request.build_absolute_uri()
        if offset <= 0:
            return remove_query_param(url, self.cursor_query_param)
        encoded = b64encode(parse.urlencode({"o": offset}).encode("ascii")).decode("ascii")
        return replace_query_param(url, self.cursor_query_param, encoded)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.offset + self.size) if self.has_next else None,
                "previous": self._link(max(self.offset - self.size, 0)) if self.offset > 0 else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://tanxin.example/api/v1/cases/?cursor=bz01MA%3D%3D",
                },
                "previous": {"type": "string", "nullable": True, "format": "uri", "example": None},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The pagination cursor value.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "Number of results to return per page.",
                "schema": {"type": "integer"},
            },
        ]


class ReferralCursorPagination(StableCursorPagination):
    ordering = ("-created_at", "-id")


# --- Serializers: output ----------------------------------------------------------------------------


def user_name(user) -> str:
    """A user's name as the team knows it (their person record), else their username."""
    try:
        person = user.person
    except ObjectDoesNotExist:
        person = None
    return person.full_name if person is not None else user.get_username()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user_name(user)


class CasePersonSerializer(serializers.Serializer):
    external_id = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    unit = serializers.CharField(source="unit.name", read_only=True, help_text=gettext_lazy("The unit's name"))


#: Date-times as every API field writes them (ISO 8601 in the request's zone).
_DATETIME = serializers.DateTimeField()


def case_page_url(pk: int) -> str:
    """A case's page (``cases:detail``); its plain path while the pages are not routed."""
    try:
        return reverse("cases:detail", args=[pk])
    except NoReverseMatch:
        return f"/cases/{pk}/"


class CaseSerializer(serializers.ModelSerializer):
    """A case as the board shows it: who, where it stands, who holds it, when the next contact is due.
    Never clinical text (notes, the closing summary)."""

    reference = serializers.CharField(read_only=True, help_text=gettext_lazy("The case's reference, e.g. C-000123"))
    person = CasePersonSerializer(read_only=True)
    status = serializers.ChoiceField(choices=Case.Status.choices, read_only=True)
    risk = serializers.ChoiceField(choices=Risk.choices, read_only=True)
    counsellor = serializers.SerializerMethodField(
        help_text=gettext_lazy("The counsellor holding the case; null while it waits in the unassigned queue")
    )
    next_contact_due = serializers.SerializerMethodField(
        help_text=gettext_lazy("When the next contact is due; null when none is scheduled")
    )
    contact_overdue = serializers.SerializerMethodField()
    closure_pending = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("Closure asked for, waiting for the lead counsellor's approval")
    )
    url = serializers.SerializerMethodField(help_text=gettext_lazy("The case's page"))

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "person",
            "status",
            "risk",
            "counsellor",
            "next_contact_due",
            "contact_overdue",
            "closure_pending",
            "created_at",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    def to_representation(self, case):
        """The fields above, built directly: a page of 50 rows costs no per-field machinery (the
        caseload benchmark, docs/performance.md). The declared fields document the shape. A list's
        rows are ``selectors.CaseRow`` values; one case read alone is the model."""
        if isinstance(case, selectors.CaseRow):
            person = {"external_id": case.person_external_id, "full_name": case.person_name, "unit": case.unit_name}
            counsellor = {"id": case.counsellor_id, "name": case.counsellor_name} if case.counsellor_id else None
            due = case.next_due
        else:
            person = {
                "external_id": case.person.external_id,
                "full_name": case.person.full_name,
                "unit": case.person.unit.name,
            }
            counsellor = {"id": case.counsellor_id, "name": user_name(case.counsellor)} if case.counsellor_id else None
            due = selectors.contact_due_label(case)
        iso = self._iso
        return {
            "id": case.pk,
            "reference": case.reference,
            "person": person,
            "status": case.status,
            "risk": case.risk,
            "counsellor": counsellor,
            "next_contact_due": iso(due) if due is not None else None,
            "contact_overdue": due is not None and due < self._now(),
            "closure_pending": case.closure_pending,
            "created_at": iso(case.created_at),
            "updated_at": iso(case.updated_at),
            "url": self.get_url(case),
        }

    def _iso(self, value) -> str:
        """As ``serializers.DateTimeField`` writes a date-time (ISO 8601 in the request's zone, "Z" for
        UTC), without its per-call set-up."""
        zone = self.context.get("zone")
        if zone is None:
            zone = self.context["zone"] = timezone.get_current_timezone()
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def _now(self):
        now = self.context.get("now")
        if now is None:
            now = self.context["now"] = timezone.now()
        return now

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_counsellor(self, case) -> dict | None:
        return UserRefSerializer(case.counsellor).data if case.counsellor_id else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_contact_due(self, case):
        due = selectors.contact_due_label(case)
        return serializers.DateTimeField().to_representation(due) if due is not None else None

    def get_contact_overdue(self, case) -> bool:
        due = selectors.contact_due_label(case)
        return due is not None and due < timezone.now()

    def get_url(self, case) -> str:
        if "case_url" not in self.context:
            request = self.context.get("request")
            site = request.build_absolute_uri("/")[:-1] if request is not None else ""
            self.context["case_url"] = site + case_page_url(0)[: -len("0/")]  # one reversal for a page
        return f"{self.context['case_url']}{case.pk}/"


class NoteSerializer(serializers.ModelSerializer):
    """A note (DAP: data, assessment, plan; free form: body). Reading it is audited."""

    form = serializers.ChoiceField(choices=CaseNote.Form.choices, read_only=True)
    contact = serializers.ChoiceField(
        choices=CaseNote.Contact.choices,
        allow_blank=True,
        read_only=True,
        help_text=gettext_lazy("How the contact was made; empty for a note without contact"),
    )
    author = UserRefSerializer(read_only=True)
    addendum_to = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text=gettext_lazy("The note this is an addendum to; null for a note")
    )
    editable = serializers.SerializerMethodField(
        help_text=gettext_lazy("Whether you may still correct it (its author, within the correction window)")
    )

    class Meta:
        model = CaseNote
        fields = [
            "id",
            "form",
            "data",
            "assessment",
            "plan",
            "body",
            "contact",
            "author",
            "created_at",
            "edited_at",
            "addendum_to",
            "editable",
        ]
        read_only_fields = fields

    def get_editable(self, note) -> bool:
        request = self.context.get("request")
        me = getattr(getattr(request, "user", None), "pk", None)
        return note.author_id == me and note.is_editable()


class InterventionSerializer(serializers.ModelSerializer):
    """An intervention (what was done for the person). Reading it is audited."""

    kind = serializers.ChoiceField(choices=Intervention.Kind.choices, read_only=True)
    status = serializers.ChoiceField(choices=Intervention.Status.choices, read_only=True)
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "kind",
            "status",
            "occurred_on",
            "details",
            "service",
            "outcome",
            "supervisor_action",
            "recorded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReferralPersonSerializer(serializers.Serializer):
    external_id = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class ReferralSerializer(serializers.ModelSerializer):
    """A referral with the fields the reader may see (``policy.visible_fields``); the others are left
    out. ``id`` and ``status`` are always there; a referrer also sees ``person`` and the dates - never
    the urgency, reason, source or who in the counselling team handled it.

    The fields that may be left out are declared writable (never used for input: the endpoint is
    read-only) so the schema does not list them as always present."""

    ALWAYS = ("id", "status")

    id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=Referral.Status.choices, read_only=True)
    person = ReferralPersonSerializer(required=False)
    created_at = serializers.DateTimeField(required=False)
    acknowledged_at = serializers.DateTimeField(required=False, allow_null=True)
    taken_in_at = serializers.DateTimeField(required=False, allow_null=True)
    closed_at = serializers.DateTimeField(required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=Referral.Urgency.choices, required=False)
    reason = serializers.ChoiceField(choices=Referral.Reason.choices, required=False)
    source = serializers.ChoiceField(choices=Referral.Source.choices, required=False)
    referred_by = UserRefSerializer(required=False)
    acknowledged_by = UserRefSerializer(required=False, allow_null=True)
    taken_in_by = UserRefSerializer(required=False, allow_null=True)
    closed_by = UserRefSerializer(required=False, allow_null=True)
    close_reason = serializers.ChoiceField(
        choices=Referral.CloseReason.choices,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Why the counselling team closed it; empty unless closed"),
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "status",
            "person",
            "created_at",
            "acknowledged_at",
            "taken_in_at",
            "closed_at",
            "urgency",
            "reason",
            "source",
            "referred_by",
            "acknowledged_by",
            "taken_in_by",
            "closed_by",
            "close_reason",
        ]

    def to_representation(self, referral):
        visible = policy.visible_fields(self.context["request"].user, referral)
        data = super().to_representation(referral)
        return {k: v for k, v in data.items() if k in self.ALWAYS or k in visible}


class ReferralDetailSerializer(ReferralSerializer):
    """One referral: for the counselling team also the referrer's note (an audited read)."""

    note = serializers.CharField(
        required=False, help_text=gettext_lazy("The referrer's note, for the counselling team only")
    )

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "note"]

    def to_representation(self, referral):
        data = super().to_representation(referral)
        note = core_selectors.referral_note_for_user(user=self.context["request"].user, referral=referral)
        if note is None:
            data.pop("note", None)
        else:
            data["note"] = note
        return data


# --- Serializers: input -----------------------------------------------------------------------------


def _text(help_text=None, max_length: int = MAX_TEXT) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


class NoteInput(serializers.Serializer):
    """``POST /api/v1/cases/{id}/notes/``: DAP (at least one of data, assessment, plan) or free form
    (body). A contact (in person, phone ...) completes the current contact follow-up and schedules the
    next by risk, or at ``next_due`` if earlier."""

    form = serializers.ChoiceField(choices=CaseNote.Form.choices, required=False, default=CaseNote.Form.DAP)
    data = _text()
    assessment = _text()
    plan = _text()
    body = _text(gettext_lazy("Free form only"))
    contact = serializers.ChoiceField(
        choices=CaseNote.Contact.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("How you were in contact; empty for a note without contact"),
    )
    next_due = OrgDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=format_lazy(
            "{} {}", gettext_lazy("The next contact, if earlier than the risk's cadence."), DATETIME_HELP
        ),
    )


class InterventionInput(serializers.Serializer):
    """``POST /api/v1/cases/{id}/interventions/``. An external referral names the hospital or service and
    starts as proposed. A change of post or time off may carry an action for the person's supervisor
    (they receive that text alone, never the reason)."""

    kind = serializers.ChoiceField(choices=Intervention.Kind.choices)
    occurred_on = serializers.DateField(help_text=gettext_lazy("Within a year of today"))
    details = _text()
    service = _text(gettext_lazy("The hospital or service (external referral)"))
    status = serializers.ChoiceField(
        choices=Intervention.Status.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Default: proposed for an external referral, done otherwise"),
    )
    supervisor_action = _text(gettext_lazy("Change of post or time off only: what the supervisor is asked to do"), 200)
    supervisor_due = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy("Default: in two weeks")
    )
    leave_from = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy(
            "Time off only: the first day of the leave request drafted for the person (default: the next working day)"
        ),
    )
    leave_until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Time off only: its last day (default: five working days in all)"),
    )


class CaseFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUS_FILTERS, required=False, default="open")
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    mine = serializers.BooleanField(required=False, default=False)
    unassigned = serializers.BooleanField(required=False, default=False)


class ReferralFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Referral.Status.choices, required=False)


# --- Schema examples --------------------------------------------------------------------------------

COUNSELLOR_EXAMPLE = {"id": 7, "name": "刘咨询"}
CASE_EXAMPLE = {
    "id": 123,
    "reference": "C-000123",
    "person": {"external_id": "HR-000123", "full_name": "王静", "unit": "综合办"},
    "status": "active",
    "risk": "high",
    "counsellor": COUNSELLOR_EXAMPLE,
    "next_contact_due": "2026-11-22T09:00:00+08:00",
    "contact_overdue": False,
    "closure_pending": False,
    "created_at": "2026-11-18T10:00:00+08:00",
    "updated_at": "2026-11-20T16:30:00+08:00",
    "url": "https://tanxin.example/cases/123/",
}
NOTE_EXAMPLE = {
    "id": 501,
    "form": "dap",
    "data": "电话联系，本人表示近一周睡眠改善。",
    "assessment": "情绪较前稳定，风险下降。",
    "plan": "三天后再次电话联系。",
    "body": "",
    "contact": "phone",
    "author": COUNSELLOR_EXAMPLE,
    "created_at": "2026-11-20T16:30:00+08:00",
    "edited_at": None,
    "addendum_to": None,
    "editable": True,
}
NOTE_INPUT_EXAMPLE = {
    "form": "dap",
    "data": "电话联系，本人表示近一周睡眠改善。",
    "assessment": "情绪较前稳定，风险下降。",
    "plan": "三天后再次电话联系。",
    "contact": "phone",
}
INTERVENTION_EXAMPLE = {
    "id": 88,
    "kind": "external_referral",
    "status": "proposed",
    "occurred_on": "2026-11-20",
    "details": "建议到精神心理科门诊评估。",
    "service": "县人民医院精神心理科",
    "outcome": "",
    "supervisor_action": "",
    "recorded_by": COUNSELLOR_EXAMPLE,
    "created_at": "2026-11-20T16:40:00+08:00",
    "updated_at": "2026-11-20T16:40:00+08:00",
}
INTERVENTION_INPUT_EXAMPLE = {
    "kind": "external_referral",
    "occurred_on": "2026-11-20",
    "details": "建议到精神心理科门诊评估。",
    "service": "县人民医院精神心理科",
}
REFERRAL_TEAM_EXAMPLE = {
    "id": 42,
    "status": "received",
    "person": {"external_id": "HR-000123", "full_name": "王静"},
    "created_at": "2026-11-20T09:15:00+08:00",
    "acknowledged_at": None,
    "taken_in_at": None,
    "closed_at": None,
    "urgency": "soon",
    "reason": "work_pressure",
    "source": "supervisor",
    "referred_by": {"id": 3, "name": "张主任"},
    "acknowledged_by": None,
    "taken_in_by": None,
    "closed_by": None,
    "close_reason": "",
}
REFERRAL_REFERRER_EXAMPLE = {
    "id": 42,
    "status": "acknowledged",
    "person": {"external_id": "HR-000123", "full_name": "王静"},
    "created_at": "2026-11-20T09:15:00+08:00",
    "acknowledged_at": "2026-11-20T10:02:00+08:00",
    "taken_in_at": None,
    "closed_at": None,
}
BAD_NOTE_EXAMPLE = {
    "message": "The request was not valid; see the field errors.",
    "errors": {"data": ["Write at least the data, the assessment or the plan."]},
}
CASE_FILTERS = [
    OpenApiParameter(
        "status", str, enum=STATUS_FILTERS, description="open (default: new, active, monitoring), all, or one status"
    ),
    OpenApiParameter("risk", str, enum=Risk.values),
    OpenApiParameter("mine", bool, description="Only the cases I hold"),
    OpenApiParameter("unassigned", bool, description="Only the cases waiting in the unassigned queue"),
]
CASE_ID = OpenApiParameter("id", int, location=OpenApiParameter.PATH, description="The case's id")


# --- Views ------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="My caseload (the lead counsellor: every case)",
        description=(
            "The cases you may see, in the caseload board's order: overdue contacts first, then by risk "
            "(imminent first), then the next contact due. A counsellor sees the cases they hold (and one being "
            "handed to them); the lead counsellor every case. Never clinical text. Counsellors and the lead "
            "counsellor only: anyone else signed in gets 403, and no API client scope reaches cases (403)."
        ),
        parameters=CASE_FILTERS,
        responses={200: CaseSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("A page of cases", value=CASE_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One case",
        description="A case you may not see answers 404, exactly like a missing one.",
        parameters=[CASE_ID],
        responses={200: CaseSerializer, **ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("A case", value=CASE_EXAMPLE, response_only=True)],
    ),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Every action: "case.board" (counsellors and the lead counsellor), then the selectors decide which
    # cases (404 for any other). Writes are checked again by the services ("case.work": 403).
    permission_classes = [IsAuthenticatedPrincipal, CasesPolicyPermission]
    policy_actions = {"list": CASE_RULE, "retrieve": CASE_RULE, "notes": CASE_RULE, "interventions": CASE_RULE}
    serializer_class = CaseSerializer
    pagination_class = BoardPagination
    filter_backends = []
    queryset = Case.objects.none()  # for the schema; real querysets come from the selector

    def get_queryset(self):
        params = CaseFilterInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.case_list_for_user(user=self.request.user, **params.validated_data)

    def get_object(self):
        return selectors.case_get_for_user(user=self.request.user, case_id=self.kwargs["pk"])

    @extend_schema(
        methods=["GET"],
        summary="A case's notes (each one an audited read)",
        description="Oldest first, addenda included (`addendum_to`). Every note listed is recorded as read.",
        parameters=[CASE_ID],
        responses={200: NoteSerializer(many=True), **ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("The notes", value=NOTE_EXAMPLE, response_only=True)],
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a note to a case",
        description=(
            "DAP (`data`, `assessment`, `plan`: at least one) or free form (`body`). With `contact` the "
            "note records a contact: the current contact follow-up is done and the next is due by the risk's "
            "cadence, or at `next_due` if earlier. Bad input is a 400 on its field and stores nothing; a "
            "closed case is a 400; a case you may see but not work on is a 403."
        ),
        parameters=[CASE_ID],
        request=NoteInput,
        responses={201: NoteSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("A DAP note after a phone call", value=NOTE_INPUT_EXAMPLE, request_only=True),
            OpenApiExample("The note", value=NOTE_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample("Nothing written", value=BAD_NOTE_EXAMPLE, response_only=True, status_codes=["400"]),
        ],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def notes(self, request, pk=None):
        case = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            notes = selectors.notes_for_user(user=request.user, case=case)
            return Response(NoteSerializer(notes, many=True, context=context).data)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.note_add(actor=request.user, case=case, data=services.NoteInput(**data.validated_data))
        return Response(NoteSerializer(note, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="A case's interventions (each one an audited read)",
        description="Latest first. Every intervention listed is recorded as read.",
        parameters=[CASE_ID],
        responses={200: InterventionSerializer(many=True), **ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("The interventions", value=INTERVENTION_EXAMPLE, response_only=True)],
    )
    @extend_schema(
        methods=["POST"],
        summary="Record an intervention",
        description=(
            "An external referral (`external_referral`) names the hospital or service in `service` and starts "
            "as proposed. A change of post or time off may carry `supervisor_action`: the person's supervisor "
            "receives that text alone as a follow-up, never the reason nor that a case exists. Bad input is a "
            "400 on its field and stores nothing; a case you may see but not work on is a 403."
        ),
        parameters=[CASE_ID],
        request=InterventionInput,
        responses={201: InterventionSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("A hospital referral", value=INTERVENTION_INPUT_EXAMPLE, request_only=True),
            OpenApiExample("The intervention", value=INTERVENTION_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def interventions(self, request, pk=None):
        case = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            rows = selectors.interventions_for_user(user=request.user, case=case)
            return Response(InterventionSerializer(rows, many=True, context=context).data)
        data = InterventionInput(data=request.data)
        data.is_valid(raise_exception=True)
        intervention = services.intervention_add(
            actor=request.user, case=case, data=services.InterventionInput(**data.validated_data)
        )
        return Response(InterventionSerializer(intervention, context=context).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Referrals I may see",
        description=(
            "The lead counsellor sees every referral, a counsellor the ones assigned to them (the on-call "
            "counsellor's imminent ones), anyone else the ones they made - with only whom it is about, when, "
            "and its status (never the urgency, reason or note). Newest first. No API client scope reaches "
            "referrals (403)."
        ),
        parameters=[OpenApiParameter("status", str, enum=Referral.Status.values)],
        responses={200: ReferralSerializer(many=True), **ERRORS},
        examples=[
            OpenApiExample("The counselling team's view", value=REFERRAL_TEAM_EXAMPLE, response_only=True),
            OpenApiExample("A referrer's view (status only)", value=REFERRAL_REFERRER_EXAMPLE, response_only=True),
        ],
    ),
    retrieve=extend_schema(
        summary="One referral",
        description=(
            "For the counselling team with the referrer's `note` (an audited read); its referrer sees the "
            "status only. Anyone else: 404."
        ),
        responses={200: ReferralDetailSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "The counselling team's view",
                value=REFERRAL_TEAM_EXAMPLE | {"note": "近期连续加班，情绪低落。"},
                response_only=True,
            ),
            OpenApiExample("A referrer's view (status only)", value=REFERRAL_REFERRER_EXAMPLE, response_only=True),
        ],
    ),
)
class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Signed-in people (never an API client); the policy's visibility decides which referrals (404 for
    # others) and which of their fields.
    permission_classes = [IsAuthenticatedPrincipal, CasesPolicyPermission]
    policy_actions = {"list": SELECTOR_CHECKS, "retrieve": SELECTOR_CHECKS}
    pagination_class = ReferralCursorPagination
    filter_backends = []
    queryset = Referral.objects.none()

    def get_serializer_class(self):
        return ReferralSerializer if self.action == "list" else ReferralDetailSerializer

    def get_queryset(self):
        params = ReferralFilterInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        qs = (
            policy.referrals_visible_to(self.request.user)
            .select_related(
                "person",
                "referred_by__person",
                "acknowledged_by__person",
                "taken_in_by__person",
                "closed_by__person",
            )
            .defer("note")
        )
        if params.validated_data.get("status"):
            qs = qs.filter(status=params.validated_data["status"])
        return qs

    def get_object(self):
        return core_selectors.referral_get_for_user(user=self.request.user, referral_id=self.kwargs["pk"])
