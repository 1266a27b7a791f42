"""ADR 0147: on PostgreSQL, timestamptz values are loaded by psycopg's C loader, and they
are exactly what Django's own loader gives. ADR 0156: psycopg keeps the conversion of a
long statement's placeholders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders"),
]

VALUES = [
    "2026-12-06 20:38:02.123456+00",
    "2026-12-06 04:38:02+08",
    "1999-12-31 23:59:59.999999-05:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00.5+14",
]


def _load(sql_values: list[str]) -> list[dt.datetime]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
            [sql_values],
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_connection_loads_timestamps_with_the_c_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)
    assert loader.__module__ == "tongban.core.pgtypes"
    assert loader.timezone is dt.UTC  # what Django's create_cursor compares


def test_it_loads_what_djangos_loader_loads():
    ours = _load(VALUES)
    connection.ensure_connection()
    adapters = connection.connection.adapters
    mine = adapters.get_loader(1184, 0)
    register_tzloader(dt.UTC, connection.connection)
    try:
        djangos = _load(VALUES)
    finally:
        adapters.register_loader("timestamptz", mine)
    assert ours == djangos
    assert [v.tzinfo for v in ours] == [dt.UTC] * len(VALUES)
    assert [v.isoformat() for v in ours] == [v.isoformat() for v in djangos]


def test_an_unrepresentable_value_fails_as_with_djangos_loader():
    from django.db import DataError

    with pytest.raises(DataError):
        _load(["infinity"])
    adapters = connection.connection.adapters
    mine = adapters.get_loader(1184, 0)
    register_tzloader(dt.UTC, connection.connection)
    try:
        with pytest.raises(DataError):
            _load(["infinity"])
    finally:
        adapters.register_loader("timestamptz", mine)


def test_a_long_statement_is_converted_once():
    """A statement longer than psycopg's own limit (4,096 bytes) runs its second time from
    psycopg's cache of converted statements (ADR 0156)."""
    from psycopg import _queries

    from tongban.core.pgtypes import CONVERTED_STATEMENT_LENGTH

    assert _queries.MAX_CACHED_STATEMENT_LENGTH == CONVERTED_STATEMENT_LENGTH
    padding = " ".join(f"%s AS c{i}," for i in range(40)).rstrip(",")
    sql = f"SELECT {padding} /* {'x' * 5000} */"
    assert 4096 < len(sql.encode()) < CONVERTED_STATEMENT_LENGTH
    params = list(range(40))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchone() == tuple(params)
        hits = _queries._query2pg.cache_info().hits
        cursor.execute(sql, params)
        assert cursor.fetchone() == tuple(params)
    assert _queries._query2pg.cache_info().hits == hits + 1
