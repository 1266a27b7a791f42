"""Tests only: switch the append-only guard of some tables off for a moment, as the table
owner can (PostgreSQL: ALTER TABLE ... DISABLE TRIGGER USER; SQLite: DROP TRIGGER), to
stage what the application itself can no longer do: a tampered row, an id gap, a
back-dated rating. The guard is put back on leaving the block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.apps import apps
from django.db import connection

from tongban.core import guards


def _sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def settle_deferred_constraints() -> None:
    """PostgreSQL refuses ALTER TABLE and TRUNCATE while the transaction still has
    deferred foreign-key checks pending (the test's own inserts): run them now."""
    if connection.vendor == "postgresql":
        _sql("SET CONSTRAINTS ALL IMMEDIATE")
        _sql("SET CONSTRAINTS ALL DEFERRED")


@contextlib.contextmanager
def unguarded(*tables: str) -> Iterator[None]:
    settle_deferred_constraints()
    for table in tables:
        if connection.vendor == "postgresql":
            _sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        else:
            _sql(f"DROP TRIGGER IF EXISTS {guards.PREFIX}_{table}_update")
            _sql(f"DROP TRIGGER IF EXISTS {guards.PREFIX}_{table}_delete")
    try:
        yield
    finally:
        settle_deferred_constraints()
        if connection.vendor == "postgresql":
            for table in tables:
                _sql(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        else:
            guards.install(connection, apps)
