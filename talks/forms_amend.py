"""Forms to amend a talk (its author, within TALK_AMEND_DAYS) and to annotate it afterwards."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from talks.models import TEXT_MAX, Talk
from talks.services import ANNOTATION_MAX, TalkAmendment

#: Typed in one explicit, language-neutral format (as on the log-a-talk form): a native date input
#: would show the browser's locale instead of the page's language.
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATETIME_INPUTS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d %H:%M"]


class TalkAmendForm(forms.Form):
    held_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(
            attrs={"placeholder": _("YYYY-MM-DD HH:MM"), "autocomplete": "off", "spellcheck": "false"},
            format=DATETIME_FORMAT,
        ),
        input_formats=DATETIME_INPUTS,
        error_messages={"invalid": _("Write the date and time as year-month-day hour:minute, e.g. 2026-05-12 09:30.")},
    )
    mood = forms.TypedChoiceField(
        label=_("State of mind"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")],
        help_text=_("1 = very low, 5 = very good; — = not recorded"),
    )
    mood_tags = forms.MultipleChoiceField(
        label=_("Concerns"), choices=Talk.MoodTag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    main_content = forms.CharField(
        label=_("Main content"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    difficulties = forms.CharField(
        label=_("Difficulties and requests"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    suggestions = forms.CharField(
        label=_("Suggestions"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    shared_summary = forms.CharField(
        label=_("Summary for the person (optional)"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("They can read this; they cannot read the rest."),
    )
    location = forms.CharField(label=_("Where"), max_length=100, required=False)
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600, required=False)
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), choices=Talk.Confidentiality.choices)

    def __init__(self, *args, talk: Talk, **kwargs):
        super().__init__(*args, **kwargs)
        self.talk = talk
        if talk.is_restricted:
            # Confidentiality can only become stricter: a restricted talk offers nothing else.
            self.fields["confidentiality"].choices = [
                (Talk.Confidentiality.RESTRICTED, Talk.Confidentiality.RESTRICTED.label)
            ]
            self.fields["confidentiality"].help_text = _("A restricted talk stays restricted.")
        else:
            self.fields["confidentiality"].help_text = _(
                "You can make the talk restricted; a restricted talk cannot be made normal again."
            )

    @classmethod
    def initial_for(cls, talk: Talk, text) -> dict:
        """The talk as it stands (``text``: the recorded text read through the audited selector)."""
        return {
            "held_at": timezone.localtime(talk.held_at).replace(second=0, microsecond=0),
            "mood": talk.mood or "",  # "—": not recorded
            "mood_tags": talk.mood_tags,
            "main_content": text.main_content,
            "difficulties": text.difficulties,
            "suggestions": text.suggestions,
            "shared_summary": text.shared_summary,
            "location": talk.location,
            "duration_minutes": talk.duration_minutes,
            "confidentiality": talk.confidentiality,
        }

    def to_amendment(self) -> TalkAmendment:
        d = self.cleaned_data
        held_at = d["held_at"]
        if timezone.localtime(self.talk.held_at).replace(second=0, microsecond=0) == held_at:
            held_at = self.talk.held_at  # the form shows minutes: unchanged minutes keep the recorded time
        return TalkAmendment(
            held_at=held_at,
            location=d.get("location") or "",
            duration_minutes=d.get("duration_minutes"),
            mood=d.get("mood"),
            mood_tags=list(d.get("mood_tags") or []),
            main_content=d.get("main_content") or "",
            difficulties=d.get("difficulties") or "",
            suggestions=d.get("suggestions") or "",
            shared_summary=d.get("shared_summary") or "",
            confidentiality=d["confidentiality"],
        )


class AnnotationForm(forms.Form):
    text = forms.CharField(
        label=_("Annotation"),
        max_length=ANNOTATION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Dated and added below the talk; it cannot be changed afterwards."),
        error_messages={"required": _("Write the annotation.")},
    )
