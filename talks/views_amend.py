"""After a talk is saved: amending it (its author, within TALK_AMEND_DAYS), annotating it afterwards,
and what the talk page shows about both - the earlier versions, the annotations, and where the agreed
actions went (whose follow-ups, with links)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from talks import history, selectors, services
from talks.forms_amend import AnnotationForm, TalkAmendForm
from talks.models import Talk, TalkAction, TalkVersion
from talks.rules import TEXT_FIELDS
from wellbeing import policy
from wellbeing import selectors as core_selectors
from wellbeing.models import FollowUp


def _owner_name(action: TalkAction) -> str:
    person = getattr(action.owner, "person", None)
    return person.full_name if person is not None else action.owner.get_username()


def _per_owner(user, actions: list[TalkAction]) -> list[tuple[bool, str, int]]:
    """(the reader's own?, owner's name, how many) for each owner of the actions, the reader first."""
    counts = Counter(a.owner_id for a in actions)
    names = {a.owner_id: _owner_name(a) for a in actions}
    order = sorted(counts, key=lambda o: (o != user.pk, names[o]))
    return [(o == user.pk, names[o], counts[o]) for o in order]


def actions_added(*, user, actions: list[TalkAction]) -> list[str]:
    """Right after logging: "2 agreed actions added to your follow-ups.", "1 agreed action added to
    王静's follow-ups." (one sentence per owner, the reader's own first)."""
    return [
        ngettext(
            "%(count)s agreed action added to your follow-ups.",
            "%(count)s agreed actions added to your follow-ups.",
            n,
        )
        % {"count": n}
        if own
        else ngettext(
            "%(count)s agreed action added to %(name)s's follow-ups.",
            "%(count)s agreed actions added to %(name)s's follow-ups.",
            n,
        )
        % {"count": n, "name": name}
        for own, name, n in _per_owner(user, actions)
    ]


def actions_placed(*, user, actions: list[TalkAction]) -> list[str]:
    """On the talk page: "2 agreed actions are in your follow-ups.", "1 agreed action is in 王静's
    follow-ups."."""
    return [
        ngettext(
            "%(count)s agreed action is in your follow-ups.",
            "%(count)s agreed actions are in your follow-ups.",
            n,
        )
        % {"count": n}
        if own
        else ngettext(
            "%(count)s agreed action is in %(name)s's follow-ups.",
            "%(count)s agreed actions are in %(name)s's follow-ups.",
            n,
        )
        % {"count": n, "name": name}
        for own, name, n in _per_owner(user, actions)
    ]


def talk_saved_message(*, user, talk: Talk) -> str:
    """The message after logging a talk: saved, the next talk scheduled, and how many agreed actions
    went to whose follow-ups."""
    actions = list(talk.actions.select_related("owner__person"))
    return " ".join([_("Talk logged. The next talk is scheduled."), *actions_added(user=user, actions=actions)])


def _my_followups_link(user, actions: list[TalkAction]) -> str | None:
    """ "See it in My follow-ups": the agreed-actions filter, on the tab where the first of this talk's
    open actions the reader owns is (today, upcoming or overdue); None if they own none."""
    mine = [a.followup_id for a in actions if a.owner_id == user.pk and a.followup_id]
    if not mine:
        return None
    base = reverse("followups:mine")
    for bucket in ("today", "upcoming", "overdue"):
        found = core_selectors.followup_list_for_user(
            user=user,
            filters=core_selectors.FollowUpFilters(bucket=bucket, kind=FollowUp.Kind.TALK_ACTION, owner_is_me=True),
        ).filter(pk__in=mine)
        if found.exists():
            return f"{base}?{urlencode({'bucket': bucket, 'kind': FollowUp.Kind.TALK_ACTION})}"
    return f"{base}?{urlencode({'bucket': 'done', 'kind': FollowUp.Kind.TALK_ACTION})}"


#: How the talk page names each field of an earlier version.
VERSION_LABELS = {
    "held_at": gettext_lazy("When"),
    "location": gettext_lazy("Where"),
    "duration_minutes": gettext_lazy("Minutes"),
    "mood": gettext_lazy("State of mind"),
    "mood_tags": gettext_lazy("Concerns"),
    "main_content": gettext_lazy("Main content"),
    "difficulties": gettext_lazy("Difficulties and requests"),
    "suggestions": gettext_lazy("Suggestions"),
    "shared_summary": gettext_lazy("Shared summary"),
    "confidentiality": gettext_lazy("Confidentiality"),
}


@dataclass(frozen=True)
class VersionRow:
    label: str
    value: str
    long: bool  # free text, shown with its line breaks


def _shown(version: TalkVersion, name: str) -> str:
    value = getattr(version, name)
    if name == "held_at":
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    if name == "mood":
        return f"{value}/5" if value else "—"
    if name == "mood_tags":
        return _(", ").join(version.get_mood_tags_display()) or "—"
    if name == "confidentiality":
        return str(version.get_confidentiality_display())
    return str(value) if value not in (None, "") else "—"


def version_rows(entry: history.EarlierVersion) -> list[VersionRow]:
    """The fields of an earlier version that the next one changed, as the talk page shows them."""
    return [
        VersionRow(str(VERSION_LABELS[name]), _shown(entry.version, name), name in TEXT_FIELDS)
        for name in entry.changed
    ]


def detail_context(request, talk: Talk, actions: list[TalkAction]) -> dict:
    """What the talk page adds about amending, annotating and the agreed actions' follow-ups. The
    earlier versions and the annotations come through audited selectors."""
    user = request.user
    followup_ids = [a.followup_id for a in actions if a.followup_id]
    linkable = set(policy.followups_visible_to(user).filter(pk__in=followup_ids).values_list("pk", flat=True))
    can_annotate = policy.can(user, "talk.annotate", talk)
    return {
        "versions": [(e.version, version_rows(e)) for e in history.talk_versions_for_user(user=user, talk=talk)],
        "annotations": history.talk_annotations_for_user(user=user, talk=talk),
        "can_amend": policy.can(user, "talk.amend", talk),
        "can_annotate": can_annotate,
        "annotation_form": AnnotationForm() if can_annotate else None,
        "is_author": talk.led_by_id == user.pk,
        "linkable_followups": linkable,
        "actions_placed": actions_placed(user=user, actions=actions) if talk.led_by_id == user.pk else [],
        "concerns": _(", ").join(talk.get_mood_tags_display()),
        "my_followups_link": _my_followups_link(user, actions),
    }


def _closed(request, talk: Talk):
    """The author after the window: a page that says so and offers an annotation instead (403)."""
    return render(
        request,
        "talks/talk_amend_closed.html",
        {"talk": talk, "days": settings.TALK_AMEND_DAYS, "form": AnnotationForm()},
        status=403,
    )


@login_required
@require_http_methods(["GET", "POST"])
def talk_amend(request, pk: int):
    talk = selectors.talk_get_for_user(user=request.user, talk_id=pk)  # 404 if not visible
    if not policy.can(request.user, "talk.amend", talk):
        if policy.can(request.user, "talk.annotate", talk):
            return _closed(request, talk)
        raise PermissionDenied
    if request.method == "POST":
        form = TalkAmendForm(request.POST, talk=talk)
        if form.is_valid():
            version = talk.version
            try:
                amended = services.talk_amend(actor=request.user, talk=talk, data=form.to_amendment())
            except ValidationError as exc:
                for name, errs in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errs)
            else:
                if amended.version == version:
                    messages.info(request, _("Nothing was changed."))
                else:
                    messages.success(
                        request,
                        _("Talk amended (version %(number)s). The earlier version is kept.")
                        % {"number": amended.version},
                    )
                return redirect("talks:detail", talk.pk)
    else:
        text = selectors.talk_text_for_user(user=request.user, talk=talk)  # audited read
        form = TalkAmendForm(initial=TalkAmendForm.initial_for(talk, text), talk=talk)
    return render(
        request,
        "talks/talk_amend.html",
        {"talk": talk, "form": form, "until": talk.amendable_until},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def talk_annotate(request, pk: int):
    talk = selectors.talk_get_for_user(user=request.user, talk_id=pk)  # 404 if not visible
    if not policy.can(request.user, "talk.annotate", talk):
        if policy.can(request.user, "talk.amend", talk):
            messages.info(request, _("This talk can still be amended: amend it instead."))
            return redirect("talks:amend", talk.pk)
        raise PermissionDenied
    form = AnnotationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.talk_annotate(actor=request.user, talk=talk, text=form.cleaned_data["text"])
        except ValidationError as exc:
            for name, errs in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errs)
        else:
            messages.success(request, _("Annotation added."))
            return redirect(f"{reverse('talks:detail', args=[talk.pk])}#annotations")
    return render(
        request,
        "talks/talk_annotate.html",
        {"talk": talk, "form": form},
        status=400 if request.method == "POST" else 200,
    )
