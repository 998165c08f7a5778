"""Talk pages: log a talk (phone first), one talk, a person's history, my talks, the unit overview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from talks import carry, selectors, services, views_amend
from talks.forms import ActionFormSet, TalkFilterForm, TalkForm
from talks.models import MAX_ACTIONS, AgendaTemplate, Talk, TalkAction
from wellbeing import policy
from wellbeing.models import Person, Referral
from wellbeing.selectors import person_get_for_user


def _supervised(user):
    return policy.reports_of(user).select_related("unit", "user")


def _chosen(people, ids) -> list[Person]:
    """The people picked (only the supervisor's), in the order picked: the first is the default
    person for actions."""
    wanted = [int(i) for i in ids if str(i).isdecimal() and len(str(i)) < 19]
    found = {p.pk: p for p in people.filter(pk__in=wanted)}
    return [found[i] for i in dict.fromkeys(wanted) if i in found]


def _ids(values) -> set[int]:
    return {int(v) for v in values if str(v).isdecimal() and len(str(v)) < 19}


def _to_input(form: TalkForm, actions: ActionFormSet, chosen: list[Person]) -> services.TalkInput:
    d = form.cleaned_data
    # In the order they were picked: the first is the default person for actions.
    order = [p.pk for p in chosen]
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


#: Where the error summary's link for a field points: the control a person fixes it in.
_ANCHORS = {"participants": "picker", "kind": "id_kind_0", "occasion": "id_occasion_0", "mood": "id_mood_0"}


def _anchor(bound_field) -> str:
    name = bound_field.name
    if name in _ANCHORS:
        return _ANCHORS[name]
    if name == "mood_tags":
        return f"{bound_field.auto_id}_0"
    if name == "complete_actions":
        return "carried"
    return bound_field.auto_id


def _error_summary(form: TalkForm, actions: ActionFormSet) -> list[dict]:
    """Every error of the page, each linked to its field, in the order of the page."""
    items = [{"href": None, "text": str(e)} for e in form.non_field_errors()]
    for name in form.fields:
        for e in form.errors.get(name, []):
            text = _("%(field)s: %(error)s") % {"field": form[name].label, "error": e}
            items.append({"href": _anchor(form[name]), "text": text})
    items += [{"href": "add-action", "text": str(e)} for e in actions.non_form_errors()]
    for number, action_form in enumerate(actions.forms, 1):
        for e in action_form.non_field_errors():
            text = _("Action %(number)s: %(error)s") % {"number": number, "error": e}
            items.append({"href": action_form["description"].auto_id, "text": text})
        for name in action_form.fields:
            for e in action_form.errors.get(name, []):
                text = _("Action %(number)s, %(field)s: %(error)s") % {
                    "number": number,
                    "field": action_form[name].label,
                    "error": e,
                }
                items.append({"href": action_form[name].auto_id, "text": text})
    return items


def _add_service_errors(form: TalkForm, exc: ValidationError) -> None:
    for field, errs in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errs)


def _carried(user, chosen: list[Person]) -> list[TalkAction]:
    """The chosen people's open actions from earlier talks, each marked whether the user may tick
    it off (``can_tick``)."""
    carried = []
    for person in chosen:
        for action in selectors.open_actions_for_person(user=user, person=person):
            action.can_tick = carry.carried_action_may_be_ticked(actor=user, action=action)
            carried.append(action)
    return carried


@login_required
@require_http_methods(["GET", "POST"])
def talk_new(request):
    if not policy.can(request.user, "talk.log"):
        raise PermissionDenied
    people = _supervised(request.user)
    posted = request.method == "POST"
    if posted:
        chosen = _chosen(people, request.POST.getlist("participants"))
        group = request.POST.get("kind") == Talk.Kind.GROUP
        ticked = _ids(request.POST.getlist("complete_actions"))
    else:
        wanted = request.GET.get("person", "")[:64].replace("\x00", "")
        chosen = list(people.filter(external_id=wanted)) if wanted else []
        group, ticked = False, set()
    form = TalkForm(request.POST if posted else None, people=people)
    actions = ActionFormSet(
        request.POST if posted else None,
        prefix="actions",
        form_kwargs={"people": people, "chosen": chosen, "group": group},
    )
    same_day: list[Person] = []
    if posted:
        valid = form.is_valid()
        valid = actions.is_valid() and valid  # both validated: every error is shown at once
        if valid:
            data = _to_input(form, actions, chosen)
            if not form.cleaned_data["confirm_duplicate"]:
                same_day = selectors.people_talked_to_on(
                    user=request.user, people=data.participants, day=timezone.localdate(data.held_at)
                )
            if not same_day:
                try:
                    with transaction.atomic():
                        talk = services.talk_create(actor=request.user, data=data)
                        carry.carried_actions_complete(
                            actor=request.user, talk=talk, action_ids=form.cleaned_data["complete_actions"]
                        )
                except ValidationError as exc:
                    _add_service_errors(form, exc)
                else:
                    messages.success(request, views_amend.talk_saved_message(user=request.user, talk=talk))
                    return redirect("talks:detail", talk.pk)
    templates = AgendaTemplate.objects.filter(language=get_language() or "zh-hans")
    errors = _error_summary(form, actions) if posted else []
    return render(
        request,
        "talks/talk_form.html",
        {
            "form": form,
            "actions": actions,
            "chosen": chosen,
            "carried": _carried(request.user, chosen),
            "ticked": ticked,
            "templates": templates,
            "errors": errors,
            "same_day": same_day,
            "same_day_names": _(", ").join(p.full_name for p in same_day),
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def person_picker(request):
    if not policy.can(request.user, "talk.log"):
        raise PermissionDenied
    query = request.GET.get("q", "")
    found = selectors.people_for_picker(user=request.user, query=query)
    return render(request, "talks/_picker_results.html", {"found": found, "q": query[:50]})


#: The values of a row kept when it is drawn again (the people or the kind of talk changed, or a
#: kept draft is restored).
_ROW_FIELDS = ("description", "owner_kind", "owner", "due_date", "person")


@login_required
@require_GET
def action_row(request):
    """One agreed action's row, drawn for the people chosen so far: it offers only the owners that
    can be chosen for them, and keeps the values it is given."""
    if not policy.can(request.user, "talk.log"):
        raise PermissionDenied
    try:
        index = max(0, min(int(request.GET.get("index", "0")), MAX_ACTIONS - 1))
    except ValueError:
        index = 0
    people = _supervised(request.user)
    chosen = _chosen(people, request.GET.getlist("participants"))
    group = request.GET.get("kind") == Talk.Kind.GROUP or len(chosen) > 1
    prefix = f"actions-{index}"
    initial = {}
    for name in _ROW_FIELDS:
        value = request.GET.get(f"{prefix}-{name}", "").replace("\x00", "")[:200]
        if value:
            initial[name] = value
    form = ActionFormSet.form(prefix=prefix, initial=initial, people=people, chosen=chosen, group=group)
    return render(request, "talks/_action_row.html", {"action_form": form, "number": index + 1})


@login_required
@require_GET
def carried_actions(request):
    """The chosen people's open actions from earlier talks, to tick off in the new talk (loaded when
    a person is picked)."""
    if not policy.can(request.user, "talk.log"):
        raise PermissionDenied
    chosen = _chosen(_supervised(request.user), request.GET.getlist("participants"))
    return render(
        request,
        "talks/_carried_actions.html",
        {"carried": _carried(request.user, chosen), "ticked": _ids(request.GET.getlist("complete_actions"))},
    )


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
            **views_amend.detail_context(request, talk, actions),
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
    counts = {
        "overdue": sum(1 for r in rows if r.overdue),
        "never": sum(1 for r in rows if r.never),
        "due_soon": sum(1 for r in rows if r.status == "due_soon"),
    }
    return render(
        request, "talks/overview.html", {"rows": rows, "coverage": coverage, "counts": counts, "kinds": Talk.Kind}
    )
