"""Issue 8, part 4: time limits — the statutory joint limit (行政许可法 §42 ¶2) and
same-day items (即办件) with limits in hours (ADR 0093)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tongban.cases import deadlines
from tongban.cases.actions import send_overdue_warnings
from tongban.cases.models import Case
from tongban.cases.tests.conftest import TODAY, company_submission
from tongban.catalog.models import ItemImplementation
from tongban.regions.calendar import calendar_for

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_a_joint_case_runs_on_the_statutory_joint_limit(world, api):
    clerk = api("421102-clerk")
    body = company_submission(
        world, mode="joint", joint_parts=[{"jurisdiction": "420703400", "item": "ITEM-COMPANY"}]
    )
    number = _ok(clerk.post("/cases", body), 201)["number"]
    assert _ok(clerk.get(f"/cases/{number}"))["statutory_days"] == 45
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="J1"))
    lead = api("420100Z01-officer")
    _ok(lead.act(number, "receive_transfer"))
    _ok(lead.act(number, "accept"))
    sub_number = _ok(lead.get(f"/cases/{number}"))["subcases"][0]
    assert Case.objects.get(number=sub_number).statutory_days == 45
    for action in ("approve", "issue_result"):
        _ok(lead.act(number, action))
    case = _ok(lead.act(number, "ship", method="electronic"))
    # waiting for its part: due within 45 working days of acceptance on 2024-09-27, not 2
    assert case["status"] == "delivered"
    assert case["step_due_date"] == "2024-12-04"
    assert case["overdue_level"] == "green"


# ---------------------------------------------------------------- 即办件 (hours)

ZONE = ZoneInfo("Asia/Shanghai")


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


@pytest.fixture
def clock(monkeypatch):
    """Moves deadlines.local_today and local_now together."""

    def move(moment: dt.datetime) -> None:
        monkeypatch.setattr("tongban.cases.deadlines.local_now", lambda: moment)
        monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: moment.date())

    move(_at(TODAY, 10))
    return move


@pytest.fixture
def same_day_item(world):
    ItemImplementation.objects.filter(pk=world.implementations[("company", "420100Z01")].pk).update(
        promised_limit_hours=4
    )


def _pending_case(world, api):
    clerk = api("421102-clerk")
    number = _ok(clerk.post("/cases", company_submission(world)), 201)["number"]
    _ok(clerk.act(number, "check"))
    _ok(clerk.act(number, "transfer", carrier="EMS", waybill_number="E1"))
    _ok(api("420100Z01-officer").act(number, "receive_transfer"))
    return number


def test_working_hours_come_from_the_centre_and_skip_nights_and_holidays(world):
    case = Case(handling_jurisdiction=world.jurisdictions["420100Z01"])
    periods = deadlines.working_periods(case)
    assert periods == ((dt.time(9), dt.time(17)),)  # "周一至周五 9:00-17:00"
    cal = calendar_for(world.jurisdictions["420100Z01"])
    # Fri 09-27 15:00 + 4 h: 2 h on Friday, 2 h on Sun 09-29 (a make-up working day)
    assert deadlines.add_working_hours(cal, periods, _at(TODAY, 15), 4) == _at(
        dt.date(2024, 9, 29), 11
    )
    # Mon 09-30 16:00 + 2 h: the National Day week is skipped
    assert deadlines.add_working_hours(cal, periods, _at(dt.date(2024, 9, 30), 16), 2) == _at(
        dt.date(2024, 10, 8), 10
    )
    # before opening: counted from 9:00; the default hours when a centre states none
    assert deadlines.add_working_hours(cal, periods, _at(TODAY, 7), 1) == _at(TODAY, 10)
    assert deadlines.DEFAULT_WORKING_PERIODS[1] == (dt.time(13, 30), dt.time(17, 30))


def test_a_same_day_item_is_due_within_hours_and_turns_yellow_then_red(
    world, api, clock, same_day_item
):
    number = _pending_case(world, api)
    officer = api("420100Z01-officer")
    case = _ok(officer.act(number, "accept"))
    assert case["promised_hours"] == 4
    assert dt.datetime.fromisoformat(case["due_at"]) == _at(TODAY, 14)
    assert case["due_date"] == "2024-09-27" and case["overdue_level"] == "green"

    def level_at(moment):
        clock(moment)
        listed = {c["number"]: c["overdue_level"] for c in officer.get("/cases").json()["items"]}
        red = [c["number"] for c in officer.get("/cases", overdue="red").json()["items"]]
        yellow = [c["number"] for c in officer.get("/cases", overdue="yellow").json()["items"]]
        green = [c["number"] for c in officer.get("/cases", overdue="green").json()["items"]]
        level = listed[number]
        assert (number in red, number in yellow, number in green) == (
            level == "red",
            level == "yellow",
            level == "green",
        )
        return level

    assert level_at(_at(TODAY, 12, 59)) == "green"
    assert level_at(_at(TODAY, 13)) == "yellow"  # the last hour
    assert level_at(_at(TODAY, 14, 1)) == "red"  # same day, not the next one
    # the warning sweep hears it too, once
    assert send_overdue_warnings() == 1
    assert send_overdue_warnings() == 0


def test_the_case_page_shows_the_due_time_to_the_handling_officer_only(
    world, api, clock, same_day_item, client
):
    number = _pending_case(world, api)
    _ok(api("420100Z01-officer").act(number, "accept"))
    client.force_login(world.user("420100Z01-officer"))
    page = client.get(f"/cases/{number}/").content.decode()
    assert "即办件办结时间" in page and "2024-09-27 14:00" in page and "4 个工作小时" in page
    english = client.get(f"/cases/{number}/", headers={"Accept-Language": "en"}).content.decode()
    assert "same-day item: 4 working hours" in english and "Due time (same-day item)" in english
    client.force_login(world.user("420703400-officer"))  # another jurisdiction
    assert client.get(f"/cases/{number}/").status_code == 404


def test_a_working_day_item_is_unchanged(world, api, clock):
    number = _pending_case(world, api)
    case = _ok(api("420100Z01-officer").act(number, "accept"))
    assert case["promised_hours"] is None and case["due_at"] is None
    assert case["due_date"] == "2024-10-08"
