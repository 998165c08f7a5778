from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from wellbeing.models import FollowUp, OrgUnit, Person, Tier


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("Enter the 6-digit code from your authenticator app.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class OrgUnitChoiceField(forms.ModelChoiceField):
    """Units in tree order, indented by depth, so same-named sections in different towns differ."""

    def label_from_instance(self, obj: OrgUnit) -> str:
        return "\u3000" * (obj.depth - 1) + obj.name


class PersonSearchForm(forms.Form):
    """The directory's search. ``units``: the units the user may filter by (the selector
    ``directory_units_for_user``); any other unit is refused as an error, not ignored."""

    q = forms.CharField(label=_("Name, pinyin or ID"), max_length=100, required=False)
    unit = OrgUnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("Any unit"),
        error_messages={"invalid_choice": _("Choose one of the units you can see.")},
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Person.Status.choices], required=False
    )

    def __init__(self, *args, units, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class FollowUpFilterForm(forms.Form):
    bucket = forms.ChoiceField(
        label=_("Show"),
        choices=[
            ("overdue", _("Overdue")),
            ("today", _("Due today")),
            ("upcoming", _("Upcoming")),
            ("done", _("Done")),
            ("week", _("Due within 7 days")),
        ],
        required=False,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Any kind")), *FollowUp.Kind.choices], required=False)
    tier = forms.ChoiceField(label=_("Priority"), choices=[("", _("Any priority")), *Tier.choices], required=False)


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome (optional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(
        label=_("Remind me again at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class SetAsideForm(forms.Form):
    """Setting aside an obligation that ends with its own record (a talk due), with a reason."""

    reason = forms.ChoiceField(
        label=_("Why"),
        choices=[("", "—"), *FollowUp.SetAsideReason.choices],
        error_messages={"required": _("Choose why.")},
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)
