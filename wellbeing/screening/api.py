"""/api/v1/screenings/ and /api/v1/instruments/: taking a screening questionnaire, reading results, and
the questionnaires offered (issue 9, item 6).

- ``POST /api/v1/screenings/``: the signed-in person's own answers (never anyone else's: a ``person`` in
  the body is a 400), scored at once; the answer says what happens next for the tier (crisis contacts
  for red). ``Idempotency-Key`` makes a double tap store one result (the repeat answers 200 with the
  first result). Bad input is a 400 in the one error shape and stores nothing.
- ``GET /api/v1/screenings/`` and ``/{id}/``: the results ``policy.screenings_visible_to`` allows (own;
  a counsellor's caseload; the lead counsellor's consented or referred people). Never the answers.
  Each result of someone else shown is an audited read (the score, band and tier: one audit entry per
  result listed or opened, naming the person it is about).
- ``POST /api/v1/screenings/{id}/ask-counsellor/``: the person accepts the counsellor outreach offered
  with one of their own results (a self-referral, soon).
- ``GET /api/v1/instruments/`` and ``/{code}/``: the questionnaires offered, in the request's language.

No API client scope reaches any of this (access.md: screening results "never"): a token gets 403.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from wellbeing import policy
from wellbeing.api.pagination import StableCursorPagination
from wellbeing.api.permissions import IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.views import ERRORS, NOT_FOUND, page_example
from wellbeing.audit import audit_sensitive_reads
from wellbeing.models import CrisisContact, Instrument, Referral, Screening, ScreeningTier
from wellbeing.screening import services

#: What a reader other than the person is shown of a result, and the audit trail records as read.
READ_FIELDS = ["band", "reviewed_tier", "score", "tier"]
#: The most answers a body may carry (no questionnaire comes close; the service checks the count).
MAX_ANSWERS = 200
#: The longest ``Idempotency-Key`` (it is stored as the submission key).
IDEMPOTENCY_KEY_MAX = 64
IDEMPOTENCY_HEADER = "Idempotency-Key"

# --- Policy -----------------------------------------------------------------------------------------


class ScreeningPolicyPermission(PolicyPermission):
    """``PolicyPermission``, saying why when an API client is refused (no scope reaches screening)."""

    def has_permission(self, request, view):
        allowed = super().has_permission(request, view)
        if not allowed and policy.access_for(request.user).api_client is not None:
            self.message = _("No API client scope reaches screening: it is for people signed in.")
        return allowed


def screening_list_for_user(*, user, instrument: str = "", person: str = ""):
    """The results ``user`` may see, newest first, with what a row shows loaded (no query per row)."""
    qs = policy.screenings_visible_to(user).select_related("person", "instrument", "band")
    if instrument:
        qs = qs.filter(instrument__code=instrument)
    if person:
        qs = qs.filter(person__external_id=person)
    return qs


def screening_get_for_user(*, user, screening_id) -> Screening:
    """One result ``user`` may see (a read of someone else's is audited), else 404."""
    try:
        screening = screening_list_for_user(user=user).get(pk=int(screening_id))
    except (Screening.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    audit_reads_of_others(user=user, screenings=[screening])
    return screening


def own_screening_for_user(*, user, screening_id) -> Screening:
    """One of ``user``'s own results, else 404 (someone else's looks missing)."""
    person = policy.access_for(user).person
    if person is None:
        raise Http404
    try:
        return Screening.objects.select_related("person", "instrument", "band").get(pk=int(screening_id), person=person)
    except (Screening.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def audit_reads_of_others(*, user, screenings) -> None:
    """One audit entry per result about someone else that ``user`` is shown, naming that person (one
    statement per person shown). One's own results are not audited."""
    me = policy.access_for(user).person
    by_person = defaultdict(list)
    for screening in screenings:
        if me is None or screening.person_id != me.pk:
            by_person[screening.person].append(screening)
    for person, rows in by_person.items():
        audit_sensitive_reads(actor=user, targets=rows, fields=READ_FIELDS, subject_person=person)


# --- Serializers ------------------------------------------------------------------------------------


class ScreeningPersonSerializer(serializers.Serializer):
    external_id = serializers.CharField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class BandSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True, help_text=gettext_lazy("In the request's language"))


class CrisisContactSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)


class NextStepsSerializer(serializers.Serializer):
    """What happens next for a result's tier (design/domain.md, "Risk tiers and response")."""

    tier = serializers.ChoiceField(choices=ScreeningTier.choices, read_only=True)
    message = serializers.CharField(read_only=True, help_text=gettext_lazy("What happens next, for the person"))
    counsellor_contact = serializers.ChoiceField(
        choices=[("today", "today"), ("within_24_hours", "within 24 hours"), ("on_request", "on request")],
        read_only=True,
        help_text=gettext_lazy(
            "today (red: a counsellor has been told), within_24_hours (orange), on_request (yellow and green: "
            "POST ask_counsellor)"
        ),
    )
    crisis_contacts = CrisisContactSerializer(
        many=True, read_only=True, help_text=gettext_lazy("Shown at once with a red result; empty otherwise")
    )
    ask_counsellor = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("POST here to ask a counsellor to contact you (yellow and green); null otherwise"),
    )
    rescreen_after_days = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Yellow: you are reminded to take the questionnaire again this many days later"),
    )
    self_help = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=gettext_lazy("Self-help suggestions (yellow and green); empty otherwise"),
    )


def self_help() -> list[str]:
    return [
        _("Keep regular hours for sleep and meals."),
        _("Move a little every day: a walk counts."),
        _("Talk with someone you trust about how you feel."),
        _("You can take a questionnaire again at any time."),
    ]


def next_steps(screening: Screening, request=None) -> dict:
    """What the person is told happens next for the result's (effective) tier."""
    tier = screening.effective_tier
    steps = {
        "tier": tier.value,
        "message": "",
        "counsellor_contact": "on_request",
        "crisis_contacts": [],
        "ask_counsellor": None,
        "rescreen_after_days": None,
        "self_help": [],
    }
    if tier == ScreeningTier.RED:
        steps["message"] = _("A counsellor has been told and will contact you today.")
        steps["counsellor_contact"] = "today"
        steps["crisis_contacts"] = CrisisContactSerializer(CrisisContact.objects.all(), many=True).data
        return steps
    if tier == ScreeningTier.ORANGE:
        steps["message"] = _("A counsellor will contact you within 24 hours.")
        steps["counsellor_contact"] = "within_24_hours"
        return steps
    url = reverse("screening-ask-counsellor", args=[screening.pk])
    steps["ask_counsellor"] = request.build_absolute_uri(url) if request is not None else url
    steps["self_help"] = self_help()
    if tier == ScreeningTier.YELLOW:
        days = settings.SCREENING_RESCREEN_DAYS
        steps["rescreen_after_days"] = days
        steps["message"] = _(
            "A counsellor can contact you if you would like: just ask. We will remind you to take the "
            "questionnaire again in %(days)s days."
        ) % {"days": days}
    else:
        steps["message"] = _(
            "Your answers do not suggest you need support now. You can ask a counsellor to contact you at any time."
        )
    return steps


class ScreeningSerializer(serializers.ModelSerializer):
    """A result as a list shows it. Never the answers."""

    person = ScreeningPersonSerializer(read_only=True)
    instrument = serializers.SlugRelatedField(slug_field="code", read_only=True)
    band = BandSerializer(read_only=True)
    tier = serializers.ChoiceField(
        choices=ScreeningTier.choices, read_only=True, help_text=gettext_lazy("The tier the score called for")
    )
    reviewed_tier = serializers.ChoiceField(
        choices=ScreeningTier.choices,
        allow_blank=True,
        read_only=True,
        help_text=gettext_lazy("A counsellor's review of the tier (it wins); empty when not reviewed"),
    )

    class Meta:
        model = Screening
        fields = ["id", "person", "instrument", "score", "band", "tier", "reviewed_tier", "created_at"]
        read_only_fields = fields
        extra_kwargs = {"score": {"help_text": gettext_lazy("The reported score (WHO-5: the 0-100 percentage)")}}


class ScreeningDetailSerializer(ScreeningSerializer):
    """One result: with the band's plain explanation, and for the person themself what happens next."""

    explanation = serializers.CharField(source="band.explanation", read_only=True)
    next_steps = serializers.SerializerMethodField()

    class Meta(ScreeningSerializer.Meta):
        fields = [*ScreeningSerializer.Meta.fields, "explanation", "next_steps"]
        read_only_fields = fields

    @extend_schema_field(NextStepsSerializer(allow_null=True))
    def get_next_steps(self, screening) -> dict | None:
        request = self.context.get("request")
        me = policy.access_for(request.user).person if request is not None else None
        if me is None or screening.person_id != me.pk:
            return None  # what happens next is told to the person, not to a reader
        return next_steps(screening, request)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer"},
        "maxItems": MAX_ANSWERS,
        "description": "One answer value per item, in item order (the values of the questionnaire's options).",
    }
)
class AnswersField(serializers.ListField):
    """The answers, one per item in order: a list of at most ``MAX_ANSWERS`` values, each checked by the
    scoring (which answers ``item_<n>`` for an item that does not fit, ``answers`` for the count)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.JSONField(allow_null=True))
        kwargs.setdefault("max_length", MAX_ANSWERS)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``, nothing else (consent is never read into a string or a number)."""

    default_error_messages = {"invalid": gettext_lazy("Must be true or false.")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class ScreeningInput(serializers.Serializer):
    """``POST /api/v1/screenings/``: one's own answers. Any other field is a 400 (``person`` included:
    answers for someone else are refused)."""

    instrument = serializers.CharField(
        max_length=20, help_text=gettext_lazy("The questionnaire's code: phq9, gad7, who5, k10, pss10")
    )
    answers = AnswersField()
    consent = StrictBooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy(
            "true records your separate consent to screening when you have not given it yet "
            "(without any consent: a 400 on consent)"
        ),
    )

    FOR_SOMEONE_ELSE = ("person", "person_id", "external_id", "user", "user_id")

    def to_internal_value(self, data):
        unknown: dict[str, list[str]] = {}
        if isinstance(data, dict):
            for name in sorted(set(data) - set(self.fields), key=str):
                if name in self.FOR_SOMEONE_ELSE:
                    unknown[str(name)] = [
                        _("You can only submit your own answers: leave out %(field)s.") % {"field": name}
                    ]
                else:
                    unknown[str(name)] = [_("Unknown field: give instrument, answers and consent only.")]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class ScreeningFilterInput(serializers.Serializer):
    instrument = serializers.CharField(max_length=20, required=False)
    person = serializers.CharField(max_length=64, required=False)


class CounsellorAskedSerializer(serializers.Serializer):
    """The referral the person's ask made (or the open one they have): its status only."""

    status = serializers.ChoiceField(choices=Referral.Status.choices, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    message = serializers.CharField(read_only=True)


def idempotency_key(request) -> str:
    """The ``Idempotency-Key`` header ("" when none): at most 64 visible ASCII characters, else a 400."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not key:
        return ""
    if len(key) > IDEMPOTENCY_KEY_MAX or not all("!" <= c <= "~" for c in key):
        raise ValidationError(
            {
                IDEMPOTENCY_HEADER: [
                    _("Use at most %(max)s visible ASCII characters, e.g. a UUID.") % {"max": IDEMPOTENCY_KEY_MAX}
                ]
            }
        )
    return key


# --- Schema examples --------------------------------------------------------------------------------

PERSON_EXAMPLE = {"external_id": "HR-000123", "name": "王静"}
LIST_EXAMPLE = {
    "id": 31,
    "person": PERSON_EXAMPLE,
    "instrument": "phq9",
    "score": 11,
    "band": {"code": "moderate", "label": "中度"},
    "tier": "yellow",
    "reviewed_tier": "",
    "created_at": "2026-11-20T10:05:00+08:00",
}
CRISIS_EXAMPLE = [
    {"name": "全国统一心理援助热线", "phone": "12356", "note": "24小时免费心理援助"},
    {"name": "医疗急救", "phone": "120", "note": "有生命危险时立即拨打"},
    {"name": "报警", "phone": "110", "note": ""},
]
RED_EXAMPLE = LIST_EXAMPLE | {
    "score": 1,
    "band": {"code": "none", "label": "无"},
    "tier": "red",
    "explanation": "……",
    "next_steps": {
        "tier": "red",
        "message": "已通知心理咨询师，今天会与您联系。",
        "counsellor_contact": "today",
        "crisis_contacts": CRISIS_EXAMPLE,
        "ask_counsellor": None,
        "rescreen_after_days": None,
        "self_help": [],
    },
}
YELLOW_EXAMPLE = LIST_EXAMPLE | {
    "explanation": "……",
    "next_steps": {
        "tier": "yellow",
        "message": "……",
        "counsellor_contact": "on_request",
        "crisis_contacts": [],
        "ask_counsellor": "https://tanxin.example/api/v1/screenings/31/ask-counsellor/",
        "rescreen_after_days": 28,
        "self_help": ["……"],
    },
}
COUNSELLOR_VIEW_EXAMPLE = LIST_EXAMPLE | {"explanation": "……", "next_steps": None}
SUBMIT_EXAMPLE = {"instrument": "phq9", "answers": [2, 2, 2, 1, 1, 1, 1, 1, 0], "consent": True}
INSTRUMENT_EXAMPLE = {
    "code": "gad7",
    "name": "广泛性焦虑量表（GAD-7）",
    "instructions": "在过去两周里，您有多少时间受到以下问题困扰？",
    "minutes": 2,
    "multiplier": 1,
    "licence_note": "免费使用",
    "score_range": {"min": 0, "max": 21},
    "items": [{"number": 1, "text": "感觉紧张、焦虑或急切"}],
    "options": [
        {"value": 0, "label": "完全不会"},
        {"value": 1, "label": "好几天"},
        {"value": 2, "label": "一半以上的天数"},
        {"value": 3, "label": "几乎每天"},
    ],
    "bands": [
        {"code": "minimal", "min": 0, "max": 4, "label": "极轻微"},
        {"code": "mild", "min": 5, "max": 9, "label": "轻度"},
        {"code": "moderate", "min": 10, "max": 14, "label": "中度"},
        {"code": "severe", "min": 15, "max": 21, "label": "重度"},
    ],
}

FILTERS = [
    OpenApiParameter("instrument", str, description="A questionnaire's code, e.g. phq9"),
    OpenApiParameter("person", str, description="The person's external ID"),
]
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX, "pattern": "^[!-~]*$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A key for this submission (e.g. a UUID made when the form opened). Sent again - a double tap, a "
        "retry after a lost connection - it stores nothing new and answers 200 with the first result."
    ),
)

# --- Views ------------------------------------------------------------------------------------------


class ScreeningCursorPagination(StableCursorPagination):
    ordering = ("-created_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="Screening results I may see (never the answers)",
        description=(
            "Your own results; a counsellor also sees the results of the people on their caseload, the lead "
            "counsellor those of everyone whose consent stands or who was referred. Supervisors, HR and the "
            "leading group see only their own here (check-up completion and counts are elsewhere). No API "
            "client scope reads screenings (403). Every result of someone else listed is an audited read."
        ),
        parameters=FILTERS,
        responses={200: ScreeningSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("A page of results", value=page_example(LIST_EXAMPLE), response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One screening result (never the answers; someone else's is an audited read)",
        description="`next_steps` is for the person themself; it is null for anyone else reading the result.",
        responses={200: ScreeningDetailSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("My result", value=YELLOW_EXAMPLE, response_only=True),
            OpenApiExample("A result on a counsellor's caseload", value=COUNSELLOR_VIEW_EXAMPLE, response_only=True),
        ],
    ),
    create=extend_schema(
        summary="Take a screening questionnaire (your own answers)",
        description=(
            "Scores your answers at once and starts what the tier calls for: red - a counsellor is told now "
            "and the crisis contacts are in `next_steps`; orange - a counsellor within 24 hours; yellow - "
            "counsellor outreach offered (`next_steps.ask_counsellor`) and a reminder to take it again; green - "
            "self-help suggestions. `consent: true` records your separate consent first if you have not given "
            "it; without any consent the answer is a 400 on `consent`. Answers that do not fit are a 400 with "
            "`answers` (the count or shape) or `item_<n>` (one item); an unknown questionnaire a 400 on "
            "`instrument`; a `person` or any other field a 400 on that field: you can only answer for "
            "yourself. Nothing is stored on a 400. Only people signed in take screenings (API clients: 403)."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ScreeningInput,
        responses={
            201: ScreeningDetailSerializer,
            200: OpenApiResponse(
                ScreeningDetailSerializer, description="The same Idempotency-Key again: the first result"
            ),
            **ERRORS,
        },
        examples=[
            OpenApiExample("PHQ-9 answers, with consent", value=SUBMIT_EXAMPLE, request_only=True),
            OpenApiExample("A yellow result", value=YELLOW_EXAMPLE, response_only=True, status_codes=["201", "200"]),
            OpenApiExample(
                "A red result: crisis contacts at once", value=RED_EXAMPLE, response_only=True, status_codes=["201"]
            ),
            OpenApiExample(
                "No consent",
                value={
                    "message": "The request was not valid; see the field errors.",
                    "errors": {"consent": ["Consent to screening is needed first: ..."]},
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    ),
)
class ScreeningViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    # Reads: "screening.list" (people with a role, never an API client), then the visibility
    # (policy.screenings_visible_to) decides which results: 404 for any other. Taking a questionnaire and
    # asking for a counsellor: "screening.take" (one's own, staff with a profile).
    permission_classes = [IsAuthenticatedPrincipal, ScreeningPolicyPermission]
    policy_actions = {
        "list": "screening.list",
        "retrieve": "screening.list",
        "create": "screening.take",
        "ask_counsellor": "screening.take",
    }
    pagination_class = ScreeningCursorPagination
    filter_backends = []
    queryset = Screening.objects.none()

    def get_serializer_class(self):
        return ScreeningSerializer if self.action == "list" else ScreeningDetailSerializer

    def get_queryset(self):
        params = ScreeningFilterInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return screening_list_for_user(user=self.request.user, **params.validated_data)

    def get_object(self):
        return screening_get_for_user(user=self.request.user, screening_id=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        audit_reads_of_others(user=request.user, screenings=page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        key = idempotency_key(request)
        data = ScreeningInput(data=request.data)
        data.is_valid(raise_exception=True)
        submitted = services.screening_submit(actor=request.user, submission_key=key, **data.validated_data)
        screening = own_screening_for_user(user=request.user, screening_id=submitted.screening.pk)
        body = ScreeningDetailSerializer(screening, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if submitted.created else status.HTTP_200_OK)

    @extend_schema(
        summary="Ask a counsellor to contact me about this result",
        description=(
            "Accepts the counsellor outreach offered with one of your own results: a self-referral, to be "
            "taken up within a week. Asking again while a referral of yours is open answers that one. "
            "Someone else's result: 404."
        ),
        request=None,
        responses={200: CounsellorAskedSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "Asked",
                value={
                    "status": "received",
                    "created_at": "2026-11-20T10:06:00+08:00",
                    "message": "心理咨询团队已收到您的请求，心理咨询师会与您联系。",
                },
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="ask-counsellor", url_name="ask-counsellor")
    def ask_counsellor(self, request, pk=None):
        screening = own_screening_for_user(user=request.user, screening_id=pk)
        referral = services.referral_ask(actor=request.user, screening=screening)
        body = {
            "status": referral.status,
            "created_at": referral.created_at,
            "message": _("The counselling team has your request; a counsellor will contact you."),
        }
        return Response(CounsellorAskedSerializer(body).data)


# --- Instruments ------------------------------------------------------------------------------------


class InstrumentItemSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="position", read_only=True)
    text = serializers.CharField(read_only=True)


class InstrumentOptionSerializer(serializers.Serializer):
    value = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)


class InstrumentBandSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    min = serializers.IntegerField(source="min_score", read_only=True)
    max = serializers.IntegerField(source="max_score", read_only=True)
    label = serializers.CharField(read_only=True)


class ScoreRangeSerializer(serializers.Serializer):
    min = serializers.IntegerField(read_only=True)
    max = serializers.IntegerField(read_only=True)


class InstrumentSerializer(serializers.ModelSerializer):
    """A questionnaire offered, in the request's language (Accept-Language: zh-hans or en)."""

    name = serializers.CharField(read_only=True)
    instructions = serializers.CharField(read_only=True)
    score_range = serializers.SerializerMethodField()
    items = InstrumentItemSerializer(many=True, read_only=True)
    options = InstrumentOptionSerializer(many=True, read_only=True)
    bands = InstrumentBandSerializer(many=True, read_only=True)

    class Meta:
        model = Instrument
        fields = [
            "code",
            "name",
            "instructions",
            "minutes",
            "multiplier",
            "licence_note",
            "score_range",
            "items",
            "options",
            "bands",
        ]
        read_only_fields = fields

    @extend_schema_field(ScoreRangeSerializer)
    def get_score_range(self, instrument) -> dict:
        low, high = instrument.score_range()
        return {"min": low, "max": high}


class InstrumentCursorPagination(StableCursorPagination):
    ordering = ("position", "code")


@extend_schema_view(
    list=extend_schema(
        summary="The screening questionnaires offered",
        description=(
            "Each with its items, answer options, score range and severity bands, in the request's language "
            "(Accept-Language: zh-hans or en). For people signed in; API clients: 403."
        ),
        responses={200: InstrumentSerializer(many=True), **ERRORS},
        examples=[
            OpenApiExample("A page of questionnaires", value=page_example(INSTRUMENT_EXAMPLE), response_only=True)
        ],
    ),
    retrieve=extend_schema(
        summary="One screening questionnaire, by its code",
        responses={200: InstrumentSerializer, **ERRORS, **NOT_FOUND},
        examples=[OpenApiExample("GAD-7", value=INSTRUMENT_EXAMPLE, response_only=True)],
    ),
)
class InstrumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Reading a questionnaire is for taking it: "screening.take" (people signed in; no API client scope).
    permission_classes = [IsAuthenticatedPrincipal, ScreeningPolicyPermission]
    policy_actions = {"list": "screening.take", "retrieve": "screening.take"}
    serializer_class = InstrumentSerializer
    pagination_class = InstrumentCursorPagination
    filter_backends = []
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    queryset = Instrument.objects.none()

    def get_queryset(self):
        return Instrument.objects.filter(is_active=True).prefetch_related("items", "options", "bands")

    def get_object(self):
        code = self.kwargs["code"]
        instrument = self.get_queryset().filter(code=code).first() if "\x00" not in code else None
        if instrument is None:
            raise Http404
        return instrument
