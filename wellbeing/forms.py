from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from wellbeing.models import OrgUnit, Person


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
    q = forms.CharField(label=_("Name or ID"), max_length=100, required=False)
    unit = OrgUnitChoiceField(
        label=_("Unit"), queryset=OrgUnit.objects.order_by("path"), required=False, empty_label=_("Any unit")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Person.Status.choices], required=False
    )
