"""The counselling team's screening pages (issue 9): a person's trajectory chart with its table, one
result with its answers and the tier review, the on-call rota and the home page's on-call line."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from wellbeing.models import AuditEvent, Instrument, OnCallShift, Person, Screening
from wellbeing.screening import services
from wellbeing.services.oncall import oncall_shift_create

pytestmark = pytest.mark.django_db

PHQ9_ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # 1: none, but item 9 > 0: red
PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 0, 0]  # 7: mild, green
PHQ9_MODERATE = [2, 2, 2, 1, 1, 1, 1, 1, 0]  # 11: moderate, yellow
GAD7_MILD = [1, 1, 1, 1, 1, 1, 0]  # 6: mild
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _today():
    return timezone.localdate()


def _submit(org, answers, *, instrument="phq9", days_ago: int = 0) -> Screening:
    screening = services.screening_submit(
        actor=org.users["staff"], instrument=instrument, answers=answers, consent=True
    ).screening
    if days_ago:
        Screening.objects.filter(pk=screening.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        screening.refresh_from_db()
    return screening


@pytest.fixture
def red(org) -> Screening:
    """The counsellor is on call; the staff member's red PHQ-9 is referred to them, which puts the
    staff member on the counsellor's caseload."""
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=_today(), ends_on=_today()
    )
    screening = _submit(org, PHQ9_ITEM9)
    assert screening.tier == "red" and screening.referral.assigned_to == org.users["counsellor"]
    return screening


@pytest.fixture
def history(org, red) -> list[Screening]:
    """Five results over a year: four PHQ-9 and one GAD-7."""
    return [
        _submit(org, PHQ9_MILD, days_ago=300),
        _submit(org, PHQ9_MODERATE, days_ago=200),
        _submit(org, GAD7_MILD, instrument="gad7", days_ago=150),
        _submit(org, PHQ9_MILD, days_ago=60),
        red,
    ]


def _person_url(org) -> str:
    return reverse("screening:person", args=[org.people["staff"].external_id])


def _chart_data(response) -> dict:
    match = re.search(r'<script id="screening-chart-data" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, "the page has its chart's data block"
    return json.loads(match.group(1))


def _reads(target, fields=None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(
        action=AuditEvent.Action.SENSITIVE_READ,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
    ).order_by("id")
    return [r for r in rows if fields is None or r.changes.get("fields") == sorted(fields)]


# --- The trajectory page --------------------------------------------------------------------------


@pytest.mark.parametrize("principal", ["counsellor", "lead_counsellor"])
def test_the_counselling_team_sees_the_chart_with_its_data_block_and_table(as_principal, org, history, principal):
    response = as_principal(principal).get(_person_url(org), **EN)
    assert response.status_code == 200
    html = response.text
    assert 'data-testid="chart-phq9"' in html and 'data-testid="chart-gad7"' in html
    assert "/static/vendor/echarts-5.6.0/echarts.min.js" in html and "/static/js/screening_chart.js" in html
    assert "<script>" not in html  # no inline script: only the JSON block and the two files
    table = html[
        html.index('data-testid="table-phq9"') : html.index("</table>", html.index('data-testid="table-phq9"'))
    ]
    assert table.count("<tr data-key=") == 4  # the four PHQ-9 results, in a real table
    for s in history:
        if s.instrument.code == "phq9":
            assert reverse("screening:detail", args=[s.pk]) in table
    assert "<th" in table and "<caption" in table
    bands = html[html.index('data-testid="bands-phq9"') :]
    assert "0–4 None or minimal" in bands[: bands.index("</p>")]  # printed with the table
    assert "Several days" not in html  # answers are not on this page


@pytest.mark.parametrize(
    "principal",
    ["staff", "supervisor", "outsider_supervisor", "outsider", "hr_officer", "administrator", "leading_group"],
)
def test_anyone_else_is_told_the_person_is_not_there(as_principal, org, red, principal):
    response = as_principal(principal).get(_person_url(org))
    assert response.status_code == 404
    assert not _reads(org.people["staff"])


def test_a_counsellor_without_the_person_on_their_caseload_gets_404(as_principal, org, red):
    colleague = org.people["colleague"]
    response = as_principal("counsellor").get(reverse("screening:person", args=[colleague.external_id]))
    assert response.status_code == 404


def test_the_charts_data_has_the_score_range_the_band_boundaries_and_tiered_points(as_principal, org, history):
    data = _chart_data(as_principal("counsellor").get(_person_url(org), **EN))
    assert data["locale"] == "EN"
    charts = {c["code"]: c for c in data["charts"]}
    assert list(charts) == ["phq9", "gad7"]  # in the questionnaires' order
    phq9 = charts["phq9"]
    assert (phq9["min"], phq9["max"]) == (0, 27)
    assert [(b["min"], b["max"]) for b in phq9["bands"]] == [(0, 4), (5, 9), (10, 14), (15, 19), (20, 27)]
    # Drawn midway between bands, from the bottom of the scale to its top.
    assert [(b["from"], b["to"]) for b in phq9["bands"]] == [
        (0, 4.5),
        (4.5, 9.5),
        (9.5, 14.5),
        (14.5, 19.5),
        (19.5, 27),
    ]
    assert [b["tier"] for b in phq9["bands"]] == ["green", "green", "yellow", "orange", "orange"]
    assert phq9["bands"][0]["label"] == "None or minimal"
    points = phq9["points"]
    assert [p["score"] for p in points] == [7, 11, 7, 1]  # oldest first
    assert [p["tier"] for p in points] == ["green", "yellow", "green", "red"]
    assert points[-1]["url"] == reverse("screening:detail", args=[history[-1].pk])
    assert points[0]["time"] < points[-1]["time"]
    who5 = Instrument.objects.get(code="who5")
    assert who5.score_range() == (0, 100)  # the y axis of a WHO-5 chart: the percentage


def test_a_reviewed_tier_colours_the_point_and_shows_in_the_table(as_principal, org, history):
    services.screening_review(
        actor=org.users["lead_counsellor"], screening=history[1], tier="green", reason="复核后无碍"
    )
    response = as_principal("counsellor").get(_person_url(org), **EN)
    point = _chart_data(response)["charts"][0]["points"][1]
    assert point["tier"] == "green" and point["reviewed"] is True
    row = re.search(rf'<tr data-key="screening-{history[1].pk}">(.*?)</tr>', response.text, re.S).group(1)
    assert "yellow" in row and "green" in row  # computed and reviewed tier


def test_every_view_of_the_person_page_is_audited_as_a_read_of_scores(as_principal, org, history):
    client = as_principal("counsellor")
    person = org.people["staff"]
    client.get(_person_url(org))
    client.get(_person_url(org))
    reads = _reads(person)
    assert len(reads) == 2
    assert all(r.changes == {"fields": ["band", "score", "tier"]} for r in reads)
    assert all(r.subject_person == person and r.actor == org.users["counsellor"] for r in reads)


def test_the_person_page_makes_as_many_queries_for_five_results_as_for_one(
    as_principal, org, red, django_assert_max_num_queries
):
    client = as_principal("counsellor")
    client.get(_person_url(org))  # warm the content-type cache
    with django_assert_max_num_queries(20) as one:
        assert client.get(_person_url(org)).status_code == 200
    _submit(org, PHQ9_MILD, days_ago=300)
    _submit(org, PHQ9_MODERATE, days_ago=200)
    _submit(org, GAD7_MILD, instrument="gad7", days_ago=150)
    _submit(org, PHQ9_MILD, days_ago=60)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(_person_url(org)).status_code == 200


@pytest.mark.parametrize(("headers", "locale", "text"), [(EN, "EN", "None or minimal"), (ZH, "ZH", "无或极轻微")])
def test_the_person_page_renders_in_both_languages(as_principal, org, history, headers, locale, text):
    response = as_principal("counsellor").get(_person_url(org), **headers)
    assert response.status_code == 200
    data = _chart_data(response)
    assert data["locale"] == locale
    assert data["charts"][0]["bands"][0]["label"] == text
    assert text in response.text


def test_a_person_without_results_gets_a_plain_page_without_a_chart(as_principal, org, red):
    Screening.objects.exclude(pk=red.pk).delete()
    # The lead counsellor sees everyone; a person with no results gets a line saying so.
    colleague = org.people["colleague"]
    response = as_principal("lead_counsellor").get(reverse("screening:person", args=[colleague.external_id]))
    assert response.status_code == 200
    assert 'data-testid="no-results"' in response.text and "screening-chart-data" not in response.text


# --- One result -----------------------------------------------------------------------------------


def _detail(screening) -> str:
    return reverse("screening:detail", args=[screening.pk])


def test_the_detail_page_shows_the_decrypted_answers_and_the_critical_item(as_principal, org, red):
    stored = Screening.objects.get(pk=red.pk).answers
    assert stored == PHQ9_ITEM9, f"the answers must read back as stored (a list), not {stored!r}"
    response = as_principal("counsellor").get(_detail(red), **EN)
    assert response.status_code == 200
    html = response.text
    phq9 = Instrument.objects.get(code="phq9")
    assert 'data-testid="answers-incomplete"' not in html
    for position, value in enumerate(PHQ9_ITEM9, start=1):
        assert f'data-item="{position}" data-value="{value}"' in html
    assert phq9.options.get(value=1).label_en in html
    assert phq9.items.get(position=9).text_en in html
    assert 'data-testid="critical-items"' in html
    assert reverse("referral-detail", args=[red.referral.pk]) in html  # assigned to them: they may open it
    assert 'data-testid="review-form"' in html


def test_every_view_of_a_result_is_audited_as_a_read_of_its_answers(as_principal, org, red):
    client = as_principal("lead_counsellor")
    client.get(_detail(red))
    client.get(_detail(red))
    reads = _reads(red)
    assert [r.changes for r in reads] == [{"fields": ["answers"]}] * 2
    assert all(r.subject_person == org.people["staff"] for r in reads)
    services.screening_review(actor=org.users["lead_counsellor"], screening=red, tier="red", reason="确认")
    client.get(_detail(red))
    assert _reads(red)[-1].changes == {"fields": ["answers", "review_reason"]}


@pytest.mark.parametrize(
    "principal",
    ["staff", "supervisor", "outsider", "hr_officer", "administrator", "leading_group", "outsider_supervisor"],
)
def test_nobody_else_sees_a_result_here(as_principal, org, red, principal):
    assert as_principal(principal).get(_detail(red)).status_code == 404
    assert not _reads(red)


def test_an_unknown_result_is_404(as_principal, org, red):
    assert as_principal("lead_counsellor").get(reverse("screening:detail", args=[red.pk + 1000])).status_code == 404


def test_the_review_form_shows_its_errors_next_to_the_fields(as_principal, org, red):
    client = as_principal("counsellor")
    response = client.post(reverse("screening:review", args=[red.pk]), {"tier": "", "reason": "  "}, **EN)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["tier"] == ["Choose a tier."]
    assert form.errors["reason"] == ["Say why: the reason is kept with the review."]
    assert "is-invalid" in response.text
    response = client.post(reverse("screening:review", args=[red.pk]), {"tier": "purple", "reason": "x"})
    assert response.status_code == 400 and "tier" in response.context["form"].errors
    red.refresh_from_db()
    assert red.reviewed_tier == "" and red.reviewed_at is None


def test_a_review_is_saved_and_shown(as_principal, org, red):
    client = as_principal("counsellor")
    response = client.post(
        reverse("screening:review", args=[red.pk]), {"tier": "orange", "reason": "已电话联系，无计划"}
    )
    assert response.status_code == 302 and response["Location"] == _detail(red)
    red.refresh_from_db()
    assert (red.reviewed_tier, red.review_reason, red.reviewed_by) == (
        "orange",
        "已电话联系，无计划",
        org.users["counsellor"],
    )
    page = client.get(_detail(red), **EN).text
    assert 'data-testid="reviewed-tier">orange<' in page and "已电话联系，无计划" in page and "刘咨询" in page
    update = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, target_id=str(red.pk)).last()
    assert "已电话联系" not in json.dumps(update.changes, ensure_ascii=False)


def test_only_the_counselling_team_may_review(as_principal, org, red):
    for principal in ("staff", "supervisor", "administrator"):
        response = as_principal(principal).post(
            reverse("screening:review", args=[red.pk]), {"tier": "green", "reason": "x"}
        )
        assert response.status_code == 404
    red.refresh_from_db()
    assert red.reviewed_tier == ""


@pytest.mark.parametrize(("headers", "text"), [(EN, "None or minimal"), (ZH, "无或极轻微")])
def test_the_detail_page_renders_in_both_languages(as_principal, org, red, headers, text):
    response = as_principal("counsellor").get(_detail(red), **headers)
    assert response.status_code == 200 and text in response.text


# --- The on-call rota -----------------------------------------------------------------------------


def _add(client, **data):
    return client.post(reverse("screening:oncall_add"), data, **EN)


def test_the_rota_shows_who_is_on_call_today_and_the_shifts_ahead_and_behind(as_principal, org):
    counsellor, lead = org.users["counsellor"], org.users["lead_counsellor"]
    oncall_shift_create(actor=lead, counsellor=counsellor, starts_on=_today(), ends_on=_today() + timedelta(days=2))
    later = oncall_shift_create(
        actor=lead, counsellor=lead, starts_on=_today() + timedelta(days=10), ends_on=_today() + timedelta(days=16)
    )
    past = OnCallShift.objects.create(
        counsellor=lead, starts_on=_today() - timedelta(days=8), ends_on=_today() - timedelta(days=2)
    )
    old = OnCallShift.objects.create(
        counsellor=lead, starts_on=_today() - timedelta(days=40), ends_on=_today() - timedelta(days=30)
    )
    response = as_principal("counsellor").get(reverse("screening:oncall"), **EN)
    assert response.status_code == 200
    html = response.text
    assert "You are on call today" in html
    assert f'data-key="shift-{later.pk}"' in html and f'data-key="shift-{past.pk}"' in html
    assert f'data-key="shift-{old.pk}"' not in html
    assert 'data-testid="oncall-form"' not in html and 'data-testid="remove-shift"' not in html  # not theirs to change
    response = as_principal("lead_counsellor").get(reverse("screening:oncall"), **EN)
    assert "On call today: <strong>刘咨询</strong>" in response.text
    assert 'data-testid="oncall-form"' in response.text and 'data-testid="remove-shift"' in response.text


def test_with_nobody_on_call_the_rota_names_the_lead_counsellor(as_principal, org):
    response = as_principal("counsellor").get(reverse("screening:oncall"), **EN)
    assert "red items go to the lead counsellor, <strong>周主管</strong>" in response.text


@pytest.mark.parametrize("principal", ["staff", "supervisor", "administrator", "leading_group"])
def test_the_rota_is_the_counselling_teams(as_principal, org, principal):
    assert as_principal(principal).get(reverse("screening:oncall")).status_code == 403


def test_the_lead_counsellor_adds_a_week_a_day_and_a_range(as_principal, org):
    client = as_principal("lead_counsellor")
    counsellor = org.users["counsellor"]
    start = _today() + timedelta(days=1)
    response = _add(client, counsellor=counsellor.pk, starts_on=start.isoformat(), span="week")
    assert response.status_code == 302 and response["Location"] == reverse("screening:oncall")
    week = OnCallShift.objects.get()
    assert (week.counsellor, week.starts_on, week.ends_on) == (counsellor, start, start + timedelta(days=6))
    day = start + timedelta(days=7)
    assert _add(client, counsellor=counsellor.pk, starts_on=day.isoformat(), span="day").status_code == 302
    assert OnCallShift.objects.filter(starts_on=day, ends_on=day).exists()
    first, last = day + timedelta(days=1), day + timedelta(days=3)
    response = _add(
        client,
        counsellor=org.users["lead_counsellor"].pk,
        starts_on=first.isoformat(),
        ends_on=last.isoformat(),
        span="range",
    )
    assert response.status_code == 302
    assert OnCallShift.objects.filter(starts_on=first, ends_on=last, counsellor=org.users["lead_counsellor"]).exists()


def test_an_overlapping_shift_is_refused_next_to_its_field(as_principal, org):
    client = as_principal("lead_counsellor")
    counsellor = org.users["counsellor"]
    oncall_shift_create(
        actor=org.users["lead_counsellor"],
        counsellor=counsellor,
        starts_on=_today(),
        ends_on=_today() + timedelta(days=6),
    )
    response = _add(client, counsellor=counsellor.pk, starts_on=(_today() + timedelta(days=3)).isoformat(), span="day")
    assert response.status_code == 400
    assert "shifts may not overlap" in response.context["form"].errors["starts_on"][0]
    assert "is-invalid" in response.text
    assert OnCallShift.objects.count() == 1


TOMORROW = "tomorrow"  # replaced by tomorrow's date
COUNSELLOR = "counsellor"  # replaced by the counsellor's id


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"counsellor": COUNSELLOR, "starts_on": "tomorrow!", "span": "day"}, "starts_on"),
        ({"counsellor": COUNSELLOR, "span": "day"}, "starts_on"),
        ({"counsellor": COUNSELLOR, "starts_on": TOMORROW, "span": "range"}, "ends_on"),
        ({"counsellor": COUNSELLOR, "starts_on": TOMORROW}, "ends_on"),
        ({"counsellor": COUNSELLOR, "starts_on": TOMORROW, "ends_on": "2000-01-01"}, "ends_on"),
        ({"counsellor": "99999", "starts_on": TOMORROW, "span": "day"}, "counsellor"),
        ({"counsellor": "abc", "starts_on": TOMORROW, "span": "day"}, "counsellor"),
        ({"starts_on": TOMORROW, "span": "day"}, "counsellor"),
        ({"counsellor": COUNSELLOR, "starts_on": "2000-01-01", "ends_on": "2000-01-02"}, "starts_on"),
        ({"counsellor": COUNSELLOR, "starts_on": TOMORROW, "ends_on": "2999-01-01"}, "ends_on"),
    ],
)
def test_bad_input_to_the_rota_is_a_400_with_the_error_by_its_field(as_principal, org, data, field):
    values = {COUNSELLOR: str(org.users["counsellor"].pk), TOMORROW: (_today() + timedelta(days=1)).isoformat()}
    response = _add(as_principal("lead_counsellor"), **{k: values.get(v, v) for k, v in data.items()})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "is-invalid" in response.text
    assert not OnCallShift.objects.exists()


def test_the_counsellor_cannot_change_the_rota(as_principal, org):
    client = as_principal("counsellor")
    assert (
        _add(client, counsellor=org.users["counsellor"].pk, starts_on=_today().isoformat(), span="day").status_code
        == 403
    )
    shift = oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=_today(), ends_on=_today()
    )
    assert client.post(reverse("screening:oncall_remove", args=[shift.pk])).status_code == 403
    assert OnCallShift.objects.filter(pk=shift.pk).exists()


def test_the_lead_counsellor_removes_a_future_shift_but_not_a_past_one(as_principal, org):
    client = as_principal("lead_counsellor")
    shift = oncall_shift_create(
        actor=org.users["lead_counsellor"],
        counsellor=org.users["counsellor"],
        starts_on=_today() + timedelta(days=3),
        ends_on=_today() + timedelta(days=4),
    )
    response = client.post(reverse("screening:oncall_remove", args=[shift.pk]))
    assert response.status_code == 302
    assert not OnCallShift.objects.filter(pk=shift.pk).exists()
    past = OnCallShift.objects.create(
        counsellor=org.users["counsellor"], starts_on=_today() - timedelta(days=3), ends_on=_today() - timedelta(days=1)
    )
    response = client.post(reverse("screening:oncall_remove", args=[past.pk]), **EN)
    assert response.status_code == 400
    assert "A past shift stays on the record." in response.text
    assert OnCallShift.objects.filter(pk=past.pk).exists()
    assert client.post(reverse("screening:oncall_remove", args=[past.pk + 1000])).status_code == 404


@pytest.mark.parametrize("headers", [EN, ZH])
def test_the_rota_renders_in_both_languages(as_principal, org, headers):
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=_today(), ends_on=_today()
    )
    response = as_principal("lead_counsellor").get(reverse("screening:oncall"), **headers)
    assert response.status_code == 200 and "刘咨询" in response.text


# --- The home page --------------------------------------------------------------------------------


def _on_call_note(client) -> str | None:
    response = client.get("/", **EN)
    section = {s.key: s for s in response.context["sections"]}.get("on-call")
    if section is None:
        assert 'data-testid="on-call"' not in response.text
        return None
    assert 'data-testid="on-call"' in response.text
    assert response.context["sections"][0].key == "on-call"  # first thing on the page
    assert section.links[0][1] == reverse("screening:oncall")
    return section.note


def test_the_on_call_counsellors_home_page_says_red_items_come_to_them(as_principal, org):
    end = _today() + timedelta(days=6)
    oncall_shift_create(
        actor=org.users["lead_counsellor"], counsellor=org.users["counsellor"], starts_on=_today(), ends_on=end
    )
    assert _on_call_note(as_principal("counsellor")) == (
        f"You are on call today until {end.isoformat()}: red items come to you."
    )
    assert _on_call_note(as_principal("lead_counsellor")) == "On call today: 刘咨询."


def test_with_nobody_on_call_the_home_page_names_the_lead_counsellor(as_principal, org):
    note = _on_call_note(as_principal("counsellor"))
    assert note == "Nobody is on call: red items go to the lead counsellor, 周主管."


@pytest.mark.parametrize("principal", ["staff", "supervisor", "administrator", "leading_group", "hr_officer"])
def test_others_home_pages_have_no_on_call_section(as_principal, org, principal):
    assert _on_call_note(as_principal(principal)) is None


def test_persons_are_not_leaked_by_the_person_page_for_unknown_ids(as_principal, org):
    for external_id in ("EX-nobody", "x" * 200):
        assert as_principal("lead_counsellor").get(reverse("screening:person", args=[external_id])).status_code == 404
    assert Person.objects.filter(external_id="EX-staff").exists()
