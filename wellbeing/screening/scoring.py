"""Scoring a questionnaire: exactly the instrument's data, no per-instrument code.

``score(instrument, answers)`` checks the answers (one per item, each one of the options), sums the
item values (a reversed item counts from the other end of the options: on 0-4, 3 counts 1), multiplies
(WHO-5: x4), finds the band and the tier: the highest tier rule that matches the score, and red when
any critical item (PHQ-9 item 9) is at or above its critical value, whatever the total.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from wellbeing.models.instruments import Instrument, ScoreBand, ScreeningTier


@dataclass(frozen=True)
class ScoreResult:
    raw: int
    score: int
    band: ScoreBand
    tier: ScreeningTier
    #: Positions of the critical items that made the result red (empty when none did).
    critical_items: tuple[int, ...]


def check_answers(instrument: Instrument, answers) -> list[int]:
    """The answers as a list of ints, or ``ValidationError`` with one message per problem: under
    ``answers`` for the count or shape, under ``item_<n>`` for each item left out or out of range."""
    items = list(instrument.items.all())
    values = instrument.option_values()
    if not isinstance(answers, list | tuple):
        raise ValidationError({"answers": [_("Give the answers as a list, one per item.")]})
    if len(answers) != len(items):
        raise ValidationError(
            {
                "answers": [
                    _("%(name)s has %(count)s items; %(given)s answers were given.")
                    % {"name": instrument.name, "count": len(items), "given": len(answers)}
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    clean: list[int] = []
    for item, value in zip(items, answers, strict=True):
        if value is None or value == "":
            errors[f"item_{item.position}"] = [_("Answer item %(n)s.") % {"n": item.position}]
            continue
        if isinstance(value, bool) or not isinstance(value, int | str):
            errors[f"item_{item.position}"] = [_("Item %(n)s: choose one of the answers.") % {"n": item.position}]
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or number not in values or (isinstance(value, str) and value.strip() != str(number)):
            errors[f"item_{item.position}"] = [
                _("Item %(n)s: the answer must be one of %(values)s.")
                % {"n": item.position, "values": ", ".join(str(v) for v in values)}
            ]
            continue
        clean.append(number)
    if errors:
        raise ValidationError(errors)
    return clean


def score(instrument: Instrument, answers) -> ScoreResult:
    """Score ``answers`` (checked first: ``ValidationError`` per item when they do not fit)."""
    clean = check_answers(instrument, answers)
    items = list(instrument.items.all())
    values = instrument.option_values()
    low, high = values[0], values[-1]
    raw = sum((low + high - v) if item.reversed else v for item, v in zip(items, clean, strict=True))
    total = raw * instrument.multiplier
    band = instrument.band_for(total)
    if band is None:
        raise ValidationError(
            {"instrument": [_("This questionnaire is not set up completely; tell an administrator.")]}
        )
    tiers = [rule.tier for rule in instrument.tier_rules.all() if rule.matches(total)]
    critical = tuple(
        item.position
        for item, v in zip(items, clean, strict=True)
        if item.critical_from is not None and v >= item.critical_from
    )
    if critical:
        tiers.append(ScreeningTier.RED)
    return ScoreResult(raw=raw, score=total, band=band, tier=ScreeningTier.highest(tiers), critical_items=critical)
