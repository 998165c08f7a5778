"""The cases app's figures (issue 13): open cases by risk, counts only. Each person with an open case
is in their case's current risk; closed cases and people without one are in "no open case"; a fixed
number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import figures, services
from cases.models import Case, Risk
from tests.factories import make_person
from wellbeing import figures as registry
from wellbeing.figures import Period
from wellbeing.models import Person
from wellbeing.services import referral_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _room_on_the_caseload(settings):
    settings.CASELOAD_LIMIT = 100


def open_case(org, person: Person, risk: str, *, referrer: str = "supervisor") -> Case:
    referral = referral_create(actor=org.users[referrer], person=person, urgency="soon", reason="work_pressure")
    return services.case_open(
        actor=org.users["lead_counsellor"], referral=referral, counsellor=org.users["counsellor"], risk=risk
    )


def test_it_puts_people_with_an_open_case_in_its_current_risk(org):
    """Town A and town B:

    - a_high (A1): open case, high risk                         -> high
    - a_lowered (A1): opened imminent, lowered to moderate       -> moderate (the current risk)
    - a_closed (A1): case closed                                 -> not named (no open case)
    - b_low (B1): open case, low risk                            -> low
    - b_imminent (B1): open case, imminent risk                  -> imminent
    - b_none (B1): no case                                       -> not named
    """
    p = {
        key: make_person(org.section_a1 if key.startswith("a_") else org.section_b1)
        for key in ("a_high", "a_lowered", "a_closed", "b_low", "b_imminent", "b_none")
    }
    open_case(org, p["a_high"], Risk.HIGH)
    lowered = open_case(org, p["a_lowered"], Risk.IMMINENT)
    services.risk_change(actor=org.users["counsellor"], case=lowered, risk=Risk.MODERATE, reason="情况稳定")
    closed = open_case(org, p["a_closed"], Risk.LOW)
    services.closure_request(actor=org.users["counsellor"], case=closed, outcome=Case.Outcome.STABLE, summary="稳定")
    services.closure_approve(actor=org.users["lead_counsellor"], case=Case.objects.get(pk=closed.pk))
    open_case(org, p["b_low"], Risk.LOW, referrer="outsider_supervisor")
    open_case(org, p["b_imminent"], Risk.IMMINENT, referrer="outsider_supervisor")

    found = figures.classify_open(Period.for_year(2026), {person.pk for person in p.values()})

    names = {person.pk: key for key, person in p.items()}
    assert {names[pk]: risk for pk, risk in found.items()} == {
        "a_high": "high",
        "a_lowered": "moderate",
        "b_low": "low",
        "b_imminent": "imminent",
    }


def test_the_dimension_has_one_category_per_risk_and_a_sum_of_them():
    dimension = registry.dimension("cases.open")
    assert dimension is not None and dimension.current_only
    keys = [c.key for c in dimension.categories]
    assert keys[0] == dimension.default == "none"
    assert sorted(keys[1:]) == sorted(Risk.values)
    assert [(s.key, sorted(s.parts)) for s in dimension.sums] == [("open", sorted(Risk.values))]
    assert dimension.indicators == ()


def test_it_runs_one_query_however_many_people(org):
    people = [make_person(org.section_a1) for _ in range(30)]
    for person in people:
        open_case(org, person, Risk.MODERATE)
    period = Period.for_year(2026)
    counts = []
    for group in (people[:3], people):
        with CaptureQueriesContext(connection) as ctx:
            found = figures.classify_open(period, {person.pk for person in group})
        assert len(found) == len(group)
        counts.append(len(ctx.captured_queries))
    assert counts == [1, 1]
