"""Forms of one case's page: they read what was typed (Django's fields refuse NUL bytes and bad
dates next to the field); the rules themselves are the services' (cases/services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseFlag, CaseNote, Intervention, Risk, SafetyPlan
from wellbeing.models import Instrument

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
MAX_TEXT = 20000


def _datetime(label, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    """A date and time typed in the organisation's zone (settings.TIME_ZONE)."""
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=DATETIME_FORMATS,
    )


def _date(label, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )


def _text(label, *, rows: int = 3, required: bool = False, max_length: int = MAX_TEXT, help_text: str = ""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        strip=True,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _reason(label=None, *, required: bool = True) -> forms.CharField:
    return _text(label or _("Reason"), rows=2, required=required, max_length=2000)


class NoteForm(forms.Form):
    form = forms.ChoiceField(
        label=_("Form"), choices=CaseNote.Form.choices, initial=CaseNote.Form.DAP, widget=forms.RadioSelect
    )
    data = _text(_("Data: what you saw and heard"))
    assessment = _text(_("Assessment: what you make of it"))
    plan = _text(_("Plan: what happens next"))
    body = _text(_("Note"), rows=5)
    contact = forms.ChoiceField(
        label=_("Contact"),
        choices=CaseNote.Contact.choices,
        required=False,
        help_text=_("A contact completes the current contact follow-up and schedules the next one by risk."),
    )
    next_due = _datetime(
        _("Next contact (optional)"),
        required=False,
        help_text=_("Earlier than the risk's cadence if you agreed a time; empty: by the cadence."),
    )


class NoteEditForm(forms.Form):
    data = _text(_("Data: what you saw and heard"))
    assessment = _text(_("Assessment: what you make of it"))
    plan = _text(_("Plan: what happens next"))
    body = _text(_("Note"), rows=5)

    def __init__(self, *args, note: CaseNote, **kwargs):
        super().__init__(*args, **kwargs)
        keep = ("data", "assessment", "plan") if note.form == CaseNote.Form.DAP else ("body",)
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]


class AddendumForm(forms.Form):
    body = _text(_("Addendum"), rows=3, required=True)


class NextContactForm(forms.Form):
    due_at = _datetime(_("Next contact"), help_text=_("Within the risk's cadence."))


class RiskForm(forms.Form):
    risk = forms.ChoiceField(label=_("Risk"), choices=Risk.choices)
    reason = _reason()


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(s.value, s.label) for s in Case.Status if s != Case.Status.CLOSED]
    )
    reason = _reason(_("Reason (optional)"), required=False)


class FlagForm(forms.Form):
    kind = forms.ChoiceField(label=_("Flag"), choices=CaseFlag.Kind.choices)
    reason = _reason()


class FlagClearForm(forms.Form):
    reason = _reason(_("Why it is cleared"))


class SafetyPlanForm(forms.Form):
    """The seven Stanley-Brown sections, in their order."""

    HELP = {
        "warning_signs": _("Thoughts, images, moods, situations or behaviour that show a crisis may be coming."),
        "coping_strategies": _("Things the person can do alone to take their mind off problems."),
        "distractions": _("People and social settings that help take the mind off things."),
        "people_to_ask": _("People the person can ask for help, with how to reach them."),
        "professionals": _("Counsellors, doctors, hospitals and crisis lines, with numbers."),
        "safe_environment": _("How to make the surroundings safer (means kept away)."),
        "reasons_for_living": _("What is most important to the person and worth living for."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SafetyPlan.SECTIONS:
            self.fields[name] = _text(SafetyPlan._meta.get_field(name).verbose_name, rows=3, help_text=self.HELP[name])


class InterventionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Intervention.Kind.choices)
    occurred_on = _date(_("Date"))
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Default (a referral starts as proposed, the rest as done)")), *Intervention.Status.choices],
        required=False,
    )
    details = _text(_("Details"))
    service = forms.CharField(
        label=_("Hospital or service"),
        required=False,
        max_length=500,
        help_text=_("For a referral to a hospital or external service."),
    )
    supervisor_action = forms.CharField(
        label=_("Action for the supervisor (optional)"),
        required=False,
        max_length=200,
        help_text=_(
            "Change of post or time off only. The person's supervisor sees only this text as a task, "
            "never the reason and nothing about a case: write it so it stands alone."
        ),
    )
    supervisor_due = _date(_("Supervisor's action due"), required=False)
    leave_from = _date(
        _("Time off from"),
        required=False,
        help_text=_(
            "Time off only: a leave request is drafted for the person, who adjusts and sends it; their "
            "supervisor sees an ordinary request. Default: the next five working days."
        ),
    )
    leave_until = _date(_("Time off until"), required=False)


class InterventionUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Intervention.Status.choices)
    outcome = _text(_("Outcome"), rows=2)


class TransferForm(forms.Form):
    to = forms.TypedChoiceField(label=_("Hand over to"), coerce=int)
    handover_note = _text(_("Handover note"), rows=4, required=True)
    override_reason = _reason(_("Reason to go over their caseload limit (if they are full)"), required=False)

    def __init__(self, *args, choices: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {u.pk: u for u, _name, _n, _limit in choices}
        self.fields["to"].choices = [("", "—")] + [(u.pk, f"{name} ({n}/{limit})") for u, name, n, limit in choices]

    def clean_to(self):
        return self.users[self.cleaned_data["to"]]


class DeclineForm(forms.Form):
    reason = _reason()


class RescreenForm(forms.Form):
    instrument = forms.ModelChoiceField(label=_("Questionnaire"), queryset=Instrument.objects.none(), empty_label="—")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = Instrument.objects.filter(is_active=True).order_by("position", "code")


class ClosureRequestForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Case.Outcome.choices])
    summary = _text(_("Closing summary"), rows=4, required=True)


class ClosureRefuseForm(forms.Form):
    reason = _reason(_("Why the case stays open"))


class ReopenForm(forms.Form):
    reason = _reason()
    risk = forms.ChoiceField(label=_("Risk"), choices=[("", _("Unchanged")), *Risk.choices], required=False)
