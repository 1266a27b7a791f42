"""`tongban load-calendar-year` and the provisional 2027 data file."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tongban.masterdata.management.commands.load_calendar_year import default_file
from tongban.regions.calendar import calendar_for
from tongban.regions.models import CalendarDay, CalendarYear

D = dt.date


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_calendar_year", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_2027_file_holds_the_statutory_holidays():
    data = json.loads(default_file(2027, provisional=True).read_text(encoding="utf-8"))
    assert data["year"] == 2027 and data["provisional"] is True
    holidays = {D.fromisoformat(d["date"]) for d in data["days"] if d["kind"] == "holiday"}
    # 元旦 1, 春节 4 (除夕 2027-02-05 .. 初三), 清明 1 (solar term on 04-05), 劳动节 2,
    # 端午 1 (五月初五 = 06-09), 中秋 1 (八月十五 = 09-15), 国庆 3: 13 days
    assert holidays == {
        D(2027, 1, 1),
        D(2027, 2, 5),
        D(2027, 2, 6),
        D(2027, 2, 7),
        D(2027, 2, 8),
        D(2027, 4, 5),
        D(2027, 5, 1),
        D(2027, 5, 2),
        D(2027, 6, 9),
        D(2027, 9, 15),
        D(2027, 10, 1),
        D(2027, 10, 2),
        D(2027, 10, 3),
    }
    # holidays on a Saturday or Sunday get a substitute weekday (补假): 6 of them
    substitutes = [D.fromisoformat(d["date"]) for d in data["days"] if d["kind"] == "substitute"]
    weekend_holidays = [d for d in holidays if d.weekday() >= 5]
    assert len(substitutes) == len(weekend_holidays) == 6
    assert all(d.weekday() < 5 for d in substitutes)
    # no make-up working days: the State Council has not published them
    assert all(d["is_working_day"] is False for d in data["days"])
    # so 13 weekdays are off, as in every year under the 2025 rules
    assert len([d for d in holidays | set(substitutes) if d.weekday() < 5]) == 13


def test_load_provisional_2027(db):
    out = load("2027", "--provisional")
    assert "19" in out
    year = CalendarYear.objects.get()
    assert year.year == 2027 and year.provisional and year.jurisdiction is None
    assert CalendarDay.objects.filter(jurisdiction=None).count() == 19
    national = calendar_for(None)
    assert not national.is_working_day(D(2027, 2, 5))  # 除夕
    assert not national.is_working_day(D(2027, 2, 10))  # 补假
    assert national.is_working_day(D(2027, 2, 11))
    assert not national.is_working_day(D(2027, 2, 13))  # an ordinary Saturday
    assert national.is_provisional(D(2027, 6, 1))
    # deadlines counted in late 2026 reach into 2027
    assert national.add_working_days(D(2026, 12, 30), 3) == D(2027, 1, 5)
    # running it again changes nothing
    assert "0 条写入" in load("2027", "--provisional")
    assert CalendarDay.objects.count() == 19


def test_load_holidays_only_for_one_jurisdiction(world):
    load("2027", "--provisional", "--holidays-only", "--jurisdiction", "420100Z01")
    assert CalendarDay.objects.filter(jurisdiction=world.donghu).count() == 13
    assert CalendarYear.objects.get().jurisdiction == world.donghu
    assert calendar_for(world.donghu).is_working_day(D(2027, 2, 10))


def test_refusals(world, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        load("2027")  # there is no official 2027 file
    with pytest.raises(CommandError, match="no such jurisdiction"):
        load("2027", "--provisional", "--jurisdiction", "999999")
    provisional = default_file(2027, provisional=True)
    with pytest.raises(CommandError, match="pass --provisional"):
        load("2027", "--file", str(provisional))
    with pytest.raises(CommandError, match="2027"):
        load("2028", "--provisional", "--file", str(provisional))
    bad = tmp_path / "bad.json"
    bad.write_text('{"year": 2028, "days": [{"date": "2028-02-30", "is_working_day": false}]}')
    with pytest.raises(CommandError, match="entry 1"):
        load("2028", "--file", str(bad))
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()
