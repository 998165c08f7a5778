from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from talks.models import MAX_ACTIONS, TEXT_MAX, Talk, TalkAction
from wellbeing import policy
from wellbeing.models import Person, Referral, Role

#: Dates and times are typed (or kept) in one explicit, language-neutral format and echoed in the
#: page's language next to the field: a native date input would show the browser's locale instead.
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
DATETIME_INPUTS = [
    DATETIME_FORMAT,
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M",
]
DATE_INPUTS = [DATE_FORMAT, "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"]
#: An agreed action is due a week after the talk unless the supervisor says otherwise.
DEFAULT_ACTION_DAYS = 7
#: Open actions of earlier talks that can be ticked off in one talk.
MAX_CARRIED = 50


def _date_attrs(placeholder, kind: str) -> dict:
    return {
        "placeholder": placeholder,
        "autocomplete": "off",
        "spellcheck": "false",
        "data-echo": kind,
        "class": "date-text",
    }


class IdListField(forms.Field):
    """A list of record ids (checkboxes rendered elsewhere); what they may be is the service's call."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Tick only the actions shown.")}

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        ids = []
        for v in values:
            text = str(v)
            if not text.isdecimal() or len(text) > 18:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(text))
        if len(ids) > MAX_CARRIED:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(ids))


class TalkForm(forms.Form):
    """The talk itself. The quick path is who, when, state of mind, a note and the actions; the
    template puts the other fields under "More details" (``DETAIL_FIELDS``)."""

    DETAIL_FIELDS = (
        "kind",
        "occasion",
        "trigger",
        "location",
        "duration_minutes",
        "mood_tags",
        "difficulties",
        "suggestions",
        "shared_summary",
        "confidentiality",
    )
    REFERRAL_FIELDS = ("refer", "referral_urgency", "referral_reason", "referral_person", "referral_note")

    participants = forms.ModelMultipleChoiceField(
        label=_("Who"),
        queryset=Person.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={
            "required": _("Choose who took part."),
            "invalid_choice": _("You can log talks only with people in your units."),
        },
    )
    kind = forms.ChoiceField(
        label=_("Individual or group"),
        choices=Talk.Kind.choices,
        initial=Talk.Kind.INDIVIDUAL,
        widget=forms.RadioSelect,
        help_text=_("Set for you: one person is an individual talk, two or more a group talk."),
    )
    occasion = forms.ChoiceField(
        label=_("Routine or because of an event"),
        choices=Talk.Occasion.choices,
        initial=Talk.Occasion.ROUTINE,
        widget=forms.RadioSelect,
    )
    trigger = forms.ChoiceField(label=_("Trigger"), choices=[("", "—"), *Talk.Trigger.choices], required=False)
    held_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs=_date_attrs(_("YYYY-MM-DD HH:MM"), "datetime"), format=DATETIME_FORMAT),
        input_formats=DATETIME_INPUTS,
        error_messages={"invalid": _("Write the date and time as year-month-day hour:minute, e.g. 2026-05-12 09:30.")},
    )
    location = forms.CharField(label=_("Where"), max_length=100, required=False)
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600, required=False)
    mood = forms.TypedChoiceField(
        label=_("State of mind"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")],
        help_text=_("1 = very low, 5 = very good"),
    )
    mood_tags = forms.MultipleChoiceField(
        label=_("Concerns"), choices=Talk.MoodTag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    main_content = forms.CharField(
        label=_("Main content"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    difficulties = forms.CharField(
        label=_("Difficulties and requests"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    suggestions = forms.CharField(
        label=_("Suggestions"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    shared_summary = forms.CharField(
        label=_("Summary for the person (optional)"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("They can read this; they cannot read the rest."),
    )
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"), choices=Talk.Confidentiality.choices, initial=Talk.Confidentiality.NORMAL
    )
    refer = forms.BooleanField(label=_("Refer to the counselling team"), required=False)
    referral_urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[("", "—"), *Referral.Urgency.choices], required=False
    )
    referral_reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *Referral.Reason.choices], required=False
    )
    referral_person = forms.ModelChoiceField(
        label=_("Referral for"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("In a group talk: who is referred."),
    )
    referral_note = forms.CharField(
        label=_("Note for the counselling team"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Open actions of earlier talks ticked off in this one (the carried-actions panel's checkboxes).
    complete_actions = IdListField(label=_("Done since the last talk"), required=False)
    # The "Save anyway" button after the same-day warning.
    confirm_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = people if people is not None else Person.objects.none()
        self.fields["referral_person"].queryset = people if people is not None else Person.objects.none()
        if not self.is_bound:
            self.fields["held_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        data = super().clean()
        if data.get("occasion") == Talk.Occasion.TRIGGERED and not data.get("trigger"):
            self.add_error("trigger", _("Say what triggered the talk."))
        if data.get("refer") and not data.get("referral_reason"):
            self.add_error("referral_reason", _("Choose a reason for the referral."))
        if data.get("refer") and not data.get("referral_urgency"):
            self.add_error("referral_urgency", _("Choose how urgent it is."))
        if (
            "main_content" in data
            and not data["main_content"].strip()
            and data.get("mood") is None
            and not data.get("mood_tags")
            and "mood" not in self.errors
        ):
            self.add_error(
                "main_content",
                _("Write a short note, or choose a state of mind or a concern: a talk with no content is not saved."),
            )
        return data

    def details_open(self) -> bool:
        """Open "More details" when one of its fields was filled in (differs from its default) or has
        an error, so nothing entered or refused is hidden."""
        for name in self.DETAIL_FIELDS:
            if name in self.errors or (self.is_bound and self[name].value() not in (None, "", [], self[name].initial)):
                return True
        return False

    def referral_open(self) -> bool:
        return any(name in self.errors for name in self.REFERRAL_FIELDS) or bool(self["refer"].value())

    def details_fields(self):
        return [self[name] for name in self.DETAIL_FIELDS]


def unavailable_owner_kinds(person: Person | None) -> dict[str, str]:
    """The action owners that cannot be chosen for an action about ``person``, each with why (shown
    next to the choice): the person without an active login; HR when no HR officer covers their unit.
    The talk service refuses the same (talks.services), so this only saves a failed submit."""
    if person is None:
        return {}
    unavailable = {}
    if person.user_id is None or not person.user.is_active:
        unavailable[TalkAction.OwnerKind.PERSON] = str(_("no login"))
    if not policy.holders_of(Role.HR_OFFICER, person.unit):
        unavailable[TalkAction.OwnerKind.HR] = str(_("no HR officer for this unit"))
    return unavailable


def owner_kind_refusal(kind: str, person: Person) -> str:
    if kind == TalkAction.OwnerKind.PERSON:
        return _("%(name)s has no login, so cannot own an action.") % {"name": person.full_name}
    return _("No HR officer covers %(name)s's unit.") % {"name": person.full_name}


class OwnerKindSelect(forms.Select):
    """A select whose unavailable choices are shown disabled, with the reason in their label."""

    def __init__(self, *args, unavailable=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unavailable = unavailable or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        reason = self.unavailable.get(str(value))
        if reason:
            option["label"] = _("%(choice)s (%(reason)s)") % {"choice": label, "reason": reason}
            option["attrs"]["disabled"] = True
            option["selected"] = False
            option["attrs"].pop("selected", None)
        return option


class ActionForm(forms.Form):
    """One agreed action. The row shows only what applies: "for whom" only in a group talk, the
    colleague only for "another colleague"; a hidden field's value is ignored (the field is disabled
    here, so its submitted value never counts)."""

    description = forms.CharField(
        label=_("Action"),
        max_length=200,
        help_text=_("Shown in reminders: keep it free of health details."),
        error_messages={"required": _("Say what was agreed.")},
    )
    owner_kind = forms.ChoiceField(
        label=_("Who does it"), choices=TalkAction.OwnerKind.choices, initial=TalkAction.OwnerKind.SUPERVISOR
    )
    due_date = forms.DateField(
        label=_("By"),
        widget=forms.DateInput(attrs=_date_attrs(_("YYYY-MM-DD"), "date"), format=DATE_FORMAT),
        input_formats=DATE_INPUTS,
        error_messages={
            "invalid": _("Write the date as year-month-day, e.g. 2026-05-12."),
            "required": _("Say by when."),
        },
    )
    owner = forms.ModelChoiceField(label=_("Colleague"), queryset=Person.objects.none(), required=False)
    person = forms.ModelChoiceField(label=_("For whom"), queryset=Person.objects.none(), required=False)

    def __init__(self, *args, people=None, chosen=None, group=False, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = list(chosen or [])
        self.group = group
        self.fields["owner"].queryset = (
            people.filter(user__isnull=False, user__is_active=True) if people is not None else Person.objects.none()
        )
        self.fields["owner"].label_from_instance = lambda p: f"{p.full_name} · {p.unit.name}"
        self.fields["person"].queryset = Person.objects.filter(pk__in=[p.pk for p in chosen]).order_by("name_pinyin")
        self.fields["person"].label_from_instance = lambda p: p.full_name
        self.fields["person"].empty_label = None  # the first person picked, unless another is chosen
        if chosen:
            self.fields["person"].initial = chosen[0].pk
        self.fields["due_date"].initial = timezone.localdate() + timedelta(days=DEFAULT_ACTION_DAYS)
        # Fields that do not apply are disabled: rendered hidden, and any submitted value ignored.
        self.fields["person"].disabled = not group
        self.fields["owner"].disabled = self._value("owner_kind") != TalkAction.OwnerKind.COLLEAGUE
        self.about = self._about(chosen)
        self.unavailable = unavailable_owner_kinds(self.about)
        self.fields["owner_kind"].widget = OwnerKindSelect(
            choices=self.fields["owner_kind"].choices, unavailable=self.unavailable
        )

    def _value(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name, self.fields[name].initial)

    def _about(self, chosen: list[Person]) -> Person | None:
        """Whom the action is for: in a group talk the person chosen on the row, else the first."""
        if self.group:
            picked = str(self._value("person") or "")
            for p in chosen:
                if str(p.pk) == picked:
                    return p
        return chosen[0] if chosen else None

    def clean(self):
        data = super().clean()
        kind = data.get("owner_kind")
        if kind in self.unavailable and self.about is not None:
            self.add_error("owner_kind", owner_kind_refusal(kind, self.about))
        if kind == TalkAction.OwnerKind.COLLEAGUE and not data.get("owner"):
            self.add_error("owner", _("Choose the colleague who owns the action."))
        if kind != TalkAction.OwnerKind.COLLEAGUE:
            data["owner"] = None
        if not self.group:
            data["person"] = None
        return data

    def shows_owner(self) -> bool:
        return self._value("owner_kind") == TalkAction.OwnerKind.COLLEAGUE


ActionFormSet = formset_factory(ActionForm, extra=0, max_num=MAX_ACTIONS, validate_max=True)


class TalkFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Any kind")), *Talk.Kind.choices], required=False)
