"""The screening API (issue 9, item 6): taking a questionnaire, what happens next per tier, double
taps, bad input, who sees which results (audited), the questionnaires in both languages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import API_ROLES, USER_ROLES
from wellbeing.models import (
    AuditEvent,
    Instrument,
    Notification,
    Referral,
    Screening,
    ScreeningConsent,
)
from wellbeing.screening import services
from wellbeing.services.oncall import oncall_shift_create

pytestmark = pytest.mark.django_db

LIST = "/api/v1/screenings/"
INSTRUMENTS = "/api/v1/instruments/"
PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 0, 0]  # 7: mild, green
PHQ9_MODERATE = [2, 2, 2, 1, 1, 1, 1, 1, 0]  # 11: moderate, yellow
PHQ9_SEVERE = [2, 2, 2, 2, 2, 2, 2, 2, 0]  # 16: moderately severe, orange
PHQ9_ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # 1: none, but item 9 > 0: red


def post(client, body, **headers):
    return client.post(LIST, body, format="json", **headers)


def submit(org, who, answers=PHQ9_MILD, instrument="phq9"):
    """A result taken through the service (set-up for the read tests)."""
    return services.screening_submit(
        actor=org.users[who], instrument=instrument, answers=answers, consent=True
    ).screening


def on_call(org, who="counsellor"):
    today = timezone.localdate()
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users[who], starts_on=today, ends_on=today + timedelta(6)
    )


def nothing_stored():
    return not Screening.objects.exists() and not ScreeningConsent.objects.exists()


# --- Taking a questionnaire: what happens next per tier ---------------------------------------------


def test_green_result_offers_self_help_and_a_counsellor_on_request(org, as_principal):
    response = post(as_principal("staff", api=True), {"instrument": "phq9", "answers": PHQ9_MILD, "consent": True})
    assert response.status_code == 201, response.json()
    body = response.json()
    screening = Screening.objects.get()
    assert body["id"] == screening.pk and body["instrument"] == "phq9"
    assert (body["score"], body["band"]["code"], body["tier"]) == (7, "mild", "green")
    assert body["band"]["label"] == screening.band.label_en
    assert body["explanation"] == screening.band.explanation_en
    assert body["person"] == {"external_id": "EX-staff", "name": "王静"}
    assert "answers" not in body
    steps = body["next_steps"]
    assert steps["tier"] == "green" and steps["counsellor_contact"] == "on_request"
    assert steps["crisis_contacts"] == [] and steps["rescreen_after_days"] is None
    assert steps["self_help"] and steps["message"]
    assert steps["ask_counsellor"].endswith(f"/api/v1/screenings/{screening.pk}/ask-counsellor/")
    assert not Referral.objects.filter(person=org.people["staff"]).exists()


def test_yellow_result_offers_outreach_and_a_rescreen(org, as_principal, settings):
    settings.SCREENING_RESCREEN_DAYS = 21
    response = post(as_principal("staff", api=True), {"instrument": "phq9", "answers": PHQ9_MODERATE, "consent": True})
    assert response.status_code == 201
    body = response.json()
    assert (body["score"], body["band"]["code"], body["tier"]) == (11, "moderate", "yellow")
    steps = body["next_steps"]
    assert steps["counsellor_contact"] == "on_request" and steps["rescreen_after_days"] == 21
    assert steps["ask_counsellor"] and "21" in steps["message"]
    # Accepting the outreach: a self-referral, soon; asking again answers the same one.
    client = as_principal("staff", api=True)
    first = client.post(steps["ask_counsellor"], format="json")
    assert first.status_code == 200 and first.json()["status"] == "received"
    second = client.post(steps["ask_counsellor"], format="json")
    assert second.status_code == 200
    referral = Referral.objects.get(person=org.people["staff"])
    assert (referral.urgency, referral.source) == (Referral.Urgency.SOON, Referral.Source.SELF)


def test_orange_result_says_a_counsellor_within_24_hours(org, as_principal):
    response = post(as_principal("staff", api=True), {"instrument": "phq9", "answers": PHQ9_SEVERE, "consent": True})
    assert response.status_code == 201
    body = response.json()
    assert (body["score"], body["tier"]) == (16, "orange")
    steps = body["next_steps"]
    assert steps["counsellor_contact"] == "within_24_hours" and steps["ask_counsellor"] is None
    assert steps["crisis_contacts"] == [] and steps["message"] == "A counsellor will contact you within 24 hours."
    assert Referral.objects.get(person=org.people["staff"]).urgency == Referral.Urgency.URGENT


def test_red_result_shows_the_crisis_contacts_at_once_and_the_on_call_counsellor_is_told(
    org, as_principal, django_capture_on_commit_callbacks
):
    on_call(org)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(as_principal("staff", api=True), {"instrument": "phq9", "answers": PHQ9_ITEM9, "consent": True})
    assert response.status_code == 201
    body = response.json()
    assert (body["score"], body["band"]["code"], body["tier"]) == (1, "none", "red")
    steps = body["next_steps"]
    assert steps["message"] == "A counsellor has been told and will contact you today."
    assert steps["counsellor_contact"] == "today" and steps["ask_counsellor"] is None and steps["self_help"] == []
    phones = [c["phone"] for c in steps["crisis_contacts"]]
    assert phones[0] == "12356" and {"120", "110"} <= set(phones)
    assert steps["crisis_contacts"][0]["name"] == "National psychological assistance hotline"
    referral = Referral.objects.get(person=org.people["staff"])
    assert referral.urgency == Referral.Urgency.IMMINENT and referral.assigned_to == org.users["counsellor"]
    assert Notification.objects.filter(recipient=org.users["counsellor"]).exists()


def test_who5_is_reported_as_a_percentage(org, as_principal):
    client = as_principal("staff", api=True)
    response = post(client, {"instrument": "who5", "answers": [5, 5, 5, 5, 5], "consent": True})
    assert (response.json()["score"], response.json()["tier"]) == (100, "green")
    response = post(client, {"instrument": "who5", "answers": [2, 2, 2, 2, 2]})  # consent stands now
    assert response.status_code == 201
    assert (response.json()["score"], response.json()["band"]["code"], response.json()["tier"]) == (
        40,
        "poor_wellbeing",
        "yellow",
    )


def test_the_result_is_worded_in_the_request_language(org, as_principal):
    response = post(
        as_principal("staff", api=True),
        {"instrument": "phq9", "answers": PHQ9_ITEM9, "consent": True},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    body = response.json()
    band = Screening.objects.get().band
    assert body["band"]["label"] == band.label_zh and body["explanation"] == band.explanation_zh
    assert body["next_steps"]["crisis_contacts"][0]["name"] == "全国统一心理援助热线"


# --- Double taps ------------------------------------------------------------------------------------


def test_the_same_idempotency_key_stores_one_result(org, as_principal):
    client = as_principal("staff", api=True)
    body = {"instrument": "phq9", "answers": PHQ9_SEVERE, "consent": True}
    first = post(client, body, HTTP_IDEMPOTENCY_KEY="3f2b8c1e-tap")
    again = post(client, body, HTTP_IDEMPOTENCY_KEY="3f2b8c1e-tap")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Screening.objects.count() == 1
    assert Referral.objects.filter(person=org.people["staff"]).count() == 1
    # Another key (or none) is another screening: taking it again is normal.
    assert post(client, body, HTTP_IDEMPOTENCY_KEY="another").status_code == 201
    assert post(client, body).status_code == 201
    assert Screening.objects.count() == 3


def test_a_key_is_one_persons_own(org, as_principal):
    body = {"instrument": "phq9", "answers": PHQ9_MILD, "consent": True}
    assert post(as_principal("staff", api=True), body, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    assert post(as_principal("outsider", api=True), body, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    assert Screening.objects.count() == 2


@pytest.mark.parametrize("key", ["x" * 65, "with space", "中文"])
def test_a_malformed_idempotency_key_is_a_400(org, as_principal, key):
    response = post(
        as_principal("staff", api=True),
        {"instrument": "phq9", "answers": PHQ9_MILD, "consent": True},
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"Idempotency-Key"}
    assert nothing_stored()


# --- Bad input: a 400 in the one error shape, nothing stored ----------------------------------------


def test_no_consent_is_a_400_that_says_so(org, as_principal):
    for body in (
        {"instrument": "phq9", "answers": PHQ9_MILD},
        {"instrument": "phq9", "answers": PHQ9_MILD, "consent": False},
    ):
        response = post(as_principal("staff", api=True), body)
        assert response.status_code == 400
        data = response.json()
        assert set(data) == {"message", "errors"} and set(data["errors"]) == {"consent"}
        assert "consent" in data["errors"]["consent"][0].lower()
    assert nothing_stored()


def test_withdrawn_consent_needs_consent_again(org, as_principal):
    submit(org, "staff")
    services.consent_withdraw(actor=org.users["staff"])
    response = post(as_principal("staff", api=True), {"instrument": "phq9", "answers": PHQ9_MILD})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"consent"}
    assert Screening.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        ({"instrument": "phq9", "answers": [0] * 8}, {"answers"}),
        ({"instrument": "phq9", "answers": [0] * 10}, {"answers"}),
        ({"instrument": "phq9", "answers": []}, {"answers"}),
        ({"instrument": "phq9", "answers": [0, 0, 0, 0, 4, 0, 0, 0, 0]}, {"item_5"}),
        ({"instrument": "phq9", "answers": [0, 0, -1, 0, 0, 0, 0, 0, None]}, {"item_3", "item_9"}),
        ({"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, "x"]}, {"item_9"}),
        ({"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 1.5]}, {"item_9"}),
        ({"instrument": "phq9", "answers": [True, 0, 0, 0, 0, 0, 0, 0, 0]}, {"item_1"}),
        ({"instrument": "phq9", "answers": [[0], {"a": 1}, 0, 0, 0, 0, 0, 0, 0]}, {"item_1", "item_2"}),
        ({"instrument": "phq9", "answers": "0,0,0,0,0,0,0,0,0"}, {"answers"}),
        ({"instrument": "phq9", "answers": {"1": 0}}, {"answers"}),
        ({"instrument": "phq9", "answers": 0}, {"answers"}),
        ({"instrument": "phq9", "answers": None}, {"answers"}),
        ({"instrument": "phq9", "answers": [0] * 100_000}, {"answers"}),
        ({"instrument": "phq9"}, {"answers"}),
        ({"instrument": "scl90", "answers": [0] * 90}, {"instrument"}),
        ({"instrument": "", "answers": PHQ9_MILD}, {"instrument"}),
        ({"instrument": ["phq9"], "answers": PHQ9_MILD}, {"instrument"}),
        ({"instrument": "phq9\x00", "answers": PHQ9_MILD}, {"instrument"}),
        ({"answers": PHQ9_MILD}, {"instrument"}),
        ({"instrument": "phq9", "answers": PHQ9_MILD, "consent": "yes"}, {"consent"}),
        ({"instrument": "phq9", "answers": PHQ9_MILD, "consent": 1}, {"consent"}),
        ({"instrument": "phq9", "answers": PHQ9_MILD, "person": "EX-colleague"}, {"person"}),
        ({"instrument": "phq9", "answers": PHQ9_MILD, "person_id": 1}, {"person_id"}),
        ({"instrument": "phq9", "answers": PHQ9_MILD, "external_id": "EX-outsider"}, {"external_id"}),
        ({"instrument": "phq9", "answers": PHQ9_MILD, "colour": "blue"}, {"colour"}),
        ({"instrument": "phq9", "answers": [0] * 3, "person": "EX-colleague"}, {"person"}),  # both refused
    ],
)
def test_bad_input_is_a_400_on_the_right_field_and_stores_nothing(org, as_principal, body, keys):
    body = {"consent": True, **body} if "consent" not in body else body
    response = post(as_principal("staff", api=True), body)
    assert response.status_code == 400, response.content[:300]
    data = response.json()
    assert set(data) == {"message", "errors"}
    assert keys <= set(data["errors"]), data["errors"]
    assert nothing_stored()
    assert not Referral.objects.filter(person=org.people["staff"]).exists()


def test_answers_for_someone_else_say_why(org, as_principal):
    response = post(
        as_principal("supervisor", api=True),
        {"instrument": "phq9", "answers": PHQ9_MILD, "consent": True, "person": "EX-staff"},
    )
    assert response.status_code == 400
    assert "own answers" in response.json()["errors"]["person"][0]
    assert nothing_stored()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"instrument": "phq9", "answers": [0,0,',
        b"not json",
        b"[1, 2, 3]",
        b'"phq9"',
        b"null",
        b"",
        b"[" * 50_000,
        b"[" * 40 + b"]" * 40,
        b'{"instrument": "phq9", "answers": [0,0,0,0,0,0,0,0,NaN], "consent": true}',
    ],
)
def test_malformed_bodies_are_a_400_never_a_500(org, as_principal, raw):
    response = as_principal("staff", api=True).post(LIST, raw, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert set(response.json()) == {"message", "errors"}
    assert nothing_stored()


def test_a_form_encoded_body_is_refused(org, as_principal):
    response = as_principal("staff", api=True).post(LIST, {"instrument": "phq9", "answers": "0"})
    assert response.status_code == 415
    assert nothing_stored()


# --- No API client scope reaches screening ------------------------------------------------------------


@pytest.mark.parametrize("principal", API_ROLES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LIST),
        ("post", LIST),
        ("get", "/api/v1/screenings/{pk}/"),
        ("post", "/api/v1/screenings/{pk}/ask-counsellor/"),
        ("get", INSTRUMENTS),
        ("get", "/api/v1/instruments/phq9/"),
    ],
)
def test_api_clients_get_403_everywhere(org, as_principal, principal, method, path):
    screening = submit(org, "staff")
    client = as_principal(principal, api=True)
    body = {"instrument": "phq9", "answers": PHQ9_MILD, "consent": True}
    response = getattr(client, method)(path.format(pk=screening.pk), body if method == "post" else None, format="json")
    assert response.status_code == 403
    assert "No API client scope" in response.json()["message"]
    assert Screening.objects.count() == 1


def test_anonymous_gets_401(org, as_principal):
    assert as_principal("anonymous", api=True).get(LIST).status_code == 401
    assert post(as_principal("anonymous", api=True), {"instrument": "phq9"}).status_code == 401


# --- Who sees which results -----------------------------------------------------------------------


@pytest.fixture
def results(org):
    """The staff member's yellow result, the outsider's red one (referred to the counsellor on call:
    on the counsellor's caseload) and the supervisor's green one."""
    on_call(org)
    return {
        "staff": submit(org, "staff", PHQ9_MODERATE),
        "outsider": submit(org, "outsider", PHQ9_ITEM9),
        "supervisor": submit(org, "supervisor", PHQ9_MILD),
    }


def listed(client, **params) -> list[int]:
    response = client.get(LIST, {"page_size": 500, **params})
    assert response.status_code == 200, response.content[:300]
    return sorted(row["id"] for row in response.json()["results"])


EXPECTED = {
    "staff": ["staff"],
    "supervisor": ["supervisor"],  # their own; never their reports' (completion only, elsewhere)
    "outsider_supervisor": [],
    "outsider": ["outsider"],
    "counsellor": ["outsider"],  # their caseload
    "lead_counsellor": ["staff", "outsider", "supervisor"],  # consent stands (or referred)
    "hr_officer": [],
    "leading_group": [],  # counts only, elsewhere
    "administrator": [],  # no clinical information
}


@pytest.mark.parametrize("principal", USER_ROLES)
def test_each_role_lists_exactly_the_results_it_may_see(org, as_principal, results, principal):
    expected = sorted(results[who].pk for who in EXPECTED[principal])
    assert listed(as_principal(principal, api=True)) == expected
    for pk in (s.pk for s in results.values()):
        response = as_principal(principal, api=True).get(f"{LIST}{pk}/")
        assert response.status_code == (200 if pk in expected else 404)


def test_a_counsellor_without_a_caseload_sees_no_one_elses(org, as_principal):
    submit(org, "staff", PHQ9_ITEM9)  # nobody on call: referred to the lead counsellor
    assert listed(as_principal("counsellor", api=True)) == []
    assert len(listed(as_principal("lead_counsellor", api=True))) == 1


def test_withdrawn_consent_hides_results_from_the_lead_counsellor_unless_referred(org, as_principal, results):
    services.consent_withdraw(actor=org.users["staff"])
    services.consent_withdraw(actor=org.users["outsider"])
    lead = listed(as_principal("lead_counsellor", api=True))
    assert lead == sorted([results["outsider"].pk, results["supervisor"].pk])  # the red one was referred
    assert listed(as_principal("staff", api=True)) == [results["staff"].pk]  # one's own stay visible


def test_a_list_row_has_the_person_and_never_the_answers(org, as_principal, results):
    rows = as_principal("lead_counsellor", api=True).get(LIST, {"person": "EX-outsider"}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"id", "person", "instrument", "score", "band", "tier", "reviewed_tier", "created_at"}
    assert row["person"] == {"external_id": "EX-outsider", "name": "陈红"}
    assert (row["instrument"], row["score"], row["tier"], row["reviewed_tier"]) == ("phq9", 1, "red", "")
    detail = as_principal("lead_counsellor", api=True).get(f"{LIST}{row['id']}/").json()
    assert "answers" not in detail
    assert detail["next_steps"] is None  # what happens next is told to the person


def test_a_reviewed_tier_is_shown(org, as_principal, results):
    services.screening_review(
        actor=org.users["lead_counsellor"], screening=results["staff"], tier="orange", reason="面谈后判断"
    )
    row = as_principal("staff", api=True).get(f"{LIST}{results['staff'].pk}/").json()
    assert (row["tier"], row["reviewed_tier"]) == ("yellow", "orange")
    assert row["next_steps"]["tier"] == "orange"  # the review wins
    assert "面谈" not in json.dumps(row)


def test_filters(org, as_principal, results):
    gad7 = submit(org, "staff", [0] * 7, instrument="gad7")
    staff = as_principal("staff", api=True)
    assert listed(staff, instrument="gad7") == [gad7.pk]
    assert listed(staff, instrument="phq9") == [results["staff"].pk]
    assert listed(staff, instrument="nope") == []
    assert listed(staff, person="EX-outsider") == []  # not theirs to see
    lead = as_principal("lead_counsellor", api=True)
    assert listed(lead, person="EX-staff") == sorted([results["staff"].pk, gad7.pk])
    assert listed(lead, person="EX-staff", instrument="gad7") == [gad7.pk]
    response = lead.get(LIST, {"person": "a\x00b"})
    assert response.status_code == 400 and "person" in response.json()["errors"]
    for cursor in ("cD1ub3RhZGF0ZQ==", "cD0xJm89eA=="):  # "p=notadate"; "p=1&o=x"
        response = lead.get(LIST, {"cursor": cursor})
        assert response.status_code == 400 and "cursor" in response.json()["errors"]


@pytest.mark.parametrize("pk", ["0", "999999999999999999999999", "abc"])
def test_an_unknown_result_is_404(org, as_principal, pk):
    assert as_principal("staff", api=True).get(f"{LIST}{pk}/").status_code == 404


def test_lists_are_newest_first_and_paginated(org, as_principal):
    ids = [submit(org, "staff").pk for _ in range(3)]
    client = as_principal("staff", api=True)
    page = client.get(LIST, {"page_size": 2}).json()
    assert [r["id"] for r in page["results"]] == ids[::-1][:2]
    rest = client.get(page["next"]).json()
    assert [r["id"] for r in rest["results"]] == ids[:1]


# --- Reading someone else's results is audited ------------------------------------------------------


def test_a_counsellor_listing_results_is_audited_per_result_and_person(org, as_principal, results):
    second = submit(org, "outsider", PHQ9_MILD)
    before = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).count()
    listed(as_principal("counsellor", api=True))
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).order_by("pk")[before:]
    assert sorted(int(e.target_id) for e in reads) == sorted([results["outsider"].pk, second.pk])
    for event in reads:
        assert event.actor == org.users["counsellor"] and event.subject_person == org.people["outsider"]
        assert event.changes == {"fields": ["band", "reviewed_tier", "score", "tier"]}


def test_opening_someone_elses_result_is_audited_and_ones_own_is_not(org, as_principal, results):
    before = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).count()
    as_principal("staff", api=True).get(f"{LIST}{results['staff'].pk}/")
    listed(as_principal("staff", api=True))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).count() == before
    as_principal("lead_counsellor", api=True).get(f"{LIST}{results['staff'].pk}/")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.SENSITIVE_READ).latest("pk")
    assert (event.actor, event.subject_person, event.target_id) == (
        org.users["lead_counsellor"],
        org.people["staff"],
        str(results["staff"].pk),
    )


# --- A fixed number of queries, however many rows ---------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(("reader", "subject"), [("staff", "staff"), ("lead_counsellor", "staff")])
def test_a_list_takes_the_same_queries_for_one_row_or_many(
    org, as_principal, django_assert_num_queries, reader, subject
):
    submit(org, subject)
    client = as_principal(reader, api=True)
    one = _queries(client, LIST)
    for answers in (PHQ9_MODERATE, PHQ9_MILD, PHQ9_MILD, PHQ9_MODERATE):
        submit(org, subject, answers)
    with django_assert_num_queries(one):
        response = client.get(LIST)
    assert len(response.json()["results"]) == 5


def test_the_instrument_list_takes_the_same_queries_whatever_it_holds(org, as_principal, django_assert_num_queries):
    client = as_principal("staff", api=True)
    Instrument.objects.exclude(code="phq9").update(is_active=False)
    one = _queries(client, INSTRUMENTS)
    Instrument.objects.update(is_active=True)
    with django_assert_num_queries(one):
        response = client.get(INSTRUMENTS)
    assert len(response.json()["results"]) == 5


# --- Asking a counsellor ------------------------------------------------------------------------------


def test_only_the_person_asks_about_their_own_result(org, as_principal, results):
    url = f"{LIST}{results['staff'].pk}/ask-counsellor/"
    for principal in ("lead_counsellor", "supervisor", "outsider"):
        assert as_principal(principal, api=True).post(url, format="json").status_code == 404
    assert not Referral.objects.filter(person=org.people["staff"]).exists()
    assert as_principal("staff", api=True).post(url, format="json").status_code == 200
    assert Referral.objects.filter(person=org.people["staff"], source=Referral.Source.SELF).count() == 1


def test_asking_about_a_red_result_answers_the_referral_already_made(org, as_principal, results):
    url = f"{LIST}{results['outsider'].pk}/ask-counsellor/"
    response = as_principal("outsider", api=True).post(url, format="json")
    assert response.status_code == 200
    assert Referral.objects.filter(person=org.people["outsider"]).count() == 1


# --- The questionnaires ---------------------------------------------------------------------------


def test_instruments_in_english(org, as_principal):
    response = as_principal("staff", api=True).get(INSTRUMENTS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    assert list(rows) == ["phq9", "gad7", "who5", "k10", "pss10"]
    phq9 = Instrument.objects.get(code="phq9")
    row = rows["phq9"]
    assert row["name"] == phq9.name_en and row["instructions"] == phq9.instructions_en
    assert [i["number"] for i in row["items"]] == list(range(1, 10))
    assert row["items"][8]["text"] == phq9.items.get(position=9).text_en
    assert [o["value"] for o in row["options"]] == [0, 1, 2, 3]
    assert row["options"][0]["label"] == phq9.options.get(value=0).label_en
    assert row["score_range"] == {"min": 0, "max": 27}
    assert [(b["code"], b["min"], b["max"]) for b in row["bands"]] == [
        ("none", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("moderately_severe", 15, 19),
        ("severe", 20, 27),
    ]
    assert rows["who5"]["score_range"] == {"min": 0, "max": 100} and rows["who5"]["multiplier"] == 4
    assert rows["k10"]["score_range"] == {"min": 10, "max": 50}


def test_instruments_in_chinese(org, as_principal):
    response = as_principal("staff", api=True).get("/api/v1/instruments/gad7/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    gad7 = Instrument.objects.get(code="gad7")
    body = response.json()
    assert body["name"] == gad7.name_zh and body["items"][0]["text"] == gad7.items.get(position=1).text_zh
    assert body["options"][3]["label"] == gad7.options.get(value=3).label_zh
    assert body["bands"][0]["label"] == gad7.bands.order_by("min_score").first().label_zh


def test_an_instrument_not_offered_is_not_listed_nor_taken(org, as_principal):
    Instrument.objects.filter(code="pss10").update(is_active=False)
    client = as_principal("staff", api=True)
    assert "pss10" not in [r["code"] for r in client.get(INSTRUMENTS).json()["results"]]
    assert client.get("/api/v1/instruments/pss10/").status_code == 404
    assert client.get("/api/v1/instruments/nope/").status_code == 404
    assert client.get("/api/v1/instruments/a%00b/").status_code == 404
    response = post(client, {"instrument": "pss10", "answers": [0] * 10, "consent": True})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"instrument"}
