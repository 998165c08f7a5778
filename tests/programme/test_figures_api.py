"""GET /api/v1/programme/figures/ (issue 13, item 5): the dashboard's figures as JSON for the leading
group, signed in - the same areas, columns and rows as the page, a hidden figure null; everyone else,
API clients included, 403; a year in the future (or before 2000) a 400 in the API's one error shape;
an unknown unit a 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.conftest import API_ROLES, USER_ROLES, client_for
from tests.factories import make_person, make_unit
from tests.programme.test_suppression_property import api_figures, page_figures
from wellbeing import figures

URL = "/api/v1/programme/figures/"


@pytest.fixture
def api(org):
    return client_for(org, "leading_group", api=True)


def test_the_leading_group_gets_every_area_with_the_pages_figures(org, api):
    for _i in range(8):
        make_person(org.section_a1)
    response = api.get(URL)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["year"] == timezone.localdate().year and data["unit"] is None and data["k"] == 5
    assert [a["key"] for a in data["areas"]] == [d.key for d in figures.dimensions()]
    for area, d in zip(data["areas"], figures.dimensions(), strict=True):
        assert area["title"] == str(d.title) and area["available"] is True
        assert [c["key"] for c in area["columns"]] == ["staff", *d.columns]
        assert [c["is_sum"] for c in area["columns"]] == [False] * (1 + len(d.categories)) + [True] * len(d.sums)
        assert area["rows"][0]["unit"] == org.county.pk and area["rows"][0]["kind"] == "unit"
    page = client_for(org, "leading_group").get("/programme/dashboard/")
    assert api_figures(data) == page_figures(page.content.decode())
    values = [v for a in data["areas"] for r in a["rows"] for v in r["values"].values()]
    assert None in values and all(v is None or v == 0 or v >= 5 for v in values)


def test_a_unit_narrows_the_rows_to_the_same_figures(org, api):
    whole = api.get(URL).json()
    town_a = api.get(URL, {"unit": org.town_a.pk}).json()
    assert town_a["unit"] == org.town_a.pk
    for area_all, area_a in zip(whole["areas"], town_a["areas"], strict=True):
        assert [r["label"] for r in area_a["rows"]] == ["城关镇", "(directly in 城关镇)", "综合办A"]
        row_all = next(r for r in area_all["rows"] if r["unit"] == org.town_a.pk)
        assert area_a["rows"][0] == row_all


def test_a_past_year_marks_the_areas_describing_the_present_unavailable(org, api):
    data = api.get(URL, {"year": timezone.localdate().year - 1}).json()
    for area in data["areas"]:
        current_only = figures.dimension(area["key"]).current_only
        assert area["available"] is (not current_only)
        assert (area["rows"] == []) is current_only


@pytest.mark.parametrize("year", ["next", "1999", "abc"])
def test_a_bad_year_is_a_400_in_the_one_error_shape(org, api, year):
    year = str(timezone.localdate().year + 1) if year == "next" else year
    response = api.get(URL, {"year": year})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "errors"} and list(body["errors"]) == ["year"]
    assert body["errors"]["year"] and all(isinstance(m, str) for m in body["errors"]["year"])


@pytest.mark.parametrize("unit", ["999999", "deep"])
def test_an_unknown_unit_is_a_404(org, api, unit):
    if unit == "deep":  # below the dashboard's depth: not a unit it shows
        unit = str(make_unit("小组", parent=org.section_a1).pk)
    response = api.get(URL, {"unit": unit})
    assert response.status_code == 404
    assert set(response.json()) == {"message", "errors"}


def test_a_bad_unit_is_a_400(org, api):
    for unit in ("abc", "0", "-1"):
        response = api.get(URL, {"unit": unit})
        assert response.status_code == 400, unit
        assert list(response.json()["errors"]) == ["unit"]


def test_everyone_else_is_refused(org):
    for role in USER_ROLES:
        expected = 200 if role == "leading_group" else 403
        assert client_for(org, role, api=True).get(URL).status_code == expected, role
    for role in API_ROLES:
        assert client_for(org, role, api=True).get(URL).status_code == 403, role
    anonymous = client_for(org, "anonymous", api=True).get(URL)
    assert anonymous.status_code in (401, 403)
    assert set(anonymous.json()) == {"message", "errors"}


def test_only_get(org, api):
    assert api.post(URL, {}, format="json").status_code == 405
