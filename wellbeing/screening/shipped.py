"""The questionnaires and crisis contacts the system ships with (wellbeing/fixtures/instruments.json;
design/domain.md). Loaded by a data migration; an instrument that exists already (by code) is left as
the organisation configured it."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "instruments.json"

#: The default crisis contacts (design/domain.md, "Risk tiers and response").
CRISIS_CONTACTS = [
    {
        "name_zh": "全国统一心理援助热线",
        "name_en": "National psychological assistance hotline",
        "phone": "12356",
        "note_zh": "24小时免费心理援助",
        "note_en": "Free psychological support, day and night",
    },
    {
        "name_zh": "医疗急救",
        "name_en": "Medical emergency",
        "phone": "120",
        "note_zh": "有生命危险时立即拨打",
        "note_en": "Call at once when a life is in danger",
    },
    {"name_zh": "报警", "name_en": "Police", "phone": "110", "note_zh": "", "note_en": ""},
]


def shipped_instruments() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def load(apps) -> list[str]:
    """Create the shipped instruments missing by code (and the default crisis contacts when there are
    none); return the codes created. ``apps``: the migration's app registry (or django.apps.apps)."""
    Instrument = apps.get_model("wellbeing", "Instrument")
    created = []
    for data in shipped_instruments():
        if Instrument.objects.filter(code=data["code"]).exists():
            continue
        fields = {k: v for k, v in data.items() if k not in ("options", "items", "bands", "tier_rules")}
        instrument = Instrument.objects.create(is_active=True, **fields)
        for option in data["options"]:
            instrument.options.create(**option)
        for position, item in enumerate(data["items"], start=1):
            instrument.items.create(position=position, **item)
        for band in data["bands"]:
            instrument.bands.create(**band)
        for rule in data["tier_rules"]:
            instrument.tier_rules.create(**rule)
        created.append(data["code"])
    CrisisContact = apps.get_model("wellbeing", "CrisisContact")
    if not CrisisContact.objects.exists():
        for position, contact in enumerate(CRISIS_CONTACTS, start=1):
            CrisisContact.objects.create(position=position, **contact)
    return created
