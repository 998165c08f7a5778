"""Forms of the plan pages: they read what was typed (Django's fields refuse NUL bytes, bad dates and
numbers next to the field); the rules are the services' (programme.services.plan), whose errors the
views put back next to the same fields."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme.models import PlanTask, ReviewFinding
from programme.selectors import plan as selectors

#: Correction rows offered on the review form (an empty row is left out).
CORRECTION_ROWS = 3


def _date(label, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text=_("Year-month-day, e.g. 2026-06-30."),
    )


def _text(label, *, max_length: int, rows: int = 3, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, strip=True, widget=forms.Textarea(attrs={"rows": rows})
    )


class UserChoiceField(forms.ModelChoiceField):
    """A login, shown as the person's name and unit."""

    def label_from_instance(self, obj) -> str:
        person = getattr(obj, "person", None)
        if person is None:
            return obj.get_username()
        return f"{person.full_name} · {person.unit.name}" if self.with_unit else person.full_name

    def __init__(self, *args, with_unit: bool = True, **kwargs):
        self.with_unit = with_unit
        super().__init__(*args, **kwargs)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return "\u2003" * max(0, obj.depth - 1) + obj.name


class PlanForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    owner = UserChoiceField(
        queryset=None,
        label=_("Responsible for the reviews"),
        help_text=_("A member of the leading group: they are reminded when a review is due."),
        with_unit=False,
    )
    notes = _text(_("Notes"), max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.plan_owner_choices()


class TaskForm(forms.Form):
    """The fields of a task (``programme.services.plan.TASK_FIELDS``)."""

    title = forms.CharField(label=_("Task"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=PlanTask.Category.choices)
    owner = UserChoiceField(queryset=None, label=_("Owner"), help_text=_("The person who answers for it."))
    unit = UnitChoiceField(queryset=None, label=_("Unit"), required=False, empty_label=_("The whole organisation"))
    due_on = _date(_("Due"))
    indicator = forms.CharField(label=_("Indicator"), max_length=200, help_text=_("What shows it is done."))
    metric = forms.ChoiceField(
        label=_("Measured by the system"),
        required=False,
        help_text=_("If the system measures the indicator, its actual value fills in by itself (a share in %)."),
    )
    target_value = forms.DecimalField(
        label=_("Target"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )

    def __init__(self, *args, task: PlanTask | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.task_owner_choices(current=task.owner if task else None)
        self.fields["unit"].queryset = selectors.unit_choices(task.unit if task else None)
        choices = [("", _("No: the owner enters the actual value")), *selectors.metric_choices()]
        if task is not None and task.metric and task.metric not in dict(choices):
            choices.append((task.metric, task.metric))
        self.fields["metric"].choices = choices

    @classmethod
    def initial_for(cls, task: PlanTask) -> dict:
        return {
            "title": task.title,
            "category": task.category,
            "owner": task.owner_id,
            "unit": task.unit_id,
            "due_on": task.due_on,
            "indicator": task.indicator,
            "metric": task.metric,
            "target_value": task.target_value,
        }


class ProgressForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"))
    actual_value = forms.DecimalField(
        label=_("Actual value"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    note = _text(_("Note"), max_length=2000, rows=2)

    def __init__(self, *args, task: PlanTask, may_cancel: bool, **kwargs):
        kwargs.setdefault("prefix", "progress")
        kwargs.setdefault("initial", {"status": task.status, "actual_value": task.actual_value})
        super().__init__(*args, **kwargs)
        statuses = [s for s in PlanTask.Status if s != PlanTask.Status.CANCELLED or may_cancel]
        self.fields["status"].choices = [(s.value, s.label) for s in statuses]
        if task.metric:
            del self.fields["actual_value"]
        self.fields["note"].help_text = _("Kept on the task as its latest progress note; the leading group sees it.")


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "evidence")
        super().__init__(*args, **kwargs)
        limit = settings.PROGRAMME_MAX_FILE_BYTES
        self.fields["file"].help_text = _("Minutes, a sign-in sheet, photos; up to %(mb)s MB.") % {
            "mb": round(limit / 1024 / 1024, 1)
        }


class ReviewForm(forms.Form):
    held_on = _date(_("Held on"))
    summary = _text(_("Summary"), max_length=4000, rows=4)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"held_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class FindingForm(forms.Form):
    """What the review found about one open task (blank assessment: not looked at)."""

    assessment = forms.ChoiceField(label=_("Assessment"), required=False)
    finding = _text(_("Finding"), max_length=2000, rows=2)

    def __init__(self, *args, task: PlanTask, **kwargs):
        kwargs.setdefault("prefix", f"f{task.pk}")
        super().__init__(*args, **kwargs)
        self.task = task
        self.fields["assessment"].choices = [("", _("not looked at")), *ReviewFinding.Assessment.choices]

    def clean(self):
        data = super().clean()
        if data.get("finding") and not data.get("assessment"):
            self.add_error("assessment", _("Choose an assessment, or leave the finding empty."))
        return data


class CorrectionRowForm(forms.Form):
    """One correction item the review orders; a row left empty is left out."""

    title = forms.CharField(label=_("Correction"), max_length=300)
    owner = UserChoiceField(queryset=None, label=_("Owner"))
    due_on = _date(_("Due"))
    task = forms.ModelChoiceField(
        queryset=None, label=_("Task"), required=False, empty_label=_("(the plan as a whole)")
    )

    def __init__(self, *args, plan, index: int, **kwargs):
        kwargs.setdefault("prefix", f"c{index}")
        kwargs.setdefault("empty_permitted", True)
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.task_owner_choices()
        self.fields["task"].queryset = plan.tasks.order_by("due_on", "id")

    def to_input(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("title", "owner", "due_on", "task")}


class CorrectionDoneForm(forms.Form):
    outcome = _text(_("What was done"), max_length=2000, rows=4, required=True)
