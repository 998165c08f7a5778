"""/api/v1/leave/...: leave types, balances, requests (with the supervisor's decision and cancelling),
the ledger, working-day counts and public holidays (issue 11, item 8).

Who reaches what (leave/rules.py, design/access.md "leave balances and requests"):

- every endpoint needs ``leave.calendar``: anyone signed in, or an API client with ``leave:read`` or
  ``leave:write`` (a client with other scopes only gets 403);
- a person's balances, ledger and requests: whoever may see that person's leave (``people_q`` /
  ``leave.view``; anyone else gets 404, exactly like for a person who does not exist). A user who
  names nobody gets their own; an API client must name the person (``person=<external_id>``);
- new requests: ``leave.request_for`` (a user for themselves or their reports / units; an API client
  with ``leave:write``, origin "api"); deciding: ``leave.approve`` (the person's supervisor, never an
  API client); cancelling: ``leave.cancel`` (``leave:write`` for API clients).

What a request never shows: its ``note`` to API clients (or anyone ``leave.read_note`` refuses), and
anything that would say a counsellor recommended it - not the ``care`` mark, not an origin of "care",
not who drafted it or when it was created (a recommended request is drafted before it is sent), and
not the draft itself to anyone but the person (only a counsellor's recommendation makes drafts).

Views are thin: the input is parsed here, the reads are ``leave.selectors``, the writes
``leave.services`` (which check the policy again), bad input is a 400 on its field in the one error
shape, and every list costs a fixed number of queries.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
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
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from leave import calendar, selectors, services
from leave.models import DAYS, LeaveLedgerEntry, LeaveRequest, LeaveType
from wellbeing import policy
from wellbeing.api.pagination import StableCursorPagination
from wellbeing.api.permissions import IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.views import ERRORS, NOT_FOUND, page_example
from wellbeing.models import Person

#: Every leave endpoint: anyone signed in, and API clients with ``leave:read`` or ``leave:write``.
READ_RULE = "leave.calendar"
#: The ledgers the API explains (the two balances the system keeps).
LEDGER_TYPES = [LeaveType.Category.ANNUAL, LeaveType.Category.IN_LIEU]
#: The longest span /working-days/ counts (a count over decades is nobody's question).
MAX_SPAN_DAYS = 3660
#: What a request's origin may be shown as: a counsellor's recommendation is shown as the person's own.
SHOWN_ORIGINS = [(origin.value, origin.label) for origin in LeaveRequest.SHOWN_ORIGINS]


# --- Policy -----------------------------------------------------------------------------------------


class LeavePolicyPermission(PolicyPermission):
    """``PolicyPermission``, telling an API client without a leave scope which scope it needs."""

    def has_permission(self, request, view):
        allowed = super().has_permission(request, view)
        user = request.user
        if not allowed and user is not None and user.is_authenticated and policy.access_for(user).api_client:
            self.message = _("This needs the leave:read or leave:write scope.")
        return allowed


def own_person(user) -> Person | None:
    """The signed-in user's own staff record (None for an API client or a login without one)."""
    return policy.access_for(user).person


def shown_requests(user):
    """The requests the user may see (drafts only to their person: ``selectors.requests_visible_to``)."""
    return selectors.requests_visible_to(user)


def request_for_user(user, request_id) -> LeaveRequest:
    """One request the user may see, or 404 (a draft of someone else's is not there)."""
    return selectors.request_get_for_user(user=user, request_id=request_id)


def person_for(user, external_id: str | None) -> Person:
    """The person named by ``external_id`` (the user's own record when none is named), or 404 when the
    user may not see their leave; an API client, or a login without a staff record, must name one."""
    if not external_id:
        own = own_person(user)
        if own is None:
            raise ValidationError({"person": [_("Name the person by their external ID.")]})
        external_id = own.external_id
    person = selectors.person_get_for_user(user=user, external_id=external_id)
    if not policy.can(user, "leave.view", person):
        raise Http404
    return person


def year_param(value: int | None) -> int:
    """The year asked for (this year by default), within the calendar's years (else 400 on ``year``)."""
    year = timezone.localdate().year if value is None else value
    calendar.check_year(year)  # a ValidationError on "year": the one error shape
    return year


def user_name(user) -> str | None:
    """A user's name as the team knows it (their staff record), else their username; None for nobody."""
    if user is None:
        return None
    try:
        person = user.person
    except ObjectDoesNotExist:
        person = None
    return person.full_name if person is not None else user.get_username()


# --- Serializers: output ----------------------------------------------------------------------------


#: Date-times as every API field writes them (ISO 8601 in the request's zone).
DATETIME = serializers.DateTimeField()


def days_field(**kwargs) -> serializers.DecimalField:
    """Days (in half days) as a JSON number."""
    return serializers.DecimalField(coerce_to_string=False, read_only=True, **DAYS, **kwargs)


class LeavePersonSerializer(serializers.Serializer):
    external_id = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class LeaveRequestPersonSerializer(LeavePersonSerializer):
    unit = serializers.CharField(read_only=True, help_text=gettext_lazy("The unit's name"))


class LeaveTypeRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, help_text=gettext_lazy("In the request's language"))


def person_ref(person: Person) -> dict:
    return {"external_id": person.external_id, "full_name": person.full_name}


def type_ref(leave_type: LeaveType) -> dict:
    return {"code": leave_type.code, "name": leave_type.name}


class LeaveTypeSerializer(serializers.ModelSerializer):
    max_days_per_request = days_field(allow_null=True, help_text=gettext_lazy("Null: no limit"))

    class Meta:
        model = LeaveType
        fields = [
            "code",
            "name_zh",
            "name_en",
            "category",
            "unit",
            "paid",
            "needs_balance",
            "max_days_per_request",
            "affects_annual",
            "is_active",
        ]
        read_only_fields = fields


class BalanceSerializer(serializers.Serializer):
    leave_type = LeaveTypeRefSerializer(read_only=True)
    year = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=gettext_lazy("The leave year; null for time off in lieu (all years)")
    )
    entitled = days_field(help_text=gettext_lazy("Days allocated, carried in or accrued"))
    taken = days_field(help_text=gettext_lazy("Days taken or used (less leave cancelled)"))
    pending = days_field(help_text=gettext_lazy("Days in requests waiting for a decision"))
    balance = days_field(help_text=gettext_lazy("The sum of the ledger's lines"))
    available = days_field(help_text=gettext_lazy("The balance less the days waiting for a decision"))

    def to_representation(self, b):
        return {
            "leave_type": type_ref(b.leave_type),
            "year": b.year,
            "entitled": b.entitled,
            "taken": b.taken,
            "pending": b.pending,
            "balance": b.balance,
            "available": b.available,
        }


class BalancesSerializer(serializers.Serializer):
    person = LeavePersonSerializer(read_only=True)
    year = serializers.IntegerField(read_only=True)
    balances = BalanceSerializer(many=True, read_only=True)


class LeaveRequestSerializer(serializers.Serializer):
    """A leave request. ``note`` appears only for those who may read it (the person, their supervisors,
    the HR officers of their unit; never an API client)."""

    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True, help_text=gettext_lazy("E.g. L-000123"))
    person = LeaveRequestPersonSerializer(read_only=True)
    leave_type = LeaveTypeRefSerializer(read_only=True)
    start_date = serializers.DateField(read_only=True)
    end_date = serializers.DateField(read_only=True)
    start_pm = serializers.BooleanField(read_only=True, help_text=gettext_lazy("The first day from the afternoon"))
    end_am = serializers.BooleanField(read_only=True, help_text=gettext_lazy("The last day until noon"))
    days = days_field(help_text=gettext_lazy("Working days (or calendar days, by the type) the request takes"))
    provisional = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("The dates touch a year whose holidays are not announced yet")
    )
    status = serializers.ChoiceField(choices=LeaveRequest.Status.choices, read_only=True)
    origin = serializers.ChoiceField(
        choices=SHOWN_ORIGINS,
        read_only=True,
        help_text=gettext_lazy("Made by the person (or for them), or by an HR system"),
    )
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    approver = serializers.CharField(
        read_only=True, allow_null=True, help_text=gettext_lazy("Who decides; null when nobody can yet")
    )
    decided_by = serializers.CharField(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decision_comment = serializers.CharField(read_only=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    cancel_reason = serializers.CharField(read_only=True)
    # Declared writable (never used for input) so the schema does not list it as always present.
    note = serializers.CharField(
        required=False,
        help_text=gettext_lazy("The person's note; only for the person, their supervisors and HR officers"),
    )

    def _when(self, value):
        return DATETIME.to_representation(value) if value is not None else None

    def to_representation(self, r: LeaveRequest):
        person = r.person
        data = {
            "id": r.pk,
            "reference": r.reference,
            "person": {"external_id": person.external_id, "full_name": person.full_name, "unit": person.unit.name},
            "leave_type": type_ref(r.leave_type),
            "start_date": r.start_date.isoformat(),
            "end_date": r.end_date.isoformat(),
            "start_pm": r.start_pm,
            "end_am": r.end_am,
            "days": r.days,
            "provisional": r.provisional,
            "status": r.status,
            "origin": r.shown_origin,
            "submitted_at": self._when(r.submitted_at),
            "approver": user_name(r.approver) if r.approver_id else None,
            "decided_by": user_name(r.decided_by) if r.decided_by_id else None,
            "decided_at": self._when(r.decided_at),
            "decision_comment": r.decision_comment,
            "cancelled_at": self._when(r.cancelled_at),
            "cancel_reason": r.cancel_reason,
        }
        if policy.can(self.context["request"].user, "leave.read_note", r):
            data["note"] = r.note
        return data


class LedgerLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    effective_on = serializers.DateField(read_only=True)
    kind = serializers.ChoiceField(choices=LeaveLedgerEntry.Kind.choices, read_only=True)
    days = days_field(help_text=gettext_lazy("Positive: days granted or returned; negative: days used"))
    running = days_field(help_text=gettext_lazy("The balance after this line"))
    year = serializers.IntegerField(read_only=True)
    expires_on = serializers.DateField(read_only=True, allow_null=True, help_text=gettext_lazy("Use by"))
    explanation = serializers.CharField(read_only=True, help_text=gettext_lazy("What the line is for"))
    reason = serializers.CharField(read_only=True, help_text=gettext_lazy("An adjustment's reason as recorded"))
    request = serializers.CharField(
        read_only=True, allow_null=True, help_text=gettext_lazy("The leave request's reference, if any")
    )
    recorded_by = serializers.CharField(read_only=True, help_text=gettext_lazy("Who or what wrote the line"))
    recorded_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, line):
        e = line.entry
        return {
            "id": e.pk,
            "effective_on": e.effective_on.isoformat(),
            "kind": e.kind,
            "days": e.days,
            "running": line.running,
            "year": e.year,
            "expires_on": e.expires_on.isoformat() if e.expires_on else None,
            "explanation": line.explanation,
            "reason": e.reason,
            "request": e.request.reference if e.request_id else None,
            "recorded_by": user_name(e.created_by) if e.created_by_id else e.created_label,
            "recorded_at": DATETIME.to_representation(e.created_at),
        }


class LedgerSerializer(serializers.Serializer):
    person = LeavePersonSerializer(read_only=True)
    leave_type = LeaveTypeRefSerializer(read_only=True)
    year = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=gettext_lazy("Null for time off in lieu (all years)")
    )
    balance = days_field(help_text=gettext_lazy("The sum of the lines"))
    lines = LedgerLineSerializer(many=True, read_only=True)


class WorkingDaysSerializer(serializers.Serializer):
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    days = days_field()
    provisional = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("The span touches a year whose holidays are not announced yet")
    )


class HolidayDaySerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    kind = serializers.ChoiceField(
        choices=[("holiday", gettext_lazy("public holiday")), ("workday", gettext_lazy("make-up workday"))],
        read_only=True,
    )
    name = serializers.CharField(read_only=True)


# A pattern, not an enum: an enum named "source" would collide with the referrals' in the schema.
@extend_schema_field({"type": "string", "pattern": "^(admin|library|none)$"})
class HolidaySourceField(serializers.CharField):
    """Where a year's days come from (``leave.calendar.YearDays.source``)."""


class HolidayYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    source = HolidaySourceField(
        read_only=True,
        help_text=gettext_lazy(
            "admin: entered by an administrator; library: the holiday library; none: not known (weekends only)"
        ),
    )
    provisional = serializers.BooleanField(read_only=True)
    days = HolidayDaySerializer(many=True, read_only=True)


# --- Serializers: input -----------------------------------------------------------------------------


def leave_type_by_code(code: str, field: str) -> LeaveType:
    leave_type = LeaveType.objects.filter(code=code).first()
    if leave_type is None:
        raise ValidationError({field: [_("There is no leave type %(code)s.") % {"code": code}]})
    return leave_type


def person_param(help_text=None) -> serializers.CharField:
    return serializers.CharField(max_length=64, required=False, allow_blank=True, default="", help_text=help_text)


class RequestFilterInput(serializers.Serializer):
    person = person_param()
    status = serializers.ChoiceField(choices=LeaveRequest.Status.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    type = serializers.CharField(max_length=32, required=False)

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise ValidationError({"date_to": [_("The end of the period is before its start.")]})
        return attrs


class RequestCreateInput(serializers.Serializer):
    person = person_param(
        gettext_lazy("The person's external ID; required for an API client, default yourself for a user")
    )
    leave_type = serializers.CharField(max_length=32, help_text=gettext_lazy("A leave type's code, e.g. annual"))
    start_date = serializers.DateField(help_text=gettext_lazy("The first day"))
    end_date = serializers.DateField(help_text=gettext_lazy("The last day"))
    start_pm = serializers.BooleanField(
        required=False, default=False, help_text=gettext_lazy("The first day from the afternoon")
    )
    end_am = serializers.BooleanField(required=False, default=False, help_text=gettext_lazy("The last day until noon"))
    note = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("For the supervisor; never shown to an HR system"),
    )


class DecideInput(serializers.Serializer):
    approve = serializers.BooleanField(help_text=gettext_lazy("true to approve, false to reject"))
    comment = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text=gettext_lazy("Required to reject")
    )


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required to cancel approved leave"),
    )


class PersonInput(serializers.Serializer):
    person = person_param()


class PersonYearInput(PersonInput):
    year = serializers.IntegerField(required=False)


class LedgerInput(PersonYearInput):
    type = serializers.ChoiceField(choices=LEDGER_TYPES, required=False, default=LeaveType.Category.ANNUAL)


class WorkingDaysInput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    type = serializers.CharField(max_length=32, required=False)
    start_pm = serializers.BooleanField(required=False, default=False)
    end_am = serializers.BooleanField(required=False, default=False)


class YearInput(serializers.Serializer):
    year = serializers.IntegerField(required=False)


def parsed(serializer_class, data) -> dict:
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


# --- Schema examples --------------------------------------------------------------------------------

PERSON_EXAMPLE = {"external_id": "HR-000123", "full_name": "王静"}
ANNUAL = {"code": "annual", "name": "年休假"}
IN_LIEU = {"code": "in_lieu", "name": "调休"}
TYPE_EXAMPLE = {
    "code": "annual",
    "name_zh": "年休假",
    "name_en": "Annual leave",
    "category": "annual",
    "unit": "working_days",
    "paid": True,
    "needs_balance": True,
    "max_days_per_request": None,
    "affects_annual": False,
    "is_active": True,
}
BALANCES_EXAMPLE = {
    "person": PERSON_EXAMPLE,
    "year": 2026,
    "balances": [
        {
            "leave_type": ANNUAL,
            "year": 2026,
            "entitled": 10.0,
            "taken": 4.0,
            "pending": 2.0,
            "balance": 6.0,
            "available": 4.0,
        },
        {
            "leave_type": IN_LIEU,
            "year": None,
            "entitled": 1.0,
            "taken": 0.0,
            "pending": 0.0,
            "balance": 1.0,
            "available": 1.0,
        },
    ],
}
REQUEST_EXAMPLE = {
    "id": 123,
    "reference": "L-000123",
    "person": PERSON_EXAMPLE | {"unit": "综合办"},
    "leave_type": ANNUAL,
    "start_date": "2026-12-07",
    "end_date": "2026-12-09",
    "start_pm": False,
    "end_am": False,
    "days": 3.0,
    "provisional": False,
    "status": "pending",
    "origin": "api",
    "submitted_at": "2026-11-21T09:00:00+08:00",
    "approver": "张主任",
    "decided_by": None,
    "decided_at": None,
    "decision_comment": "",
    "cancelled_at": None,
    "cancel_reason": "",
}
CREATE_EXAMPLE = {
    "person": "HR-000123",
    "leave_type": "annual",
    "start_date": "2026-12-07",
    "end_date": "2026-12-09",
    "start_pm": False,
    "end_am": False,
    "note": "",
}
APPROVED_EXAMPLE = REQUEST_EXAMPLE | {
    "status": "approved",
    "decided_by": "张主任",
    "decided_at": "2026-11-21T10:00:00+08:00",
    "decision_comment": "同意",
}
CANCELLED_EXAMPLE = APPROVED_EXAMPLE | {
    "status": "cancelled",
    "cancelled_at": "2026-11-22T09:00:00+08:00",
    "cancel_reason": "工作安排变化",
}
LEDGER_EXAMPLE = {
    "person": PERSON_EXAMPLE,
    "leave_type": ANNUAL,
    "year": 2026,
    "balance": 7.0,
    "lines": [
        {
            "id": 501,
            "effective_on": "2026-01-01",
            "kind": "allocation",
            "days": 10.0,
            "running": 10.0,
            "year": 2026,
            "expires_on": "2026-12-31",
            "explanation": "statutory days for the years of service",
            "reason": "",
            "request": None,
            "recorded_by": "task:leave_allocate",
            "recorded_at": "2026-01-01T01:00:00+08:00",
        },
        {
            "id": 640,
            "effective_on": "2026-03-12",
            "kind": "taken",
            "days": -3.0,
            "running": 7.0,
            "year": 2026,
            "expires_on": None,
            "explanation": "",
            "reason": "",
            "request": "L-000045",
            "recorded_by": "张主任",
            "recorded_at": "2026-03-10T16:20:00+08:00",
        },
    ],
}
WORKING_DAYS_EXAMPLE = {"start": "2026-02-13", "end": "2026-02-24", "days": 3.0, "provisional": False}
HOLIDAYS_EXAMPLE = {
    "year": 2026,
    "source": "library",
    "provisional": False,
    "days": [
        {"date": "2026-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2026-02-14", "kind": "workday", "name": "春节"},
        {"date": "2026-02-16", "kind": "holiday", "name": "春节"},
    ],
}


def bad(field: str, message: str) -> OpenApiExample:
    return OpenApiExample(
        "Bad input (nothing written)",
        value={"message": "The request was not valid; see the field errors.", "errors": {field: [message]}},
        response_only=True,
        status_codes=["400"],
    )


PERSON = OpenApiParameter(
    "person",
    str,
    description="The person's external ID. A user who leaves it out gets their own; an API client must give it.",
)
YEAR = OpenApiParameter("year", int, description="The leave year, 2004 to 2100 (default: this year)")
REQUEST_ID = OpenApiParameter("id", int, location=OpenApiParameter.PATH, description="The request's id")
REQUEST_FILTERS = [
    OpenApiParameter("person", str, description="The person's external ID"),
    OpenApiParameter("status", str, enum=LeaveRequest.Status.values),
    OpenApiParameter("date_from", date, description="Requests ending on or after this day"),
    OpenApiParameter("date_to", date, description="Requests starting on or before this day"),
    OpenApiParameter("type", str, description="A leave type's code"),
]


# --- Views ------------------------------------------------------------------------------------------


class LeaveTypesView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, LeavePolicyPermission]
    policy_actions = {"get": READ_RULE}

    @extend_schema(
        summary="Leave types",
        description=(
            "Every leave type, those that can no longer be requested included (`is_active`), in the order "
            "the request form shows them. Anyone signed in; API clients with `leave:read` or `leave:write`."
        ),
        responses={200: LeaveTypeSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("Annual leave", value=[TYPE_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        types = selectors.leave_types(active_only=False)
        return Response(LeaveTypeSerializer(types, many=True).data)


class BalancesView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, LeavePolicyPermission]
    policy_actions = {"get": READ_RULE}

    @extend_schema(
        summary="A person's leave balances",
        description=(
            "Annual leave for the year and time off in lieu (all years), each with what was granted, taken "
            "and is waiting for a decision, derived from the ledger (`/api/v1/leave/ledger/` explains them "
            "line by line). For whoever may see the person's leave: the person, their supervisors, the HR "
            "officers of their unit, counsellors for people on their caseload, administrators, and API "
            "clients with a leave scope. Anyone else gets 404, as for a person who does not exist."
        ),
        parameters=[PERSON, YEAR],
        responses={200: BalancesSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("Balances", value=BALANCES_EXAMPLE, response_only=True),
            bad("year", "Give a year from 2004 to 2100."),
        ],
    )
    def get(self, request):
        params = parsed(PersonYearInput, request.query_params)
        person = person_for(request.user, params["person"])
        year = year_param(params.get("year"))
        balances = selectors.balances_for(person, year)
        return Response(
            {
                "person": person_ref(person),
                "year": year,
                "balances": BalanceSerializer(balances, many=True).data,
            }
        )


class LedgerView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, LeavePolicyPermission]
    policy_actions = {"get": READ_RULE}

    @extend_schema(
        summary="A balance explained line by line",
        description=(
            "Every line of one balance, oldest first, with the running total: annual leave for the year, or "
            "time off in lieu across years (`year` is then ignored). The ledger is append-only: a correction "
            "is a new line with its reason. The same people may see it as the balances; anyone else gets 404."
        ),
        parameters=[
            PERSON,
            OpenApiParameter("type", str, enum=LEDGER_TYPES, description="annual (default) or in_lieu"),
            YEAR,
        ],
        responses={200: LedgerSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("Annual leave, one request taken", value=LEDGER_EXAMPLE, response_only=True),
            bad("type", '"sick" is not a valid choice.'),
        ],
    )
    def get(self, request):
        params = parsed(LedgerInput, request.query_params)
        person = person_for(request.user, params["person"])
        year = year_param(params.get("year"))
        leave_type = LeaveType.objects.get(category=params["type"])
        in_lieu = leave_type.category == LeaveType.Category.IN_LIEU
        lines = selectors.ledger_for(person, leave_type, None if in_lieu else year)
        return Response(
            {
                "person": person_ref(person),
                "leave_type": type_ref(leave_type),
                "year": None if in_lieu else year,
                "balance": lines[-1].running if lines else selectors.ZERO,
                "lines": LedgerLineSerializer(lines, many=True).data,
            }
        )


class WorkingDaysView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, LeavePolicyPermission]
    policy_actions = {"get": READ_RULE}

    @extend_schema(
        summary="Count the working days between two dates",
        description=(
            "Working days from `start` to `end` inclusive: weekends and public holidays off, make-up workdays "
            "(调休上班) on. With `type` the type's own unit is used (some leave runs in calendar days). "
            "`start_pm` starts in the afternoon, `end_am` ends at noon (half a day each, if that day counts). "
            "`provisional` is true when the span touches a year whose holidays are not announced. End before "
            "start, a year outside 2004 to 2100, or a span over ten years is a 400 on its field."
        ),
        parameters=[
            OpenApiParameter("start", date, required=True, description="The first day"),
            OpenApiParameter("end", date, required=True, description="The last day"),
            OpenApiParameter("type", str, description="A leave type's code (default: working days)"),
            OpenApiParameter("start_pm", bool, description="The first day from the afternoon"),
            OpenApiParameter("end_am", bool, description="The last day until noon"),
        ],
        responses={200: WorkingDaysSerializer, **ERRORS},
        examples=[
            OpenApiExample("Around the 2026 Spring Festival", value=WORKING_DAYS_EXAMPLE, response_only=True),
            bad("end", "The last day is before the first day."),
        ],
    )
    def get(self, request):
        params = parsed(WorkingDaysInput, request.query_params)
        start, end = params["start"], params["end"]
        errors: dict[str, list[str]] = {}
        for name, day in (("start", start), ("end", end)):
            try:
                calendar.check_year(day.year)
            except DjangoValidationError as exc:
                errors[name] = exc.message_dict["year"]
        if not errors and end < start:
            errors["end"] = [_("The last day is before the first day.")]
        if not errors and (end - start).days >= MAX_SPAN_DAYS:
            errors["end"] = [_("Count at most ten years at a time.")]
        if not errors and start == end and params["start_pm"] and params["end_am"]:
            errors["end_am"] = [_("A single day cannot start in the afternoon and end at noon.")]
        if errors:
            raise ValidationError(errors)
        working = leave_type_by_code(params["type"], "type").in_working_days if params.get("type") else True
        days, provisional = calendar.Calendar().count(
            start, end, working_days=working, start_pm=params["start_pm"], end_am=params["end_am"]
        )
        return Response({"start": start.isoformat(), "end": end.isoformat(), "days": days, "provisional": provisional})


class HolidaysView(APIView):
    permission_classes = [IsAuthenticatedPrincipal, LeavePolicyPermission]
    policy_actions = {"get": READ_RULE}

    @extend_schema(
        summary="A year's public holidays and make-up workdays",
        description=(
            "The days that differ from the weekend rule: public holidays (`holiday`) and the weekend days "
            "worked instead (`workday`, 调休上班). `source` says where the year comes from: an administrator's "
            "entry, the holiday library, or nothing known (weekends only, `provisional`). A year outside "
            "2004 to 2100 is a 400."
        ),
        parameters=[YEAR],
        responses={200: HolidayYearSerializer, **ERRORS},
        examples=[
            OpenApiExample("2026 (part)", value=HOLIDAYS_EXAMPLE, response_only=True),
            bad("year", "Give a year from 2004 to 2100."),
        ],
    )
    def get(self, request):
        year = year_param(parsed(YearInput, request.query_params).get("year"))
        summary = calendar.year_summary(year)
        return Response(summary | {"days": [day | {"date": day["date"].isoformat()} for day in summary["days"]]})


class LeaveRequestPagination(StableCursorPagination):
    ordering = ("-start_date", "-id")


#: What a request shows, joined in the one query of a page.
REQUEST_RELATED = ("person__unit", "leave_type", "approver__person", "decided_by__person")


@extend_schema_view(
    list=extend_schema(
        summary="Leave requests I may see",
        description=(
            "Latest first. A person sees their own, a supervisor their reports', an HR officer their units', "
            "a counsellor those of people on their caseload, an administrator and API clients with a leave "
            "scope everyone's. `date_from` / `date_to` keep the requests that overlap the period. An unknown "
            "`type` is a 400. The note appears only for those who may read it, never for an API client."
        ),
        parameters=REQUEST_FILTERS,
        responses={200: LeaveRequestSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("A page of requests", value=page_example(REQUEST_EXAMPLE), response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One leave request",
        description="A request you may not see answers 404, exactly like a missing one.",
        parameters=[REQUEST_ID],
        responses={200: LeaveRequestSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("A request waiting for approval", value=REQUEST_EXAMPLE | {"note": ""}, response_only=True)
        ],
    ),
    create=extend_schema(
        summary="Request leave",
        description=(
            "A user for themselves (leave out `person`) or for someone they may request for (their reports, "
            "or people in their units for an HR officer); an API client with `leave:write` for the person it "
            "names. The request waits for the person's supervisor, who is reminded. The days are counted "
            "from the calendar; overlapping leave, a balance that would go below zero, an unknown or "
            "inactive type, end before start, dates more than about a year away and a half day on a day "
            "off are each a 400 on its field, and nothing is written. A person you may not see: 404; one "
            "you may see but not request for: 403."
        ),
        request=RequestCreateInput,
        responses={201: LeaveRequestSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("Three days of annual leave", value=CREATE_EXAMPLE, request_only=True),
            OpenApiExample("The request", value=REQUEST_EXAMPLE, response_only=True, status_codes=["201"]),
            bad(
                "start_date",
                "You already have 年休假 from 2026-12-07 to 2026-12-09 (waiting for approval) on these dates.",
            ),
        ],
    ),
)
class LeaveRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    # Every action: "leave.calendar" (signed in, or a leave scope), then the selectors decide which
    # requests (404 for others); deciding and cancelling also need their rule on the request (403).
    permission_classes = [IsAuthenticatedPrincipal, LeavePolicyPermission]
    policy_actions = dict.fromkeys(["list", "retrieve", "create", "decide", "cancel"], READ_RULE)
    policy_object_actions = {"decide": "leave.approve", "cancel": "leave.cancel"}
    serializer_class = LeaveRequestSerializer
    pagination_class = LeaveRequestPagination
    filter_backends = []
    queryset = LeaveRequest.objects.none()  # for the schema; real querysets come from the selector

    def get_queryset(self):
        qs = shown_requests(self.request.user).select_related(*REQUEST_RELATED)
        if self.action != "list":
            return qs
        params = parsed(RequestFilterInput, self.request.query_params)
        if params["person"]:
            qs = qs.filter(person__external_id=params["person"])
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("date_from"):
            qs = qs.filter(end_date__gte=params["date_from"])
        if params.get("date_to"):
            qs = qs.filter(start_date__lte=params["date_to"])
        if params.get("type"):
            qs = qs.filter(leave_type=leave_type_by_code(params["type"], "type"))
        return qs

    def get_object(self):
        request = request_for_user(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, request)  # policy_object_actions
        return request

    def _shown(self, request: LeaveRequest, status_code: int = status.HTTP_200_OK) -> Response:
        request = shown_requests(self.request.user).select_related(*REQUEST_RELATED).get(pk=request.pk)
        return Response(LeaveRequestSerializer(request, context=self.get_serializer_context()).data, status=status_code)

    def create(self, request, *args, **kwargs):
        user = request.user
        # Whom it is for, first: 404 for a person one may not see, 403 for one one may not request for,
        # whatever else the body says.
        body = request.data if isinstance(request.data, dict) else {}
        person = person_for(user, parsed(PersonInput, {"person": body.get("person", "")})["person"])
        if not policy.can(user, "leave.request_for", person):
            raise PermissionDenied(_("You cannot request leave for this person."))
        data = parsed(RequestCreateInput, request.data)
        created = services.request_submit(
            actor=user,
            person=person,
            data=services.RequestInput(
                leave_type=leave_type_by_code(data["leave_type"], "leave_type"),
                start_date=data["start_date"],
                end_date=data["end_date"],
                start_pm=data["start_pm"],
                end_am=data["end_am"],
                note=data["note"],
            ),
            origin=LeaveRequest.Origin.API if policy.access_for(user).api_client else LeaveRequest.Origin.PERSON,
        )
        return self._shown(created, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve or reject a request (the person's supervisor)",
        description=(
            "Approving checks the balance and overlaps again and writes the days taken to the ledger; "
            "rejecting needs a `comment`. Only the person's supervisor decides, never about themself and "
            "never an API client (403). A request already decided is a 400."
        ),
        parameters=[REQUEST_ID],
        request=DecideInput,
        responses={200: LeaveRequestSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("Approve", value={"approve": True, "comment": "同意"}, request_only=True),
            OpenApiExample("The approved request", value=APPROVED_EXAMPLE, response_only=True),
            bad("comment", "Say why the request is rejected."),
        ],
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        leave_request = self.get_object()
        data = parsed(DecideInput, request.data)
        leave_request = services.request_decide(
            actor=request.user, request=leave_request, approve=data["approve"], comment=data["comment"]
        )
        return self._shown(leave_request)

    @extend_schema(
        summary="Withdraw or cancel a request",
        description=(
            "A request still waiting is withdrawn; approved leave is cancelled and its days come back to the "
            "balance (a `reason` is then required). The person may cancel approved leave until it starts; "
            "their supervisor and the HR officers of their unit at any time; an API client with "
            "`leave:write`. Others who may see the request: 403. A request already closed is a 400."
        ),
        parameters=[REQUEST_ID],
        request=CancelInput,
        responses={200: LeaveRequestSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("Cancel approved leave", value={"reason": "工作安排变化"}, request_only=True),
            OpenApiExample("The cancelled request", value=CANCELLED_EXAMPLE, response_only=True),
            bad("reason", "Say why approved leave is cancelled."),
        ],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        leave_request = self.get_object()
        data = parsed(CancelInput, request.data)
        leave_request = services.request_cancel(actor=request.user, request=leave_request, reason=data["reason"])
        return self._shown(leave_request)
