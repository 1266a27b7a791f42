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

import contextlib
import datetime as dt
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar, cast

from django.db import DatabaseError, connections, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.utils import CursorWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.sql.subqueries import InsertQuery, UpdateQuery

from tongban.core.fields import EncryptedTextField

_Row = TypeVar("_Row")
_Statement = TypeVar("_Statement")
logger = logging.getLogger("tongban.prepared")


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
    """A stand-in for `value` that no real value or SQL text can contain. Strings and
    integers pass every field's preparation unchanged on both databases. A date or a
    datetime does on PostgreSQL but becomes a string on SQLite: there the caller hands
    over the string the field would (`connection.ops.adapt_datefield_value`), and a
    date compared with a date column is refused as "not a parameter" when prepared."""
    if isinstance(value, str):
        return f"\x1ftongban:{name}:{secrets.token_hex(8)}\x1f"
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**62) - secrets.randbits(40)
    # in the first centuries of the calendar, at a random day and microsecond: no real
    # value of this platform is there
    days = dt.timedelta(days=secrets.randbelow(300_000))
    if isinstance(value, dt.datetime):
        micro = dt.timedelta(microseconds=secrets.randbelow(10**6))
        return dt.datetime(1, 1, 2, tzinfo=value.tzinfo) + days + micro
    if isinstance(value, dt.date):
        return dt.date(1, 1, 2) + days
    raise PrepareError(f"{name}: only str, int, date and datetime values, not {type(value)}")


def kept_cursor(connection: Any) -> CursorWrapper:
    """A cursor for a hot statement: the connection's one kept DB-API cursor, wrapped as
    `connection.cursor()` wraps a new one, and never closed (ADR 0150). Creating and
    closing a cursor of its own cost a hot statement 14 µs in a loop (6 µs so), and
    about 70 µs inside a request, where that code runs cold. The wrapper is made anew
    each time, as Django makes it, so the execute wrappers and the query log
    (`assertNumQueries`, the bench's counts) see every statement as before. A new
    connection, after a close or a reconnect, gets a new cursor: the kept one is bound
    to the DB-API connection it came from."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    kept: tuple[Any, Any] | None = connection.__dict__.get("_tongban_kept_cursor")
    if kept is None or kept[0] is not raw or getattr(kept[1], "closed", False):
        with connection.wrap_database_errors:
            kept = (raw, connection.create_cursor(None))
        connection._tongban_kept_cursor = kept
    return cast(CursorWrapper, connection._prepare_cursor(kept[1]))


class _Kept(Generic[_Statement]):
    """The per-connection cache of a hot statement's compiled forms, by key and by the
    types of the values."""

    def __init__(self, name: str, build: Callable[..., Any], size: int = 512) -> None:
        self.name = name
        self.build = build
        self.size = size
        self._attr = f"_tongban_prepared_{name}"

    def _compile(self, key: Hashable, values: dict[str, Any]) -> _Statement:
        raise NotImplementedError

    def _compiled(self, key: Hashable, values: dict[str, Any]) -> _Statement:
        shape = tuple(sorted((name, type(value).__name__) for name, value in values.items()))
        # the default alias: every hot statement runs there (one database per node)
        connection = connections["default"]
        cache: OrderedDict[Any, _Statement] | None = getattr(connection, self._attr, None)
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


class Prepared(_Kept[_Compiled], Generic[_Row]):
    """One hot statement. `Prepared(name, build).fetch(key, number="…")` is
    `list(build(key, number="…"))`, without building or compiling anything after the first
    call for that key on this connection."""

    def __init__(
        self, name: str, build: Callable[..., QuerySet[Any, _Row]], size: int = 512
    ) -> None:
        super().__init__(name, build, size)

    def fetch(self, key: Hashable, **values: Any) -> list[_Row]:
        compiled = self._compiled(key, values)
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            for position in positions:
                params[position] = values[name]
        return self._rows(compiled, params)

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
            positions = _positions(params, marker)
            if not positions:
                raise PrepareError(f"{origin}: {name} is not a parameter")
            slots[name] = positions
        _refuse_transformed(origin, params, markers.values())
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
        # a model row's encrypted values stay sealed until their attribute is read
        # (ADR 0146): a case move reads none of the eight its lock loads
        common["converters"] = _sealing(common["converters"])
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
        cursor = kept_cursor(connections["default"])
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


def _sealing(converters: dict[int, tuple[list[Any], Any]]) -> dict[int, tuple[list[Any], Any]]:
    """The converters of a model row, with each encrypted field's decryption replaced by
    its `seal`: the model's attribute decrypts on first read (`core.fields.Sealed`)."""
    sealed = {}
    for position, (convs, expression) in converters.items():
        field = getattr(expression, "target", None)
        if isinstance(field, EncryptedTextField):
            convs = [field.seal if c == field.from_db_value else c for c in convs]
        sealed[position] = (convs, expression)
    return sealed


@dataclass(frozen=True)
class _CompiledUpdate:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # value name -> its positions in params, as given
    # value name -> (its one position, its field): a value set on a column reaches the
    # SQL as the field prepares it for saving (a datetime is text on SQLite)
    saved: dict[str, tuple[int, Any]]


class PreparedUpdate(_Kept[_CompiledUpdate]):
    """`QuerySet.update()` of a hot statement. `build(key, **values)` returns the queryset
    and the columns to set, `(queryset, {"state": …, "signed_at": signed_at})`;
    `PreparedUpdate(name, build).run(key, **values)` is `queryset.update(**columns)` and
    answers the number of rows, without building or compiling anything after the first
    call for that key on this connection. The values are markers and checked as
    `Prepared`'s are, with one difference: a value set on a column is prepared by its
    field, as Django's compiler prepares it (the first run checks that the prepared
    marker is the one parameter of that column), and is so prepared on every run. A
    value is either set or compared, not both."""

    def __init__(
        self,
        name: str,
        build: Callable[..., tuple[QuerySet[Any, Any], dict[str, Any]]],
        size: int = 512,
    ) -> None:
        super().__init__(name, build, size)

    def run(self, key: Hashable, **values: Any) -> int:
        compiled = self._compiled(key, values)
        connection = connections["default"]
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            for position in positions:
                params[position] = values[name]
        for name, (position, field) in compiled.saved.items():
            params[position] = field.get_db_prep_save(values[name], connection=connection)
        # as QuerySet.update(): an error caught inside the transaction still rolls it back
        with transaction.mark_for_rollback_on_error(using="default"):
            cursor = kept_cursor(connection)
            cursor.execute(compiled.sql, params)
            return int(cursor.rowcount)

    def _compile(self, key: Hashable, values: dict[str, Any]) -> _CompiledUpdate:
        origin = f"{self.name} ({self.build.__qualname__})"
        markers = {name: _marker(name, value) for name, value in values.items()}
        queryset, columns = self.build(key, **markers)
        if queryset.db != "default":
            raise PrepareError(f"{origin}: prepared statements run on the default database")
        if queryset.query.is_sliced:
            raise PrepareError(f"{origin}: a sliced queryset cannot be updated")
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(columns)
        query.clear_select_clause()
        if query.related_updates:
            raise PrepareError(f"{origin}: only the columns of the model's own table")
        connection = connections["default"]
        sql, raw_params = query.get_compiler(using="default").as_sql()
        params = tuple(raw_params)
        fields = {name: field for field, _model, value in query.values
                  for name, marker in markers.items() if value is marker}  # fmt: skip
        slots: dict[str, tuple[int, ...]] = {}
        saved: dict[str, tuple[int, Any]] = {}
        expected = []
        for name, marker in markers.items():
            given = _positions(params, marker)
            if name in fields:
                field = fields[name]
                ready = field.get_db_prep_save(marker, connection=connection)
                at = tuple(i for i, p in enumerate(params) if type(p) is type(ready) and p == ready)
                if len(at) != 1 or set(given) - set(at):
                    raise PrepareError(
                        f"{origin}: {name} must be set once, as one parameter, and not compared"
                    )
                saved[name] = (at[0], field)
                expected.append(ready)
            elif given:
                slots[name] = given
                expected.append(marker)
            else:
                raise PrepareError(f"{origin}: {name} is not a parameter")
        for value in expected:
            if str(value) in sql:
                raise PrepareError(f"{origin}: a value was folded into the SQL")
        _refuse_transformed(origin, params, expected)
        return _CompiledUpdate(sql, params, slots, saved)


def _positions(params: tuple[Any, ...], marker: Any) -> tuple[int, ...]:
    """Where a value's marker stands among a compiled statement's parameters."""
    # isinstance: Django hands an integer `Value` to psycopg as an `Int4` (an int)
    return tuple(i for i, p in enumerate(params) if isinstance(p, type(marker)) and p == marker)


def _refuse_transformed(origin: str, params: tuple[Any, ...], expected: Any) -> None:
    """A string marker that reaches the parameters changed (lower-cased, wrapped in `%`…)
    would swap in a value the statement does not mean: refuse it when it is prepared."""
    kept = list(expected)
    if any(isinstance(p, str) and "\x1ftongban:" in p and p not in kept for p in params):
        raise PrepareError(f"{origin}: a value was transformed")


class PreparedSaves(models.Model):
    """`save()` of a hot model without building and compiling its INSERT or UPDATE anew
    each time (ADR 0137): everything of `save()` stays (signals, `pre_save`, the
    append-only refusal and the chain seal, `update_fields`); only the statement is kept,
    per connection and set of columns, with its parameters computed the way Django's
    compiler computes them. The first save of each shape runs Django's own path and
    checks that both give the same parameters; a shape that differs, or a value that is
    an expression (`F()`, `Now()`), always takes Django's path."""

    class Meta:
        abstract = True

    def _do_insert(
        self, manager: Any, using: Any, fields: Any, returning_fields: Any, raw: Any
    ) -> Any:
        done = _insert(self, manager, using, fields, returning_fields, raw)
        if done is None:
            django: Any = super()
            return django._do_insert(manager, using, fields, returning_fields, raw)
        return done

    # the stubs describe Django 6.0's signature (returning_fields); this is 5.2's
    def _do_update(  # type: ignore[override]
        self,
        base_qs: Any,
        using: Any,
        pk_val: Any,
        values: Any,
        update_fields: Any,
        forced_update: Any,
    ) -> Any:
        # only a save that must find its row may wait (`saves_together`): a plain save()
        # of a row that is gone INSERTs it, which needs the answer now
        done = _update(self, base_qs, using, pk_val, values, bool(update_fields) or forced_update)
        if done is None:
            django: Any = super()
            return django._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        return done


@dataclass
class _Write:
    sql: str
    compiler: Any
    usable: bool


def _writes(connection: Any) -> dict[Any, _Write]:
    cache: dict[Any, _Write] | None = getattr(connection, "_tongban_prepared_writes", None)
    if cache is None:
        cache = {}
        connection._tongban_prepared_writes = cache
    return cache


def _own_placeholder(field: Any, connection: Any) -> bool:
    """Whether the field may write something else than a bare `%s` for some value. A
    binary column (a licence's PDF) only does so on backends we do not run (MySQL)."""
    if not hasattr(field, "get_placeholder"):
        return False
    return not (
        isinstance(field, models.BinaryField)
        and type(connection.ops).binary_placeholder_sql
        is BaseDatabaseOperations.binary_placeholder_sql
    )


def _plain(value: Any) -> bool:
    return not hasattr(value, "resolve_expression") and not hasattr(value, "as_sql")


def _insert(obj: Model, manager: Any, using: str, fields: Any, returning: Any, raw: bool) -> Any:
    if raw or using != "default":
        return None
    connection = connections[using]
    if any(_own_placeholder(f, connection) for f in fields):
        return None
    cache = _writes(connection)
    shape = ("insert", type(obj), tuple(f.attname for f in fields), tuple(returning or ()))
    write = cache.get(shape)
    if write is None:
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj], raw=False)
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = returning
        ((sql, django_params),) = compiler.as_sql()
        # as_sql ran pre_save on every field: the parameters now are the object's own
        values = [getattr(obj, f.attname) for f in fields]
        preparers: list[Callable[[], Any]] = [
            partial(compiler.prepare_value, f, v) for f, v in zip(fields, values, strict=True)
        ]
        usable = all(_plain(v) for v in values) and _agree(list(django_params), preparers)
        write = cache[shape] = _Write(sql, compiler, usable)
        _log_unusable(write, shape)
        return _run_insert(write, connection, list(django_params), returning, obj)
    if not write.usable:
        return None
    params = []
    for field in fields:
        value = write.compiler.pre_save_val(field, obj)
        if not _plain(value):
            return None
        params.append(write.compiler.prepare_value(field, value))
    batch = _waiting_batch(connection, obj)
    if batch is not None:
        batch.defer(_Deferred(write, params, obj, tuple(returning or ())))
        return []  # no key yet: the batch sets it when it is sent
    return _run_insert(write, connection, params, returning, obj)


def _run_insert(
    write: _Write, connection: Any, params: list[Any], returning: Any, obj: Model
) -> Any:
    compiler = write.compiler
    table = obj._meta.db_table
    cursor = kept_cursor(connection)
    cursor.execute(write.sql, params)
    if not returning:
        return []
    if connection.features.can_return_columns_from_insert:
        row = connection.ops.fetch_returned_insert_columns(cursor, compiler.returning_params)
    else:
        row = (connection.ops.last_insert_id(cursor, table, returning[0].column),)
    return [_converted(write, obj, returning, row)]


def _converted(write: _Write, obj: Model, returning: Any, row: Any) -> Any:
    """A row of an INSERT's returned columns, through the fields' database converters."""
    table = obj._meta.db_table
    compiler = write.compiler
    converters = compiler.get_converters([field.get_col(table) for field in returning[: len(row)]])
    if converters:
        return next(iter(compiler.apply_converters([row], converters)))
    return row


def _update(
    obj: Model, base_qs: Any, using: str, pk_val: Any, values: Any, may_wait: bool = False
) -> Any:
    if (
        not values
        or using != "default"
        or obj._meta.select_on_save
        or base_qs.query.where
        or any(not _plain(v) for _f, _m, v in values)
    ):
        return None
    connection = connections[using]
    if any(_own_placeholder(f, connection) for f, _m, _v in values):
        return None
    cache = _writes(connection)
    shape = ("update", type(obj), tuple(f.attname for f, _m, _v in values))
    pk = obj._meta.pk
    assert pk is not None
    preparers: list[Callable[[], Any]] = [
        *(partial(f.get_db_prep_save, v, connection=connection) for f, _m, v in values),
        partial(pk.get_db_prep_value, pk_val, connection),
    ]
    write = cache.get(shape)
    if write is None:
        query = base_qs.filter(pk=pk_val).query.chain(UpdateQuery)
        # Django writes `col = NULL` into the text for a None: the kept statement must
        # take a value for that column the next time, so the None is a bound NULL
        query.add_update_fields([(f, m, _BoundNull() if v is None else v) for f, m, v in values])
        compiler = query.get_compiler(using=using)
        sql, django_params = compiler.as_sql()
        usable = not query.related_updates and _agree(list(django_params), preparers)
        write = cache[shape] = _Write(sql, compiler, usable)
        _log_unusable(write, shape)
        params = list(django_params)
    elif not write.usable:
        return None
    else:
        params = [prepare() for prepare in preparers]
        batch = _waiting_batch(connection, obj) if may_wait else None
        if batch is not None:
            # a save that must find its row: the batch checks it did, as Django does for
            # `update_fields` and `force_update`, when it is sent
            batch.defer(_Deferred(write, params, obj, None))
            return True
    cursor = kept_cursor(connection)
    cursor.execute(write.sql, params)
    return bool(cursor.rowcount > 0)


class _BoundNull(models.Expression):
    """NULL as a parameter (`col = %s` with None), not as text (`col = NULL`)."""

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return "%s", [None]


def _log_unusable(write: _Write, shape: tuple[Any, ...]) -> None:
    if not write.usable:  # column names only: never a value
        logger.info("prepared saves: %s of %s keeps Django's path", shape[0], shape[1:3])


def _agree(django_params: list[Any], preparers: list[Callable[[], Any]]) -> bool:
    """Whether our parameters are Django's, position by position. A value prepared
    differently each time (an encrypted field: a new nonce per encryption) is compared
    by its place only: ours must then differ from itself too."""
    if len(django_params) != len(preparers):
        return False
    for theirs, prepare in zip(django_params, preparers, strict=True):
        ours = prepare()
        if ours != theirs and (type(ours) is not type(theirs) or ours == prepare()):
            return False
    return True


# -- saves sent together (ADR 0141) ----------------------------------------------------


@dataclass
class _Deferred:
    write: _Write
    params: list[Any]
    obj: Model
    returning: tuple[Any, ...] | None  # None: an UPDATE


class _Batch:
    """The prepared saves of some models, held back until the next statement of the
    connection, or the end of the block, and then sent in that order: as one statement
    on PostgreSQL (a data-modifying WITH), one by one elsewhere."""

    def __init__(self, connection: Any, labels: frozenset[str]) -> None:
        self.connection = connection
        self.labels = labels
        self.pending: list[_Deferred] = []
        self.sending = False

    def defer(self, deferred: _Deferred) -> None:
        self.pending.append(deferred)

    def before_statement(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        # an execute wrapper: whatever SQL comes next, a read, a savepoint or another
        # write, finds the held-back rows written, in the order the code saved them
        if self.pending and not self.sending:
            self.send()
        return execute(sql, params, many, context)

    def send(self) -> None:
        pending, self.pending = self.pending, []
        self.sending = True
        try:
            if len(pending) > 1 and self.connection.vendor == "postgresql":
                self._send_together(pending)
            else:
                for deferred in pending:
                    self._send_one(deferred)
        finally:
            self.sending = False

    def _send_one(self, deferred: _Deferred) -> None:
        if deferred.returning is not None:
            rows = _run_insert(
                deferred.write, self.connection, deferred.params, deferred.returning, deferred.obj
            )
            _take_returned(deferred, rows[0] if rows else ())
            return
        cursor = kept_cursor(self.connection)
        cursor.execute(deferred.write.sql, deferred.params)
        _check_updated(deferred, cursor.rowcount)

    def _send_together(self, pending: list[_Deferred]) -> None:
        quote = self.connection.ops.quote_name
        ctes, selects, params = [], [], []
        for i, deferred in enumerate(pending):
            name = f"tongban_write_{i}"
            if deferred.returning is None:
                ctes.append(f"{name} AS ({deferred.write.sql} RETURNING 1)")
                selects.append(f"(SELECT count(*) FROM {name})")
            else:
                ctes.append(f"{name} AS ({deferred.write.sql})")
                selects.extend(
                    f"(SELECT {quote(field.column)} FROM {name})" for field in deferred.returning
                )
            params.extend(deferred.params)
        sql = f"WITH {', '.join(ctes)} SELECT {', '.join(selects) or '1'}"
        cursor = kept_cursor(self.connection)
        cursor.execute(sql, params)
        row = list(cursor.fetchone())
        for deferred in pending:
            if deferred.returning is None:
                _check_updated(deferred, row.pop(0))
            else:
                width = len(deferred.returning)
                returned, row = row[:width], row[width:]
                _take_returned(deferred, tuple(returned))


def _take_returned(deferred: _Deferred, row: Any) -> None:
    """What Django's `_save_table` does with an INSERT's returned columns (the key)."""
    returning = deferred.returning or ()
    if not row:
        return
    row = _converted(deferred.write, deferred.obj, returning, row)
    for value, field in zip(row, returning, strict=False):
        setattr(deferred.obj, field.attname, value)


def _check_updated(deferred: _Deferred, count: int) -> None:
    if count < 1:  # Django's own refusal for a save with update_fields
        raise DatabaseError(
            f"Save of {deferred.obj._meta.label} {deferred.obj.pk} did not affect any rows."
        )


def _waiting_batch(connection: Any, obj: Model) -> _Batch | None:
    batch: _Batch | None = getattr(connection, "_tongban_batch", None)
    if batch is None or batch.sending or obj._meta.label not in batch.labels:
        return None
    return batch


@contextlib.contextmanager
def saves_together(*labels: str) -> Iterator[None]:
    """Inside the block, the prepared saves of the models named (`app.Model` labels)
    wait, and reach the database together: before the next other statement of the
    connection, or at the end of the block (ADR 0141). A move writes its event, the case
    row and a notification one after the other with nothing read in between: on
    PostgreSQL that is one statement instead of three.

    What waits is exactly what would have been sent, in the same order relative to every
    other statement; what differs is only in Python: an INSERT's object has no key until
    the rows are sent. Name only models whose new keys the block does not read. A
    statement's error comes at the end of the block rather than at the save, and an
    exception out of the block drops what waits and rolls the transaction back. Outside a
    transaction, or inside another such block, it changes nothing."""
    connection: Any = connections["default"]
    if getattr(connection, "_tongban_batch", None) is not None or not connection.in_atomic_block:
        yield
        return
    batch = _Batch(connection, frozenset(labels))
    connection._tongban_batch = batch
    connection.execute_wrappers.append(batch.before_statement)
    try:
        try:
            yield
        except BaseException:
            batch.pending.clear()
            transaction.set_rollback(True)
            raise
        batch.send()
    finally:
        connection.execute_wrappers.remove(batch.before_statement)
        connection._tongban_batch = None
