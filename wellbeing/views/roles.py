"""Clinical roles waiting for a second person: the lead counsellors (who have no admin access) and the
administrators confirm or refuse them here; whoever assigned one may withdraw it."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wellbeing import policy, services
from wellbeing.models import RoleAssignment
from wellbeing.models.roles import CLINICAL_ROLES
from wellbeing.services.roles import REASON_MAX_LENGTH

#: How far back the page shows clinical roles already confirmed or refused.
RECENT_DAYS = 30


class RefuseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=REASON_MAX_LENGTH)


def _require_confirmer(user) -> None:
    if not policy.can(user, "role.confirm"):
        raise PermissionDenied


def _pending_or_404(pk: int) -> RoleAssignment:
    try:
        return RoleAssignment.objects.pending().select_related("user").get(pk=pk)
    except RoleAssignment.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def roles_pending(request):
    _require_confirmer(request.user)
    related = ("user__person__unit", "assigned_by__person", "decided_by__person")
    pending = list(RoleAssignment.objects.pending().select_related(*related).order_by("created_at"))
    rows = [
        {
            "assignment": a,
            "may_decide": policy.can(request.user, "role.confirm", a),
            "assigned_by_me": a.assigned_by_id == request.user.pk,
            "is_mine": a.user_id == request.user.pk,
        }
        for a in pending
    ]
    recent = list(
        RoleAssignment.objects.filter(
            role__in=CLINICAL_ROLES, decided_at__gte=timezone.now() - timedelta(days=RECENT_DAYS)
        )
        .exclude(status=RoleAssignment.Status.PENDING)
        .select_related(*related)
        .order_by("-decided_at")[:20]
    )
    return render(request, "wellbeing/roles_pending.html", {"rows": rows, "recent": recent, "form": RefuseForm()})


@login_required
@require_POST
def role_confirm(request, pk: int):
    _require_confirmer(request.user)
    assignment = _pending_or_404(pk)
    try:
        services.role_confirm(actor=request.user, assignment=assignment)
    except PermissionDenied:
        raise Http404 from None  # not theirs to confirm: as if it were not there
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Confirmed: the role is in force."))
    return redirect("roles-pending")


@login_required
@require_POST
def role_refuse(request, pk: int):
    _require_confirmer(request.user)
    assignment = _pending_or_404(pk)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the role is refused."))
        return redirect("roles-pending")
    try:
        services.role_refuse(actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Refused: the role will not be in force."))
    return redirect("roles-pending")
