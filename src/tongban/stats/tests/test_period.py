"""The period and leg filters are read by one function (`selectors.parse_period`) for the
statistics API and the dashboard: the same values are refused with the same status and
code on both, the scope is checked the same way, and the dashboard's whole-year reading
of a half-open period is its only difference."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.core.errors import Invalid
from tongban.stats import selectors
from tongban.stats.tests.helpers import DONGHU, GEDIAN, client_for


@pytest.mark.parametrize(
    "query,code",
    [
        ("from_month=2024-05&to_month=2024-01", "invalid_filter"),
        ("from_month=2000-01&to_month=2024-12", "invalid_filter"),
        ("leg=sideways", "invalid_filter"),
        ("from_month=2024/05", "invalid_input"),
        ("to_month=2024-13", "invalid_input"),
    ],
)
def test_page_and_api_refuse_the_same_filters_the_same_way(world, query, code):
    client = client_for(world.user("platform-admin"))
    api = client.get(f"/api/v1/stats/cases?{query}")
    page = client.get(f"/stats/?{query}")
    assert (api.status_code, api.json()["code"]) == (422, code), api.json()
    assert page.status_code == 422 and f'data-code="{code}"' in page.content.decode()


def test_scope_unauthenticated_and_good_periods_answer_alike(world):
    supervisor = client_for(world.user(f"{DONGHU}-supervisor"))
    period = "from_month=2024-01&to_month=2024-06"
    assert supervisor.get(f"/api/v1/stats/cases?{period}&jurisdiction={DONGHU}").status_code == 200
    assert supervisor.get(f"/stats/?{period}&jurisdiction={DONGHU}").status_code == 200
    # another jurisdiction's figures: 404 on both, existence not disclosed
    assert supervisor.get(f"/api/v1/stats/cases?{period}&jurisdiction={GEDIAN}").status_code == 404
    assert supervisor.get(f"/stats/?{period}&jurisdiction={GEDIAN}").status_code == 404
    anonymous = client_for(None)
    assert anonymous.get(f"/api/v1/stats/cases?{period}").status_code == 401
    assert anonymous.get(f"/stats/?{period}")["Location"].startswith("/login/")
    applicant = client_for(world.user("applicant-1"))
    assert applicant.get(f"/api/v1/stats/cases?{period}").status_code == 403
    assert applicant.get(f"/stats/?{period}").status_code == 403


def test_open_periods_stay_open_for_the_api_and_are_whole_years_on_the_dashboard():
    today = dt.date(2025, 7, 9)
    assert selectors.parse_period("2024-03", None) == (dt.date(2024, 3, 1), None, "any")
    assert selectors.parse_period(None, None, "handling") == (None, None, "handling")
    assert selectors.parse_period("2024-03", None, whole=True) == (
        dt.date(2024, 3, 1),
        dt.date(2024, 12, 1),
        "any",
    )
    assert selectors.parse_period(None, "2024-03", whole=True)[0] == dt.date(2024, 1, 1)
    assert selectors.parse_period(None, None, whole=True, today=today)[:2] == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 1),
    )
    assert selectors.parse_period(None, None, year="2022", whole=True)[0] == dt.date(2022, 1, 1)
    for year in ("twenty", "1999", "2101"):
        with pytest.raises(Invalid) as refused:
            selectors.parse_period(None, None, year=year, whole=True)
        assert refused.value.code == "invalid_filter"
    # ten years at most: 120 months pass, 121 do not
    assert selectors.parse_period("2015-01", "2024-12")[1] == dt.date(2024, 12, 1)
    with pytest.raises(Invalid):
        selectors.parse_period("2015-01", "2025-01")
