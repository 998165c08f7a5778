"""A person's access request (PIPL §45; docs/privacy.md): the person downloads everything recorded
about them from "My records"; an administrator answers a written request for a named person from the
person's page, giving the request's reference. Both get one self-contained HTML file, and both are
audited by the service (wellbeing.services.access_request)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wellbeing import policy, selectors
from wellbeing.services.access_request import REFERENCE_MAX_LENGTH, AccessExport, access_request_export


class AccessRequestForm(forms.Form):
    """The written request being answered (the service checks the reference again)."""

    reference = forms.CharField(
        label=gettext_lazy("Reference of the written request"),
        max_length=REFERENCE_MAX_LENGTH,
        required=False,  # the service says what is missing, in its own words
        help_text=gettext_lazy("E.g. the letter's number or the date it arrived. It is kept in the audit trail."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _download(export: AccessExport) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def my_records_export(request):
    """Download everything recorded about me (POST: it writes an audit entry)."""
    person = policy.access_for(request.user).person
    if person is None:
        raise PermissionDenied
    return _download(access_request_export(actor=request.user, person=person))


@login_required
@require_http_methods(["GET", "POST"])
def person_access_request(request, external_id: str):
    """Answer a person's written access request: the form asks for its reference, the answer is
    the file to hand over."""
    person = selectors.person_get_for_user(user=request.user, external_id=external_id)
    if not policy.can(request.user, "person.access_request", person):
        raise PermissionDenied
    form = AccessRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            export = access_request_export(actor=request.user, person=person, reference=form.cleaned_data["reference"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return _download(export)
    return render(
        request,
        "wellbeing/person_access_request.html",
        {"form": form, "person": person},
        status=400 if request.method == "POST" else 200,
    )
