"""Hall statistics: waiting and service times per centre, window, line and hour; bookings
kept and missed; folded by `refresh-stats` from the hall's audit rows; scoped like the
other statistics; shown on the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tongban.hall import actions
from tongban.stats.refresh import rebuild, refresh

pytestmark = pytest.mark.django_db

FRIDAY = dt.date(2024, 9, 27)


@pytest.fixture
def day_of_hall(world, hall, clock):
    centre, k01, k02 = (hall["421102"][k] for k in ("centre", "k01", "k02"))
    clerk = world.user("421102-clerk")
    clock.set(FRIDAY, 8)
    kept = actions.book_appointment(
        world.user("applicant-1"),
        actions.BookingInput("ITEM-COMPANY", centre.pk, FRIDAY, dt.time(9)),
    )
    actions.book_appointment(
        world.user("applicant-2"),
        actions.BookingInput("ITEM-COMPANY", centre.pk, FRIDAY, dt.time(9)),
    )
    clock.set(FRIDAY, 9)
    first = actions.take_ticket(None, centre.pk, "A")  # 9:00
    clock.set(FRIDAY, 9, 2)
    actions.check_in(world.user("applicant-1"), kept.pk)  # 9:02, booked
    clock.set(FRIDAY, 9, 10)
    booked = actions.call_next(clerk, k01.pk)  # the booking first: waited 8 minutes
    assert booked is not None
    clock.set(FRIDAY, 9, 20)
    walk_in = actions.call_next(clerk, k02.pk)  # the walk-in: waited 20 minutes
    assert walk_in is not None
    clock.set(FRIDAY, 9, 25)
    actions.finish(clerk, booked.pk)  # served 15 minutes
    clock.set(FRIDAY, 9, 40)
    actions.skip(clerk, walk_in.pk)
    clock.set(FRIDAY, 10, 5)
    actions.take_ticket(None, centre.pk, "B")
    actions.record_no_shows()  # applicant-2's 9:00 booking
    assert first.pk == walk_in.pk
    return hall


def test_refresh_folds_the_hall_day(world, day_of_hall, api):
    refresh()
    supervisor = api("421102-supervisor")
    body = supervisor.get("/stats/hall/queue", group_by="hour").json()
    by_hour = {r["hour"]: r for r in body["rows"]}
    assert by_hour[9]["tickets"] == 2 and by_hour[9]["booked"] == 1
    assert by_hour[9]["served"] == 1 and by_hour[9]["skipped"] == 1
    assert by_hour[9]["average_wait_minutes"] == 14.0  # (8 + 20) / 2
    assert by_hour[9]["average_service_minutes"] == 15.0
    assert by_hour[10]["tickets"] == 1 and by_hour[10]["called"] == 0
    windows = supervisor.get("/stats/hall/queue", group_by="window").json()["rows"]
    assert {r["window_label"] for r in windows} == {"K01 跨域通办专窗", "K02 兜底窗口", "未叫号"}
    lines = supervisor.get("/stats/hall/queue", group_by="line").json()["rows"]
    assert [(r["line_label"], r["tickets"]) for r in lines] == [
        ("A 跨域通办", 2),
        ("B 综合受理", 1),
    ]
    bookings = supervisor.get("/stats/hall/bookings").json()["total"]
    assert (bookings["bookings"], bookings["kept"], bookings["missed"]) == (2, 1, 1)
    assert bookings["kept_rate"] == 0.5
    # idempotent, and a rebuild from scratch gives the same
    refresh()
    rebuild()
    again = supervisor.get("/stats/hall/queue").json()["total"]
    assert again["tickets"] == 3 and again["average_wait_minutes"] == 14.0
    csv = supervisor.get("/stats/hall/queue", group_by="centre,hour", format="csv")
    assert csv.status_code == 200 and "平均等候(分钟)" in csv.content.decode()


def test_hall_stats_are_scoped(world, day_of_hall, api):
    refresh()
    other = api("420100Z01-supervisor")
    assert other.get("/stats/hall/queue").json()["total"]["tickets"] == 0
    assert other.get("/stats/hall/queue", jurisdiction="421102").status_code == 404
    assert api("421102-clerk").get("/stats/hall/queue").status_code == 403
    assert api(None).get("/stats/hall/bookings").status_code == 401
    assert api("platform-admin").get("/stats/hall/queue").json()["total"]["tickets"] == 3
    bad = api("421102-supervisor").get("/stats/hall/queue", group_by="colour")
    assert bad.status_code == 422


def test_dashboard_shows_the_hall(world, day_of_hall):
    refresh()
    client = Client()
    client.force_login(world.user("421102-supervisor"))
    page = client.get("/stats/", {"from_month": "2024-09", "to_month": "2024-09"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="figure-hall-queue"' in html
    assert 'data-testid="kpi-hall-wait"' in html and "14.0 分钟" in html
    assert 'data-testid="kpi-hall-kept"' in html and "50.0%" in html
