"""A person's WeCom / DingTalk user ids, set by an HR officer for people in their units (or an
administrator): where their personal work notifications go (docs/reminders.md)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from wellbeing import policy, selectors, services


class WorkIdsForm(forms.Form):
    """The characters and uniqueness are checked by the service (the same rule as the API's)."""

    wecom_user_id = forms.CharField(
        label=gettext_lazy("WeCom user ID"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("As in the WeCom admin console (成员 UserID). Leave empty for none."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}),
    )
    dingtalk_user_id = forms.CharField(
        label=gettext_lazy("DingTalk user ID"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("As in the DingTalk admin console (员工 userid). Leave empty for none."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_work_ids(request, external_id: str):
    person = selectors.person_get_for_user(user=request.user, external_id=external_id)
    if not policy.can(request.user, "person.set_work_ids", person):
        raise PermissionDenied
    initial = {"wecom_user_id": person.wecom_user_id, "dingtalk_user_id": person.dingtalk_user_id}
    form = WorkIdsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_set_work_ids(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Saved the work messaging IDs."))
            return redirect("person", external_id=person.external_id)
    return render(
        request,
        "wellbeing/person_work_ids.html",
        {"form": form, "person": person},
        status=400 if request.method == "POST" else 200,
    )
