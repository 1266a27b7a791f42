"""Public service guides and opening hours: no login, published data only, the
jurisdictions' versions side by side."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from tongban.catalog.models import ItemImplementation
from tongban.centres.hours import hours_on
from tongban.centres.models import OpeningHours
from tongban.regions.models import CalendarDay

pytestmark = pytest.mark.django_db


def test_guide_list_needs_no_login(world, today, api):
    response = api(None).get("/public/guides/items", q="qysl")
    assert response.status_code == 200
    [item] = response.json()
    assert item["code"] == "ITEM-COMPANY"
    assert set(item["jurisdictions"]) == set(world.jurisdictions)


def test_item_guide_shows_every_version_and_where_it_crosses_borders(world, today, api):
    body = api(None).get("/public/guides/items/ITEM-COMPANY").json()
    assert [i["jurisdiction"]["code"] for i in body["implementations"]] == sorted(
        world.jurisdictions
    )
    first = body["implementations"][0]
    assert [m["name"] for m in first["materials"]] == [
        "公司登记(备案)申请书",
        "公司章程",
        "住所使用证明",
    ]
    assert first["materials"][0]["form"] == "original"
    assert body["same_standard"] is True
    [route] = body["routes"]
    assert route["agreement_code"] == "WEHH-2023"
    assert route["modes"] == ["proxy", "joint"]
    # the outsider is not a party: it receives nothing across borders
    assert "420115" not in {j["code"] for j in route["receiving"]}
    # no liaison phone, no personal data in a public answer
    assert "027-00000000" not in str(body)


def test_differences_between_jurisdictions_are_flagged(world, today, api):
    ItemImplementation.objects.filter(pk=world.implementations[("company", "421102")].pk).update(
        fee=Decimal("10"), promised_limit_days=5
    )
    body = api(None).get("/public/guides/items/ITEM-COMPANY").json()
    assert body["same_standard"] is False
    differing = {c["key"]: c for c in body["comparison"] if c["differs"]}
    assert set(differing) == {"fee", "promised_limit"}
    codes = [i["jurisdiction"]["code"] for i in body["implementations"]]
    assert differing["fee"]["values"][codes.index("421102")] == "10.00"
    page = Client().get("/guides/items/ITEM-COMPANY/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="guide-differs"' in html and 'data-differs="1"' in html


def test_one_jurisdictions_version(world, today, api):
    body = api(None).get("/public/guides/items/ITEM-COMPANY", jurisdiction="421102").json()
    assert [i["jurisdiction"]["code"] for i in body["implementations"]] == ["421102"]


def test_drafts_and_unknown_items_are_not_found(world, today, api):
    ItemImplementation.objects.filter(item=world.items["marriage"]).update(status="draft")
    for code in ("ITEM-MARRIAGE", "NOPE"):
        response = api(None).get(f"/public/guides/items/{code}")
        assert response.status_code == 404
        assert response.json()["code"] == "guide_not_found"
        assert Client().get(f"/guides/items/{code}/").status_code == 404
    too_long = api(None).get("/public/guides/items/" + "X" * 40)
    assert too_long.status_code == 422


def test_agreement_item_list(world, today, api):
    [summary] = api(None).get("/public/guides/agreements").json()
    assert summary["code"] == "WEHH-2023"
    body = api(None).get("/public/guides/agreements/WEHH-2023").json()
    assert [i["item_code"] for i in body["items"]] == ["ITEM-COMPANY", "ITEM-MARRIAGE"]
    assert len(body["items"][0]["receiving"]) == 4
    page = Client().get("/guides/agreements/WEHH-2023/")
    assert page.status_code == 200
    assert "agreement-item-ITEM-MARRIAGE" in page.content.decode()
    world.agreement.status = "suspended"
    world.agreement.save()
    assert api(None).get("/public/guides/agreements/WEHH-2023").status_code == 404


def test_guide_pages_need_no_login(world, today):
    client = Client()
    index = client.get("/guides/", {"q": "结婚"})
    assert index.status_code == 200
    html = index.content.decode()
    assert "guide-item-ITEM-MARRIAGE" in html and "guide-item-ITEM-COMPANY" not in html
    assert client.get("/guides/items/ITEM-MARRIAGE/").status_code == 200


# -- opening hours on the working-day calendar --------------------------------------------


def test_hours_follow_the_calendar(world, hall):
    centre = hall["421102"]["centre"]
    friday = hours_on(centre, dt.date(2024, 9, 27))
    assert [(p.opens, p.kind) for p in friday.periods] == [
        (dt.time(9), "regular"),
        (dt.time(12), "lunch"),
        (dt.time(13, 30), "regular"),
    ]
    saturday = hours_on(centre, dt.date(2024, 9, 28))  # an ordinary weekend: 错时延时
    assert [(p.opens, p.closes, p.kind) for p in saturday.periods] == [
        (dt.time(9), dt.time(12), "weekend")
    ]
    sunday = hours_on(centre, dt.date(2024, 9, 29))  # 调休: a working Sunday, Monday's hours
    assert len(sunday.periods) == 3 and not sunday.holiday
    for day in (dt.date(2024, 10, 1), dt.date(2024, 10, 5)):  # 国庆, its Saturday included
        closed = hours_on(centre, day)
        assert closed.holiday and not closed.open
    assert hours_on(centre, dt.date(2024, 10, 12)).open  # 调休 Saturday
    assert not hours_on(centre, dt.date(2024, 10, 13)).open  # an ordinary Sunday


def test_a_local_holiday_closes_the_hall(world, hall):
    centre = hall["421102"]["centre"]
    CalendarDay.objects.create(
        jurisdiction=world.huangzhou,
        date=dt.date(2024, 9, 26),
        is_working_day=False,
        note="本地休息日",
    )
    assert hours_on(centre, dt.date(2024, 9, 26)).holiday
    assert hours_on(hall["420205"]["centre"], dt.date(2024, 9, 26)).open


def test_window_hours_replace_the_centres(world, hall):
    centre, k02 = hall["421102"]["centre"], hall["421102"]["k02"]
    OpeningHours.objects.create(
        centre=centre,
        window=k02,
        weekday=4,
        kind="evening",
        opens=dt.time(17, 30),
        closes=dt.time(20),
    )
    periods = hours_on(centre, dt.date(2024, 9, 27), k02).periods
    assert [(p.opens, p.kind) for p in periods] == [(dt.time(17, 30), "evening")]


def test_public_hours_api(world, hall, api):
    centre = hall["421102"]["centre"]
    response = api(None).get(f"/public/centres/{centre.pk}/hours", start="2024-09-28", days=9)
    assert response.status_code == 200
    days = {d["day"]: d for d in response.json()["days"]}
    assert days["2024-09-28"]["periods"][0]["kind"] == "weekend"
    assert days["2024-10-01"]["holiday"] is True
    assert api(None).get("/public/centres/999999/hours").status_code == 404
    assert api(None).get(f"/public/centres/{centre.pk}/hours", days=0).status_code == 422
    page = Client().get(f"/guides/centres/{centre.pk}/")
    assert page.status_code == 200 and "周末延时" in page.content.decode()
