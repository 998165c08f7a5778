"""Forms of the counselling team's screening pages: reviewing a result's tier, the on-call rota."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wellbeing.models import ScreeningTier
from wellbeing.screening.selectors import user_name

REASON_MAX = 2000


class ReviewForm(forms.Form):
    # Nothing preselected: confirming the computed tier is a decision too, made with a reason.
    tier = forms.ChoiceField(
        label=_("Tier"),
        choices=[("", "—"), *ScreeningTier.choices],
        error_messages={"required": _("Choose a tier."), "invalid_choice": _("Choose a tier.")},
        help_text=_("Confirm the computed tier or override it. Raising it to orange or red refers the person."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why: the reason is kept with the review.")},
        help_text=_("Kept encrypted with the result; the audit trail records that it was given, never its text."),
    )


class OnCallShiftForm(forms.Form):
    """Put a counsellor on call: from a day to a day, or one day / one week from the first (the
    ``span`` buttons)."""

    SPANS = {"day": 0, "week": 6}

    counsellor = forms.TypedChoiceField(
        label=_("Counsellor"),
        coerce=int,
        error_messages={"required": _("Choose a counsellor."), "invalid_choice": _("Choose a counsellor.")},
    )
    starts_on = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Give the first day."), "invalid": _("Give the first day as a date.")},
    )
    ends_on = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Give the last day as a date.")},
        help_text=_("The last day on call (inclusive). Or use “One day” or “One week” below."),
    )
    span = forms.ChoiceField(
        choices=[("day", "day"), ("week", "week"), ("range", "range")], required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, counsellors, **kwargs):
        super().__init__(*args, **kwargs)
        self.counsellors = {u.pk: u for u in counsellors}
        self.fields["counsellor"].choices = [("", "—"), *((u.pk, user_name(u)) for u in counsellors)]

    def clean_counsellor(self):
        return self.counsellors[self.cleaned_data["counsellor"]]

    def clean(self):
        data = super().clean()
        starts_on, span = data.get("starts_on"), data.get("span") or "range"
        if starts_on is not None and starts_on > timezone.localdate() + timedelta(days=366):
            self.add_error("starts_on", _("Plan the rota at most a year ahead."))
            return data
        if starts_on is not None and span in self.SPANS:
            data["ends_on"] = starts_on + timedelta(days=self.SPANS[span])
        elif starts_on is not None and data.get("ends_on") is None and "ends_on" not in self.errors:
            self.add_error("ends_on", _("Give the last day, or choose “One day” or “One week”."))
        return data
