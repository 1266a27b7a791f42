"""Fixtures of the hall tests: the test world's centres with opening hours and business
lines, a clock fixed on Friday 2024-09-27 (before the 2024 National Day break), and an
API client that signs in with a real bearer token."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tongban.accounts.auth import hash_token
from tongban.accounts.models import ApiToken
from tongban.centres.models import OpeningHours, Window
from tongban.hall.models import BusinessLine

TODAY = dt.date(2024, 9, 27)  # a Friday; 9-29 is a 调休 Sunday, 10-01..07 the break
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class Clock:
    """Local time of the tests; `deadlines.local_today/local_now` read it."""

    def __init__(self) -> None:
        self.now = dt.datetime(2024, 9, 27, 8, 0, tzinfo=SHANGHAI)

    def set(self, day: dt.date, hour: int, minute: int = 0) -> None:
        self.now = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)

    def advance(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("tongban.cases.deadlines.local_today", lambda: clock.now.date())
    monkeypatch.setattr("tongban.cases.deadlines.local_now", lambda: clock.now)
    return clock


@pytest.fixture
def today(clock: Clock) -> dt.date:
    return TODAY


def standard_hours(centre: Any) -> None:
    """Mon–Fri 9:00–12:00 and 13:30–17:30, 错时延时 at lunch and on Saturday morning."""
    rows = []
    for weekday in range(5):
        rows += [
            OpeningHours(centre=centre, weekday=weekday, opens=dt.time(9), closes=dt.time(12)),
            OpeningHours(
                centre=centre, weekday=weekday, opens=dt.time(13, 30), closes=dt.time(17, 30)
            ),
            OpeningHours(
                centre=centre,
                weekday=weekday,
                kind="lunch",
                opens=dt.time(12),
                closes=dt.time(13, 30),
            ),
        ]
    rows.append(
        OpeningHours(centre=centre, weekday=5, kind="weekend", opens=dt.time(9), closes=dt.time(12))
    )
    OpeningHours.objects.bulk_create(rows)


@pytest.fixture
def hall(world: Any, clock: Clock) -> dict[str, Any]:
    """Each centre of the world: opening hours, K01 (跨域通办专窗, line A) and a fallback
    window K02 (line B)."""
    made: dict[str, Any] = {}
    for code, k01 in world.windows.items():
        centre = k01.centre
        standard_hours(centre)
        k02 = Window.objects.create(centre=centre, code="K02", name="兜底窗口", kind="fallback")
        line_a = BusinessLine.objects.create(centre=centre, prefix="A", name="跨域通办", position=1)
        line_a.windows.add(k01, k02)
        line_b = BusinessLine.objects.create(centre=centre, prefix="B", name="综合受理", position=2)
        line_b.windows.add(k02)
        made[code] = {"centre": centre, "k01": k01, "k02": k02, "A": line_a, "B": line_b}
    return made


class ApiClient:
    def __init__(self, user: Any | None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            key = secrets.token_urlsafe(32)
            ApiToken.objects.create(
                user=user,
                key_hash=hash_token(key),
                expires_at=timezone.now() + dt.timedelta(hours=1),
            )
            self.headers["Authorization"] = f"Bearer {key}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body or {}),
            content_type="application/json",
            headers=self.headers,
        )


@pytest.fixture
def api(world: Any) -> Callable[[str | None], ApiClient]:
    def make(username: str | None) -> ApiClient:
        return ApiClient(world.user(username) if username else None)

    return make
