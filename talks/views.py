"""Talk pages: log a talk (phone first), one talk, a person's history, my talks, the unit overview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from talks import selectors, services
from talks.forms import ActionFormSet, TalkFilterForm, TalkForm
from talks.models import MAX_ACTIONS, AgendaTemplate, Talk
from wellbeing import policy
from wellbeing.models import Referral
from wellbeing.selectors import person_get_for_user


def _supervised(user):
    return policy.reports_of(user).select_related("unit")


def _to_input(form: TalkForm, actions: ActionFormSet) -> services.TalkInput:
    d = form.cleaned_data
    # In the order they were picked: the first is the default person for actions.
    order = [int(i) for i in form.data.getlist("participants") if i.isdecimal() and len(i) < 19]
    people = sorted(d["participants"], key=lambda p: order.index(p.pk) if p.pk in order else len(order))
    action_inputs = []
    for a in actions.cleaned_data:
        if not a:
            continue
        owner = a.get("owner")
        action_inputs.append(
            services.ActionInput(
                description=a["description"],
                due_date=a["due_date"],
                owner_kind=a["owner_kind"],
                owner=owner.user if owner is not None else None,
                person=a.get("person") or (people[0] if people else None),
            )
        )
    referral = None
    if d.get("refer"):
        referral = services.ReferralInput(
            urgency=d["referral_urgency"],
            reason=d["referral_reason"],
            note=d.get("referral_note", ""),
            person=d.get("referral_person"),
        )
    return services.TalkInput(
        participants=people,
        held_at=d["held_at"],
        kind=d["kind"],
        occasion=d["occasion"],
        # The form keeps a trigger picked before switching back to "routine"; it does not apply then.
        trigger=d.get("trigger", "") if d["occasion"] == Talk.Occasion.TRIGGERED else "",
        location=d.get("location", ""),
        duration_minutes=d.get("duration_minutes"),
        mood=d.get("mood"),
        mood_tags=d.get("mood_tags", []),
        main_content=d.get("main_content", ""),
        difficulties=d.get("difficulties", ""),
        suggestions=d.get("suggestions", ""),
        shared_summary=d.get("shared_summary", ""),
        confidentiality=d["confidentiality"],
        actions=action_inputs,
        referral=referral,
    )


@login_required
@require_http_methods(["GET", "POST"])
def talk_new(request):
    if not policy.can(request.user, "talk.log"):
        raise PermissionDenied
    people = _supervised(request.user)
    form = TalkForm(request.POST or None, people=people)
    actions = ActionFormSet(request.POST or None, prefix="actions", form_kwargs={"people": people})
    chosen = []
    if request.method == "GET" and request.GET.get("person"):
        chosen = list(people.filter(external_id=request.GET["person"][:64].replace("\x00", "")))
    if request.method == "POST":
        if form.is_valid() and actions.is_valid():
            try:
                with transaction.atomic():
                    talk = services.talk_create(actor=request.user, data=_to_input(form, actions))
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(request, _("Talk logged. The next talk is scheduled."))
                return redirect("talks:detail", talk.pk)
        chosen = list(form.cleaned_data.get("participants", [])) if hasattr(form, "cleaned_data") else []
        if not chosen:
            ids = [i for i in request.POST.getlist("participants") if i.isdecimal() and len(i) < 19]
            chosen = list(people.filter(pk__in=ids))
    carried = []
    for person in chosen:
        carried += selectors.open_actions_for_person(user=request.user, person=person)
    templates = AgendaTemplate.objects.filter(language=get_language() or "zh-hans")
    return render(
        request,
        "talks/talk_form.html",
        {"form": form, "actions": actions, "chosen": chosen, "carried": carried, "templates": templates},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def person_picker(request):
    if not policy.can(request.user, "talk.log"):
        raise PermissionDenied
    found = selectors.people_for_picker(user=request.user, query=request.GET.get("q", ""))
    return render(request, "talks/_picker_results.html", {"found": found})


@login_required
@require_GET
def action_row(request):
    if not policy.can(request.user, "talk.log"):
        raise PermissionDenied
    try:
        index = max(0, min(int(request.GET.get("index", "0")), MAX_ACTIONS - 1))
    except ValueError:
        index = 0
    formset = ActionFormSet(prefix="actions", form_kwargs={"people": _supervised(request.user)})
    form = formset.form(prefix=f"actions-{index}", people=_supervised(request.user))
    return render(request, "talks/_action_row.html", {"action_form": form})


@login_required
@require_GET
def talk_detail(request, pk: int):
    talk = selectors.talk_get_for_user(user=request.user, talk_id=pk)
    text = selectors.talk_text_for_user(user=request.user, talk=talk)
    actions = selectors.actions_for_talk(user=request.user, talk=talk)
    referrals = (
        Referral.objects.filter(source_type__model="talk", source_id=str(talk.pk), referred_by=request.user)
        if talk.led_by_id == request.user.pk
        else []
    )
    return render(
        request,
        "talks/talk_detail.html",
        {
            "talk": talk,
            "text": text,
            "fields": policy.visible_fields(request.user, talk),
            "actions": actions,
            "referrals": referrals,
        },
    )


def _talk_list(request, filters: selectors.TalkFilters, template: str, extra: dict):
    form = TalkFilterForm(request.GET or None)
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.TalkFilters(
            person=filters.person, date_from=d["date_from"], date_to=d["date_to"], kind=d["kind"] or None
        )
    page = Paginator(selectors.talk_list_for_user(user=request.user, filters=filters), 25).get_page(
        request.GET.get("page")
    )
    return render(request, template, {"page": page, "form": form, **extra})


@login_required
@require_GET
def person_talks(request, external_id: str):
    person = person_get_for_user(user=request.user, external_id=external_id)
    if not policy.can(request.user, "talk.history", person):
        raise PermissionDenied
    extra = {"person": person, "carried": selectors.open_actions_for_person(user=request.user, person=person)}
    return _talk_list(request, selectors.TalkFilters(person=person), "talks/person_talks.html", extra)


@login_required
@require_GET
def my_talks(request):
    if policy.access_for(request.user).person is None:
        raise PermissionDenied
    return render(request, "talks/my_talks.html", {"rows": selectors.my_talk_summaries(user=request.user)})


@login_required
@require_GET
def overview(request):
    if not policy.can(request.user, "talk.overview"):
        raise PermissionDenied
    rows, coverage = selectors.cadence_overview(user=request.user)
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("never", "overdue", "due_soon", "ok")}
    return render(
        request, "talks/overview.html", {"rows": rows, "coverage": coverage, "counts": counts, "kinds": Talk.Kind}
    )
