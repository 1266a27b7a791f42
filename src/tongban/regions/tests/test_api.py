"""GET /v1/jurisdictions, /v1/jurisdictions/{code}, /v1/calendar/{code}."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.centres.models import Window
from tongban.masterdata.actions import declare_calendar_year, set_calendar_day
from tongban.regions.models import Jurisdiction

PATHS = ["/jurisdictions", "/jurisdictions/421102", "/calendar/421102?year=2024"]


@pytest.mark.parametrize("path", PATHS)
def test_unauthenticated_is_401(api, path):
    response = api(None).get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_bad_token_is_401(world):
    from django.test import Client

    response = Client().get("/api/v1/jurisdictions", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


@pytest.mark.parametrize("username", ["421102-clerk", "420205-supervisor", "applicant-1"])
def test_any_logged_in_user_reads_master_data(api, username):
    assert api(username).get("/jurisdictions").status_code == 200
    assert api(username).get("/jurisdictions/420703400").status_code == 200
    assert api(username).get("/calendar/420703400", year=2024).status_code == 200


def test_list_jurisdictions(world, api, django_assert_max_num_queries):
    Jurisdiction.objects.filter(code="420115").update(active=False)
    client = api("421102-clerk")
    with django_assert_max_num_queries(4):  # whatever the number of jurisdictions
        response = client.get("/jurisdictions")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert set(rows) == {"420100Z01", "420703400", "421102", "420205"}
    gedian = rows["420703400"]
    assert gedian == {
        "code": "420703400",
        "name": "鄂州葛店经济技术开发区",
        "short_name": "葛店",
        "kind": "zone",
        "kind_label": "开发区/功能区",
        "region_code": "420703400",
        "region_name": "葛店开发区",
        "province_code": "420000",
        "province": "湖北省",
        "service_bureau": "",
        "active": True,
    }
    everything = client.get("/jurisdictions", include_inactive="true").json()
    assert {row["code"] for row in everything} >= {"420115"}


def test_jurisdiction_detail(world, api, django_assert_max_num_queries):
    centre = world.windows["421102"].centre
    Window.objects.create(
        centre=centre, code="Z09", name="已撤销窗口", kind="fallback", active=False
    )
    Window.objects.create(centre=centre, code="T01", name="自助终端", kind="terminal")
    client = api("420205-clerk")
    with django_assert_max_num_queries(7):
        response = client.get("/jurisdictions/421102")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "421102" and body["province"] == "湖北省"
    assert {d["kind"] for d in body["departments"]} == {"market_regulation", "civil_affairs"}
    assert body["departments"][0]["uscc"]
    [only] = body["service_centres"]
    assert only["name"] == "黄州政务服务中心"
    assert only["opening_hours"] == "周一至周五 9:00-17:00"
    assert [w["code"] for w in only["windows"]] == ["K01", "T01"]
    assert only["windows"][0]["kind_label"] == "跨域通办专窗"


def test_unknown_jurisdiction_is_404(api):
    client = api("421102-clerk")
    for path in ("/jurisdictions/000000", "/calendar/000000"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_calendar_of_a_packaged_year(world, api):
    set_calendar_day(
        None, day=dt.date(2024, 10, 9), is_working_day=False, jurisdiction=world.donghu
    )
    response = api("421102-clerk").get("/calendar/420100Z01", year=2024)
    assert response.status_code == 200
    body = response.json()
    assert body["jurisdiction_code"] == "420100Z01"
    assert body["source"] == "package" and body["provisional"] is False
    days = {d["date"]: d for d in body["exceptions"]}
    assert days["2024-02-04"] == {
        "date": "2024-02-04",
        "weekday": 7,
        "is_working_day": True,
        "source": "package",
        "note": "春节调休上班",
    }
    assert days["2024-10-01"]["is_working_day"] is False
    assert days["2024-10-09"]["source"] == "jurisdiction"
    assert "2024-10-13" not in days  # ordinary Sunday
    # working days = weekdays - weekday holidays + make-up weekend days
    weekdays = sum(
        1 for i in range(366) if (dt.date(2024, 1, 1) + dt.timedelta(days=i)).weekday() < 5
    )
    holidays = sum(1 for d in body["exceptions"] if not d["is_working_day"])
    makeups = sum(1 for d in body["exceptions"] if d["is_working_day"])
    assert body["working_days"] == weekdays - holidays + makeups
    national = api("421102-clerk").get("/calendar/national", year=2024).json()
    assert national["jurisdiction_code"] is None
    assert national["working_days"] == body["working_days"] + 1


def test_calendar_of_a_provisional_year(world, api):
    declare_calendar_year(None, year=2027, provisional=True)
    set_calendar_day(None, day=dt.date(2027, 2, 5), is_working_day=False, note="春节(除夕)")
    body = api("421102-clerk").get("/calendar/421102", year=2027).json()
    assert body["source"] == "declared" and body["provisional"] is True
    assert body["exceptions"] == [
        {
            "date": "2027-02-05",
            "weekday": 5,
            "is_working_day": False,
            "source": "national",
            "note": "春节(除夕)",
        }
    ]


def test_calendar_of_a_year_nobody_entered_is_409(api):
    response = api("421102-clerk").get("/calendar/421102", year=2030)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "calendar_not_available"
    assert "2030" in body["message"]
    client = api("421102-clerk")
    english = client.client.get(
        "/api/v1/calendar/421102",
        {"year": 2030},
        headers={**client.headers, "Accept-Language": "en"},
    )
    assert english.status_code == 409
    assert english.json()["message"].startswith("No working-day calendar for 2030")


def test_calendar_refusal_speaks_the_language_of_the_request(api, world):
    """A lazy message with params (the year, the jurisdiction) in both languages."""
    client = api("421102-clerk")
    place = f"{world.huangzhou.name}(421102)"

    def message(language: str) -> str:
        response = client.client.get(
            "/api/v1/calendar/421102",
            {"year": 2030},
            headers={**client.headers, "Accept-Language": language},
        )
        assert response.status_code == 409
        return str(response.json()["message"])

    chinese = message("zh-CN,zh;q=0.9")
    assert chinese.startswith(f"2030年{place}的工作日历尚未录入:内置日历仅覆盖至")
    assert chinese.endswith("(tongban load-calendar-year 2030)。")
    english = message("en-GB,en;q=0.8")
    assert english.startswith(f"No working-day calendar for 2030 in {place}: the packaged")
    assert english.endswith("(tongban load-calendar-year 2030).")


def test_calendar_year_out_of_range_is_422(api):
    response = api("421102-clerk").get("/calendar/421102", year=1066)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
