"""psycopg's own C loader for `timestamptz`, in place of Django's Python one (ADR 0147);
the conversion of the hot statements' placeholders kept, however long they are (ADR 0156).

Django registers on every PostgreSQL connection a loader written in Python
(`BaseTzLoader`, a subclass of psycopg's pure-Python `TimestamptzLoader`) so that each
value carries Django's connection time zone. It parses each value with a regular
expression in Python: 3.5 µs a value on this machine, against 0.22 µs for the C loader
that psycopg[binary] ships and that Django's subclass shadows. A case move loads some
fifteen such values, a queue page some two hundred.

Django keeps every session in UTC (`ensure_timezone` sets it when it differs), and in
a UTC session the C loader returns exactly what Django's does: the same instant with
`datetime.timezone.utc`. So on connections whose Django time zone is UTC, the loader
registered here is a thin Python class whose `load` *is* the C loader's bound method
(no Python frame per value), with the `timezone` attribute that Django's `create_cursor`
compares. On any other configuration nothing changes."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

_UTC = dt.UTC


@functools.cache
def _loader_class() -> Any:
    """The loader to register, built once per process; None with pure-Python psycopg."""
    import psycopg
    from psycopg.pq import Format

    oid = psycopg.adapters.types["timestamptz"].oid
    compiled: Any = psycopg.adapters.get_loader(oid, Format.TEXT)
    if compiled is None or compiled.__module__.startswith("psycopg.types"):
        return None

    class UtcTimestamptzLoader:
        format = Format.TEXT
        # what Django's create_cursor compares with its own time zone (equal: nothing to do)
        timezone = _UTC

        def __init__(self, oid: int, context: Any = None) -> None:
            self._loader = compiled(oid, context)
            # the C method itself, so that psycopg calls no Python per value
            self.load = self._loader.load

    return UtcTimestamptzLoader


def use_c_timestamptz_loader(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created`: register the C loader on a UTC PostgreSQL connection."""
    if connection.vendor != "postgresql" or connection.timezone != _UTC:
        return
    if (loader := _loader_class()) is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


# The longest statement whose conversion psycopg keeps (its own limit is 4,096 bytes).
# Statements the ORM makes of varying length, such as bulk INSERTs of many rows, stay
# bounded by psycopg's 128-entry LRU cache: at most some megabytes per process.
CONVERTED_STATEMENT_LENGTH = 16_384


def keep_long_statement_conversions() -> None:
    """psycopg turns a statement's `%s` placeholders into `$n` each time it runs, with a
    tokenizer in Python, and keeps the result only for statements up to 4,096 bytes
    (psycopg discussion 628: ORM-made statements of varying length would crowd its
    cache). The look-up's case statement, with its three JSON sub-selects and the check
    of a remembered token, is 4.5 KB and the same each time: 60 µs a run to convert
    (ADR 0156). Raise the limit, once per process; psycopg reads it on every execute.
    Nothing happens on a psycopg that no longer has it (tested: core/tests/test_pgtypes)."""
    try:
        from psycopg import _queries
    except ImportError:  # no psycopg: SQLite only
        return
    current = getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None)
    if isinstance(current, int) and current < CONVERTED_STATEMENT_LENGTH:
        _queries.MAX_CACHED_STATEMENT_LENGTH = CONVERTED_STATEMENT_LENGTH
