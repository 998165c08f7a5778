"""Care pages (排忧解难): the care records a user may see (about themselves, and about the people they
answer for as a supervisor or HR officer), recording practical support for a colleague, and one
record with its note.

Reads go through programme.selectors.care (scoped by programme.rules), writes through
programme.services. The note is never in a list; reading it on a record's page is audited by the
selector. A record or a person the reader may not see is 404 exactly like a missing one; a form with
errors comes back with them next to its fields (400); a saved record redirects (POST-redirect-GET)
with a message saying whether a talk was suggested."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from programme import services
from programme.forms_care import CareFilterForm, CareRecordForm
from programme.selectors import care as selectors
from wellbeing import policy, workload
from wellbeing.models import Role
from wellbeing.validation import add_errors

LIST_LIMIT = selectors.LIST_LIMIT


#: A picker this short is listed without a name to narrow it.
PICKER_SHORT = 12


@login_required
@require_GET
def care_list(request):
    """Records about me, records about the people I answer for (no notes), and whom I may record
    support for."""
    form = CareFilterForm(request.GET)
    q = form.query()
    me = policy.access_for(request.user).person
    rows = list(selectors.care_list_for_user(user=request.user, q=q)[: LIST_LIMIT + 1])
    more = len(rows) > LIST_LIMIT
    rows = rows[:LIST_LIMIT]
    about_me = [r for r in rows if me is not None and r.person_id == me.pk]
    others = [r for r in rows if me is None or r.person_id != me.pk]
    people, more_people = selectors.people_to_record_for(user=request.user, q=q)
    return render(
        request,
        "programme/care/list.html",
        {
            "form": form,
            "q": q,
            "about_me": about_me,
            "records": others,
            "more": more,
            "people": people,
            "more_people": more_people,
            # A short list is shown as it is; a long one once a name narrows it.
            "show_people": bool(q) or len(people) <= PICKER_SHORT,
            "can_record": policy.access_for(request.user).has(Role.SUPERVISOR, Role.HR_OFFICER),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_new(request, person_id):
    """Record practical support for ``person_id`` (their supervisors and their unit's HR officers)."""
    person = selectors.person_to_record_for(user=request.user, person_id=person_id)
    form = CareRecordForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _record, suggestion = services.care_record_create(
                    actor=request.user, person=person, **form.cleaned_data
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The support is recorded."))
                if suggestion is not None:
                    messages.info(
                        request,
                        _("A talk with %(name)s has been suggested to their supervisor.") % {"name": person.full_name},
                    )
                elif workload.talk_planned(person):
                    messages.info(request, _("A talk is planned already."))
                else:
                    messages.warning(
                        request,
                        _("No talk could be suggested: %(name)s has no supervisor in the system.")
                        % {"name": person.full_name},
                    )
                return redirect("programme:care")
        status = 400
    return render(request, "programme/care/form.html", {"form": form, "person": person}, status=status)


@login_required
@require_GET
def care_detail(request, pk):
    """One record with its note (the read is audited)."""
    record = selectors.care_get_for_user(user=request.user, pk=pk)
    me = policy.access_for(request.user).person
    return render(
        request,
        "programme/care/detail.html",
        {"record": record, "is_me": me is not None and me.pk == record.person_id},
    )
