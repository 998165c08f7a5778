"""Follow-up pages: my follow-ups, my team's, one follow-up, and the one-click actions (htmx)."""

import contextlib

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from wellbeing import policy, selectors, services
from wellbeing.forms import CompleteForm, FollowUpFilterForm, SnoozeForm


def _list(request, *, team: bool):
    form = FollowUpFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    bucket = data.get("bucket") or "overdue"
    filters = selectors.FollowUpFilters(
        bucket=bucket, kind=data.get("kind") or None, tier=data.get("tier") or None, owner_is_me=not team
    )
    items = selectors.followup_list_for_user(user=request.user, filters=filters, team=team)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    counts = {} if team else selectors.bucket_counts_for_user(user=request.user)
    tabs = [(key, label, counts.get(key)) for key, label in FollowUpFilterForm.base_fields["bucket"].choices]
    return render(
        request,
        "wellbeing/followups.html",
        {"form": form, "page": page, "bucket": bucket, "team": team, "tabs": tabs},
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
    return render(
        request,
        "wellbeing/followup_detail.html",
        {
            "f": followup,
            "can_manage": policy.can(request.user, "followup.manage", followup),
            "complete_form": CompleteForm(),
            "snooze_form": SnoozeForm(),
        },
    )


def _after_action(request, followup, *, error_form=None):
    if request.htmx:
        response = render(
            request,
            "wellbeing/_followup_row.html",
            {"f": followup, "error_form": error_form, "snooze_form": SnoozeForm(), "team": False},
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
                "snooze_form": error_form,
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
