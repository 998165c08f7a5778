"""Activity pages (phone first): what is on for me and what I attended; one activity with its places,
my registration or place on the waiting list, its materials and anonymous feedback; for the leading
group and organisers, publishing and editing an activity, its registration list, materials and
attendance.

Reads go through programme.selectors.activities (scoped by programme.rules), writes through
programme.services. A form with errors comes back with them next to its fields (400); an activity or
a material the reader may not see, or may not manage, is 404 exactly like a missing one; a refused
action on an activity the reader sees is 403. Every successful POST redirects (POST-redirect-GET)
with a message."""

from __future__ import annotations

import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from programme import services
from programme.forms_activities import ActivityForm, AttendanceForm, FeedbackForm, MaterialForm
from programme.models import Activity, Registration
from programme.selectors import activities as selectors
from wellbeing import policy
from wellbeing.validation import add_errors

#: Content types a browser may be told a material is; anything else is sent as bytes to save.
SAFE_CONTENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/zip",
        "image/jpeg",
        "image/png",
        "text/plain",
        "audio/mpeg",
        "video/mp4",
    }
)


def _say_errors(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- What is on -------------------------------------------------------------------------------------


@login_required
@require_GET
def activity_list(request):
    """Upcoming activities open to me (with my registration), the ones I attended (feedback), and
    the ones I manage (all of them, for the leading group)."""
    overview = selectors.activity_overview_for_user(user=request.user)
    return render(
        request,
        "programme/activities/list.html",
        {"overview": overview, "now": timezone.now()},
    )


# --- Publishing and editing -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request):
    if not policy.can(request.user, "programme.activity.create"):
        raise PermissionDenied
    form = ActivityForm(request.POST if request.method == "POST" else None, with_task=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                activity = services.activity_create(
                    actor=request.user, units=form.cleaned_data["units"], **form.service_fields()
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The activity is published."))
                return redirect("programme:activity", pk=activity.pk)
        status = 400
    return render(request, "programme/activities/form.html", {"form": form, "activity": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk):
    """The activity's details (organiser or leading group); ``action=cancel`` cancels it."""
    activity = selectors.activity_get_for_manager(user=request.user, pk=pk)
    with_task = policy.can(request.user, "programme.activity.create")
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            services.activity_cancel(actor=request.user, activity=activity)
        except ValidationError as exc:
            _say_errors(request, exc)
        else:
            messages.success(request, _("The activity is cancelled. The people registered are no longer reminded."))
        return redirect("programme:activity", pk=activity.pk)
    if request.method == "POST":
        form = ActivityForm(request.POST, with_task=with_task, activity=activity)
        if form.is_valid():
            try:
                services.activity_edit(
                    actor=request.user, activity=activity, units=form.cleaned_data["units"], **form.service_fields()
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The activity is saved."))
                return redirect("programme:activity", pk=activity.pk)
        status = 400
    else:
        form = ActivityForm(initial=ActivityForm.initial_for(activity), with_task=with_task, activity=activity)
        status = 200
    return render(request, "programme/activities/form.html", {"form": form, "activity": activity}, status=status)


# --- One activity -----------------------------------------------------------------------------------


def _detail(request, activity: Activity, *, feedback_form=None, material_form=None, status: int = 200):
    user = request.user
    registration = selectors.my_registration(user=user, activity=activity)
    active = (
        registration is not None
        and registration.status != Registration.Status.CANCELLED
        and activity.status == Activity.Status.PUBLISHED
    )
    person = selectors.me(user)
    can_manage = policy.can(user, "programme.activity.manage", activity)
    given = selectors.feedback_given(activity=activity, person=person)
    can_feedback = registration is not None and policy.can(user, "programme.activity.feedback", registration)
    context = {
        "activity": activity,
        "places_left": selectors.places_left(activity),
        "registration": registration if active else None,
        "position": selectors.waiting_position(registration) if active else None,
        "can_register": not active and policy.can(user, "programme.activity.register", activity),
        "can_unregister": active and activity.starts_at > timezone.now(),
        # After an answer is refused (given already, a moment ago), the form stays to say why.
        "can_feedback": can_feedback and (not given or feedback_form is not None),
        "feedback_given": can_feedback and given,
        "feedback_form": feedback_form or FeedbackForm(),
        "summary": selectors.feedback_summary(activity=activity),
        "materials": selectors.materials_of(activity=activity),
        "can_manage": can_manage,
        "begun": activity.starts_at <= timezone.now(),
        "units": list(activity.units.all()),
    }
    if can_manage:
        context["registrations"] = selectors.registrations_for_manager(activity=activity)
        context["material_form"] = material_form or MaterialForm()
    return render(request, "programme/activities/detail.html", context, status=status)


def _register(request, activity: Activity):
    registration = services.register(actor=request.user, activity=activity)
    if registration.status == Registration.Status.REGISTERED:
        messages.success(request, _("You have a place. You will be reminded the day before."))
    else:
        position = selectors.waiting_position(registration)
        messages.info(
            request,
            _("The activity is full: you are on the waiting list (number %(position)s).") % {"position": position}
            + " "
            + _("You get a place when one is freed."),
        )


def _unregister(request, activity: Activity):
    registration = selectors.my_registration(user=request.user, activity=activity)
    if registration is None:
        raise ValidationError(_("You are not registered for this activity."))
    was_waiting = registration.status == Registration.Status.WAITLISTED
    services.unregister(actor=request.user, registration=registration)
    if was_waiting:
        messages.success(request, _("You have left the waiting list."))
    else:
        messages.success(request, _("Your place is cancelled."))


@login_required
@require_http_methods(["GET", "POST"])
def activity_detail(request, pk):
    """The activity; POST ``action``: register, unregister, feedback, or (managers) material."""
    activity = selectors.activity_get_for_user(user=request.user, pk=pk)
    if request.method == "GET":
        return _detail(request, activity)
    action = request.POST.get("action", "")
    if action in ("register", "unregister"):
        try:
            (_register if action == "register" else _unregister)(request, activity)
        except ValidationError as exc:
            _say_errors(request, exc)
        if request.POST.get("next") == "list":
            return redirect("programme:activities")
        return redirect("programme:activity", pk=activity.pk)
    if action == "feedback":
        return _feedback(request, activity)
    if action == "material":
        return _material(request, activity)
    messages.error(request, _("Choose what to do from the page."))
    return redirect("programme:activity", pk=activity.pk)


def _feedback(request, activity: Activity):
    registration = selectors.my_registration(user=request.user, activity=activity)
    if registration is None or not policy.can(request.user, "programme.activity.feedback", registration):
        raise PermissionDenied
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_give(
                actor=request.user,
                registration=registration,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Thank you for your feedback. It is anonymous."))
            return redirect("programme:activity", pk=activity.pk)
    return _detail(request, activity, feedback_form=form, status=400)


def _material(request, activity: Activity):
    if not policy.can(request.user, "programme.activity.manage", activity):
        raise PermissionDenied
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.material_add(
                actor=request.user,
                activity=activity,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The material is added."))
            return redirect("programme:activity", pk=activity.pk)
    return _detail(request, activity, material_form=form, status=400)


def _safe_name(name: str) -> str:
    """A file name fit for a header: no control characters, no path, never empty."""
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").replace("/", "_").replace("\\", "_")
    return name.strip(" .")[:200] or "material"


@login_required
@require_GET
def material_download(request, pk, material_id):
    """A material, to save (never shown inline), for anyone who may see the activity."""
    material = selectors.material_get_for_user(user=request.user, activity_pk=pk, material_pk=material_id)
    content_type = material.content_type if material.content_type in SAFE_CONTENT_TYPES else "application/octet-stream"
    response = HttpResponse(bytes(material.content), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, _safe_name(material.file_name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Attendance -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def activity_attendance(request, pk):
    """Who came (organiser or leading group), once the activity has begun."""
    activity = selectors.activity_get_for_manager(user=request.user, pk=pk)
    registrations = selectors.registered_for_attendance(activity=activity)
    begun = activity.starts_at <= timezone.now()
    status = 200
    if request.method == "POST":
        form = AttendanceForm(request.POST, registrations=registrations)
        if form.is_valid():
            try:
                count = services.record_attendance(
                    actor=request.user, activity=activity, attended_ids=set(form.cleaned_data["attended"])
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Attendance is saved: %(count)s came.") % {"count": count})
                return redirect("programme:activity", pk=activity.pk)
        status = 400
    else:
        form = AttendanceForm(
            initial={"attended": [str(r.pk) for r in registrations if r.attended]}, registrations=registrations
        )
    return render(
        request,
        "programme/activities/attendance.html",
        {"activity": activity, "form": form, "registrations": registrations, "begun": begun},
        status=status,
    )
