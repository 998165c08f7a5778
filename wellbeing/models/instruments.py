"""Screening questionnaires (心理测评量表) as data: items, answer options, scoring, severity bands,
critical items and tier rules (design/domain.md, "Screening instruments" and "Risk tiers").

PHQ-9, GAD-7, WHO-5, K10 and PSS-10 ship as a fixture (``wellbeing/fixtures/instruments.json``, loaded
by a data migration); an administrator adds another instrument the organisation holds a licence for in
the admin, and it is offered only once ``Instrument.problems()`` finds nothing wrong with it.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from wellbeing.models.base import TimeStampedModel


class ScreeningTier(models.TextChoices):
    """What a result calls for (design/domain.md, "Risk tiers and response")."""

    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    ORANGE = "orange", _("orange")
    RED = "red", _("red")

    @property
    def rank(self) -> int:
        """0 for green up to 3 for red."""
        return ["green", "yellow", "orange", "red"].index(self.value)

    @classmethod
    def highest(cls, tiers) -> ScreeningTier:
        return max((cls(t) for t in tiers), key=lambda t: t.rank, default=cls.GREEN)

    @classmethod
    def most_urgent_first_expression(cls, field: str = "tier") -> models.Case:
        return models.Case(
            *(models.When(**{field: t.value}, then=models.Value(-t.rank)) for t in cls),
            output_field=models.IntegerField(),
        )


class Bilingual:
    """Models with ``<name>_zh`` and ``<name>_en`` columns: ``localized("text")`` picks the reader's."""

    def localized(self, name: str) -> str:
        zh, en = getattr(self, f"{name}_zh"), getattr(self, f"{name}_en")
        return (en or zh) if (get_language() or "").startswith("en") else (zh or en)


class Instrument(Bilingual, TimeStampedModel):
    """A screening questionnaire. Each item is answered with one of the instrument's options; the
    reported score is the sum of the item values (reversed items counted from the other end), times
    ``multiplier`` (WHO-5 reports its raw 0-25 x 4 as a 0-100 percentage)."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9_]+$", _("Lower-case letters, digits and underscores."))],
        help_text=_("Used by the API, e.g. phq9."),
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    instructions_zh = models.TextField(_("instructions (Chinese)"), max_length=1000)
    instructions_en = models.TextField(_("instructions (English)"), max_length=1000)
    multiplier = models.PositiveSmallIntegerField(
        _("score multiplier"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("The reported score is the sum of the items times this (4 for WHO-5)."),
    )
    minutes = models.PositiveSmallIntegerField(_("minutes to complete"), default=3)
    licence_note = models.CharField(
        _("licence"), max_length=200, blank=True, help_text=_("Who may use it, and on what terms.")
    )
    is_active = models.BooleanField(
        _("offered"), default=False, help_text=_("Offered to staff and campaigns. Only a complete instrument can be.")
    )
    position = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("screening questionnaire")
        verbose_name_plural = _("screening questionnaires")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.localized("name")

    @property
    def name(self) -> str:
        return self.localized("name")

    @property
    def instructions(self) -> str:
        return self.localized("instructions")

    def option_values(self) -> list[int]:
        return sorted(o.value for o in self.options.all())

    def score_range(self) -> tuple[int, int]:
        """The lowest and highest reported score."""
        values = self.option_values()
        count = len(self.items.all())
        if not values:
            return (0, 0)
        return (values[0] * count * self.multiplier, values[-1] * count * self.multiplier)

    def problems(self) -> list[str]:
        """What keeps it from being offered: no items or options, bands that leave a score uncovered
        or overlap, a tier rule or critical item that can never apply."""
        found: list[str] = []
        items = list(self.items.all())
        values = self.option_values()
        if not items:
            found.append(_t("It has no items."))
        if len(values) < 2:
            found.append(_t("It needs at least two answer options."))
        if [i.position for i in items] != list(range(1, len(items) + 1)):
            found.append(_t("Items must be numbered 1, 2, 3 ... without gaps."))
        if found:
            return found
        low, high = self.score_range()
        reachable = {low + k * self.multiplier for k in range((high - low) // self.multiplier + 1)}
        bands = sorted(self.bands.all(), key=lambda b: b.min_score)
        for score in sorted(reachable):
            covering = [b for b in bands if b.min_score <= score <= b.max_score]
            if len(covering) != 1:
                found.append(
                    _t("Score %(score)s is in %(count)s bands; every score needs exactly one.")
                    % {"score": score, "count": len(covering)}
                )
                break
        for item in items:
            if item.critical_from is not None and item.critical_from > values[-1]:
                found.append(_t("Item %(n)s's critical answer is above the highest option.") % {"n": item.position})
        return found

    def band_for(self, score: int) -> ScoreBand | None:
        return next((b for b in self.bands.all() if b.min_score <= score <= b.max_score), None)


class InstrumentItem(Bilingual, models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    text_zh = models.TextField(_("text (Chinese)"), max_length=500)
    text_en = models.TextField(_("text (English)"), max_length=500)
    reversed = models.BooleanField(_("reverse-scored"), default=False)
    critical_from = models.PositiveSmallIntegerField(
        _("critical from"),
        null=True,
        blank=True,
        help_text=_("An answer at or above this value is red whatever the total (PHQ-9 item 9: 1)."),
    )

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["instrument", "position"]
        constraints = [models.UniqueConstraint(fields=["instrument", "position"], name="instrument_item_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.localized('text')}"

    @property
    def text(self) -> str:
        return self.localized("text")


class InstrumentOption(Bilingual, models.Model):
    """One answer every item of the instrument offers ("not at all" = 0 ... "nearly every day" = 3)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="options")
    value = models.SmallIntegerField(_("value"))
    label_zh = models.CharField(_("label (Chinese)"), max_length=80)
    label_en = models.CharField(_("label (English)"), max_length=80)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["instrument", "value"]
        constraints = [models.UniqueConstraint(fields=["instrument", "value"], name="instrument_option_value")]

    def __str__(self) -> str:
        return f"{self.value} {self.localized('label')}"

    @property
    def label(self) -> str:
        return self.localized("label")


class ScoreBand(Bilingual, models.Model):
    """A severity band of the reported score, with the plain explanation the person is shown."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="bands")
    code = models.CharField(
        _("code"), max_length=30, validators=[RegexValidator(r"^[a-z0-9_]+$")], help_text=_("e.g. moderate")
    )
    min_score = models.SmallIntegerField(_("from score"))
    max_score = models.SmallIntegerField(_("to score"))
    label_zh = models.CharField(_("label (Chinese)"), max_length=60)
    label_en = models.CharField(_("label (English)"), max_length=60)
    explanation_zh = models.TextField(_("explanation (Chinese)"), max_length=1000)
    explanation_en = models.TextField(_("explanation (English)"), max_length=1000)

    class Meta:
        verbose_name = _("score band")
        verbose_name_plural = _("score bands")
        ordering = ["instrument", "min_score"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="score_band_code"),
            models.CheckConstraint(condition=Q(max_score__gte=models.F("min_score")), name="score_band_range"),
        ]

    def __str__(self) -> str:
        return f"{self.min_score}-{self.max_score} {self.localized('label')}"

    @property
    def label(self) -> str:
        return self.localized("label")

    @property
    def explanation(self) -> str:
        return self.localized("explanation")


class TierRule(models.Model):
    """A score range that calls for a tier: the organisation's cut-offs (domain.md's table is the
    default). A result takes the highest tier whose rule matches; a critical item makes it red."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="tier_rules")
    tier = models.CharField(
        _("tier"), max_length=8, choices=[(t.value, t.label) for t in ScreeningTier if t != ScreeningTier.GREEN]
    )
    min_score = models.SmallIntegerField(_("from score"), null=True, blank=True, help_text=_("Empty: no lower bound."))
    max_score = models.SmallIntegerField(_("to score"), null=True, blank=True, help_text=_("Empty: no upper bound."))

    class Meta:
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")
        ordering = ["instrument", "tier"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_score__isnull=False) | Q(max_score__isnull=False), name="tier_rule_has_a_bound"
            ),
            models.CheckConstraint(
                condition=Q(min_score__isnull=True)
                | Q(max_score__isnull=True)
                | Q(max_score__gte=models.F("min_score")),
                name="tier_rule_range",
            ),
        ]

    def __str__(self) -> str:
        low = "" if self.min_score is None else self.min_score
        high = "" if self.max_score is None else self.max_score
        return f"{self.get_tier_display()}: {low}-{high}"

    def matches(self, score: int) -> bool:
        return (self.min_score is None or score >= self.min_score) and (
            self.max_score is None or score <= self.max_score
        )
