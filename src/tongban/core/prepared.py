"""Hot querysets compiled once and run many times with new values (ADR 0137).

Building a queryset and compiling it to SQL is most of what a case action's lock
statement costs in Python (2.5-3.5 ms of a 10 ms action, ADR 0130's profile): Django
does it anew on every request although only the case number changes. A `Prepared` keeps,
per database connection and per *key*, the SQL and parameters that Django's compiler
produced for one build of the queryset, and afterwards only swaps in the new values and
turns the rows into model instances the way `QuerySet.__iter__` does (the model, its
`select_related` relations, its annotations, the database converters).

The queryset is still written with the ORM, in one place, by the caller's `build`
function; nothing here knows any SQL. The contract:

- `build(key, **values)` returns the queryset (of model instances, or of `values_list()`
  rows) for those values. `Prepared` calls it once per key with a unique marker for each
  value (a string or an integer: see `_marker`); every marker must reach the SQL as a
  bound parameter (never folded into the text, never transformed), and the statement must
  not change shape with the values. Both are checked when the statement is prepared.
- the key holds everything else the queryset depends on (for a scoped read: the scope's
  inputs, never the user object); it is hashable and small, and `build` reads nothing
  but the key and the values.

The cache lives on the connection object (one per thread and alias in Django), so a
compiled statement is only ever used on the connection it was compiled for, and it goes
away with the connection. It holds at most `size` keys per statement and connection.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

_Row = TypeVar("_Row")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # value name -> its positions in params
    converters: dict[int, Any]
    compiler: Any
    width: int | None  # the selected columns, when the SQL selects more (ordering)
    # a queryset of model instances; None for values()/values_list() rows, kept as tuples
    model: type[Model] | None
    init_list: list[str]
    fields: slice
    related_populators: list[Any]
    annotation_col_map: dict[str, int]


class PrepareError(RuntimeError):
    """The queryset cannot be prepared: a value did not reach the SQL as one parameter."""


def _marker(name: str, value: Any) -> Any:
    """A stand-in for `value` that no real value or SQL text can contain. Only strings and
    integers pass every field's preparation unchanged on both databases (a date or a
    datetime becomes a string on SQLite), so only these can be values."""
    if isinstance(value, str):
        return f"\x1ftongban:{name}:{secrets.token_hex(8)}\x1f"
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**62) - secrets.randbits(40)
    raise PrepareError(f"{name}: only str and int values can be prepared, not {type(value)}")


class Prepared(Generic[_Row]):
    """One hot statement. `Prepared(name, build).fetch(key, number="…")` is
    `list(build(key, number="…"))`, without building or compiling anything after the first
    call for that key on this connection."""

    def __init__(
        self, name: str, build: Callable[..., QuerySet[Any, _Row]], size: int = 512
    ) -> None:
        self.name = name
        self.build = build
        self.size = size
        self._attr = f"_tongban_prepared_{name}"

    def fetch(self, key: Hashable, **values: Any) -> list[_Row]:
        compiled = self._compiled(key, values)
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            for position in positions:
                params[position] = values[name]
        return self._rows(compiled, params)

    def _compiled(self, key: Hashable, values: dict[str, Any]) -> _Compiled:
        shape = tuple(sorted((name, type(value).__name__) for name, value in values.items()))
        # the default alias: every hot statement runs there (one database per node)
        connection = connections["default"]
        cache: OrderedDict[Any, _Compiled] | None = getattr(connection, self._attr, None)
        if cache is None:
            cache = OrderedDict()
            setattr(connection, self._attr, cache)
        compiled = cache.get((key, shape))
        if compiled is not None:
            cache.move_to_end((key, shape))
            return compiled
        compiled = self._compile(key, values)
        cache[(key, shape)] = compiled
        if len(cache) > self.size:
            cache.popitem(last=False)
        return compiled

    def _compile(self, key: Hashable, values: dict[str, Any]) -> _Compiled:
        origin = f"{self.name} ({self.build.__qualname__})"
        markers = {name: _marker(name, value) for name, value in values.items()}
        queryset = self.build(key, **markers)
        if queryset.db != "default":
            raise PrepareError(f"{origin}: prepared statements run on the default database")
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, raw_params = compiler.as_sql()
        params = tuple(raw_params)
        slots: dict[str, tuple[int, ...]] = {}
        for name, marker in markers.items():
            if str(marker) in sql:
                raise PrepareError(f"{origin}: {name} was folded into the SQL")
            positions = tuple(
                i for i, p in enumerate(params) if type(p) is type(marker) and p == marker
            )
            if not positions:
                raise PrepareError(f"{origin}: {name} is not a parameter")
            slots[name] = positions
        if any(isinstance(p, str) and "\x1ftongban:" in p and p not in markers.values()
               for p in params):  # fmt: skip
            raise PrepareError(f"{origin}: a value was transformed")
        select = compiler.select
        klass_info = compiler.klass_info
        common = {
            "sql": sql,
            "params": params,
            "slots": slots,
            "converters": compiler.get_converters([column[0] for column in select]),
            "compiler": compiler,
            "width": compiler.col_count if compiler.has_extra_select else None,
        }
        if klass_info is None or queryset._iterable_class is not ModelIterable:
            if queryset._iterable_class not in (ValuesListIterable,):
                raise PrepareError(f"{origin}: models and values_list() rows only")
            return _Compiled(**common, model=None, init_list=[], fields=slice(0),
                             related_populators=[], annotation_col_map={})  # fmt: skip
        select_fields = klass_info["select_fields"]
        fields = slice(select_fields[0], select_fields[-1] + 1)
        return _Compiled(
            **common,
            model=klass_info["model"],
            init_list=[column[0].target.attname for column in select[fields]],
            fields=fields,
            # Django 5.2's signature (the stubs already describe 6.0's, with fetch_mode)
            related_populators=cast(Any, get_related_populators)(klass_info, select, queryset.db),
            annotation_col_map=dict(compiler.annotation_col_map or {}),
        )

    def _rows(self, compiled: _Compiled, params: list[Any]) -> list[Any]:
        connection = connections["default"]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: list[Any] = cursor.fetchall()
        if compiled.width is not None:
            rows = [row[: compiled.width] for row in rows]
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        if compiled.model is None:
            return [tuple(row) for row in rows]
        objects = []
        for row in rows:
            obj = compiled.model.from_db("default", compiled.init_list, row[compiled.fields])
            for populator in compiled.related_populators:
                populator.populate(row, obj)
            for attr_name, position in compiled.annotation_col_map.items():
                setattr(obj, attr_name, row[position])
            objects.append(obj)
        return objects
