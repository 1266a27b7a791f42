"""Running numbers (case numbers, licence serials): one counter row per prefix.

`draw(Counter, prefix)` is the one hand-written statement for it (ADRs 0138, 0140): an
upsert that creates the row at 1 or increments it, and returns the new value. It runs on
PostgreSQL and on SQLite 3.35+. Its UPDATE keeps the row locked until the caller's
transaction ends, so two transactions never draw the same number and a rollback gives
the number back; the ORM has no upsert that increments a column and returns it. The
counter model has a `prefix` primary key and a `last` integer."""

from __future__ import annotations

from django.db import connection, models


def draw(counter: type[models.Model], prefix: str) -> int:
    """The next number of `prefix` (1 for a new prefix), in the caller's transaction."""
    quote = connection.ops.quote_name
    meta = counter._meta
    table = quote(meta.db_table)
    columns = {field.name: str(field.column) for field in meta.concrete_fields}
    key, last = quote(columns["prefix"]), quote(columns["last"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {last}) VALUES (%s, 1) "
            f"ON CONFLICT ({key}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
            [prefix],
        )
        row = cursor.fetchone()
    assert row is not None  # RETURNING of an upsert always answers one row
    return int(row[0])
