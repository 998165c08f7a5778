"""Follow-up pages: my follow-ups, my team's, one follow-up, and the one-click actions (htmx)."""

import contextlib

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wellbeing import policy, selectors, services
from wellbeing.forms import CompleteForm, FollowUpFilterForm, SetAsideForm, SnoozeForm
from wellbeing.models import FollowUp


def _with_record_actions(followups):
    """Attach, to each follow-up that ends with its own record (a talk due), what ends it: the label
    and link of its app's action ("Log the talk"), so the page offers that instead of "done"."""
    for f in followups:
        closure = services.record_closure(f.kind)
        f.record_action = (closure.action_label(), closure.action_url(f)) if closure is not None else None
        f.record_explanation = closure.explanation() if closure is not None else ""
        f.record_can_set_aside = closure is not None and closure.can_set_aside
    return followups


def _list(request, *, team: bool):
    form = FollowUpFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    counts = {} if team else selectors.bucket_counts_for_user(user=request.user)
    # Opens on the most urgent bucket that has something in it (overdue, then today, then upcoming).
    default = next((b for b in ("overdue", "today", "upcoming") if counts.get(b)), "overdue")
    bucket = data.get("bucket") or default
    filters = selectors.FollowUpFilters(
        bucket=bucket, kind=data.get("kind") or None, tier=data.get("tier") or None, owner_is_me=not team
    )
    items = selectors.followup_list_for_user(user=request.user, filters=filters, team=team)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    _with_record_actions(page.object_list)
    badges = selectors.followup_badges(user=request.user, followups=page.object_list)
    for f in page.object_list:
        f.badges = badges.get(f.pk, ())
    # "Due within 7 days" is the home page's figure, a view of its own rather than a tab.
    choices = dict(FollowUpFilterForm.base_fields["bucket"].choices)
    tabs = [(key, label, counts.get(key)) for key, label in choices.items() if key != "week"]
    selected_view = choices["week"] if bucket == "week" else ""
    quick_kinds = [
        ("", _("All")),
        (FollowUp.Kind.TALK_DUE, _("Talks due")),
        (FollowUp.Kind.TALK_ACTION, _("Agreed actions")),
    ]
    return render(
        request,
        "wellbeing/followups.html",
        {
            "form": form,
            "page": page,
            "bucket": bucket,
            "team": team,
            "tabs": tabs,
            "selected_view": selected_view,
            "kind": data.get("kind") or "",
            "quick_kinds": quick_kinds,
            "set_aside_form": SetAsideForm(),
        },
    )


@require_GET
@login_required
def my_followups(request):
    if not policy.can(request.user, "followup.mine"):
        raise PermissionDenied
    return _list(request, team=False)


@require_GET
@login_required
def team_followups(request):
    if not policy.can(request.user, "followup.team"):
        raise PermissionDenied
    return _list(request, team=True)


@require_GET
@login_required
def followup_detail(request, pk: int):
    followup = selectors.followup_get_for_user(user=request.user, followup_id=pk)
    _with_record_actions([followup])
    return render(
        request,
        "wellbeing/followup_detail.html",
        {
            "f": followup,
            "can_manage": policy.can(request.user, "followup.manage", followup),
            "complete_form": CompleteForm(),
            "snooze_form": SnoozeForm(),
            "set_aside_form": SetAsideForm(),
        },
    )


def _after_action(request, followup, *, error_form=None):
    _with_record_actions([followup])
    if request.htmx:
        response = render(
            request,
            "wellbeing/_followup_row.html",
            {
                "f": followup,
                "error_form": error_form,
                "snooze_form": SnoozeForm(),
                "set_aside_form": SetAsideForm(),
                "team": False,
            },
        )
        if error_form is not None:
            response.status_code = 400
        return response
    if error_form is not None:
        return render(
            request,
            "wellbeing/followup_detail.html",
            {
                "f": followup,
                "can_manage": True,
                "complete_form": CompleteForm(),
                "snooze_form": error_form if isinstance(error_form, SnoozeForm) else SnoozeForm(),
                "set_aside_form": error_form if isinstance(error_form, SetAsideForm) else SetAsideForm(),
                "error_form": error_form,
            },
            status=400,
        )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("followups:mine")


def _managed(request, pk):
    followup = selectors.followup_get_for_user(user=request.user, followup_id=pk)
    if not policy.can(request.user, "followup.manage", followup):
        raise PermissionDenied
    return followup


def _apply(request, followup, form, action):
    if not form.is_valid():
        return _after_action(request, followup, error_form=form)
    try:
        followup = action(form.cleaned_data)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
        return _after_action(request, followup, error_form=form)
    return _after_action(request, followup)


@require_POST
@login_required
def followup_complete(request, pk: int):
    followup = _managed(request, pk)
    return _apply(
        request,
        followup,
        CompleteForm(request.POST),
        lambda data: services.followup_complete(actor=request.user, followup=followup, outcome=data["outcome"]),
    )


@require_POST
@login_required
def followup_snooze(request, pk: int):
    followup = _managed(request, pk)
    return _apply(
        request,
        followup,
        SnoozeForm(request.POST),
        lambda data: services.followup_snooze(
            actor=request.user, followup=followup, until=data["until"], reason=data["reason"]
        ),
    )


@require_POST
@login_required
def followup_set_aside(request, pk: int):
    followup = _managed(request, pk)
    return _apply(
        request,
        followup,
        SetAsideForm(request.POST),
        lambda data: services.followup_set_aside(
            actor=request.user, followup=followup, reason=data["reason"], note=data["note"]
        ),
    )


@require_POST
@login_required
def followup_acknowledge(request, pk: int):
    followup = _managed(request, pk)
    with contextlib.suppress(ValidationError):  # already closed: show its current state
        followup = services.followup_acknowledge(actor=request.user, followup=followup)
    return _after_action(request, followup)


# --- Inbox -----------------------------------------------------------------------------------------------


@require_GET
@login_required
def inbox(request):
    page = Paginator(selectors.notification_list_for_user(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "wellbeing/inbox.html", {"page": page})


@require_POST
@login_required
def inbox_mark_read(request):
    raw = request.POST.getlist("id")
    ids = None
    if raw:
        try:
            ids = [int(x) for x in raw]
        except ValueError:
            return HttpResponse(status=400)
        if any(not 0 < i < 2**63 for i in ids):
            return HttpResponse(status=400)
    services.notification_mark_read(user=request.user, notification_ids=ids)
    if request.htmx:
        return render(
            request,
            "wellbeing/_unread_badge.html",
            {"unread_count": selectors.unread_notification_count(user=request.user)},
        )
    return redirect("inbox")
