"""The dashboard says when its figures were refreshed (issue 15 §7), in Beijing time, and
before the first refresh says so instead of showing zeros."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from tongban.stats import selectors
from tongban.stats.models import Cursor
from tongban.stats.refresh import SOURCES, refresh
from tongban.stats.tests.helpers import client_for

AT = dt.datetime(2026, 3, 2, 1, 5, tzinfo=dt.UTC)  # 09:05 in Beijing


def test_before_the_first_refresh_the_page_says_so(world: Any) -> None:
    assert selectors.refreshed_at() is None
    client = client_for(world.user("421102-supervisor"))
    for url in ("/stats/", f"/stats/agreements/{world.agreement.pk}/"):
        html = client.get(url).content.decode()
        assert 'data-testid="stats-not-refreshed"' in html, url
        assert 'data-testid="kpi-' not in html, url  # no zeros that look like figures


def test_after_a_refresh_the_page_shows_when_in_beijing_time(world: Any) -> None:
    with time_machine.travel(AT, tick=False):
        refresh()
    assert selectors.refreshed_at() == AT
    client = client_for(world.user("421102-supervisor"))
    html = client.get("/stats/").content.decode()
    assert 'data-testid="stats-not-refreshed"' not in html
    assert "数据更新于 2026-03-02 09:05" in html
    assert 'data-testid="kpi-' in html


def test_one_source_never_refreshed_is_not_a_refresh(world: Any) -> None:
    refresh()
    Cursor.objects.filter(name=SOURCES[-1].name).delete()
    assert selectors.refreshed_at() is None


def test_the_oldest_source_is_the_time_of_the_last_complete_refresh(world: Any) -> None:
    with time_machine.travel(AT, tick=False):
        refresh()
    later = AT + dt.timedelta(minutes=5)
    Cursor.objects.filter(name=SOURCES[0].name).update(updated_at=later)
    assert selectors.refreshed_at() == AT
