"""Scoring the shipped questionnaires (wellbeing/fixtures/instruments.json) against hand-computed cases.

Every expected raw sum, reported score, band and tier below was worked out by hand from the answer
vector and design/domain.md ("Screening instruments", "Risk tiers and response"); none is computed with
the code under test. The data tested is the shipped JSON: loaded by the data migration, or by the small
loader below when the migration has not loaded it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from wellbeing.models.instruments import Instrument, ScreeningTier
from wellbeing.screening.scoring import check_answers, score

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "wellbeing" / "fixtures" / "instruments.json"
SHIPPED: list[dict] = json.loads(FIXTURE.read_text(encoding="utf-8"))
CODES = ["phq9", "gad7", "who5", "k10", "pss10"]
CJK = re.compile(r"[\u4e00-\u9fff]")
#: ASCII punctuation that has a full-width form Chinese text should use instead.
ASCII_PUNCTUATION = re.compile(r"[,.;:?!()]")

GREEN, YELLOW, ORANGE, RED = "green", "yellow", "orange", "red"


def _load(data: list[dict]) -> None:
    """Create the instruments of the JSON (the data migration does this once it has landed)."""
    for entry in data:
        fields = {k: v for k, v in entry.items() if k not in ("options", "items", "bands", "tier_rules")}
        instrument = Instrument.objects.create(is_active=True, **fields)
        for option in entry["options"]:
            instrument.options.create(**option)
        for position, item in enumerate(entry["items"], start=1):
            instrument.items.create(position=position, **item)
        for band in entry["bands"]:
            instrument.bands.create(**band)
        for rule in entry["tier_rules"]:
            instrument.tier_rules.create(**rule)


@pytest.fixture
def instruments() -> dict[str, Instrument]:
    if not Instrument.objects.filter(code="phq9").exists():
        _load(SHIPPED)
    return {
        i.code: i
        for i in Instrument.objects.filter(code__in=CODES).prefetch_related("items", "options", "bands", "tier_rules")
    }


def case(code, answers, raw, total, band, tier, critical=(), *, id):
    return pytest.param(code, answers, raw, total, band, tier, critical, id=f"{code}-{id}")


# fmt: off
SCORING_CASES = [
    # PHQ-9: 9 items 0-3; bands 0-4 none, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe;
    # yellow 10-14, orange >= 15; item 9 >= 1 is red whatever the total.
    case("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 0], 0, 0, "none", GREEN, id="0"),
    case("phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0], 4, 4, "none", GREEN, id="4"),
    case("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, 5, "mild", GREEN, id="5"),
    case("phq9", [2, 2, 2, 2, 1, 0, 0, 0, 0], 9, 9, "mild", GREEN, id="9"),
    case("phq9", [2, 2, 2, 2, 2, 0, 0, 0, 0], 10, 10, "moderate", YELLOW, id="10"),
    case("phq9", [3, 3, 3, 3, 2, 0, 0, 0, 0], 14, 14, "moderate", YELLOW, id="14"),
    case("phq9", [3, 3, 3, 3, 3, 0, 0, 0, 0], 15, 15, "moderately_severe", ORANGE, id="15"),
    case("phq9", [3, 3, 3, 3, 3, 2, 2, 0, 0], 19, 19, "moderately_severe", ORANGE, id="19"),
    case("phq9", [3, 3, 3, 3, 3, 3, 2, 0, 0], 20, 20, "severe", ORANGE, id="20"),
    case("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0], 24, 24, "severe", ORANGE, id="24-item9-0-not-red"),
    case("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 3], 27, 27, "severe", RED, (9,), id="27-item9-3"),
    case("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], 1, 1, "none", RED, (9,), id="1-item9-1"),
    case("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2], 2, 2, "none", RED, (9,), id="2-item9-2"),
    case("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 3], 3, 3, "none", RED, (9,), id="3-item9-3"),
    case("phq9", [1, 1, 1, 0, 0, 0, 0, 0, 1], 4, 4, "none", RED, (9,), id="4-item9-1"),
    case("phq9", [2, 2, 2, 2, 1, 0, 0, 0, 1], 10, 10, "moderate", RED, (9,), id="10-item9-1"),
    case("phq9", [3, 3, 3, 3, 2, 0, 0, 0, 1], 15, 15, "moderately_severe", RED, (9,), id="15-item9-1"),
    case("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 1], 25, 25, "severe", RED, (9,), id="25-item9-1"),
    case("phq9", [0, 0, 0, 0, 0, 0, 0, 1, 0], 1, 1, "none", GREEN, id="1-item8-not-critical"),
    # GAD-7: 7 items 0-3; bands 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe; yellow 10-14,
    # orange >= 15; no critical item.
    case("gad7", [0, 0, 0, 0, 0, 0, 0], 0, 0, "minimal", GREEN, id="0"),
    case("gad7", [1, 1, 1, 1, 0, 0, 0], 4, 4, "minimal", GREEN, id="4"),
    case("gad7", [1, 1, 1, 1, 1, 0, 0], 5, 5, "mild", GREEN, id="5"),
    case("gad7", [2, 2, 2, 2, 1, 0, 0], 9, 9, "mild", GREEN, id="9"),
    case("gad7", [2, 2, 2, 2, 2, 0, 0], 10, 10, "moderate", YELLOW, id="10"),
    case("gad7", [3, 3, 3, 3, 2, 0, 0], 14, 14, "moderate", YELLOW, id="14"),
    case("gad7", [3, 3, 3, 3, 3, 0, 0], 15, 15, "severe", ORANGE, id="15"),
    case("gad7", [3, 3, 3, 3, 3, 3, 3], 21, 21, "severe", ORANGE, id="21-no-critical-item"),
    # WHO-5: 5 items 0-5, reported score = raw x 4; bands 0-28, 32-48, 52-100; yellow <= 48 (raw < 13).
    case("who5", [0, 0, 0, 0, 0], 0, 0, "possible_depression", YELLOW, id="raw0-0"),
    case("who5", [2, 2, 2, 1, 0], 7, 28, "possible_depression", YELLOW, id="raw7-28"),
    case("who5", [2, 2, 2, 1, 1], 8, 32, "poor_wellbeing", YELLOW, id="raw8-32"),
    case("who5", [3, 3, 2, 2, 2], 12, 48, "poor_wellbeing", YELLOW, id="raw12-48"),
    case("who5", [3, 3, 3, 2, 2], 13, 52, "good", GREEN, id="raw13-52"),
    case("who5", [5, 4, 3, 2, 1], 15, 60, "good", GREEN, id="raw15-60"),
    case("who5", [5, 5, 5, 5, 5], 25, 100, "good", GREEN, id="raw25-100"),
    # K10: 10 items 1-5; bands 10-15 low, 16-21 moderate, 22-29 high, 30-50 very high; yellow 22-29,
    # orange >= 30.
    case("k10", [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 10, 10, "low", GREEN, id="10"),
    case("k10", [2, 2, 2, 2, 2, 1, 1, 1, 1, 1], 15, 15, "low", GREEN, id="15"),
    case("k10", [2, 2, 2, 2, 2, 2, 1, 1, 1, 1], 16, 16, "moderate", GREEN, id="16"),
    case("k10", [3, 3, 3, 3, 3, 2, 1, 1, 1, 1], 21, 21, "moderate", GREEN, id="21"),
    case("k10", [3, 3, 3, 3, 3, 2, 2, 1, 1, 1], 22, 22, "high", YELLOW, id="22"),
    case("k10", [3, 3, 3, 3, 3, 3, 3, 3, 3, 2], 29, 29, "high", YELLOW, id="29"),
    case("k10", [3, 3, 3, 3, 3, 3, 3, 3, 3, 3], 30, 30, "very_high", ORANGE, id="30"),
    case("k10", [5, 5, 5, 5, 5, 5, 5, 5, 5, 5], 50, 50, "very_high", ORANGE, id="50"),
    # PSS-10: 10 items 0-4, items 4, 5, 7 and 8 reversed (counted as 4 - answer); bands 0-13 low,
    # 14-26 moderate, 27-40 high; yellow >= 27.
    # all 0: items 1-3, 6, 9, 10 give 0; items 4, 5, 7, 8 give 4 each = 16.
    case("pss10", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 16, 16, "moderate", GREEN, id="all0-16"),
    # all 4: 6 x 4 = 24; the reversed items give 0.
    case("pss10", [4, 4, 4, 4, 4, 4, 4, 4, 4, 4], 24, 24, "moderate", GREEN, id="all4-24"),
    # all 2: 6 x 2 = 12; reversed 4 x (4 - 2) = 8.
    case("pss10", [2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 20, 20, "moderate", GREEN, id="all2-20"),
    # item 4 up from 2 to 3 lowers the total: 12 + (1 + 2 + 2 + 2) = 19.
    case("pss10", [2, 2, 2, 3, 2, 2, 2, 2, 2, 2], 19, 19, "moderate", GREEN, id="item4-reversed-19"),
    # item 1 up from 2 to 3 raises it: 13 + 8 = 21.
    case("pss10", [3, 2, 2, 2, 2, 2, 2, 2, 2, 2], 21, 21, "moderate", GREEN, id="item1-plain-21"),
    # only item 4 at 1: 0 + (3 + 4 + 4 + 4) = 15.
    case("pss10", [0, 0, 0, 1, 0, 0, 0, 0, 0, 0], 15, 15, "moderate", GREEN, id="item4-1-15"),
    # the least stress: plain items 0, reversed items 4 (each counts 0).
    case("pss10", [0, 0, 0, 4, 4, 0, 4, 4, 0, 0], 0, 0, "low", GREEN, id="0"),
    # plain 3 + 3 + 3 + 3 + 1 + 0 = 13; reversed all 4 -> 0.
    case("pss10", [3, 3, 3, 4, 4, 3, 4, 4, 1, 0], 13, 13, "low", GREEN, id="13"),
    # plain 13 as above; item 4 at 3 counts 1 -> 14.
    case("pss10", [3, 3, 3, 3, 4, 3, 4, 4, 1, 0], 14, 14, "moderate", GREEN, id="14-via-reversed"),
    # plain 3 + 3 + 3 + 3 + 2 + 0 = 14; reversed 0.
    case("pss10", [3, 3, 3, 4, 4, 3, 4, 4, 2, 0], 14, 14, "moderate", GREEN, id="14-via-plain"),
    # plain 4 + 4 + 4 + 4 + 4 + 2 = 22; reversed: item 4 at 0 -> 4, items 5, 7, 8 at 4 -> 0; = 26.
    case("pss10", [4, 4, 4, 0, 4, 4, 4, 4, 4, 2], 26, 26, "moderate", GREEN, id="26"),
    # plain 22; reversed: item 4 at 0 -> 4, item 5 at 3 -> 1, items 7, 8 at 4 -> 0; = 27.
    case("pss10", [4, 4, 4, 0, 3, 4, 4, 4, 4, 2], 27, 27, "high", YELLOW, id="27"),
    # the most stress: plain 6 x 4 = 24, reversed items 0 (each counts 4) = 16; = 40.
    case("pss10", [4, 4, 4, 0, 0, 4, 0, 0, 4, 4], 40, 40, "high", YELLOW, id="40"),
]
# fmt: on


@pytest.mark.parametrize(("code", "answers", "raw", "total", "band", "tier", "critical"), SCORING_CASES)
def test_score(instruments, code, answers, raw, total, band, tier, critical):
    result = score(instruments[code], answers)
    assert result.raw == raw
    assert result.score == total
    assert result.band.code == band
    assert result.tier == ScreeningTier(tier)
    assert result.critical_items == critical


@pytest.mark.parametrize(
    ("answers", "total", "tier"),
    [
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, GREEN),
        ([1, 1, 1, 1, 0, 0, 0, 0, 1], 5, RED),
        ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, YELLOW),
        ([2, 2, 2, 2, 1, 0, 0, 0, 1], 10, RED),
    ],
)
def test_phq9_item_9_outranks_the_total(instruments, answers, total, tier):
    """The same total is green or yellow with item 9 at 0 and red with item 9 above 0."""
    result = score(instruments["phq9"], answers)
    assert (result.score, result.tier) == (total, ScreeningTier(tier))


def test_answers_given_as_numeric_strings_score_the_same(instruments):
    result = score(instruments["phq9"], ["1", "1", "1", "1", "1", "0", "0", "0", "0"])
    assert (result.score, result.band.code, result.tier) == (5, "mild", ScreeningTier.GREEN)


# --- The shipped data ------------------------------------------------------------------------------

# code: position, item count, option values, multiplier, reversed item numbers, {critical item: from}
SHAPES = {
    "phq9": (1, 9, [0, 1, 2, 3], 1, [], {9: 1}),
    "gad7": (2, 7, [0, 1, 2, 3], 1, [], {}),
    "who5": (3, 5, [0, 1, 2, 3, 4, 5], 4, [], {}),
    "k10": (4, 10, [1, 2, 3, 4, 5], 1, [], {}),
    "pss10": (5, 10, [0, 1, 2, 3, 4], 1, [4, 5, 7, 8], {}),
}
# code: [(band, from, to)], [(tier, from, to)] (None: no bound)
BANDS_AND_TIERS = {
    "phq9": (
        [("none", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("moderately_severe", 15, 19), ("severe", 20, 27)],
        [(ORANGE, 15, None), (YELLOW, 10, 14)],
    ),
    "gad7": (
        [("minimal", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("severe", 15, 21)],
        [(ORANGE, 15, None), (YELLOW, 10, 14)],
    ),
    "who5": (
        [("possible_depression", 0, 28), ("poor_wellbeing", 32, 48), ("good", 52, 100)],
        [(YELLOW, None, 48)],
    ),
    "k10": (
        [("low", 10, 15), ("moderate", 16, 21), ("high", 22, 29), ("very_high", 30, 50)],
        [(ORANGE, 30, None), (YELLOW, 22, 29)],
    ),
    "pss10": (
        [("low", 0, 13), ("moderate", 14, 26), ("high", 27, 40)],
        [(YELLOW, 27, None)],
    ),
}
SCORE_RANGES = {"phq9": (0, 27), "gad7": (0, 21), "who5": (0, 100), "k10": (10, 50), "pss10": (0, 40)}


def test_the_fixture_ships_the_five_instruments_in_order():
    assert [d["code"] for d in SHIPPED] == CODES
    assert [d["position"] for d in SHIPPED] == [1, 2, 3, 4, 5]


def test_the_fixture_is_utf8_json_with_two_space_indentation_and_real_chinese():
    text = FIXTURE.read_text(encoding="utf-8")
    assert "\\u" not in text
    assert "心理" in text or "抑郁" in text
    assert text == json.dumps(SHIPPED, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("code", CODES)
def test_shape(instruments, code):
    position, count, values, multiplier, reversed_items, critical = SHAPES[code]
    instrument = instruments[code]
    items = list(instrument.items.all())
    assert instrument.position == position
    assert [i.position for i in items] == list(range(1, count + 1))
    assert instrument.option_values() == values
    assert instrument.multiplier == multiplier
    assert [i.position for i in items if i.reversed] == reversed_items
    assert {i.position: i.critical_from for i in items if i.critical_from is not None} == critical
    assert instrument.score_range() == SCORE_RANGES[code]


@pytest.mark.parametrize("code", CODES)
def test_bands_and_tier_rules(instruments, code):
    bands, rules = BANDS_AND_TIERS[code]
    instrument = instruments[code]
    assert sorted((b.code, b.min_score, b.max_score) for b in instrument.bands.all()) == sorted(bands)
    by_tier = sorted((r.tier, r.min_score, r.max_score) for r in instrument.tier_rules.all())
    assert by_tier == sorted(rules, key=lambda r: r[0])
    assert not any(r.tier == RED for r in instrument.tier_rules.all()), "red comes only from critical items"


@pytest.mark.parametrize("code", CODES)
def test_no_problems(instruments, code):
    assert instruments[code].problems() == []


@pytest.mark.parametrize("code", CODES)
def test_every_row_fits_its_model(instruments, code):
    instrument = instruments[code]
    instrument.full_clean()
    for related in (instrument.items, instrument.options, instrument.bands, instrument.tier_rules):
        for obj in related.all():
            obj.full_clean()


def _texts(instrument: Instrument):
    """(where, zh, en) for every bilingual text of the instrument."""
    yield "name", instrument.name_zh, instrument.name_en
    yield "instructions", instrument.instructions_zh, instrument.instructions_en
    for item in instrument.items.all():
        yield f"item {item.position}", item.text_zh, item.text_en
    for option in instrument.options.all():
        yield f"option {option.value}", option.label_zh, option.label_en
    for band in instrument.bands.all():
        yield f"band {band.code} label", band.label_zh, band.label_en
        yield f"band {band.code} explanation", band.explanation_zh, band.explanation_en


@pytest.mark.parametrize("code", CODES)
def test_both_languages_everywhere(instruments, code):
    for where, zh, en in _texts(instruments[code]):
        assert zh.strip() and en.strip(), where
        assert CJK.search(zh), f"{where}: no Chinese in {zh!r}"
        assert not CJK.search(en), f"{where}: Chinese in the English {en!r}"
        assert not ASCII_PUNCTUATION.search(zh), f"{where}: half-width punctuation in {zh!r}"


@pytest.mark.parametrize("code", CODES)
def test_band_explanations_say_it_is_not_a_diagnosis(instruments, code):
    for band in instruments[code].bands.all():
        assert "not a diagnosis" in band.explanation_en, band.code
        assert "不是诊断" in band.explanation_zh, band.code


@pytest.mark.parametrize("code", CODES)
def test_the_database_holds_the_shipped_json(instruments, code):
    """Guards against a stale test database: what is scored above is what the JSON ships."""
    data = next(d for d in SHIPPED if d["code"] == code)
    instrument = instruments[code]
    assert instrument.multiplier == data["multiplier"]
    assert [
        {"text_zh": i.text_zh, "text_en": i.text_en, "reversed": i.reversed, "critical_from": i.critical_from}
        for i in instrument.items.all()
    ] == data["items"]
    assert [
        {"value": o.value, "label_zh": o.label_zh, "label_en": o.label_en} for o in instrument.options.all()
    ] == sorted(data["options"], key=lambda o: o["value"])
    assert sorted((b.code, b.min_score, b.max_score, b.explanation_en) for b in instrument.bands.all()) == sorted(
        (b["code"], b["min_score"], b["max_score"], b["explanation_en"]) for b in data["bands"]
    )


# --- Answers that do not fit -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "key"),
    [
        pytest.param("phq9", [0, 0, 0, 0, 0, 0, 0, 0], "answers", id="phq9-8-answers"),
        pytest.param("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "answers", id="phq9-10-answers"),
        pytest.param("phq9", [], "answers", id="phq9-none-given"),
        pytest.param("gad7", [0, 0, 0, 0, 0, 0, 0, 0, 0], "answers", id="gad7-phq9-length"),
        pytest.param("phq9", "000000000", "answers", id="phq9-not-a-list"),
        pytest.param("phq9", {"1": 0}, "answers", id="phq9-a-dict"),
        pytest.param("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 4], "item_9", id="phq9-above-range"),
        pytest.param("phq9", [-1, 0, 0, 0, 0, 0, 0, 0, 0], "item_1", id="phq9-below-range"),
        pytest.param("who5", [0, 0, 6, 0, 0], "item_3", id="who5-6"),
        pytest.param("k10", [0, 1, 1, 1, 1, 1, 1, 1, 1, 1], "item_1", id="k10-0-below-its-range"),
        pytest.param("k10", [1, 1, 1, 1, 1, 1, 1, 1, 1, 6], "item_10", id="k10-6"),
        pytest.param("pss10", [0, 0, 0, 0, 5, 0, 0, 0, 0, 0], "item_5", id="pss10-5"),
        pytest.param("phq9", [0, None, 0, 0, 0, 0, 0, 0, 0], "item_2", id="phq9-none"),
        pytest.param("phq9", [0, 0, "", 0, 0, 0, 0, 0, 0], "item_3", id="phq9-empty-string"),
        pytest.param("phq9", [True, 0, 0, 0, 0, 0, 0, 0, 0], "item_1", id="phq9-bool-true"),
        pytest.param("phq9", [0, False, 0, 0, 0, 0, 0, 0, 0], "item_2", id="phq9-bool-false"),
        pytest.param("phq9", [0, 0, 0, "a", 0, 0, 0, 0, 0], "item_4", id="phq9-non-numeric"),
        pytest.param("phq9", [0, 0, 0, 0, "一", 0, 0, 0, 0], "item_5", id="phq9-chinese-numeral"),
        pytest.param("phq9", [0, 0, 0, 0, 0, 1.0, 0, 0, 0], "item_6", id="phq9-float-1.0"),
        pytest.param("phq9", [0, 0, 0, 0, 0, 0, 1.5, 0, 0], "item_7", id="phq9-float-1.5"),
        pytest.param("phq9", [0, 0, 0, 0, 0, 0, 0, "1.0", 0], "item_8", id="phq9-float-string"),
        pytest.param("phq9", [0, 0, 0, 0, 0, 0, 0, [1], 0], "item_8", id="phq9-list"),
        pytest.param("gad7", [0, 0, 0, 0, 0, 0, 3.0], "item_7", id="gad7-float"),
    ],
)
def test_answers_that_do_not_fit(instruments, code, answers, key):
    instrument = instruments[code]
    with pytest.raises(ValidationError) as raised:
        check_answers(instrument, answers)
    assert list(raised.value.message_dict) == [key]
    assert raised.value.message_dict[key][0]
    with pytest.raises(ValidationError) as raised_by_score:
        score(instrument, answers)
    assert list(raised_by_score.value.message_dict) == [key]


def test_every_item_that_does_not_fit_is_named_at_once(instruments):
    with pytest.raises(ValidationError) as raised:
        check_answers(instruments["phq9"], [None, 7, 0, True, 0, 0, 0, 0.5, "x"])
    assert sorted(raised.value.message_dict) == ["item_1", "item_2", "item_4", "item_8", "item_9"]


@pytest.mark.parametrize(
    ("code", "answers", "clean"),
    [
        ("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 0], [0, 1, 2, 3, 0, 1, 2, 3, 0]),
        ("phq9", ["0", "1", "2", "3", "0", "1", "2", "3", "0"], [0, 1, 2, 3, 0, 1, 2, 3, 0]),
        ("who5", (5, 4, 3, 2, 1), [5, 4, 3, 2, 1]),
        ("k10", [1, 2, 3, 4, 5, 5, 4, 3, 2, 1], [1, 2, 3, 4, 5, 5, 4, 3, 2, 1]),
    ],
)
def test_answers_that_fit(instruments, code, answers, clean):
    assert check_answers(instruments[code], answers) == clean
