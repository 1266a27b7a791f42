"""Migration 0003 fills the roll-up tables from statistics counted before they existed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tongban.stats import refresh
from tongban.stats.models import (
    CASE_DIMENSIONS,
    CASE_MEASURES,
    LEG_ITEM_DIMENSIONS,
    CaseCount,
    CaseLegItemCount,
)

BEFORE = [("stats", "0002_case_rollups")]
AFTER = [("stats", "0003_case_leg_item_and_month_counts")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Leave the database fully migrated: later tests on this worker's database need the
    tables of the migrations after 0003 (an xdist worker shares one database)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_0003_fills_every_rollup_from_case_count(back_to_latest):
    old = _migrate(BEFORE)
    counts = old.get_model("stats", "CaseCount")
    month = dt.date(2024, 3, 1)
    keys = [
        (month, 11, 12, 5, 3, "market", "proxy", "window", "completed", True),
        (month, 12, 11, 5, 3, "market", "proxy", "window", "completed", True),
        (month, 0, 12, 6, 0, "civil", "online", "web", "accepted", False),
        (month, 12, 12, 6, 0, "civil", "proxy", "terminal", "completed", False),
    ]
    for n, key in enumerate(keys, start=1):
        counts.objects.create(
            **dict(zip(CASE_DIMENSIONS, key, strict=True)),
            **{m: n * (i + 1) for i, m in enumerate(CASE_MEASURES)},
        )
    _migrate(AFTER)
    deltas = {
        tuple(row[:10]): list(row[10:])
        for row in CaseCount.objects.values_list(*CASE_DIMENSIONS, *CASE_MEASURES)
    }
    assert len(deltas) == 4
    for model, onto in refresh.ROLLUPS:
        table = {
            tuple(row[: len(onto)]): list(row[len(onto) :])
            for row in model._default_manager.values_list(*onto, *CASE_MEASURES)
        }
        assert table == refresh.project(deltas, CASE_DIMENSIONS, onto), model.__name__
    legs = {
        tuple(row[:9]): list(row[9:])
        for row in CaseLegItemCount.objects.values_list(*LEG_ITEM_DIMENSIONS, *CASE_MEASURES)
    }
    assert legs == refresh.project_legs(deltas)
    assert {key[2] for key in legs} == {"receiving", "handling", "both"}
    CaseCount.objects.all().delete()
    for model, _onto in refresh.ROLLUPS:
        model._default_manager.all().delete()
    CaseLegItemCount.objects.all().delete()
