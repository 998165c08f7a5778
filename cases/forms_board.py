"""Forms of the counsellor's list pages: the board's filters, triage, quick assignment, self-referral
and emergency access. Django's CharField refuses NUL bytes (a field error); the rules themselves are
the services' (their ValidationErrors are shown next to the fields they name)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Risk
from wellbeing.models import Referral

#: The board's views: the counsellor's own cases, and for the lead counsellor the team's.
BOARD_VIEWS = ("mine", "unassigned", "open", "counsellor", "closed")


class BoardFilterForm(forms.Form):
    view = forms.ChoiceField(choices=[(v, v) for v in BOARD_VIEWS], required=False)
    counsellor = forms.IntegerField(label=_("Counsellor"), required=False, min_value=1, max_value=2**31 - 1)
    risk = forms.ChoiceField(label=_("Risk"), choices=[("", _("any risk")), *Risk.choices], required=False)
    q = forms.CharField(label=_("Name or staff ID"), max_length=100, required=False, strip=True)


def counsellor_label(name: str, open_cases: int, limit: int) -> str:
    """ "Name (n/limit)", marked when the counsellor is at or past their limit."""
    label = f"{name} ({open_cases}/{limit})"
    if open_cases >= limit:
        label = _("%(label)s — full: give a reason") % {"label": label}
    return label


class CounsellorChoiceMixin:
    """A counsellor field filled from ``selectors.counsellor_choices`` rows (user, name, n, limit)."""

    def set_counsellors(self, rows, *, empty_label) -> None:
        """Fill the choices; the override reason is asked for only when someone is full."""
        self.counsellor_users = {str(u.pk): u for u, _name, _n, _limit in rows}
        if "override_reason" in self.fields and not any(n >= limit for _u, _name, n, limit in rows):
            del self.fields["override_reason"]
        field = self.fields["counsellor"]
        choices = [(str(u.pk), counsellor_label(name, n, limit)) for u, name, n, limit in rows]
        field.choices = [("", empty_label), *choices] if empty_label is not None else choices

    def chosen_counsellor(self):
        return self.counsellor_users.get(self.cleaned_data.get("counsellor") or "")


class TriageForm(CounsellorChoiceMixin, forms.Form):
    OPEN, LINK, CLOSE = "open", "link", "close"

    action = forms.ChoiceField(label=_("What to do"), widget=forms.RadioSelect, choices=())
    risk = forms.ChoiceField(label=_("Risk"), choices=Risk.choices, required=False)
    counsellor = forms.ChoiceField(label=_("Counsellor"), choices=(), required=False)
    override_reason = forms.CharField(
        label=_("Reason to go past the caseload limit"),
        help_text=_("Needed only when the counsellor already holds as many cases as their limit."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )
    close_reason = forms.ChoiceField(
        label=_("Why the referral is closed"),
        choices=[("", "---------"), *Referral.CloseReason.choices],
        required=False,
    )

    def __init__(self, *args, can_open: bool, can_link: bool, can_close: bool, counsellors, **kwargs):
        super().__init__(*args, **kwargs)
        actions = []
        if can_open:
            actions.append((self.OPEN, _("Open a case")))
        if can_link:
            actions.append((self.LINK, _("Add it to the person's open case")))
        if can_close:
            actions.append((self.CLOSE, _("Close the referral without a case")))
        self.fields["action"].choices = actions
        if len(actions) == 1:
            self.fields["action"].initial = actions[0][0]
        self.set_counsellors(counsellors, empty_label=_("Nobody yet: the unassigned queue"))
        if not can_open:
            for name in ("risk", "counsellor", "override_reason"):
                self.fields.pop(name, None)
        if not can_close:
            del self.fields["close_reason"]

    def clean(self):
        data = super().clean()
        if data.get("action") == self.CLOSE and not data.get("close_reason"):
            self.add_error("close_reason", _("Choose why the referral is closed."))
        if data.get("action") == self.OPEN and not data.get("risk"):
            self.add_error("risk", _("Choose a risk level."))
        return data


class AssignForm(CounsellorChoiceMixin, forms.Form):
    counsellor = forms.ChoiceField(label=_("Counsellor"), choices=())
    override_reason = forms.CharField(
        label=_("Reason to go past the caseload limit"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )

    def __init__(self, *args, counsellors, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_counsellors(counsellors, empty_label="---------")


class SelfReferralForm(forms.Form):
    # Nothing preselected: the person says how urgent it is.
    urgency = forms.ChoiceField(
        label=_("How soon do you need to talk to someone?"),
        widget=forms.RadioSelect,
        choices=Referral.Urgency.choices,
    )
    reason = forms.ChoiceField(label=_("What is it about?"), choices=[("", "---------"), *Referral.Reason.choices])
    note = forms.CharField(
        label=_("Anything you want the counsellor to know (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,
    )


class BreakGlassForm(forms.Form):
    external_id = forms.CharField(label=_("Staff ID"), max_length=64)
    reason = forms.CharField(
        label=_("The emergency that needs this access"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )
