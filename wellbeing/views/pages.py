"""The core's pages: each role's home, the people directory, a person's profile and what is recorded
about oneself."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wellbeing import policy, selectors
from wellbeing.forms import PersonSearchForm
from wellbeing.home import sections_for as home_sections
from wellbeing.models import Role
from wellbeing.records import RecordsQuery, record_sections


@require_GET
@login_required
def home(request):
    """Today's work for the signed-in user's roles (wellbeing/home.py): what they owe first, then
    what they watch; each section says what to do next when it is empty."""
    access = policy.access_for(request.user)
    context = {
        "access": access,
        "roles": [Role(r) for r in sorted(access.roles)],
        "me": access.person,
        "sections": home_sections(request),
    }
    return render(request, "wellbeing/home.html", context)


@require_GET
@login_required
def person_directory(request):
    if not policy.can(request.user, "person.directory"):
        raise PermissionDenied
    form = PersonSearchForm(request.GET or None, units=selectors.directory_units_for_user(user=request.user))
    people = selectors.person_list_for_user(user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        people = selectors.person_list_for_user(
            user=request.user,
            filters=selectors.PersonFilters(unit=data["unit"], status=data["status"] or None, search=data["q"] or None),
        )
    elif form.is_bound:
        people = people.none()
    page = Paginator(people, 25).get_page(request.GET.get("page"))
    template = "wellbeing/_people_table.html" if request.htmx else "wellbeing/people.html"
    return render(request, template, {"form": form, "page": page})


@require_GET
@login_required
def person_detail(request, external_id: str):
    person = selectors.person_get_for_user(user=request.user, external_id=external_id)
    links = [link for provider in PERSON_PAGE_LINKS for link in provider(request.user, person)]
    if policy.can(request.user, "referral.create", person):
        links.append(
            (_("Refer to the counselling team"), reverse("referral-new", args=[person.external_id]), "outline-danger")
        )
    can_set_work_ids = policy.can(request.user, "person.set_work_ids", person)
    if can_set_work_ids:
        url = reverse("person-work-ids", args=[person.external_id])
        links.append((_("Work messaging IDs"), url, "outline-secondary"))
    if policy.can(request.user, "person.access_request", person):
        url = reverse("person-access-request", args=[person.external_id])
        links.append((_("Access request: export their records"), url, "outline-secondary"))
    facts = [fact for provider in PERSON_PAGE_FACTS for fact in provider(request.user, person)]
    context = {"person": person, "links": links, "facts": facts, "can_set_work_ids": can_set_work_ids}
    return render(request, "wellbeing/person.html", context)


#: Other apps add buttons to a person's page from their AppConfig.ready(): callables
#: (user, person) -> [(label, url, bootstrap button style)], so the core imports none of them.
PERSON_PAGE_LINKS: list = []

#: Facts other apps add to a person's page: callables (user, person) -> [(label, value, badges)],
#: badges being (label, bootstrap style) pairs; each decides with the policy whether the user may know.
PERSON_PAGE_FACTS: list = []


@require_GET
@login_required
def my_records(request):
    """What is recorded about the signed-in person, as access.md lets a person see it about themselves:
    never a counsellor's working notes. Without a person record there is nothing to show: 403 (the
    navigation does not offer the page then)."""
    person = policy.access_for(request.user).person
    if person is None:
        raise PermissionDenied
    context = {
        "person": person,
        "sections": record_sections(RecordsQuery(reader=request.user, person=person)),
        "followups": selectors.my_followups(user=request.user),
        "referrals": selectors.referral_statuses_about_me(user=request.user),
    }
    return render(request, "wellbeing/my_records.html", context)
