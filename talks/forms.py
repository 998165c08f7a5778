from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from talks.models import MAX_ACTIONS, TEXT_MAX, Talk, TalkAction
from wellbeing.models import Person, Referral


class TalkForm(forms.Form):
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
        label=_("Kind"), choices=Talk.Kind.choices, initial=Talk.Kind.INDIVIDUAL, widget=forms.RadioSelect
    )
    occasion = forms.ChoiceField(
        label=_("Occasion"), choices=Talk.Occasion.choices, initial=Talk.Occasion.ROUTINE, widget=forms.RadioSelect
    )
    trigger = forms.ChoiceField(label=_("Trigger"), choices=[("", "—"), *Talk.Trigger.choices], required=False)
    held_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    location = forms.CharField(label=_("Where"), max_length=100, required=False)
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600, required=False)
    mood = forms.TypedChoiceField(
        label=_("State of mind"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")],
        help_text=_("1 = very low, 5 = very good"),
    )
    mood_tags = forms.MultipleChoiceField(
        label=_("Concerns"), choices=Talk.MoodTag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    main_content = forms.CharField(
        label=_("Main content"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
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
        return data


class ActionForm(forms.Form):
    description = forms.CharField(
        label=_("Action"), max_length=200, help_text=_("Shown in reminders: keep it free of health details.")
    )
    owner_kind = forms.ChoiceField(
        label=_("Owner"), choices=TalkAction.OwnerKind.choices, initial=TalkAction.OwnerKind.SUPERVISOR
    )
    owner = forms.ModelChoiceField(
        label=_("Colleague"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("Only for 'another colleague'."),
    )
    due_date = forms.DateField(label=_("By"), widget=forms.DateInput(attrs={"type": "date"}))
    person = forms.ModelChoiceField(
        label=_("For"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("In a group talk: whom the action is for (default: the first person)."),
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            people.filter(user__isnull=False) if people is not None else Person.objects.none()
        )
        self.fields["person"].queryset = people if people is not None else Person.objects.none()

    def clean(self):
        data = super().clean()
        if data.get("owner_kind") == TalkAction.OwnerKind.COLLEAGUE and not data.get("owner"):
            self.add_error("owner", _("Choose the colleague who owns the action."))
        return data


ActionFormSet = formset_factory(ActionForm, extra=0, max_num=MAX_ACTIONS, validate_max=True)


class TalkFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Any kind")), *Talk.Kind.choices], required=False)
