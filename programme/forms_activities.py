"""Forms of the activity pages: they read what was typed (bad dates, a capacity of 0, a rating of 9,
a file too large are errors next to their fields); the rules themselves are the services'
(programme.services.activities), whose errors the views put back next to the same fields.

Times are typed in the organisation's time zone (datetime-local inputs) and stored aware."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme.models import Activity, PlanTask
from wellbeing.models import OrgUnit

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
#: A generous upper bound for the places of one activity (a county-wide lecture).
MAX_CAPACITY = 10_000
FIRST_YEAR, LAST_YEAR = 2000, 2100


class WhenField(forms.DateTimeField):
    """A date and time within the years the organisation plans for (a year 1 or 9999 would not
    survive the conversion to UTC)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValidationError(
                _("Give a date between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return value


def _when(label) -> forms.DateTimeField:
    return WhenField(
        label=label,
        input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        error_messages={
            "required": _("Give a date and time."),
            "invalid": _("Give a date and time as YYYY-MM-DD HH:MM."),
        },
    )


def _key(value) -> bool:
    """Whether a submitted choice can be a row's id (a huge number would overflow the database)."""
    return value in (None, "") or (str(value).isdigit() and int(value) < 2**63)


class UnitsField(forms.ModelMultipleChoiceField):
    """Units in tree order, indented by depth, so same-named sections in different towns differ."""

    def label_from_instance(self, obj: OrgUnit) -> str:
        return "\u3000" * (obj.depth - 1) + obj.name

    def clean(self, value):
        if isinstance(value, list | tuple) and not all(_key(v) for v in value):
            raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value")
        return super().clean(value)


class TaskField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PlanTask) -> str:
        return f"{obj.plan.year} · {obj.title}"

    def to_python(self, value):
        if not _key(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ActivityForm(forms.Form):
    """A new activity, or changes to one. ``with_task``: the plan task it belongs to is offered (to
    the leading group, who keep the plan)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices)
    description = forms.CharField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    starts_at = _when(_("Starts"))
    ends_at = _when(_("Ends"))
    place = forms.CharField(label=_("Place"), max_length=200)
    units = UnitsField(
        label=_("Open to"),
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("The units whose people may register (a unit includes its sub-units). None chosen: everyone."),
        error_messages={
            "invalid_choice": _("Choose units from the list."),
            "invalid_pk_value": _("Choose units from the list."),
        },
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        required=False,
        min_value=1,
        max_value=MAX_CAPACITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Empty: no limit. Later registrations join the waiting list."),
    )
    task = TaskField(
        label=_("Plan task"),
        queryset=PlanTask.objects.none(),
        required=False,
        help_text=_("Optional: the task of the work plan this activity carries out."),
        error_messages={"invalid_choice": _("Choose a task from the list.")},
    )

    def __init__(self, *args, with_task: bool = False, activity: Activity | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.activity = activity
        if with_task:
            tasks = PlanTask.objects.exclude(status=PlanTask.Status.CANCELLED)
            if activity is not None and activity.task_id:
                tasks = tasks | PlanTask.objects.filter(pk=activity.task_id)
            self.fields["task"].queryset = tasks.select_related("plan").order_by("-plan__year", "due_on", "id")
        else:
            del self.fields["task"]

    @classmethod
    def initial_for(cls, activity: Activity) -> dict:
        return {
            "title": activity.title,
            "kind": activity.kind,
            "description": activity.description,
            "starts_at": timezone.localtime(activity.starts_at),
            "ends_at": timezone.localtime(activity.ends_at),
            "place": activity.place,
            "units": list(activity.units.all()),
            "capacity": activity.capacity,
            "task": activity.task_id,
        }

    def _kept(self, name: str, value):
        """The stored time when the minute typed is the stored one (the input has no seconds)."""
        stored = getattr(self.activity, name, None)
        if stored is not None and stored.replace(second=0, microsecond=0) == value:
            return stored
        return None

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        kept = self._kept("starts_at", starts_at)
        if kept is not None:
            return kept
        if starts_at <= timezone.now():
            raise ValidationError(_("Give a time that is still to come."))
        return starts_at

    def clean_ends_at(self):
        ends_at = self.cleaned_data["ends_at"]
        return self._kept("ends_at", ends_at) or ends_at

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The end must be after the start."))
        return data

    def service_fields(self) -> dict:
        """What the services take (``units`` separately)."""
        data = self.cleaned_data
        fields = {k: data[k] for k in ("title", "kind", "description", "starts_at", "ends_at", "place", "capacity")}
        if "task" in self.fields:
            fields["task"] = data.get("task")
        return fields


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How useful was it for you?"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Give a rating from 1 to 5."),
            "invalid_choice": _("Give a rating from 1 to 5."),
        },
        help_text=_("1: not at all, 5: very."),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("Title (optional)"), max_length=200, required=False)
    file = forms.FileField(
        label=_("File"),
        error_messages={"required": _("Choose a file."), "empty": _("The file is empty.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.PROGRAMME_MAX_FILE_BYTES
        if upload.size > limit:
            raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": round(limit / 1024 / 1024, 1)})
        return upload


class AttendanceForm(forms.Form):
    """Who came, among the people registered (``registrations``)."""

    attended = forms.TypedMultipleChoiceField(
        label=_("Who came"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Tick only people registered for this activity.")},
    )

    def __init__(self, *args, registrations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [
            (str(r.pk), f"{r.person.full_name} · {r.person.unit.name}") for r in registrations
        ]
