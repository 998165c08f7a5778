"""Forms of the care pages: they read what was typed (bad dates are errors next to their fields);
the rules (something done, a date not in the future) are the service's
(``programme.services.care.care_record_create``), whose errors the views put back next to the same
fields."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme.models import CareRecord

DATE_FORMAT = "%Y-%m-%d"
FIRST_YEAR = 2000


class CareRecordForm(forms.Form):
    situation = forms.ChoiceField(
        label=_("Situation"),
        choices=[("", "—"), *CareRecord.Situation.choices],
        error_messages={"required": _("Choose the situation."), "invalid_choice": _("Choose the situation.")},
    )
    occurred_on = forms.DateField(
        label=_("Date"),
        input_formats=[DATE_FORMAT, "%Y/%m/%d", "%Y.%m.%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
        error_messages={"required": _("Give the date."), "invalid": _("Give a date as YYYY-MM-DD.")},
    )
    visited = forms.BooleanField(label=_("Visited"), required=False)
    help_arranged = forms.BooleanField(label=_("Practical help arranged"), required=False)
    leave_suggested = forms.BooleanField(label=_("Leave suggested"), required=False)
    note = forms.CharField(
        label=_("What was done (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept confidential: only the person, their supervisors and HR for their unit can read it."),
    )

    def clean_occurred_on(self) -> date:
        day = self.cleaned_data["occurred_on"]
        if day.year < FIRST_YEAR:
            raise ValidationError(_("Give a date from %(year)s on.") % {"year": FIRST_YEAR})
        if day > timezone.localdate():
            raise ValidationError(_("Give a date that is not in the future."))
        return day


class CareFilterForm(forms.Form):
    """``?q=``: a name (part of one), for the list and the person picker."""

    q = forms.CharField(label=_("Name"), max_length=100, required=False, strip=True)

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""
