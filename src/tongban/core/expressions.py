"""Query expressions the ORM lacks, written once for both databases the project runs on
(PostgreSQL in production, SQLite in development and one of the two test suites)."""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

from django.db.models import Aggregate, JSONField


class JSONArrayAgg(Aggregate):
    """The values of a group as one JSON array: `JSONB_AGG` on PostgreSQL,
    `JSON_GROUP_ARRAY` on SQLite. Used with `JSONObject` to fetch the few child rows of
    one record inside the record's own statement (a correlated sub-select), instead of one
    more statement per child table. No ORDER BY inside: sort the decoded rows."""

    function = "JSON_GROUP_ARRAY"
    name = "JSONArrayAgg"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


@overload
def json_datetime(value: str) -> dt.datetime: ...
@overload
def json_datetime(value: None) -> None: ...
@overload
def json_datetime(value: str | None) -> dt.datetime | None: ...
def json_datetime(value: str | None) -> dt.datetime | None:
    """A timestamp read back from JSON built by the database. PostgreSQL writes it with
    its offset; SQLite writes Django's stored text, naive and in UTC (USE_TZ)."""
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
