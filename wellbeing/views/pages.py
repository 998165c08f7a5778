"""The core's pages: each role's home, the people directory, a person's profile and what is recorded
about oneself."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wellbeing import policy, selectors
from wellbeing.forms import PersonSearchForm
from wellbeing.models import Role


@require_GET
@login_required
def home(request):
    access = policy.access_for(request.user)
    context = {"access": access, "roles": [Role(r) for r in sorted(access.roles)]}
    if access.person is not None:
        context["me"] = access.person
    if policy.can(request.user, "person.reports"):
        reports = (
            selectors.person_list_for_user(user=request.user).active().exclude(pk=getattr(access.person, "pk", None))
        )
        context["reports_count"] = reports.count()
        context["reports"] = list(reports[:10])
        context["scope_units"] = access.scope_units()
    if policy.can(request.user, "stats.view"):
        context["headcounts"] = selectors.headcount_by_top_unit(user=request.user)
    if policy.can(request.user, "followup.overdue_counts"):
        context["overdue_counts"] = selectors.overdue_followup_counts(user=request.user)
    context["can_admin"] = policy.can(request.user, "admin.access")
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
    return render(request, "wellbeing/person.html", {"person": person, "links": links})


#: Other apps add buttons to a person's page from their AppConfig.ready(): callables
#: (user, person) -> [(label, url, bootstrap button style)], so the core imports none of them.
PERSON_PAGE_LINKS: list = []


@dataclass(frozen=True)
class RecordRow:
    heading: str
    detail: str = ""
    text: str = ""  # longer text, shown with its line breaks
    url: str = ""
    muted: bool = False  # done or closed


@dataclass(frozen=True)
class RecordSection:
    """One part of "everything recorded about me": a heading and its rows (plain text, escaped when
    shown)."""

    key: str  # a stable name (the section's data-testid)
    title: str
    rows: list[RecordRow]
    empty: str = ""  # what to say when there are no rows


#: Other apps add their part of "everything recorded about me" from their AppConfig.ready():
#: callables (request, person) -> [RecordSection], each reading through its own selectors (and auditing
#: what it shows), so the core imports none of them. Sections appear in registration order, before
#: the core's own (follow-ups, referrals).
MY_RECORDS_SECTIONS: list = []


@require_GET
@login_required
def my_records(request):
    """What is recorded about the signed-in person, as access.md lets a person see it about themselves:
    never a counsellor's working notes. Without a person record there is nothing to show: 403 (the
    navigation does not offer the page then)."""
    person = policy.access_for(request.user).person
    if person is None:
        raise PermissionDenied
    sections = [section for provider in MY_RECORDS_SECTIONS for section in provider(request, person)]
    context = {
        "person": person,
        "sections": sections,
        "followups": selectors.my_followups(user=request.user),
        "referrals": selectors.referral_statuses_about_me(user=request.user),
    }
    return render(request, "wellbeing/my_records.html", context)
