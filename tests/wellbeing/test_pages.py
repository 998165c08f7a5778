import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ACTOR, make_person

HOME_SECTIONS = {
    "staff": ["my-figures", "next-talk", "open-actions"],
    "supervisor": ["my-figures", "talks-due", "open-actions", "referrals-made"],
    "hr_officer": ["my-figures", "coverage"],
    "counsellor": ["my-figures", "urgent", "due"],
    "lead_counsellor": ["my-figures", "urgent", "due", "intake", "headcounts", "overdue-counts"],
    "leading_group": ["my-figures", "coverage", "headcounts", "overdue-counts"],
    "administrator": ["my-figures", "headcounts", "overdue-counts", "admin-links"],
}
ROLE_SECTIONS = {"talks-due", "coverage", "urgent", "due", "intake", "headcounts", "overdue-counts", "admin-links"}


@pytest.mark.parametrize("principal", list(HOME_SECTIONS))
@pytest.mark.parametrize(("language", "marker"), [("en", "Your follow-ups"), ("zh-hans", "我的跟进事项")])
def test_each_role_has_a_home_page_in_both_languages(as_principal, principal, language, marker):
    client = as_principal(principal)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    html = client.get("/").content.decode()
    assert marker in html
    for section in HOME_SECTIONS[principal]:
        assert f'data-testid="{section}"' in html
    for section in ROLE_SECTIONS - set(HOME_SECTIONS[principal]):
        assert f'data-testid="{section}"' not in html


def test_the_navigation_follows_the_roles(as_principal):
    staff_nav = as_principal("staff").get("/").context["nav_items"]
    admin_nav = as_principal("administrator").get("/").context["nav_items"]
    supervisor_nav = as_principal("supervisor").get("/").context["nav_items"]
    assert [str(label) for label, _ in staff_nav] == [
        "Home",
        "My follow-ups",
        "My leave",
        "Ask for help",
        "Activities",
        "My talks",
        "My records",
        "Screening",
    ]
    assert [str(label) for label, _ in supervisor_nav] == [
        "Home",
        "My follow-ups",
        "Team follow-ups",
        "Log a talk",
        "Talk overview",
        "My leave",
        "Team leave",
        "Ask for help",
        "My plan tasks",
        "Activities",
        "Care",
        "Check-ups",
        "My talks",
        "My records",
        "Screening",
        "People",
    ]
    assert [str(label) for label, _ in admin_nav] == [
        "Home",
        "My follow-ups",
        "My leave",
        "Emergency access",
        "Ask for help",
        "My plan tasks",
        "Activities",
        "Roles to confirm",
        "My talks",
        "My records",
        "Screening",
        "People",
        "Administration",
    ]


def test_the_leading_group_sees_suppressed_small_counts(as_principal, org):
    for _ in range(5):
        make_person(org.section_b1)
    sections = {s.key: s for s in as_principal("leading_group").get("/").context["sections"]}
    rows = dict(sections["headcounts"].table.rows)
    assert rows["青石镇"] == 7  # outsider supervisor + outsider + 5 new people
    assert rows["城关镇"] is None  # 4 people: withheld (k >= 5)


def test_the_directory_searches_by_name_and_unit(as_principal, org):
    client = as_principal("lead_counsellor")
    got = client.get("/people/", {"q": "王静"}).context["page"].object_list
    assert [p.external_id for p in got] == ["EX-staff"]
    got = client.get("/people/", {"unit": org.town_b.pk}).context["page"].object_list
    assert {p.external_id for p in got} == {"EX-outsider", "EX-outsider_supervisor"}


def test_the_directory_answers_htmx_with_just_the_table(as_principal):
    response = as_principal("lead_counsellor").get("/people/", {"q": "王"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table" in html and '<nav class="navbar' not in html


@pytest.mark.parametrize(
    "params",
    [{"unit": "999999"}, {"unit": "abc"}, {"q": "王\x00"}, {"q": "王" * 101}, {"status": "retired"}, {"page": "x"}],
    ids=["unknown-unit", "unit-not-int", "nul", "too-long", "bad-status", "bad-page"],
)
def test_bad_directory_input_is_a_form_error(as_principal, params):
    response = as_principal("lead_counsellor").get("/people/", params)
    assert response.status_code == 200
    if "page" not in params:
        assert response.context["form"].errors
        assert list(response.context["page"].object_list) == []


def test_the_directory_has_a_fixed_number_of_queries(as_principal, org):
    client = as_principal("lead_counsellor")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/people/").status_code == 200
        return len(ctx)

    count()
    few = count()
    for _ in range(50):
        make_person(org.section_a1)
    assert count() == few


def test_an_impossible_external_id_is_a_404(as_principal):
    client = as_principal("lead_counsellor")
    assert client.get("/people/EX-staff%00/").status_code == 404
    assert client.get("/people/" + "x" * 65 + "/").status_code == 404


def test_a_person_sees_everything_recorded_about_themselves(as_principal):
    html = as_principal("staff").get("/people/EX-staff/").content.decode()
    assert "王静" in html and "张主任" in html  # their manager


def test_the_site_works_offline_with_local_assets(as_principal):
    html = as_principal("staff").get("/").content.decode()
    assert "/static/vendor/bootstrap-5.3.8/bootstrap.min.css" in html
    assert "/static/vendor/htmx-2.0.7/htmx.min.js" in html
    assert "https://" not in html


def test_pages_are_built_for_phones(as_principal):
    html = as_principal("staff").get("/").content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "navbar-toggler" in html  # the menu collapses on narrow screens


def test_the_leading_group_sees_overdue_follow_up_counts_only(as_principal, org):
    from datetime import timedelta

    from django.utils import timezone

    from wellbeing import services

    services.followup_create(
        actor=ACTOR, owner=org.users["staff"], title="逾期事项", due_at=timezone.now() - timedelta(days=1)
    )
    html = as_principal("leading_group").get("/").content.decode()
    sections = {s.key: s for s in as_principal("leading_group").get("/").context["sections"]}
    assert {f.key: f.value for f in sections["overdue-counts"].figures} == {"org-overdue": 1, "org-escalated": 0}
    assert "逾期事项" not in html
