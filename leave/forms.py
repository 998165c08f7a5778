"""Forms of the leave pages: they read what was typed (Django's fields refuse NUL bytes and bad dates
next to the field); the rules themselves are the services' (leave/services) and their errors are put
back next to the same fields by the views."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leave import selectors, services
from leave.calendar import FIRST_YEAR, LAST_YEAR, check_year
from leave.models import LeaveType, OvertimeRecord

HALF = Decimal("0.5")


def _date(label, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )


def _text(label, *, max_length: int, rows: int = 2, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        strip=True,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _year_field(label=None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label or _("Year"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def _known_year(year: int) -> None:
    """The calendar's range, as this field's own error."""
    try:
        check_year(year)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from None


def first_error(form: forms.Form) -> str:
    """The first error of a query-string form (shown at the top of a page answered with 400)."""
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return ""


class YearForm(forms.Form):
    """``?year=``: a year the calendar knows (default: this year)."""

    year = _year_field()

    def clean_year(self) -> int:
        year = self.cleaned_data.get("year") or timezone.localdate().year
        _known_year(year)
        return year

    def year_or_today(self) -> int:
        """The year asked for, or this year when it is not a year the calendar knows (the page says
        why)."""
        self.is_valid()
        return self.cleaned_data.get("year") or timezone.localdate().year


class LedgerForm(YearForm):
    """``?type=annual|in_lieu&year=&person=``: one balance, explained line by line."""

    type = forms.ChoiceField(
        label=_("Balance"),
        required=False,
        choices=[("annual", _("Annual leave")), ("in_lieu", _("Time off in lieu"))],
    )
    person = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)

    def clean_type(self) -> str:
        return self.cleaned_data.get("type") or "annual"


class TeamForm(forms.Form):
    """``?month=YYYY-MM&mine=1``: one month of the team's leave."""

    month = forms.CharField(label=_("Month"), required=False, max_length=7)
    mine = forms.BooleanField(label=_("Show my own leave too"), required=False)

    def clean_month(self) -> date:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            today = timezone.localdate()
            return date(today.year, today.month, 1)
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValidationError(_("Give a month as YYYY-MM, e.g. 2026-05."))
        year = int(match.group(1))
        _known_year(year)
        return date(year, int(match.group(2)), 1)


# --- Requests ---------------------------------------------------------------------------------------


class RequestForm(forms.Form):
    """What a person asks for. The days it costs and the balance after come from services.preview."""

    FIELDS = ("leave_type", "start_date", "end_date", "start_pm", "end_am", "note")

    leave_type = forms.ModelChoiceField(
        label=_("Type of leave"), queryset=LeaveType.objects.none(), to_field_name="code", empty_label=None
    )
    start_date = _date(_("First day"))
    end_date = _date(_("Last day"), required=False, help_text=_("Empty: the same as the first day."))
    start_pm = forms.BooleanField(label=_("First day from the afternoon"), required=False)
    end_am = forms.BooleanField(label=_("Last day until noon"), required=False)
    note = _text(_("Note for your supervisor (optional)"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leave_type"].queryset = selectors.leave_types()
        # Drawn field by field (templates/leave/_request_fields.html), with Bootstrap's classes.
        for name, f in self.fields.items():
            if isinstance(f.widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(f.widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            f.widget.attrs["class"] = css
            f.widget.attrs["aria-describedby"] = f"err-{name}"

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields and "is-invalid" not in self.fields[name].widget.attrs["class"]:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    def clean(self):
        data = super().clean()
        if data.get("start_date") and not data.get("end_date") and "end_date" not in self.errors:
            data["end_date"] = data["start_date"]
        return data

    def to_input(self) -> services.RequestInput:
        d = self.cleaned_data
        return services.RequestInput(
            leave_type=d["leave_type"],
            start_date=d["start_date"],
            end_date=d["end_date"],
            start_pm=d["start_pm"],
            end_am=d["end_am"],
            note=d["note"],
        )


class DecideForm(forms.Form):
    """The supervisor's decision: the button pressed, and a comment (needed to reject)."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = _text(
        _("Comment"), max_length=500, rows=2, help_text=_("Needed to reject: the person sees it with the decision.")
    )


class CancelForm(forms.Form):
    reason = _text(_("Reason"), max_length=500, rows=2, help_text=_("Needed to cancel approved leave."))


# --- Work on rest days ------------------------------------------------------------------------------


class OvertimeForm(forms.Form):
    work_date = _date(_("Date worked"))
    kind = forms.ChoiceField(label=_("When"), choices=OvertimeRecord.Kind.choices, widget=forms.RadioSelect)
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=HALF,
        max_value=Decimal(24),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    purpose = _text(_("What for"), max_length=300, rows=2, required=True)

    def to_input(self) -> services.OvertimeInput:
        d = self.cleaned_data
        return services.OvertimeInput(work_date=d["work_date"], kind=d["kind"], hours=d["hours"], purpose=d["purpose"])


class OvertimeDecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", _("Confirm")), ("reject", _("Do not confirm"))])
    comment = _text(_("Comment"), max_length=300, rows=1, help_text=_("Needed when not confirming."))


# --- HR: adjustments and carry-over -----------------------------------------------------------------


class AdjustForm(forms.Form):
    leave_type = forms.ChoiceField(
        label=_("Balance"), choices=[("annual", _("Annual leave")), ("in_lieu", _("Time off in lieu"))]
    )
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    days = forms.DecimalField(
        label=_("Days"),
        help_text=_("Positive adds days, negative takes them away."),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    reason = _text(_("Reason"), max_length=300, rows=2, required=True)

    def leave_type_obj(self) -> LeaveType:
        code = self.cleaned_data["leave_type"]
        return services.in_lieu_type() if code == "in_lieu" else services.annual_type()


class CarryOverForm(forms.Form):
    year = forms.IntegerField(label=_("From the year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    days = forms.DecimalField(
        label=_("Days to carry over"),
        min_value=HALF,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    reason = _text(_("Reason (the work that kept them from their leave)"), max_length=300, rows=2, required=True)
