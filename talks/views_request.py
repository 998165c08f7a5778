"""Asking for a talk, from a member of staff's home page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from talks import requests
from wellbeing import policy


@login_required
@require_POST
def talk_request(request):
    if not policy.can(request.user, "talk.request"):
        raise PermissionDenied
    try:
        requests.talk_request_create(actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your supervisor has been told you would like a talk."))
    return redirect("home")
