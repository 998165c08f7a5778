"""The form to set up a check-up. What the values may be (dates, questionnaires in use) is the
service's rule (``campaigns.campaign_errors``, checked again by ``campaign_create``); its errors are
shown next to their fields."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wellbeing.models import Instrument, OrgUnit
from wellbeing.screening.campaigns import campaign_errors

DATE_INPUTS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]
#: A new check-up is offered as open for two weeks from today.
DEFAULT_DAYS_OPEN = 14


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.name


class InstrumentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Instrument) -> str:
        return obj.name


class CampaignForm(forms.Form):
    name = forms.CharField(
        label=_("Check-up name"),
        max_length=120,
        help_text=_("For example: 2026 annual psychological check-up."),
        error_messages={"required": _("Give the check-up a name.")},
    )
    units = UnitChoiceField(
        label=_("Units"),
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Everyone in a unit chosen and in the units below it is invited."),
        error_messages={
            "required": _("Choose at least one unit."),
            "invalid_choice": _("Choose units from the list."),
            "invalid_pk_value": _("Choose units from the list."),
        },
    )
    instruments = InstrumentChoiceField(
        label=_("Questionnaires"),
        queryset=Instrument.objects.filter(is_active=True).order_by("position", "code"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one questionnaire."),
            "invalid_choice": _("Choose questionnaires from the list."),
            "invalid_pk_value": _("Choose questionnaires from the list."),
        },
    )
    opens_on = forms.DateField(
        label=_("Opens"),
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Invitations go out on this day."),
        error_messages={"required": _("Give the opening day."), "invalid": _("Give a date as YYYY-MM-DD.")},
    )
    closes_on = forms.DateField(
        label=_("Closes"),
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Invitations not taken by the end of this day are withdrawn."),
        error_messages={"required": _("Give the closing day."), "invalid": _("Give a date as YYYY-MM-DD.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("opens_on", today)
            self.initial.setdefault("closes_on", today + timedelta(days=DEFAULT_DAYS_OPEN))

    def clean(self):
        """The service's checks, shown with the form's own errors (each field's first problem only)."""
        data = super().clean()
        errors = campaign_errors(
            name=data.get("name", ""),
            units=list(data.get("units") or []),
            instruments=list(data.get("instruments") or []),
            opens_on=data.get("opens_on"),
            closes_on=data.get("closes_on"),
        )
        for field, messages in errors.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages)
        return data
