"""The access matrix (design/access.md, "Proving it").

Every URL of the site and the API is listed here with the status each principal gets. A URL that
is not listed fails ``test_it_lists_every_url``, so a later endpoint cannot skip the matrix.
List endpoints are also checked for returning exactly the rows the table allows.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import ALL_PRINCIPALS, API_ROLES, USER_ROLES, Org, client_for
from tests.factories import ACTOR, PASSWORD, UserFactory
from tests.matrix import LOGIN, Entry, api, extra_entries, pages
from wellbeing import services
from wellbeing.models import Role


def colleague(org: Org) -> dict:
    return {"external_id": org.people["colleague"].external_id}


def unit_a(org: Org) -> dict:
    return {"pk": org.town_a.pk}


def staff_task(org: Org) -> dict:
    return {"pk": org.followups["staff_task"].pk}


def snooze_data(org: Org) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    return {"until": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "reason": "出差"}


# Follow-ups (access.md): the owner, and the supervisor of the owner's unit (not counselling work).
FOLLOWUP_PAGE = pages({}, default_user=404) | {"staff": 200, "supervisor": 200}
FOLLOWUP_ACTION = pages({}, default_user=404) | {"staff": 302, "supervisor": 302}
FOLLOWUP_API = api({}, default_user=404) | {"staff": 200, "supervisor": 200, **dict.fromkeys(API_ROLES, 403)}


def talk_a(org: Org) -> dict:
    return {"pk": org.talk.pk}


def referral(org: Org) -> dict:
    return {"pk": org.referral.pk}


def pending_role_assigned_by_the_administrator(org: Org) -> dict:
    """A counsellor role the administrator gave a newcomer: waiting for a second person. The lead
    counsellor may confirm it; the administrator, who assigned it, may not."""
    newcomer = UserFactory(username="new_counsellor")
    assignment = services.role_assign(actor=org.users["administrator"], user=newcomer, role=Role.COUNSELLOR)
    return {"pk": assignment.pk}


def pending_role_of_the_lead_counsellor(org: Org) -> dict:
    """A second administrator gave the lead counsellor a counsellor role as well: the administrator may
    refuse it; the lead counsellor, whose role it is, may not decide on it."""
    second_admin = UserFactory(username="second_administrator")
    services.role_assign(actor=ACTOR, user=second_admin, role=Role.ADMINISTRATOR)
    assignment = services.role_assign(actor=second_admin, user=org.users["lead_counsellor"], role=Role.COUNSELLOR)
    return {"pk": assignment.pk}


SUPERVISORS_ONLY = pages({}, default_user=403) | {"supervisor": 200, "outsider_supervisor": 200}
# A talk (access.md "talk"): its leader and its participant; supervisors of the unit see who/when.
TALK_PAGE = pages({}, default_user=404) | {"supervisor": 200, "staff": 200}
TALK_API = api({}, default_user=404) | {"supervisor": 200, "staff": 200, **dict.fromkeys(API_ROLES, 403)}

# Directory roles (access.md: person profile - supervisor reports, counsellor caseload people,
# lead counsellor all, HR their units, admin all; staff only themselves; leading group none).
NO_DIRECTORY = {"staff": 403, "outsider": 403, "leading_group": 403}

MATRIX: dict[str, Entry] = {
    "home": Entry(pages({})),
    "people": Entry(pages(NO_DIRECTORY)),
    # The colleague works in A1: visible to A's supervisor, A's HR officer, the lead counsellor and the
    # administrator; everyone else gets 404, exactly as if the person did not exist.
    "person": Entry(
        pages({}, default_user=404)
        | {"supervisor": 200, "hr_officer": 200, "lead_counsellor": 200, "administrator": 200},
        kwargs=colleague,
    ),
    # A person's WeCom / DingTalk ids: the HR officer of their unit and administrators; others who may
    # see the person are refused (403), the rest get 404.
    "person-work-ids": Entry(
        pages({}, default_user=404)
        | {"hr_officer": 200, "administrator": 200, "supervisor": 403, "lead_counsellor": 403},
        kwargs=colleague,
    ),
    "accounts:login": Entry(dict.fromkeys(["anonymous", *API_ROLES], 200) | dict.fromkeys(USER_ROLES, 302)),
    "accounts:logout": Entry(dict.fromkeys(ALL_PRINCIPALS, 302), method="post"),
    # Verified users are sent on; users without a device are sent to set one up.
    "accounts:2fa_verify": Entry(pages({}, default_user=302)),
    "accounts:2fa_setup": Entry(pages({}, default_user=302)),
    "set_language": Entry(dict.fromkeys(ALL_PRINCIPALS, 302), method="post", data={"language": "en", "next": "/"}),
    "followups:mine": Entry(pages({})),
    "followups:team": Entry(
        pages({}, default_user=403) | {"supervisor": 200, "outsider_supervisor": 200, "lead_counsellor": 200}
    ),
    "followups:detail": Entry(FOLLOWUP_PAGE, kwargs=staff_task),
    "followups:complete": Entry(FOLLOWUP_ACTION, kwargs=staff_task, method="post"),
    "followups:snooze": Entry(FOLLOWUP_ACTION, kwargs=staff_task, method="post", data=snooze_data),
    "followups:acknowledge": Entry(FOLLOWUP_ACTION, kwargs=staff_task, method="post"),
    # Setting aside is for what ends with its own record (a talk due): an agreed action is refused (400).
    "followups:set_aside": Entry(
        pages({}, default_user=404) | {"staff": 400, "supervisor": 400},
        kwargs=staff_task,
        method="post",
        data={"reason": "long_leave"},
    ),
    "inbox": Entry(pages({})),
    "inbox-read": Entry(pages({}, default_user=302), method="post"),
    # Monitoring: public, and says only how long ago the scan ran (503 here: no scan has run yet).
    "health": Entry(dict.fromkeys(ALL_PRINCIPALS, 503)),
    "follow-up-list": Entry(api({}) | dict.fromkeys(API_ROLES, 403), api=True),
    "follow-up-detail": Entry(FOLLOWUP_API, kwargs=staff_task, api=True),
    "follow-up-complete": Entry(FOLLOWUP_API, kwargs=staff_task, method="post", api=True),
    "follow-up-snooze": Entry(FOLLOWUP_API, kwargs=staff_task, method="post", data=snooze_data, api=True),
    "talks:new": Entry(SUPERVISORS_ONLY),
    "talks:picker": Entry(SUPERVISORS_ONLY),
    "talks:action-row": Entry(SUPERVISORS_ONLY),
    "talks:carried": Entry(SUPERVISORS_ONLY),
    "talks:overview": Entry(SUPERVISORS_ONLY),
    "talks:mine": Entry(pages({})),
    # Everyone here has a staff record: asking (or being told whom to ask) ends back on the home page.
    "talks:request": Entry(pages({}, default_user=302), method="post"),
    # What is recorded about oneself: every signed-in person (each principal here has a person record;
    # a login without one gets 403, see tests/wellbeing/test_directory.py).
    "my-records": Entry(pages({})),
    # A person's talk history: visible people outside the supervisor's units are refused (403).
    "talks:person": Entry(
        pages({}, default_user=404)
        | {"supervisor": 200, "lead_counsellor": 403, "hr_officer": 403, "administrator": 403},
        kwargs=colleague,
    ),
    "talks:detail": Entry(TALK_PAGE, kwargs=talk_a),
    # Amending: the author only (within TALK_AMEND_DAYS: the fixture's talk is new); the participant sees
    # the talk but may not amend it (403); anyone else does not see it (404). Annotating a talk that may
    # still be amended sends its author to the amend page.
    "talks:amend": Entry(TALK_PAGE | {"staff": 403}, kwargs=talk_a),
    "talks:annotate": Entry(TALK_PAGE | {"supervisor": 302, "staff": 403}, kwargs=talk_a),
    "referrals": Entry(pages({})),
    # One referral (access.md "referral"): the lead counsellor, and its referrer (status only); anyone
    # else is told it does not exist. Acting on it is the lead counsellor's alone.
    "referral-detail": Entry(
        pages({}, default_user=404) | {"supervisor": 200, "lead_counsellor": 200}, kwargs=referral
    ),
    # Acknowledging: the lead counsellor (or the counsellor it is assigned to); its referrer sees it
    # but may not act on it; anyone else is told it does not exist.
    "referral-acknowledge": Entry(
        pages({}, default_user=404) | {"lead_counsellor": 302, "supervisor": 403}, kwargs=referral, method="post"
    ),
    "referral-take-in": Entry(pages({}, default_user=403) | {"lead_counsellor": 302}, kwargs=referral, method="post"),
    "referral-close": Entry(
        pages({}, default_user=403) | {"lead_counsellor": 302},
        kwargs=referral,
        method="post",
        data={"reason": "duplicate"},
    ),
    "referral-new": Entry(
        pages({}, default_user=404)
        | {"supervisor": 200, "lead_counsellor": 200, "hr_officer": 403, "administrator": 403},
        kwargs=colleague,
    ),
    # Clinical roles waiting for a second person: lead counsellors and administrators; on a given one,
    # never its holder nor whoever assigned it (404, as if it were not there).
    "roles-pending": Entry(pages({}, default_user=403) | {"lead_counsellor": 200, "administrator": 200}),
    "role-confirm": Entry(
        pages({}, default_user=403) | {"lead_counsellor": 302, "administrator": 404},
        kwargs=pending_role_assigned_by_the_administrator,
        method="post",
    ),
    "role-refuse": Entry(
        pages({}, default_user=403) | {"lead_counsellor": 404, "administrator": 302},
        kwargs=pending_role_of_the_lead_counsellor,
        method="post",
        data={"reason": "不需要"},
    ),
    "talk-list": Entry(api({}) | dict.fromkeys(API_ROLES, 403), api=True),
    "talk-detail": Entry(TALK_API, kwargs=talk_a, api=True),
    # Annotating over the API: the author, once the talk can no longer be amended (400 before that).
    "talk-annotations": Entry(
        TALK_API | {"supervisor": 400, "staff": 403}, kwargs=talk_a, method="post", data={"text": "补充"}, api=True
    ),
    "api-schema": Entry(api({}) | {"api_client": 200, "api_client_no_scope": 200}, api=True),
    "api-docs": Entry(api({}) | {"api_client": 200, "api_client_no_scope": 200}, api=True),
    "org-unit-list": Entry(api({}) | {"api_client": 200, "api_client_no_scope": 403}, api=True),
    "org-unit-detail": Entry(api({}) | {"api_client": 200, "api_client_no_scope": 403}, kwargs=unit_a, api=True),
    "person-list": Entry(api(NO_DIRECTORY) | {"api_client": 200, "api_client_no_scope": 403}, api=True),
    "person-detail": Entry(
        api({}, default_user=404)
        | {
            "supervisor": 200,
            "hr_officer": 200,
            "lead_counsellor": 200,
            "administrator": 200,
            "api_client": 200,
            "api_client_no_scope": 404,
        },
        kwargs=colleague,
        api=True,
    ),
}

MATRIX.update(extra_entries())


def _all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace
                walk(p.url_patterns, f"{namespace}:{ns}" if namespace and ns else (ns or namespace))
            elif isinstance(p, URLPattern):
                name = p.name or f"<unnamed {p.pattern}>"
                names.add(f"{namespace}:{name}" if namespace else name)

    walk(get_resolver().url_patterns, None)
    return names


def test_it_lists_every_url():
    names = _all_url_names()
    admin_names = {n for n in names if n.startswith("admin:")}
    missing = names - admin_names - set(MATRIX)
    assert not missing, f"URLs missing from the access matrix: {sorted(missing)}"
    stale = set(MATRIX) - names
    assert not stale, f"Matrix entries for URLs that no longer exist: {sorted(stale)}"


CASES = [(name, principal) for name in MATRIX for principal in ALL_PRINCIPALS]


@pytest.mark.parametrize(("name", "principal"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_matrix(org, name, principal):
    entry = MATRIX[name]
    assert set(entry.expect) == set(ALL_PRINCIPALS), f"{name}: every principal needs an expectation"
    client = client_for(org, principal, api=entry.api)
    url = reverse(name, kwargs=entry.kwargs(org))
    data = entry.data(org) if callable(entry.data) else entry.data
    response = getattr(client, entry.method)(
        url, data, **({"format": "json"} if entry.api and entry.method == "post" else {})
    )
    expected = entry.expect[principal]
    if expected == "login":
        assert response.status_code == 302, (url, principal, response.status_code)
        assert response["Location"].startswith(LOGIN), response["Location"]
    else:
        assert response.status_code == expected, (url, principal, response.status_code)


# --- The admin: administrators only ---------------------------------------------------------------


def _admin_urls(org: Org) -> list[tuple[str, str]]:
    """Every admin URL name with a concrete URL: changelists and add views, and the change view of
    an existing row of every registered model."""
    urls = [("admin:index", reverse("admin:index")), ("admin:pipeline", reverse("admin:pipeline"))]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append((f"admin:{info[0]}_{info[1]}_changelist", reverse(f"admin:{info[0]}_{info[1]}_changelist")))
        urls.append((f"admin:{info[0]}_{info[1]}_add", reverse(f"admin:{info[0]}_{info[1]}_add")))
        obj = model._default_manager.first()
        if obj is not None:
            for view in ("change", "history"):
                urls.append(
                    (f"admin:{info[0]}_{info[1]}_{view}", reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[obj.pk]))
                )
    return urls


@pytest.mark.parametrize("principal", ALL_PRINCIPALS)
def test_admin_is_for_administrators_only(org, principal):
    client = client_for(org, principal)
    for name, url in _admin_urls(org):
        response = client.get(url)
        if principal == "administrator":
            # Allowed: the page, or 403 where the admin refuses the action itself (no add/delete of
            # the audit trail, API clients only from the command line).
            assert response.status_code in (200, 403), (name, url, response.status_code)
            if response.status_code == 403:
                assert name.endswith("_add"), (name, url)
        elif principal == "anonymous" or principal in API_ROLES:
            # Not signed in (a token means nothing to the admin): the site's one log-in page.
            assert response.status_code == 302, (name, url, principal, response.status_code)
            assert response["Location"].startswith(LOGIN), response["Location"]
        else:
            # Signed in without admin access: a plain refusal, never a redirect.
            assert response.status_code == 403, (name, url, principal, response.status_code)
            assert "Administration is for administrators" in response.content.decode()


def test_every_admin_url_name_is_reachable_only_by_administrators(org):
    """Admin URLs with other arguments (log-in, password change, app index, ...) refuse everyone else too:
    403 when signed in, the log-in page when not."""
    names = {n for n in _all_url_names() if n.startswith("admin:")} - PUBLIC_ADMIN_URLS
    signed_in = client_for(org, "staff")
    anonymous = client_for(org, "anonymous")
    urls = [_reverse_with_dummy_args(n) for n in sorted(names) if "<unnamed" not in n]
    # The admin's unnamed patterns: the catch-all, the object-id shortcut and treebeard's tree views.
    unnamed = {n for n in names if "<unnamed" in n}
    assert len(unnamed) == len(UNNAMED_ADMIN_PATHS), f"New unnamed admin URL(s) to list here: {sorted(unnamed)}"
    for url in urls + UNNAMED_ADMIN_PATHS:
        response = signed_in.get(url)
        assert response.status_code == 403, (url, response.status_code)
        response = anonymous.get(url)
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith(LOGIN), (url, response["Location"])


@pytest.mark.parametrize("principal", ["staff", "counsellor", "lead_counsellor", "leading_group"])
def test_the_admin_refuses_a_signed_in_non_administrator_without_a_redirect_loop(org, principal):
    client = client_for(org, principal)
    for start in ("/admin/", "/admin/login/?next=/admin/", "/admin/wellbeing/person/"):
        response = client.get(start, follow=True)
        assert response.status_code == 403, (start, response.redirect_chain)
        assert len(response.redirect_chain) <= 3, (start, response.redirect_chain)


def test_the_admin_sends_someone_signed_out_to_the_log_in_page_and_back(org):
    client = client_for(org, "anonymous")
    response = client.get("/admin/wellbeing/person/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/wellbeing/person/"
    credentials = {"username": "staff", "password": PASSWORD, "next": "/admin/wellbeing/person/"}
    response = client.post(response["Location"], credentials, follow=True)
    assert response.status_code == 403 and len(response.redirect_chain) <= 3, response.redirect_chain


#: django-treebeard's admin serves Django's JavaScript translation catalogue (static UI strings, no
#: data) without a log-in check; nothing else in the admin may answer anyone but an administrator.
PUBLIC_ADMIN_URLS = {"admin:javascript-catalog"}
UNNAMED_ADMIN_PATHS = [
    "/admin/no-such-page/",
    "/admin/wellbeing/person/1/",
    "/admin/wellbeing/orgunit/children/1/",
    "/admin/wellbeing/orgunit/move/",
]


def _reverse_with_dummy_args(name: str) -> str:
    from django.urls import NoReverseMatch

    for args in ([], [1], ["wellbeing"], [1, "x"]):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    raise AssertionError(f"Cannot build a URL for {name}")


# --- Lists return exactly the rows the table allows -------------------------------------------------


def _expected_people(org: Org, principal: str) -> set[str] | None:
    everyone = {p.external_id for p in org.people.values()}
    in_a = {p.external_id for p in org.people.values() if p.unit.path.startswith(org.town_a.path)}
    in_b = {p.external_id for p in org.people.values() if p.unit.path.startswith(org.town_b.path)}
    return {
        "supervisor": in_a,
        "outsider_supervisor": in_b,
        "counsellor": {org.people["counsellor"].external_id},  # caseload people come with the cases app
        "lead_counsellor": everyone,
        "hr_officer": in_a,
        "administrator": everyone,
        "api_client": everyone,
    }.get(principal)


@pytest.mark.parametrize(
    "principal",
    ["supervisor", "outsider_supervisor", "counsellor", "lead_counsellor", "hr_officer", "administrator", "api_client"],
)
def test_people_api_lists_exactly_the_visible_rows(org, principal):
    client = client_for(org, principal, api=True)
    response = client.get(reverse("person-list"), {"page_size": 500})
    assert response.status_code == 200
    got = {row["external_id"] for row in response.json()["results"]}
    assert got == _expected_people(org, principal)


@pytest.mark.parametrize(
    "principal", ["supervisor", "outsider_supervisor", "counsellor", "lead_counsellor", "hr_officer", "administrator"]
)
def test_people_page_lists_exactly_the_visible_rows(org, principal):
    client = client_for(org, principal)
    response = client.get(reverse("people"))
    assert response.status_code == 200
    got = {p.external_id for p in response.context["page"].object_list}
    assert got == _expected_people(org, principal)
