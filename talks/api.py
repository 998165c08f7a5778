"""/api/v1/talks/: create, list, read and amend talk records, for signed-in users only.

No API-client scope can read talks. Lists carry who/when/kind; the recorded text appears only in a
single talk, only for those the policy allows, and each such read is audited. The author amends a talk
(PATCH) within TALK_AMEND_DAYS and annotates it (POST .../annotations/) after that.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
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
from rest_framework.response import Response

from talks import history, selectors, services
from talks.models import MAX_ACTIONS, TEXT_MAX, Talk, TalkAction
from wellbeing import policy
from wellbeing.api.permissions import IsAuthenticatedPrincipal, PolicyPermission
from wellbeing.api.serializers import DATETIME_HELP, OrgDateTimeField
from wellbeing.api.views import ERRORS, NOT_FOUND, page_example
from wellbeing.models import OrgUnit, Person, Referral


class TalkSerializer(serializers.ModelSerializer):
    # Empty for a routine talk (and when withheld): the schema must allow "" besides the choices.
    trigger = serializers.ChoiceField(choices=Talk.Trigger.choices, allow_blank=True, read_only=True)
    participants = serializers.SerializerMethodField()
    led_by = serializers.CharField(source="led_by.get_username", read_only=True)

    class Meta:
        model = Talk
        fields = [
            "id",
            "kind",
            "occasion",
            "trigger",
            "held_at",
            "location",
            "duration_minutes",
            "participants",
            "led_by",
            "confidentiality",
            "created_at",
        ]
        read_only_fields = fields

    #: Shown empty (or null) when the policy withholds them from the reader (talks/rules.py).
    WITHHELD = {"trigger": "", "location": "", "mood": None, "mood_tags": []}

    def get_participants(self, talk) -> list[str]:
        return [p.person.external_id for p in talk.participations.all()]

    def to_representation(self, talk):
        data = super().to_representation(talk)
        visible = policy.visible_fields(self.context["request"].user, talk)
        for name, empty in self.WITHHELD.items():
            if name in data and name not in visible:
                data[name] = empty
        return data


class TalkTextSerializer(serializers.Serializer):
    main_content = serializers.CharField(allow_null=True)
    difficulties = serializers.CharField(allow_null=True)
    suggestions = serializers.CharField(allow_null=True)
    shared_summary = serializers.CharField(allow_null=True)


class AnnotationSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(read_only=True)
    text = serializers.CharField(read_only=True)


class TalkDetailSerializer(TalkSerializer):
    mood_tags = serializers.ListField(child=serializers.ChoiceField(choices=Talk.MoodTag.choices), read_only=True)
    text = serializers.SerializerMethodField()
    annotations = serializers.SerializerMethodField()

    class Meta(TalkSerializer.Meta):
        fields = [*TalkSerializer.Meta.fields, "mood", "mood_tags", "version", "amended_at", "text", "annotations"]
        read_only_fields = fields

    @extend_schema_field(TalkTextSerializer)
    def get_text(self, talk) -> dict:
        text = selectors.talk_text_for_user(user=self.context["request"].user, talk=talk)
        return TalkTextSerializer(text.__dict__).data

    @extend_schema_field(AnnotationSerializer(many=True))
    def get_annotations(self, talk) -> list:
        """The author's annotations, for whoever may read the recorded text (audited); else empty."""
        annotations = history.talk_annotations_for_user(user=self.context["request"].user, talk=talk)
        return AnnotationSerializer(annotations, many=True).data


class ActionInput(serializers.Serializer):
    description = serializers.CharField(max_length=200)
    person = serializers.CharField(max_length=64, required=False, help_text="External ID of the participant it is for")
    owner_kind = serializers.ChoiceField(choices=TalkAction.OwnerKind.choices, default=TalkAction.OwnerKind.SUPERVISOR)
    owner = serializers.CharField(
        max_length=64, required=False, help_text="External ID of the colleague (owner_kind colleague)"
    )
    due_date = serializers.DateField()


class ReferralInput(serializers.Serializer):
    person = serializers.CharField(max_length=64, required=False, help_text="External ID (required in group talks)")
    urgency = serializers.ChoiceField(choices=Referral.Urgency.choices)
    reason = serializers.ChoiceField(choices=Referral.Reason.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TalkCreateInput(serializers.Serializer):
    participants = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False, max_length=200)
    kind = serializers.ChoiceField(choices=Talk.Kind.choices, default=Talk.Kind.INDIVIDUAL)
    occasion = serializers.ChoiceField(choices=Talk.Occasion.choices, default=Talk.Occasion.ROUTINE)
    trigger = serializers.ChoiceField(choices=Talk.Trigger.choices, required=False, allow_blank=True, default="")
    held_at = OrgDateTimeField(
        help_text=format_lazy("{} {}", gettext_lazy("When the talk was held; not in the future."), DATETIME_HELP)
    )
    location = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    duration_minutes = serializers.IntegerField(min_value=1, max_value=600, required=False, allow_null=True)
    mood = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    mood_tags = serializers.ListField(
        child=serializers.ChoiceField(choices=Talk.MoodTag.choices), required=False, default=list
    )
    main_content = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
    difficulties = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
    suggestions = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
    shared_summary = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
    confidentiality = serializers.ChoiceField(choices=Talk.Confidentiality.choices, default=Talk.Confidentiality.NORMAL)
    actions = ActionInput(many=True, required=False, default=list, max_length=MAX_ACTIONS)
    referral = ReferralInput(required=False, allow_null=True, default=None)

    def validate_participants(self, value):
        # Only the supervisor's own people can be named; anyone else looks the same as nobody.
        people = {
            p.external_id: p
            for p in policy.reports_of(self.context["request"].user)
            .filter(external_id__in=value)
            .select_related("unit", "user")
        }
        if any(v not in people for v in value):
            raise serializers.ValidationError(_("You can log talks only with people in your units."))
        return [people[v] for v in dict.fromkeys(value)]


class TalkAmendInput(serializers.Serializer):
    """What the author may amend (every field optional; what is left out stays as it is)."""

    held_at = OrgDateTimeField(
        required=False,
        help_text=format_lazy("{} {}", gettext_lazy("When the talk was held; not in the future."), DATETIME_HELP),
    )
    location = serializers.CharField(max_length=100, required=False, allow_blank=True)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=600, required=False, allow_null=True)
    mood = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    mood_tags = serializers.ListField(child=serializers.ChoiceField(choices=Talk.MoodTag.choices), required=False)
    main_content = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    difficulties = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    suggestions = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    shared_summary = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    confidentiality = serializers.ChoiceField(
        choices=Talk.Confidentiality.choices,
        required=False,
        help_text=gettext_lazy("Only from normal to restricted, never back."),
    )


class AnnotationInput(serializers.Serializer):
    text = serializers.CharField(max_length=services.ANNOTATION_MAX)


class TalkFilterInput(serializers.Serializer):
    person = serializers.CharField(max_length=64, required=False)
    unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    kind = serializers.ChoiceField(choices=Talk.Kind.choices, required=False)


EXAMPLE = {
    "id": 7,
    "kind": "individual",
    "occasion": "triggered",
    "trigger": "family_illness",
    "held_at": "2026-11-20T15:30:00+08:00",
    "location": "办公室",
    "duration_minutes": 40,
    "participants": ["HR-000123"],
    "led_by": "zhangzhuren",
    "confidentiality": "normal",
    "created_at": "2026-11-20T16:20:00+08:00",
}
CREATE_EXAMPLE = {
    "participants": ["HR-000123"],
    "kind": "individual",
    "occasion": "triggered",
    "trigger": "family_illness",
    "held_at": "2026-11-20T15:30:00+08:00",
    "location": "办公室",
    "duration_minutes": 40,
    "mood": 3,
    "mood_tags": ["family", "workload"],
    "main_content": "……",
    "difficulties": "……",
    "suggestions": "……",
    "shared_summary": "……",
    "confidentiality": "normal",
    "actions": [{"description": "调整下月值班安排", "owner_kind": "supervisor", "due_date": "2026-11-30"}],
    "referral": None,
}


@extend_schema_view(
    list=extend_schema(
        summary="Talks I may see (who, when, kind)",
        parameters=[
            OpenApiParameter("person", str, description="External ID of a participant"),
            OpenApiParameter("unit", int, description="Participants in this unit or below"),
            OpenApiParameter("date_from", str),
            OpenApiParameter("date_to", str),
            OpenApiParameter("kind", str, enum=Talk.Kind.values),
        ],
        responses={200: TalkSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("A page of talks", value=page_example(EXAMPLE), response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One talk (its text only where allowed; every read of text is audited)",
        responses={200: TalkDetailSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample(
                "A talk",
                value=EXAMPLE
                | {
                    "mood": 3,
                    "mood_tags": ["family"],
                    "version": 2,
                    "amended_at": "2026-11-21T09:10:00+08:00",
                    "text": {"main_content": "……", "difficulties": "……", "suggestions": "……", "shared_summary": "……"},
                    "annotations": [],
                },
                response_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Amend a talk (its author, within TALK_AMEND_DAYS of logging it)",
        description=(
            "The fields given replace the recorded ones; the version replaced is kept. Who took part, the "
            "kind, the occasion and the agreed actions cannot be amended; confidentiality can only become "
            "restricted. Someone else: 403. The author after the amend window: 400 (annotate instead)."
        ),
        request=TalkAmendInput,
        responses={200: TalkDetailSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("A corrected note", value={"mood": 4, "main_content": "……"}, request_only=True),
            OpenApiExample("The talk", value=EXAMPLE | {"version": 2}, response_only=True),
        ],
    ),
    create=extend_schema(
        summary="Log a talk (supervisors)",
        request=TalkCreateInput,
        responses={201: TalkDetailSerializer, **ERRORS},
        examples=[
            OpenApiExample("A triggered individual talk with one action", value=CREATE_EXAMPLE, request_only=True),
            OpenApiExample("The talk", value=EXAMPLE, response_only=True),
        ],
    ),
)
class TalkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    # Reads: the "talk.view" rule (people only: no API client scope reaches talks), then the selector
    # returns only the talks the reader may see (404 for any other). Logging a talk: "talk.log".
    # Amending and annotating: "talk.view", then the selector (404), then the service asks the policy
    # ("talk.amend" / "talk.annotate": 403 for anyone but the author, 400 for the author out of time).
    permission_classes = [IsAuthenticatedPrincipal, PolicyPermission]
    policy_actions = {
        "list": "talk.view",
        "retrieve": "talk.view",
        "create": "talk.log",
        "partial_update": "talk.view",
        "annotations": "talk.view",
    }
    filter_backends = []
    queryset = Talk.objects.none()

    def get_serializer_class(self):
        return TalkDetailSerializer if self.action in ("retrieve", "create", "partial_update") else TalkSerializer

    def get_queryset(self):
        filters = selectors.TalkFilters()
        if self.action == "list":
            params = TalkFilterInput(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            d = params.validated_data
            person = None
            if d.get("person"):
                person = Person.objects.filter(external_id=d["person"]).first()
                if person is None:
                    return Talk.objects.none()
            filters = selectors.TalkFilters(
                person=person,
                unit=d.get("unit"),
                date_from=d.get("date_from"),
                date_to=d.get("date_to"),
                kind=d.get("kind"),
            )
        return selectors.talk_list_for_user(user=self.request.user, filters=filters)

    def get_object(self):
        return selectors.talk_get_for_user(user=self.request.user, talk_id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = TalkCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = data.validated_data
        by_id = {p.external_id: p for p in d["participants"]}

        def participant(external_id, field):
            if not external_id:
                return None
            if external_id not in by_id:
                raise ValidationError({field: [_("Name someone who took part in the talk.")]})
            return by_id[external_id]

        actions = []
        for a in d.get("actions", []):
            owner = None
            if a.get("owner"):
                colleague = Person.objects.filter(external_id=a["owner"]).select_related("user").first()
                owner = colleague.user if colleague is not None else None
            actions.append(
                services.ActionInput(
                    description=a["description"],
                    due_date=a["due_date"],
                    owner_kind=a["owner_kind"],
                    owner=owner,
                    person=participant(a.get("person"), "actions"),
                )
            )
        referral = None
        if d.get("referral"):
            r = dict(d["referral"])
            r["person"] = participant(r.get("person"), "referral_person")
            referral = services.ReferralInput(**r)
        with transaction.atomic():
            talk = services.talk_create(
                actor=request.user,
                data=services.TalkInput(
                    participants=d["participants"],
                    held_at=d["held_at"],
                    kind=d["kind"],
                    occasion=d["occasion"],
                    trigger=d.get("trigger", ""),
                    location=d.get("location", ""),
                    duration_minutes=d.get("duration_minutes"),
                    mood=d.get("mood"),
                    mood_tags=d.get("mood_tags", []),
                    main_content=d["main_content"],
                    difficulties=d["difficulties"],
                    suggestions=d["suggestions"],
                    shared_summary=d["shared_summary"],
                    confidentiality=d["confidentiality"],
                    actions=actions,
                    referral=referral,
                ),
            )
        talk = selectors.talk_get_for_user(user=request.user, talk_id=talk.pk)
        return Response(TalkDetailSerializer(talk, context={"request": request}).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        talk = self.get_object()
        data = TalkAmendInput(data=request.data)
        data.is_valid(raise_exception=True)
        amendment = services.TalkAmendment.of(talk)
        for name, value in data.validated_data.items():
            setattr(amendment, name, value)
        with transaction.atomic():
            services.talk_amend(actor=request.user, talk=talk, data=amendment)
        talk = selectors.talk_get_for_user(user=request.user, talk_id=talk.pk)
        return Response(TalkDetailSerializer(talk, context={"request": request}).data)

    @extend_schema(
        summary="Annotate a talk (its author, once it can no longer be amended)",
        description="Dated and appended; never changed afterwards. Someone else: 403. While the talk may "
        "still be amended: 400 (amend it instead).",
        request=AnnotationInput,
        responses={201: AnnotationSerializer, **ERRORS, **NOT_FOUND},
        examples=[
            OpenApiExample("An annotation", value={"text": "……"}, request_only=True),
            OpenApiExample(
                "The annotation", value={"created_at": "2026-12-01T10:00:00+08:00", "text": "……"}, response_only=True
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def annotations(self, request, pk=None):
        talk = self.get_object()
        data = AnnotationInput(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            annotation = services.talk_annotate(actor=request.user, talk=talk, text=data.validated_data["text"])
        return Response(AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED)
