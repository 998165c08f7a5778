"""The catalogue of messages the system writes to people: follow-up titles and inbox items.

A message is stored as what it is - a stable key and its parameters (``FollowUp.title_key`` /
``title_params``, ``Notification.message_key`` / ``params``) - and rendered when it is shown, in the
reader's language (conventions.md, 17): a title created while the organisation speaks Chinese reads in
English on an English page. Free text a person typed (an agreed action) is stored as typed instead.

Keys are part of the stored data: never rename or remove one (an old row would fall back to a neutral
text); add a new key for a new wording. Rendering never fails: an unknown key gives the caller's
fallback, a missing parameter shows as "…".

A parameter that names a choice (a referral's urgency) is stored as the choice's value and shown as its
label in the active language (``choices``: parameter -> "app_label.Model.field").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

#: Follow-up titles.
TALK_DUE = "talk.due"
REFERRAL_INTAKE = "referral.intake"
REFERRAL_IMMINENT = "referral.imminent"
#: Inbox items.
CLINICAL_ROLE_ASSIGNED = "role.clinical_assigned"
CLINICAL_ROLE_PENDING = "role.clinical_pending"
CLINICAL_PASSWORD_RESET = "account.clinical_password_reset"  # noqa: S105 (a message key)
TALK_REQUESTED = "talk.requested"
#: Screening.
SCREENING_RESCREEN = "screening.rescreen"
SCREENING_INVITED = "screening.invited"

#: What a missing parameter shows as.
MISSING = "…"


@dataclass(frozen=True)
class Message:
    title: Promise
    body: Promise | None = None
    #: parameter -> "app_label.Model.field" whose choice label the stored value is shown as.
    choices: dict[str, str] = field(default_factory=dict)
    #: parameter -> "app_label.Model.field": the stored value is that field of a record, shown as the
    #: record's name in the active language (an instrument's code shows as "PHQ-9 抑郁症筛查量表").
    names: dict[str, str] = field(default_factory=dict)
    #: parameter -> a function giving the stored value's text in the active language (a list of
    #: reason codes shown as their labels).
    formatters: dict[str, Callable[[object], str]] = field(default_factory=dict)


CATALOGUE: dict[str, Message] = {
    TALK_DUE: Message(title=_("Heart-to-heart talk with %(name)s")),
    REFERRAL_INTAKE: Message(
        title=_("Referral to take in: %(urgency)s"), choices={"urgency": "wellbeing.Referral.urgency"}
    ),
    REFERRAL_IMMINENT: Message(
        title=_("Imminent-risk referral: the on-call counsellor %(name)s has it"),
        body=_("Open it to see that it is acknowledged and triaged."),
    ),
    CLINICAL_ROLE_ASSIGNED: Message(title=_("A clinical role was assigned to %(name)s")),
    CLINICAL_ROLE_PENDING: Message(
        title=_("A clinical role was assigned to %(name)s"), body=_("Confirm or refuse it.")
    ),
    CLINICAL_PASSWORD_RESET: Message(
        title=_("The password of %(name)s (a clinical account) was reset by an administrator")
    ),
    TALK_REQUESTED: Message(title=_("%(name)s asked for a talk"), body=_("Log the talk when you have held it.")),
    SCREENING_RESCREEN: Message(
        title=_("Take the %(instrument)s questionnaire again"), names={"instrument": "wellbeing.Instrument.code"}
    ),
    SCREENING_INVITED: Message(title=_("Psychological check-up: %(campaign)s")),
}


class _Params(dict):
    """Parameters for ``%`` formatting: a missing one shows as "…" instead of failing."""

    def __missing__(self, key):
        return MISSING


def _choice_label(path: str, value) -> str:
    app_label, model_name, field_name = path.split(".")
    try:
        model_field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
    except LookupError:
        return str(value)
    return str(dict(model_field.flatchoices).get(value, value))


def _record_name(path: str, value) -> str:
    app_label, model_name, field_name = path.split(".")
    try:
        record = apps.get_model(app_label, model_name)._default_manager.filter(**{field_name: value}).first()
    except (LookupError, ValueError, TypeError):
        record = None
    return str(record) if record is not None else str(value)


def _params(message: Message, params: Mapping | None) -> _Params:
    values = _Params(params if isinstance(params, Mapping) else {})
    for name, path in message.choices.items():
        if name in values:
            values[name] = _choice_label(path, values[name])
    for name, path in message.names.items():
        if name in values:
            values[name] = _record_name(path, values[name])
    for name, formatter in message.formatters.items():
        if name in values:
            values[name] = formatter(values[name])
    return values


def _format(key: str, template: Promise, params: Mapping | None, message: Message) -> str | None:
    try:
        return str(template) % _params(message, params)
    except (TypeError, ValueError, KeyError):
        # A translation with a broken placeholder: the key and the error are logged, never the params.
        logger.warning("message %s could not be rendered", key, exc_info=True)
        return None


def exists(key: str) -> bool:
    return key in CATALOGUE


def render_title(key: str, params: Mapping | None = None, *, fallback: str | None = None) -> str:
    """The message's title in the active language; ``fallback`` (else a neutral text) for a key the
    catalogue does not know."""
    message = CATALOGUE.get(key)
    text = _format(key, message.title, params, message) if message is not None else None
    if text is not None:
        return text
    return fallback if fallback is not None else gettext("Message")


def render_body(key: str, params: Mapping | None = None) -> str:
    """The message's second line in the active language ("" when it has none)."""
    message = CATALOGUE.get(key)
    if message is None or message.body is None:
        return ""
    return _format(key, message.body, params, message) or ""
