"""Working-day arithmetic on the real official calendar (chinesecalendar) and the
override tables."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.core.errors import CalendarNotAvailable
from tongban.masterdata.actions import declare_calendar_year, set_calendar_day
from tongban.regions.calendar import MAX_NON_WORKING_RUN, calendar_for, package_covers
from tongban.regions.models import CalendarDay, CalendarYear

D = dt.date


@pytest.fixture
def national(db):
    return calendar_for(None)


# ---- the packaged official calendar -----------------------------------------------------


def test_2024_spring_festival_holidays_and_make_up_days(national):
    # 国办发明电〔2023〕7号: 2月10日至17日放假调休;2月4日(星期日)、2月18日(星期日)上班
    for day in range(10, 18):
        assert not national.is_working_day(D(2024, 2, day))
    assert national.is_working_day(D(2024, 2, 4))
    assert national.is_working_day(D(2024, 2, 18))
    assert national.is_working_day(D(2024, 2, 9))  # 除夕 was no statutory holiday before 2025
    assert not national.is_working_day(D(2024, 2, 3))  # an ordinary Saturday


def test_2024_national_day_holidays_and_make_up_days(national):
    # 10月1日至7日放假调休;9月29日(星期日)、10月12日(星期六)上班
    for day in range(1, 8):
        assert not national.is_working_day(D(2024, 10, day))
    assert national.is_working_day(D(2024, 9, 29))
    assert national.is_working_day(D(2024, 10, 12))
    assert not national.is_working_day(D(2024, 10, 13))


def test_first_day_is_not_counted(national):
    assert national.add_working_days(D(2024, 2, 8), 1) == D(2024, 2, 9)
    # from 除夕 the next working day is the make-up Sunday after the holiday week
    assert national.add_working_days(D(2024, 2, 9), 1) == D(2024, 2, 18)
    # a make-up Sunday counts as a working day
    assert national.add_working_days(D(2024, 2, 3), 1) == D(2024, 2, 4)
    assert national.add_working_days(D(2024, 9, 27), 1) == D(2024, 9, 29)
    assert national.add_working_days(D(2024, 9, 27), 2) == D(2024, 9, 30)
    assert national.add_working_days(D(2024, 9, 27), 3) == D(2024, 10, 8)


def test_twenty_working_days_over_national_day(national):
    # accepted Friday 2024-09-27: 9/29, 9/30, 10/8-10/12 (7), 10/14-18 (12), 10/21-25 (17),
    # 10/28, 10/29, 10/30 -> the 20th working day
    assert national.add_working_days(D(2024, 9, 27), 20) == D(2024, 10, 30)
    assert national.working_days_between(D(2024, 9, 27), D(2024, 10, 30)) == 20


def test_period_ending_on_a_holiday_ends_on_the_next_working_day(national):
    assert national.add_working_days(D(2024, 10, 1), 0) == D(2024, 10, 8)
    assert national.add_working_days(D(2024, 10, 5), 0) == D(2024, 10, 8)
    assert national.add_working_days(D(2024, 9, 30), 0) == D(2024, 9, 30)
    assert national.add_working_days(D(2024, 9, 29), 0) == D(2024, 9, 29)  # make-up Sunday


def test_working_days_between(national):
    assert national.working_days_between(D(2024, 9, 30), D(2024, 10, 12)) == 5
    assert national.working_days_between(D(2024, 10, 1), D(2024, 10, 7)) == 0
    assert national.working_days_between(D(2024, 10, 7), D(2024, 10, 8)) == 1
    assert national.working_days_between(D(2024, 10, 8), D(2024, 10, 8)) == 0
    assert national.working_days_between(D(2024, 10, 9), D(2024, 10, 8)) == 0
    # across a year boundary, and split anywhere: the counts add up
    whole = national.working_days_between(D(2023, 12, 31), D(2024, 12, 31))
    split = national.working_days_between(
        D(2023, 12, 31), D(2024, 6, 30)
    ) + national.working_days_between(D(2024, 6, 30), D(2024, 12, 31))
    assert (
        whole
        == split
        == sum(national.is_working_day(D(2024, 1, 1) + dt.timedelta(days=i)) for i in range(366))
    )


def test_subtract_working_days(national):
    assert national.subtract_working_days(D(2024, 10, 8), 0) == D(2024, 10, 8)
    assert national.subtract_working_days(D(2024, 10, 8), 1) == D(2024, 9, 30)
    assert national.subtract_working_days(D(2024, 10, 8), 2) == D(2024, 9, 29)
    assert national.subtract_working_days(D(2024, 10, 8), 3) == D(2024, 9, 27)
    assert national.subtract_working_days(D(2024, 2, 18), 1) == D(2024, 2, 9)


def test_negative_day_counts_are_refused(national):
    with pytest.raises(ValueError):
        national.add_working_days(D(2024, 1, 2), -1)
    with pytest.raises(ValueError):
        national.subtract_working_days(D(2024, 1, 2), -1)


def test_a_year_nobody_entered_raises_calendar_not_available(world):
    calendar = calendar_for(world.donghu)
    with pytest.raises(CalendarNotAvailable) as caught:
        calendar.is_working_day(D(2030, 3, 4))
    error = caught.value
    assert error.code == "calendar_not_available"
    assert error.status == 409
    assert error.details == {"year": 2030, "jurisdiction": "420100Z01"}
    assert "2030" in error.zh and world.donghu.name in error.zh
    assert "2030" in error.en and "420100Z01" in error.en
    with pytest.raises(CalendarNotAvailable) as national_error:
        calendar_for(None).is_working_day(D(2003, 6, 2))
    assert "全国" in national_error.value.zh and national_error.value.details["year"] == 2003


def test_counting_into_an_uncovered_year_raises(world):
    assert package_covers(2026) and not package_covers(2027)
    calendar = calendar_for(world.huangzhou)
    with pytest.raises(CalendarNotAvailable) as caught:
        calendar.add_working_days(D(2026, 12, 20), 20)
    assert caught.value.details["year"] == 2027
    with pytest.raises(CalendarNotAvailable):
        calendar.working_days_between(D(2026, 12, 1), D(2027, 1, 10))


# ---- overrides --------------------------------------------------------------------------


def test_jurisdiction_row_beats_national_row_beats_package(world):
    day = D(2024, 10, 8)  # a working Tuesday in the package
    assert calendar_for(world.donghu).is_working_day(day)
    set_calendar_day(None, day=day, is_working_day=False, note="全国临时休假")
    set_calendar_day(None, day=day, is_working_day=True, jurisdiction=world.donghu, note="照常")
    assert not calendar_for(None).is_working_day(day)
    assert not calendar_for(world.gedian).is_working_day(day)
    assert calendar_for(world.donghu).is_working_day(day)
    # a jurisdiction row on a packaged holiday
    set_calendar_day(None, day=D(2024, 10, 7), is_working_day=True, jurisdiction=world.gedian)
    assert calendar_for(world.gedian).is_working_day(D(2024, 10, 7))
    assert not calendar_for(world.donghu).is_working_day(D(2024, 10, 7))
    assert calendar_for(world.gedian).add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 7)
    assert calendar_for(world.donghu).add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 8)


def test_a_new_override_is_seen_by_the_next_calendar(world):
    day = D(2024, 11, 11)
    before = calendar_for(world.tieshan)
    assert before.is_working_day(day)
    assert before.add_working_days(D(2024, 11, 8), 1) == day
    set_calendar_day(None, day=day, is_working_day=False, jurisdiction=world.tieshan)
    after = calendar_for(world.tieshan)
    assert not after.is_working_day(day)
    assert after.add_working_days(D(2024, 11, 8), 1) == D(2024, 11, 12)
    CalendarDay.objects.filter(date=day).delete()
    assert calendar_for(world.tieshan).is_working_day(day)


def test_a_declared_year_uses_the_weekday_rule_and_its_rows(world):
    declare_calendar_year(None, year=2027, provisional=True)
    set_calendar_day(None, day=D(2027, 1, 1), is_working_day=False, note="元旦")
    calendar = calendar_for(world.huangzhou)
    assert not calendar.is_working_day(D(2027, 1, 1))
    assert not calendar.is_working_day(D(2027, 1, 2))  # Saturday
    assert calendar.is_working_day(D(2027, 1, 4))
    assert calendar.is_provisional(D(2027, 3, 1))
    assert not calendar.is_provisional(D(2026, 3, 1))
    # a deadline from the last days of 2026 runs into the provisional year
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert calendar.working_days_between(D(2026, 12, 30), D(2027, 1, 4)) == 2


def test_a_year_declared_for_one_jurisdiction_only(world):
    declare_calendar_year(None, year=2028, jurisdiction=world.gedian)
    assert calendar_for(world.gedian).is_working_day(D(2028, 3, 6))
    assert not calendar_for(world.gedian).is_provisional(D(2028, 3, 6))
    with pytest.raises(CalendarNotAvailable):
        calendar_for(world.donghu).is_working_day(D(2028, 3, 6))
    with pytest.raises(CalendarNotAvailable):
        calendar_for(None).is_working_day(D(2028, 3, 6))


def test_a_row_answers_for_its_date_even_in_an_undeclared_year(world):
    set_calendar_day(None, day=D(2030, 1, 5), is_working_day=True, note="调休")
    calendar = calendar_for(world.donghu)
    assert calendar.is_working_day(D(2030, 1, 5))
    with pytest.raises(CalendarNotAvailable):
        calendar.is_working_day(D(2030, 1, 7))


def test_a_calendar_without_working_days_stops_with_an_error(world):
    for year in (2030, 2031, 2032):
        CalendarYear.objects.create(year=year)
    first = D(2030, 1, 1)
    CalendarDay.objects.bulk_create(
        CalendarDay(date=first + dt.timedelta(days=i), is_working_day=False)
        for i in range(MAX_NON_WORKING_RUN + 5)
    )
    with pytest.raises(CalendarNotAvailable) as caught:
        calendar_for(world.donghu).add_working_days(first, 1)
    assert "732" in caught.value.en
    with pytest.raises(CalendarNotAvailable):
        calendar_for(None).subtract_working_days(D(2032, 1, 20), 20)


def test_exceptions_in_year_explain_their_source(world):
    set_calendar_day(None, day=D(2024, 10, 8), is_working_day=False, note="全国")
    set_calendar_day(None, day=D(2024, 10, 9), is_working_day=False, jurisdiction=world.donghu)
    found = {e.day: e for e in calendar_for(world.donghu).exceptions_in_year(2024)}
    assert found[D(2024, 2, 4)].is_working_day and found[D(2024, 2, 4)].source == "package"
    assert found[D(2024, 2, 4)].note == "春节调休上班"
    assert found[D(2024, 10, 1)].note == "国庆节" and not found[D(2024, 10, 1)].is_working_day
    assert found[D(2024, 10, 8)].source == "national"
    assert found[D(2024, 10, 9)].source == "jurisdiction"
    assert D(2024, 10, 13) not in found  # an ordinary Sunday is no exception
    assert D(2024, 10, 10) not in found  # an ordinary Thursday neither


# ---- cost: one query per calendar object for a year and the next -----------------------


def test_rows_are_loaded_once_per_calendar(world, django_assert_num_queries):
    calendar = calendar_for(world.donghu)
    with django_assert_num_queries(1):
        calendar.add_working_days(D(2024, 9, 27), 20)
        calendar.working_days_between(D(2024, 1, 1), D(2025, 12, 31))
        calendar.subtract_working_days(D(2025, 3, 1), 10)
        calendar.is_working_day(D(2024, 10, 1))
    declare_calendar_year(None, year=2027, provisional=True)
    calendar = calendar_for(world.donghu)
    with django_assert_num_queries(2):  # 2026+2027 rows, then the year declarations
        calendar.add_working_days(D(2026, 11, 27), 40)
        calendar.is_provisional(D(2027, 1, 5))
