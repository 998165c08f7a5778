"""Forms of a member of staff's screening pages: the separate consent, and one questionnaire's answers."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from wellbeing.models import Instrument, InstrumentItem, InstrumentOption


class ConsentForm(forms.Form):
    """Consent is an explicit act: the box is never ticked in advance."""

    agree = forms.BooleanField(
        label=_("I have read this and agree"),
        required=True,
        error_messages={"required": _("Tick the box to agree, or leave this page: taking part is voluntary.")},
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


@dataclass
class Question:
    """One item as the take page shows it: its options, the answer given, its error."""

    item: InstrumentItem
    options: list[InstrumentOption]
    chosen: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"item_{self.item.position}"

    @property
    def anchor(self) -> str:
        return f"item-{self.item.position}"


class TakeForm:
    """The answers to one questionnaire, exactly as posted: checking them is the service's job
    (``screening_submit``), so the page and the API refuse the same things with the same words."""

    def __init__(self, instrument: Instrument, data=None) -> None:
        self.instrument = instrument
        self.data = data
        options = list(instrument.options.all())
        self.questions = [
            Question(item=item, options=options, chosen=str((data or {}).get(f"item_{item.position}", ""))[:10])
            for item in instrument.items.all()
        ]
        token = str((data or {}).get("token", ""))[:64]
        if not re.fullmatch(r"[!-~]*", token):  # printable ASCII only (a crafted token is no token)
            token = ""
        # A new token on each fresh page: the same page sent twice (a double tap) is one submission.
        self.token = token if data is not None else uuid.uuid4().hex
        self.errors: list[tuple[str, str]] = []  # (anchor or "", message) for the summary

    def answers(self) -> list[str | None]:
        return [q.chosen or None for q in self.questions]

    def add_errors(self, message_dict: dict[str, list[str]]) -> None:
        by_name = {q.name: q for q in self.questions}
        for key, messages in message_dict.items():
            question = by_name.get(key)
            for message in messages:
                if question is not None:
                    question.errors.append(message)
                    self.errors.append((question.anchor, message))
                else:
                    self.errors.append(("", message))
        order = {q.anchor: i for i, q in enumerate(self.questions)}
        self.errors.sort(key=lambda e: order.get(e[0], -1))
