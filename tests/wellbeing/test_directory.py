"""The directory (issue 8, item 8): pinyin search and order, the unit filter within what the user may
see, profile pages that wrap on a phone, and "everything recorded about me"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, make_person
from wellbeing import services
from wellbeing.models import AuditEvent, Referral


def _names(response) -> list[str]:
    return [p.full_name for p in response.context["page"].object_list]


# --- Search and order -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["wj", "WJ", "wangjing", "wang jing", "王静", "EX-staff"])
def test_it_finds_a_person_by_initials_full_pinyin_name_or_id(as_principal, query):
    response = as_principal("supervisor").get(reverse("people"), {"q": query})
    assert response.status_code == 200
    assert _names(response) == ["王静"]


def test_it_finds_nobody_outside_what_the_user_may_see(as_principal):
    # 陈红 (chen hong) works in town B: the supervisor of town A does not find her by any spelling.
    for query in ("ch", "chenhong", "陈红"):
        assert _names(as_principal("supervisor").get(reverse("people"), {"q": query})) == []


def test_it_sorts_names_by_pinyin(as_principal, org):
    for name in ("张三", "阿明", "白雪", "Zoe", "Anna"):
        make_person(org.section_a1, full_name=name)
    names = _names(as_principal("supervisor").get(reverse("people"), {"q": ""}))
    # a min (阿明) < anna < bai xue < li ming < wang jing < wu ren shi < zhang san < zhang zhu ren < zoe
    assert names == ["阿明", "Anna", "白雪", "李明", "王静", "吴人事", "张三", "张主任", "Zoe"]


def test_the_people_api_keeps_its_own_order(as_principal, org):
    make_person(org.section_a1, full_name="阿明")
    rows = as_principal("supervisor", api=True).get(reverse("person-list")).json()["results"]
    ids = [row["external_id"] for row in rows]
    assert ids[-1] != ids[0] and rows[-1]["full_name"] == "阿明"  # by id: the newest last


# --- The unit filter --------------------------------------------------------------------------------


def _unit_codes(response) -> list[str]:
    return [u.code for u in response.context["form"].fields["unit"].queryset]


@pytest.mark.parametrize(
    ("principal", "codes"),
    [
        ("supervisor", ["A", "A1"]),
        ("hr_officer", ["A", "A1"]),
        ("outsider_supervisor", ["B", "B1"]),
        ("lead_counsellor", ["C", "A", "A1", "B", "B1", "O", "O1"]),
        ("administrator", ["C", "A", "A1", "B", "B1", "O", "O1"]),
    ],
)
def test_the_unit_filter_lists_only_the_units_the_user_may_see(as_principal, principal, codes):
    assert _unit_codes(as_principal(principal).get(reverse("people"))) == codes


def test_a_unit_outside_is_refused_not_ignored(as_principal, org):
    response = as_principal("supervisor").get(reverse("people"), {"unit": org.town_b.pk})
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert _names(response) == []
    html = response.content.decode()
    assert "Choose one of the units you can see." in html
    assert "is-invalid" in html and "is-valid" not in html  # only the refused field is marked


def test_a_search_puts_no_green_ticks_on_the_fields(as_principal):
    html = as_principal("supervisor").get(reverse("people"), {"q": "wj"}).content.decode()
    assert "is-valid" not in html and "is-invalid" not in html


def test_a_unit_inside_filters(as_principal, org):
    response = as_principal("supervisor").get(reverse("people"), {"unit": org.section_a1.pk})
    assert _names(response) == ["李明", "王静"]


# --- The profile on a phone -------------------------------------------------------------------------


def test_long_values_on_a_profile_wrap(as_principal, org):
    colleague = org.people["colleague"]
    colleague.email = "a.very.long.address.that.would.push.the.page.sideways@department.example.gov.cn"
    colleague.save(update_fields=["email"])
    html = as_principal("supervisor").get(reverse("person", args=[colleague.external_id])).content.decode()
    assert 'class="row text-break" data-testid="person-profile"' in html
    assert 'class="col-7 col-sm-9 text-break" data-testid="person-email"' in html
    assert "btn-sm text-wrap text-break" in html  # the buttons wrap their label rather than overflow


# --- Everything recorded about me -------------------------------------------------------------------


def test_my_records_show_the_shared_summary_not_the_talks_content(as_principal):
    response = as_principal("staff").get(reverse("my-records"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "已约定下月调整值班" in html  # the shared summary
    assert "最近加班多" not in html  # the talk's main content stays with its leader
    assert 'data-testid="my-records-talks"' in html and 'data-testid="my-records-actions"' in html


def test_reading_my_talks_there_is_audited(as_principal, org):
    as_principal("staff").get(reverse("my-records"))
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ, actor=org.users["staff"]).get()
    assert event.changes == {"fields": ["shared_summary"]}


def test_my_records_show_a_referral_about_me_as_existence_and_status_only(as_principal, org):
    services.referral_create(
        actor=org.users["supervisor"],
        person=org.people["staff"],
        urgency=Referral.Urgency.URGENT,
        reason=Referral.Reason.FAMILY,
        note="家里老人住院，情绪低落",
    )
    response = as_principal("staff").get(reverse("my-records"))
    html = response.content.decode().split('data-testid="my-records-referrals"')[1]
    [row] = response.context["referrals"]
    assert row.status == Referral.Status.RECEIVED
    assert html.count('data-testid="my-referral"') == 1
    assert "received" in html
    for hidden in (
        "家里老人住院",  # the note
        str(Referral.Reason.FAMILY.label),
        str(Referral.Urgency.URGENT.label),
        str(Referral.Source.SUPERVISOR.label),
        "张主任",  # who made it
    ):
        assert hidden not in html, hidden


def test_my_records_show_my_agreed_actions_and_my_follow_ups(as_principal, org):
    services.followup_create(
        actor=org.users["supervisor"],
        owner=org.users["staff"],
        title="提交年假计划",
        due_at=timezone.now() + timedelta(days=3),
        person=org.people["staff"],
    )
    html = as_principal("staff").get(reverse("my-records")).content.decode()
    assert "提交年假计划" in html


def test_an_outsider_does_not_see_my_records(as_principal, org):
    services.referral_create(
        actor=org.users["supervisor"], person=org.people["staff"], urgency="soon", reason="work_pressure"
    )
    response = as_principal("outsider").get(reverse("my-records"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["person"] == org.people["outsider"]
    assert "已约定下月调整值班" not in html and "王静" not in html
    assert response.context["referrals"] == []


def test_a_login_without_a_person_record_is_refused(db, client):
    user = UserFactory(username="no_person")
    client.force_login(user)
    assert client.get(reverse("my-records")).status_code == 403


def test_the_counsellors_case_work_is_not_on_their_own_records(as_principal):
    # The fixture's case contact is the counsellor's work about someone else, not a record about them.
    html = as_principal("counsellor").get(reverse("my-records")).content.decode()
    assert "个案回访" not in html and "李明" not in html


def _log_talks(org, n: int) -> None:
    from talks.models import TalkAction
    from talks.services import ActionInput, TalkInput, talk_create

    for i in range(n):
        talk_create(
            actor=org.users["supervisor"],
            data=TalkInput(
                participants=[org.people["staff"]],
                held_at=timezone.now() - timedelta(days=2 + i),
                main_content=f"内容{i}",
                shared_summary=f"小结{i}",
                actions=[
                    ActionInput(
                        description=f"事项{i}",
                        due_date=timezone.localdate() + timedelta(days=10 + i),
                        owner_kind=TalkAction.OwnerKind.PERSON,
                    )
                ],
            ),
        )


def _queries_for_my_records(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("my-records"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_my_records_run_a_fixed_number_of_queries(as_principal, org):
    client = as_principal("staff")
    _queries_for_my_records(client)  # warm the content-type cache
    one = _queries_for_my_records(client)  # the fixture's one talk
    _log_talks(org, 19)
    twenty = _queries_for_my_records(client)
    assert one == twenty
    html = client.get(reverse("my-records")).content.decode()
    assert "小结18" in html and "事项18" in html and "内容18" not in html
