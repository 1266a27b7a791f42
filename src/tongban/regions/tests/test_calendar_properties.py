"""Property-based checks of the working-day arithmetic on the packaged calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongban.regions.calendar import calendar_for

# starts early enough that 60 working days stay inside the packaged years (2004-2026)
starts = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2026, 9, 30))
counts = st.integers(min_value=1, max_value=60)
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    # too_slow as for the whole suite (conftest.py): a list here replaces the profile's
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def national(db):
    return calendar_for(None)


@PROPERTY
@given(start=starts, n=counts)
def test_between_counts_what_add_added(national, start, n):
    end = national.add_working_days(start, n)
    assert end > start
    assert national.is_working_day(end)
    assert national.working_days_between(start, end) == n
    # one calendar day earlier the count is one short: `end` is the first day reaching n
    assert national.working_days_between(start, end - dt.timedelta(days=1)) == n - 1


@PROPERTY
@given(start=starts, n=counts)
def test_subtract_undoes_add_on_working_days(national, start, n):
    start = national.add_working_days(start, 0)
    end = national.add_working_days(start, n)
    assert national.subtract_working_days(end, n) == start


@PROPERTY
@given(start=starts, n=st.integers(1, 30), m=st.integers(1, 30))
def test_adding_is_additive(national, start, n, m):
    assert national.add_working_days(national.add_working_days(start, n), m) == (
        national.add_working_days(start, n + m)
    )


@PROPERTY
@given(start=starts)
def test_zero_days_is_the_first_working_day_not_before_start(national, start):
    result = national.add_working_days(start, 0)
    assert result >= start
    assert national.is_working_day(result)
    assert national.working_days_between(start - dt.timedelta(days=1), result) == 1
