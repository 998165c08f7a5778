"""An administrator adds a questionnaire the organisation holds a licence for, without code
(issue 9 item 1): through the admin, audited, offered only once complete, scored from its data."""

from __future__ import annotations

import pytest

from wellbeing.models import AuditEvent, Instrument, Screening
from wellbeing.screening import services

pytestmark = pytest.mark.django_db


def _formset(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def _three_item_scale(*, is_active: bool = True, bands=None) -> dict:
    data = {
        "code": "wellcheck3",
        "name_zh": "三题自评",
        "name_en": "Three-item check",
        "instructions_zh": "过去一周里，下列情况出现的频率？",
        "instructions_en": "In the past week, how often ...?",
        "multiplier": "2",
        "minutes": "1",
        "licence_note": "licensed 2026",
        "position": "10",
    }
    if is_active:
        data["is_active"] = "on"
    data |= _formset(
        "items",
        [
            {"position": "1", "text_zh": "睡不好", "text_en": "Slept badly"},
            {"position": "2", "text_zh": "感到轻松", "text_en": "Felt at ease", "reversed": "on"},
            {"position": "3", "text_zh": "想伤害自己", "text_en": "Thought of self-harm", "critical_from": "2"},
        ],
    )
    data |= _formset(
        "options",
        [
            {"value": "0", "label_zh": "没有", "label_en": "Never"},
            {"value": "1", "label_zh": "有时", "label_en": "Sometimes"},
            {"value": "2", "label_zh": "经常", "label_en": "Often"},
        ],
    )
    data |= _formset(
        "bands",
        bands
        or [
            {
                "code": "low",
                "min_score": "0",
                "max_score": "4",
                "label_zh": "低",
                "label_en": "Low",
                "explanation_zh": "状态良好。",
                "explanation_en": "Doing well.",
            },
            {
                "code": "high",
                "min_score": "6",
                "max_score": "12",
                "label_zh": "高",
                "label_en": "High",
                "explanation_zh": "建议与咨询师聊聊。",
                "explanation_en": "Consider talking to a counsellor.",
            },
        ],
    )
    data |= _formset("tier_rules", [{"tier": "yellow", "min_score": "6", "max_score": ""}])
    return data


def test_an_administrator_adds_an_instrument_without_code_and_staff_can_take_it(as_principal, org):
    response = as_principal("administrator").post("/admin/wellbeing/instrument/add/", _three_item_scale())
    assert response.status_code == 302, response.context and response.context["errors"]
    instrument = Instrument.objects.get(code="wellcheck3")
    assert instrument.is_active and instrument.problems() == []
    assert instrument.items.count() == 3 and instrument.tier_rules.count() == 1
    assert AuditEvent.objects.filter(target_type__model="instrumentitem", action=AuditEvent.Action.CREATE).count() == 3

    # Scored from its data: item 2 reversed (0 counts 2), x2; item 3 at 2 is critical: red.
    result = services.screening_submit(
        actor=org.users["staff"], instrument="wellcheck3", answers=[2, 0, 0], consent=True
    ).screening
    assert (result.score, result.band.code, result.tier) == (8, "high", "yellow")
    red = services.screening_submit(actor=org.users["staff"], instrument="wellcheck3", answers=[0, 2, 2]).screening
    assert (red.score, red.band.code, red.tier) == (4, "low", "red")


def test_an_incomplete_instrument_is_saved_but_not_offered(as_principal, org):
    gap = [  # score 6 is covered, 4 is not... bands leave a reachable score out
        {
            "code": "low",
            "min_score": "0",
            "max_score": "2",
            "label_zh": "低",
            "label_en": "Low",
            "explanation_zh": "好。",
            "explanation_en": "Fine.",
        },
        {
            "code": "high",
            "min_score": "6",
            "max_score": "12",
            "label_zh": "高",
            "label_en": "High",
            "explanation_zh": "高。",
            "explanation_en": "High.",
        },
    ]
    response = as_principal("administrator").post(
        "/admin/wellbeing/instrument/add/", _three_item_scale(bands=gap), follow=True
    )
    assert response.status_code == 200
    instrument = Instrument.objects.get(code="wellcheck3")
    assert not instrument.is_active
    assert "Score 4 is in 0 bands" in response.content.decode()
    with pytest.raises(Exception, match="Unknown questionnaire"):
        services.screening_submit(actor=org.users["staff"], instrument="wellcheck3", answers=[0, 0, 0], consent=True)
    assert not Screening.objects.exists()


def test_an_answered_instrument_keeps_its_items_and_cannot_be_deleted(as_principal, org):
    services.screening_submit(actor=org.users["staff"], instrument="phq9", answers=[0] * 9, consent=True)
    phq9 = Instrument.objects.get(code="phq9")
    client = as_principal("administrator")
    page = client.get(f"/admin/wellbeing/instrument/{phq9.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="items-0-text_zh"' not in html  # read-only once answered
    assert 'name="bands-0-min_score"' in html  # the organisation's cut-offs stay configurable
    assert client.post(f"/admin/wellbeing/instrument/{phq9.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Instrument.objects.filter(pk=phq9.pk).exists()


def test_no_one_but_administrators_reaches_the_instrument_admin(as_principal):
    for principal in ("lead_counsellor", "counsellor", "staff"):
        response = as_principal(principal).get("/admin/wellbeing/instrument/")
        assert response.status_code in (302, 403)
