"""The statistics job: folds new rows of the append-only event tables (CaseEvent,
ConsultationEvent, RatingEvent) into the fact tables and applies the change of each
fact's contribution to the count tables as additive upserts. Never a full recount:
a run reads only events past the watermark (plus ids that were missing last time).

Each batch is one transaction that locks its cursor row, so two runs never interleave and
a crash loses nothing (the next run resumes from the committed watermark). `rebuild()`
empties the tables and runs the very same code from id 0, so incremental == rebuild by
construction (and the tests check it)."""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from tongban.assistance.models import AssistanceRecord
from tongban.cases.models import Case, CaseEvent
from tongban.catalog.models import ServiceItem
from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.core.models import AuditEvent
from tongban.ratings.models import Rating, RatingEvent
from tongban.stats.hall import process_hall_audit
from tongban.stats.models import (
    ASSISTANCE_DIMENSIONS,
    ASSISTANCE_MEASURES,
    ASSISTANCE_STEPS,
    CASE_DIMENSIONS,
    CASE_MEASURES,
    CONSULTATION_DIMENSIONS,
    CONSULTATION_MEASURES,
    FLOW_DIMENSIONS,
    ITEM_DIMENSIONS,
    LEG_ITEM_DIMENSIONS,
    MONTH_DIMENSIONS,
    RATING_DIMENSIONS,
    RATING_MEASURES,
    AssistanceCount,
    CaseCount,
    CaseFact,
    CaseFlowCount,
    CaseItemCount,
    CaseLegItemCount,
    CaseMonthCount,
    ConsultationCount,
    ConsultationFact,
    Cursor,
    HallBookingCount,
    HallQueueCount,
    RatingCount,
    RatingFact,
)

log = logging.getLogger(__name__)

DEFAULT_BATCH = 5000  # SQLite: the Python fold, a short write lock per batch
# PostgreSQL: the set-based fold, cheaper per event in larger batches (a count key that
# recurs is updated once per batch; ADR 0129 measured 20,000, 100,000 and 250,000)
PG_BATCH = 250_000


def default_batch() -> int:
    return PG_BATCH if connection.vendor == "postgresql" else DEFAULT_BATCH


# ids this far below the watermark that are still missing are given up on (rolled back)
MAX_TRACKED_GAP = 10_000

Key = tuple[Any, ...]
Deltas = dict[Key, list[int]]


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_month(at: dt.datetime) -> dt.date:
    return at.astimezone(_zone()).date().replace(day=1)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def _gap_grace_seconds() -> int:
    return int(getattr(settings, "TONGBAN_STATS_GAP_GRACE_SECONDS", 600))


# -- additive upserts -----------------------------------------------------------------


def _column_types(model: type[models.Model], columns: Sequence[str]) -> list[str]:
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [str(by_column[c].db_type(connection)) for c in columns]


def upsert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    conflict: Sequence[str],
    updates: str,
    rows: Sequence[Sequence[Any]],
) -> None:
    """INSERT … ON CONFLICT (conflict) DO UPDATE SET updates, for many rows. On PostgreSQL
    one statement per batch whose parameters are one array per column (unnest): a short
    query, one plan, one round trip. Elsewhere (SQLite) one execution per row."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(c) for c in columns)
    tail = f"ON CONFLICT ({', '.join(qn(c) for c in conflict)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in _column_types(model, columns))
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {tail}",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders}) {tail}"
            for start in range(0, len(rows), 1000):
                cursor.executemany(sql, rows[start : start + 1000])


def delete_empty(
    model: type[models.Model], dimensions: Sequence[str], first: str, keys: list[Key]
) -> None:
    """Drop the rows of `keys` whose first measure fell to zero."""
    if not keys:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in _column_types(model, dimensions))
            names = ", ".join(qn(d) for d in dimensions)
            match = " AND ".join(f"t.{qn(d)} = k.{qn(d)}" for d in dimensions)
            cursor.execute(
                f"DELETE FROM {table} t USING unnest({arrays}) AS k({names}) "
                f"WHERE {match} AND t.{qn(first)} = 0",
                [list(column) for column in zip(*keys, strict=True)],
            )
        else:
            where = " AND ".join(f"{qn(d)} = %s" for d in dimensions)
            cursor.executemany(
                f"DELETE FROM {table} WHERE {where} AND {qn(first)} = 0", [list(k) for k in keys]
            )


def apply_deltas(
    model: type[models.Model],
    dimensions: Sequence[str],
    measures: Sequence[str],
    deltas: Deltas,
) -> int:
    """INSERT ... ON CONFLICT (dimensions) DO UPDATE SET m = m + excluded.m, for every key
    whose delta is not all zero; then drop the rows of keys that lost contributions and
    now count nothing. Same SQL on PostgreSQL and SQLite (>= 3.24); each key appears
    once in `deltas`, so a multi-row statement never touches a row twice."""
    rows = [key + tuple(values) for key, values in deltas.items() if any(values)]
    if not rows:
        return 0
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    updates = ", ".join(f"{qn(m)} = {table}.{qn(m)} + excluded.{qn(m)}" for m in measures)
    upsert_rows(model, [*dimensions, *measures], dimensions, updates, rows)
    shrunk = [key for key, values in deltas.items() if values[0] < 0]
    delete_empty(model, dimensions, measures[0], shrunk)
    return len(rows)


# CaseCount summed over fewer dimensions (ADR 0080); CaseLegItemCount is apart (a key of
# CaseCount goes to one row per place of the case)
ROLLUPS: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (CaseFlowCount, FLOW_DIMENSIONS),
    (CaseItemCount, ITEM_DIMENSIONS),
    (CaseMonthCount, MONTH_DIMENSIONS),
)


def project(deltas: Deltas, dimensions: Sequence[str], onto: Sequence[str]) -> Deltas:
    """The same deltas keyed by fewer dimensions (for the roll-up tables)."""
    index = [dimensions.index(d) for d in onto]
    out: Deltas = {}
    for key, values in deltas.items():
        short = tuple(key[i] for i in index)
        bucket = out.get(short)
        if bucket is None:
            out[short] = list(values)
        else:
            for i, v in enumerate(values):
                bucket[i] += v
    return out


_R, _H = CASE_DIMENSIONS.index("receiving_id"), CASE_DIMENSIONS.index("handling_id")
_LEG_REST = [
    CASE_DIMENSIONS.index(d)
    for d in ("item_id", "department_kind", "mode", "channel", "status", "high_frequency")
]


def project_legs(deltas: Deltas) -> Deltas:
    """CaseCount deltas onto CaseLegItemCount: each key once for its receiving place and
    once for its handling place (once as `both` when they are the same place; an online
    case has no receiving place)."""
    out: Deltas = {}
    for key, values in deltas.items():
        rest = tuple(key[i] for i in _LEG_REST)
        receiving, handling = key[_R], key[_H]
        if receiving == handling:
            targets = [(handling, "both")]
        else:
            targets = [(handling, "handling")] + ([(receiving, "receiving")] if receiving else [])
        for jurisdiction, leg in targets:
            _add(out, (key[0], jurisdiction, leg, *rest), values, 1)
    return out


def _add(deltas: Deltas, key: Key, values: Sequence[int], sign: int) -> None:
    bucket = deltas.get(key)
    if bucket is None:
        bucket = deltas[key] = [0] * len(values)
    for i, v in enumerate(values):
        bucket[i] += sign * v


# -- cases ------------------------------------------------------------------------------
# The hot path (the job must take in 1,000,000 case events in under a minute): plain SQL
# and dicts instead of model instances, which cost more than the database work.

FACT_COLUMNS = (
    "case_id",
    "month",
    "receiving_id",
    "handling_id",
    "item_id",
    "agreement_id",
    "department_kind",
    "mode",
    "channel",
    "high_frequency",
    "is_part",
    "status",
    "last_seq",
    "received_at",
    "transferred_at",
    "accepted_at",
    "decided_at",
    "delivered_at",
    "completed_at",
    "due_date",
)
_DATETIMES = (
    "received_at",
    "transferred_at",
    "accepted_at",
    "decided_at",
    "delivered_at",
    "completed_at",
)
_IN_CHUNK = 900  # ids per IN (...) list: below SQLite's old 999-variable limit

Fact = dict[str, Any]


def as_datetime(value: Any) -> dt.datetime | None:
    """A timestamp read with a raw cursor: aware on PostgreSQL, naive UTC (or text) on
    SQLite."""
    if value is None or (isinstance(value, dt.datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _select_in(sql: str, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """Run `sql` (with one `{ids}` placeholder for an IN list) over `ids` in chunks."""
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = list(ids[start : start + _IN_CHUNK])
            cursor.execute(sql.format(ids=", ".join(["%s"] * len(chunk))), chunk)
            rows.extend(cursor.fetchall())
    return rows


def case_contribution(fact: Fact) -> tuple[Key, list[int]]:
    key = (
        fact["month"],
        fact["receiving_id"],
        fact["handling_id"],
        fact["item_id"],
        fact["agreement_id"],
        fact["department_kind"],
        fact["mode"],
        fact["channel"],
        fact["status"],
        fact["high_frequency"],
    )
    decided_at = fact["decided_at"]
    due = fact["due_date"]
    on_time = (
        decided_at is not None and due is not None and decided_at.astimezone(_zone()).date() <= due
    )
    received = fact["received_at"]
    transferred = fact["transferred_at"]
    accepted = fact["accepted_at"]
    completed = fact["completed_at"]
    legs = (
        _seconds(received, transferred),
        _seconds(received if fact["mode"] == "online" else transferred, accepted),
        _seconds(accepted, decided_at),
        _seconds(decided_at, fact["delivered_at"] or completed),
        _seconds(received, completed),
    )
    values = [1, int(decided_at is not None), int(on_time), int(fact["status"] == "completed")]
    for seconds in legs:
        values += (0, 0) if seconds is None else (1, seconds)
    return key, values


def _earliest(current: dt.datetime | None, at: dt.datetime) -> dt.datetime:
    return at if current is None or at < current else current


_FIRST_OF = {
    "transfer": "transferred_at",
    "accept": "accepted_at",
    "accept_with_commitment": "accepted_at",
    "approve": "decided_at",
    "deny": "decided_at",
    "complete": "completed_at",
}


def fold_case_event(fact: Fact, seq: int, action: str, to_status: str, at: dt.datetime) -> None:
    """Order-independent: timestamps keep the earliest, the status follows the highest
    seq, so an event seen late (a gap filled) folds in the same way."""
    if seq >= fact["last_seq"]:
        fact["last_seq"] = seq
        fact["status"] = to_status
    column = _FIRST_OF.get(action)
    if column is not None:
        fact[column] = _earliest(fact[column], at)
    if to_status == "delivered":
        fact["delivered_at"] = _earliest(fact["delivered_at"], at)


def _case_static_sql() -> str:
    case = Case._meta.db_table
    item = ServiceItem._meta.db_table
    return (
        "SELECT c.id, c.received_at, c.receiving_jurisdiction_id, c.handling_jurisdiction_id, "
        "c.item_id, c.agreement_id, c.mode, c.channel, c.parent_id, c.due_date, "
        f"i.high_frequency, i.department_kind FROM {case} c JOIN {item} i ON i.id = c.item_id "
        "WHERE c.id IN ({ids})"
    )


def _load_facts(ids: Sequence[int]) -> dict[int, Fact]:
    table = CaseFact._meta.db_table
    columns = ", ".join(FACT_COLUMNS)
    facts: dict[int, Fact] = {}
    for row in _select_in(f"SELECT {columns} FROM {table} WHERE case_id IN ({{ids}})", ids):
        fact = dict(zip(FACT_COLUMNS, row, strict=True))
        for name in _DATETIMES:
            fact[name] = as_datetime(fact[name])
        fact["month"] = as_date(fact["month"])
        fact["due_date"] = as_date(fact["due_date"])
        fact["high_frequency"] = bool(fact["high_frequency"])
        fact["is_part"] = bool(fact["is_part"])
        facts[fact["case_id"]] = fact
    return facts


def _save_facts(facts: Iterable[Fact]) -> None:
    ops = connection.ops
    updates = ", ".join(f"{c} = excluded.{c}" for c in FACT_COLUMNS[1:])
    rows = []
    for fact in facts:
        row = []
        for name in FACT_COLUMNS:
            value = fact[name]
            if name in _DATETIMES:
                value = ops.adapt_datetimefield_value(value)
            elif name in ("month", "due_date"):
                value = ops.adapt_datefield_value(value)
            row.append(value)
        rows.append(row)
    upsert_rows(CaseFact, FACT_COLUMNS, ["case_id"], updates, rows)


def process_case_events(events: list[tuple[Any, ...]]) -> None:
    """`events`: (id, case_id, seq, action, to_status, at) rows. On PostgreSQL the fold
    runs in the database (process_case_events_sql) and the rows are (id,) only; elsewhere
    in Python, here."""
    if connection.vendor == "postgresql":
        process_case_events_sql([e[0] for e in events])
        return
    by_case: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for e in events:
        by_case[e[1]].append(e)
    ids = sorted(by_case)
    facts = _load_facts(ids)
    statics = {row[0]: row for row in _select_in(_case_static_sql(), ids)}
    deltas: Deltas = {}
    for case_id, case_events in by_case.items():
        (
            _,
            received_at,
            receiving_id,
            handling_id,
            item_id,
            agreement_id,
            mode,
            channel,
            parent_id,
            due_date,
            high_frequency,
            department_kind,
        ) = statics[case_id]
        fact = facts.get(case_id)
        if fact is None:
            fact = dict.fromkeys(FACT_COLUMNS)
            fact.update(case_id=case_id, status="", last_seq=0)
            facts[case_id] = fact
        elif not fact["is_part"]:
            _add(deltas, *case_contribution(fact), -1)
        received = as_datetime(received_at)
        assert received is not None
        fact.update(
            month=local_month(received),
            received_at=received,
            receiving_id=receiving_id or 0,
            handling_id=handling_id,
            item_id=item_id,
            agreement_id=agreement_id or 0,
            mode=mode,
            channel=channel,
            is_part=parent_id is not None,
            due_date=as_date(due_date),
            high_frequency=bool(high_frequency),
            department_kind=department_kind,
        )
        for _, _, seq, action, to_status, at in case_events:
            fold_case_event(fact, seq, action, to_status, as_datetime(at))  # type: ignore[arg-type]
        if not fact["is_part"]:
            _add(deltas, *case_contribution(fact), 1)
    _save_facts(facts[i] for i in by_case)
    apply_case_deltas(deltas)


def apply_case_deltas(deltas: Deltas) -> None:
    """CaseCount and its roll-ups (ROLLUPS, CaseLegItemCount) move together."""
    apply_deltas(CaseCount, CASE_DIMENSIONS, CASE_MEASURES, deltas)
    for model, onto in ROLLUPS:
        apply_deltas(model, onto, CASE_MEASURES, project(deltas, CASE_DIMENSIONS, onto))
    apply_deltas(CaseLegItemCount, LEG_ITEM_DIMENSIONS, CASE_MEASURES, project_legs(deltas))


# -- the same fold, set-based, for PostgreSQL ---------------------------------------------
# One batch = a handful of statements over temporary tables instead of a Python loop over
# cases: the events of the batch grouped by case (earliest time of each milestone, status
# of the highest seq), merged with the case's fact as fold_case_event does, the old and
# new contributions of case_contribution as signed rows, and every count table updated
# from them with one INSERT … SELECT … GROUP BY … ON CONFLICT each. The property tests
# (tests/test_refresh.py) run this path when DATABASE_URL points at PostgreSQL.


def _leg_sql(start: str, end: str) -> tuple[str, str]:
    both = f"{start} IS NOT NULL AND {end} IS NOT NULL"
    return (
        f"({both})::int",
        f"CASE WHEN {both} THEN greatest(0, trunc(extract(epoch FROM {end} - {start})))"
        f" ELSE 0 END::bigint",
    )


def _contribution_sql(alias: str) -> str:
    """case_contribution's measures for one fact row, as SQL expressions."""
    a = alias
    legs = [
        _leg_sql(f"{a}.received_at", f"{a}.transferred_at"),
        _leg_sql(
            f"CASE WHEN {a}.mode = 'online' THEN {a}.received_at ELSE {a}.transferred_at END",
            f"{a}.accepted_at",
        ),
        _leg_sql(f"{a}.accepted_at", f"{a}.decided_at"),
        _leg_sql(f"{a}.decided_at", f"coalesce({a}.delivered_at, {a}.completed_at)"),
        _leg_sql(f"{a}.received_at", f"{a}.completed_at"),
    ]
    values = [
        "1",
        f"({a}.decided_at IS NOT NULL)::int",
        f"({a}.decided_at IS NOT NULL AND {a}.due_date IS NOT NULL"
        f" AND ({a}.decided_at AT TIME ZONE %(tz)s)::date <= {a}.due_date)::int",
        f"({a}.status = 'completed')::int",
        *[v for pair in legs for v in pair],
    ]
    return ", ".join(f"{v} AS {m}" for v, m in zip(values, CASE_MEASURES, strict=True))


def _apply_contributions(
    model: type[models.Model], dimensions: Sequence[str], source: str, select: str
) -> None:
    """Sum the signed measures in `source` (stats_delta's columns) by `dimensions` (each
    given by `select`) into `model`, then drop its rows of keys that lost a contribution
    (`shrunk`) and now count nothing."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    keys = ", ".join(qn(d) for d in dimensions)
    sums = ", ".join(f"sum({m})" for m in CASE_MEASURES)
    nonzero = " OR ".join(f"sum({m}) <> 0" for m in CASE_MEASURES)
    updates = ", ".join(f"{qn(m)} = {table}.{qn(m)} + excluded.{qn(m)}" for m in CASE_MEASURES)
    match = " AND ".join(f"t.{qn(d)} = k.{qn(d)}" for d in dimensions)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({keys}, {', '.join(CASE_MEASURES)}) "
            f"SELECT {keys}, {sums} FROM (SELECT {select}, {', '.join(CASE_MEASURES)} "
            f"FROM {source}) x GROUP BY {keys} HAVING {nonzero} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )
        cursor.execute(
            f"DELETE FROM {table} t USING (SELECT DISTINCT {select} FROM {source} "
            f"WHERE shrunk) k WHERE {match} AND t.cases = 0"
        )


def process_case_events_sql(event_ids: Sequence[int]) -> None:
    if not event_ids:
        return
    qn = connection.ops.quote_name
    fact = qn(CaseFact._meta.db_table)
    params: dict[str, Any] = {
        "ids": list(event_ids),
        "low": min(event_ids),
        "high": max(event_ids),
        "tz": settings.TIME_ZONE,
    }
    milestones = {
        "transferred_at": "action = 'transfer'",
        "accepted_at": "action IN ('accept', 'accept_with_commitment')",
        "decided_at": "action IN ('approve', 'deny')",
        "delivered_at": "to_status = 'delivered'",
        "completed_at": "action = 'complete'",
    }
    firsts = ", ".join(
        f"min(at) FILTER (WHERE {cond}) AS {col}" for col, cond in milestones.items()
    )
    merged = ", ".join(f"least(f.{col}, ev.{col}) AS {col}" for col in milestones)
    dims = ", ".join(CASE_DIMENSIONS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS stats_batch, stats_new_fact, stats_delta")
        # the sort of a batch's events by case fits in memory instead of spilling to disk
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # the batch's events by case, apart and ANALYZEd: with `id = ANY(…)` alone the
        # planner walked the whole event table in case_id order, and with a guessed number
        # of cases it seq-scanned cases_case; bounded by the id range and counted exactly,
        # it reads the batch's events by primary key and each case and fact by key
        cursor.execute(
            f"""
            CREATE TEMP TABLE stats_batch ON COMMIT DROP AS
            SELECT case_id, max(seq) AS max_seq,
                   (array_agg(to_status ORDER BY seq DESC))[1] AS last_status, {firsts}
            FROM unnest(%(ids)s::bigint[]) AS b(id) JOIN {qn(CaseEvent._meta.db_table)} e
                 ON e.id = b.id AND e.id BETWEEN %(low)s AND %(high)s
            GROUP BY case_id
            """,
            params,
        )
        cursor.execute("ANALYZE stats_batch")
        # a batch touches a few percent of the cases at most: look their case rows and
        # facts up by key (cost ∝ batch) rather than hash-join a seq scan of both tables
        # (cost ∝ table), which the planner prefers from ≈ 10,000 cases on (ADR 0129)
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(
            f"""
            CREATE TEMP TABLE stats_new_fact ON COMMIT DROP AS
            SELECT c.id AS case_id,
                   date_trunc('month', c.received_at AT TIME ZONE %(tz)s)::date AS month,
                   coalesce(c.receiving_jurisdiction_id, 0) AS receiving_id,
                   c.handling_jurisdiction_id AS handling_id, c.item_id,
                   coalesce(c.agreement_id, 0) AS agreement_id, i.department_kind, c.mode,
                   c.channel, i.high_frequency, c.parent_id IS NOT NULL AS is_part,
                   CASE WHEN f.case_id IS NULL OR ev.max_seq >= f.last_seq
                        THEN ev.last_status ELSE f.status END AS status,
                   greatest(ev.max_seq, coalesce(f.last_seq, 0)) AS last_seq,
                   c.received_at, {merged}, c.due_date
            FROM stats_batch ev
            JOIN {qn(Case._meta.db_table)} c ON c.id = ev.case_id
            JOIN {qn(ServiceItem._meta.db_table)} i ON i.id = c.item_id
            LEFT JOIN {fact} f ON f.case_id = ev.case_id
            """,
            params,
        )
        cursor.execute("ANALYZE stats_new_fact")
        # the batch's change of every CaseCount key, summed once: the old contributions of
        # the facts it touches taken back, the new ones added; every count table is a
        # projection of these few rows (`shrunk`: the key lost a contribution)
        signed = ", ".join(f"sum(sign * {m}) AS {m}" for m in CASE_MEASURES)
        cursor.execute(
            f"""
            CREATE TEMP TABLE stats_delta ON COMMIT DROP AS
            SELECT {dims}, {signed}, bool_or(sign < 0) AS shrunk FROM (
                SELECT -1 AS sign, {", ".join(f"f.{d}" for d in CASE_DIMENSIONS)},
                       {_contribution_sql("f")}
                FROM {fact} f JOIN stats_new_fact n ON n.case_id = f.case_id
                WHERE NOT f.is_part
                UNION ALL
                SELECT 1, {", ".join(f"n.{d}" for d in CASE_DIMENSIONS)},
                       {_contribution_sql("n")}
                FROM stats_new_fact n WHERE NOT n.is_part
            ) contribution GROUP BY {dims}
            """,
            params,
        )
        cursor.execute("ANALYZE stats_delta")
        cursor.execute("RESET enable_hashjoin")
        cursor.execute("RESET enable_mergejoin")
        updates = ", ".join(f"{c} = excluded.{c}" for c in FACT_COLUMNS[1:])
        cursor.execute(
            f"INSERT INTO {fact} ({', '.join(FACT_COLUMNS)}) "
            f"SELECT {', '.join(FACT_COLUMNS)} FROM stats_new_fact "
            f"ON CONFLICT (case_id) DO UPDATE SET {updates}"
        )
    source = "stats_delta"
    _apply_contributions(CaseCount, CASE_DIMENSIONS, source, dims)
    for model, onto in ROLLUPS:
        _apply_contributions(model, onto, source, ", ".join(onto))
    rest = "item_id, department_kind, mode, channel, status, high_frequency"
    measures = ", ".join(CASE_MEASURES)
    legs = (
        f"(SELECT shrunk, month, handling_id AS jurisdiction_id, CASE WHEN receiving_id = "
        f"handling_id THEN 'both' ELSE 'handling' END AS leg, {rest}, {measures} FROM {source} "
        f"UNION ALL SELECT shrunk, month, receiving_id, 'receiving', {rest}, {measures} "
        f"FROM {source} WHERE receiving_id <> 0 AND receiving_id <> handling_id) legs"
    )
    _apply_contributions(
        CaseLegItemCount, LEG_ITEM_DIMENSIONS, legs, ", ".join(LEG_ITEM_DIMENSIONS)
    )


# -- consultations ----------------------------------------------------------------------


def consultation_contribution(fact: ConsultationFact) -> tuple[Key, list[int]]:
    key = (
        fact.month,
        fact.jurisdiction_id,
        fact.forwarded_to_id,
        fact.item_id,
        fact.high_frequency,
        fact.channel,
        fact.status,
    )
    return key, [1, int(fact.forwarded_to_id != 0), int(fact.answered), fact.answer_s]


def process_consultation_events(events: list[tuple[Any, ...]]) -> None:
    ids = sorted({e[1] for e in events})
    facts = ConsultationFact.objects.in_bulk(ids)
    rows = Consultation.objects.filter(pk__in=ids).values(
        "id",
        "asked_at",
        "jurisdiction_id",
        "forwarded_to_id",
        "item_id",
        "item__high_frequency",
        "channel",
        "status",
        "answered_at",
    )
    changed = []
    for r in rows:
        answer_s = _seconds(r["asked_at"], r["answered_at"])
        fact = ConsultationFact(
            consultation_id=r["id"],
            month=local_month(r["asked_at"]),
            jurisdiction_id=r["jurisdiction_id"],
            forwarded_to_id=r["forwarded_to_id"] or 0,
            item_id=r["item_id"] or 0,
            high_frequency=bool(r["item__high_frequency"]),
            channel=r["channel"],
            status=r["status"],
            answered=answer_s is not None,
            answer_s=answer_s or 0,
        )
        changed.append(fact)
    _replace_facts(
        "consultation",
        facts,
        changed,
        consultation_contribution,
        (ConsultationCount, CONSULTATION_DIMENSIONS, CONSULTATION_MEASURES),
    )


def _replace_facts(
    parent: str,
    old_facts: dict[int, Any],
    new_facts: list[Any],
    contribution: Callable[[Any], tuple[Key, list[int]]],
    counts: tuple[type[models.Model], Sequence[str], Sequence[str]],
) -> None:
    """Store each row's new fact (one per `parent`) over its old one, and move the counts
    (model, dimensions, measures) by the difference: the old contribution taken back, the
    new one added."""
    deltas: Deltas = {}
    for fact in new_facts:
        old = old_facts.get(getattr(fact, f"{parent}_id"))
        if old is not None:
            _add(deltas, *contribution(old), -1)
        _add(deltas, *contribution(fact), 1)
    if new_facts:
        model = type(new_facts[0])
        model.objects.bulk_create(
            new_facts,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=[parent],
            update_fields=[f.name for f in model._meta.concrete_fields if not f.primary_key],
        )
    apply_deltas(*counts, deltas)


# -- ratings ----------------------------------------------------------------------------


def rating_contribution(fact: RatingFact) -> tuple[Key, list[int]]:
    key = (
        fact.month,
        fact.receiving_id,
        fact.handling_id,
        fact.target_id,
        fact.item_id,
        fact.agreement_id,
        fact.channel_kind,
        fact.level,
        fact.status,
        fact.task_status,
    )
    return key, [1]


def process_rating_events(events: list[tuple[Any, ...]]) -> None:
    ids = sorted({e[1] for e in events})
    facts = RatingFact.objects.in_bulk(ids)
    rows = Rating.objects.filter(pk__in=ids).values(
        "id",
        "rated_at",
        "case_id",
        "case__receiving_jurisdiction_id",
        "case__handling_jurisdiction_id",
        "target_jurisdiction_id",
        "case__item_id",
        "case__agreement_id",
        "consultation__jurisdiction_id",
        "consultation__forwarded_to_id",
        "consultation__item_id",
        "channel_kind",
        "level",
        "status",
        "rectification__status",
    )
    changed = []
    for r in rows:
        # a consultation's legs are like its ConsultationCount's: "receiving" = the owner
        # (首问), "handling" = the jurisdiction it was forwarded to (0 when none)
        on_case = r["case_id"] is not None
        fact = RatingFact(
            rating_id=r["id"],
            month=local_month(r["rated_at"]),
            receiving_id=(
                r["case__receiving_jurisdiction_id"]
                if on_case
                else r["consultation__jurisdiction_id"]
            )
            or 0,
            handling_id=(
                r["case__handling_jurisdiction_id"]
                if on_case
                else r["consultation__forwarded_to_id"]
            )
            or 0,
            target_id=r["target_jurisdiction_id"],
            item_id=(r["case__item_id"] if on_case else r["consultation__item_id"]) or 0,
            agreement_id=r["case__agreement_id"] or 0,
            channel_kind=r["channel_kind"],
            level=r["level"],
            status=r["status"],
            task_status=r["rectification__status"] or "",
        )
        changed.append(fact)
    _replace_facts(
        "rating",
        facts,
        changed,
        rating_contribution,
        (RatingCount, RATING_DIMENSIONS, RATING_MEASURES),
    )


# -- 帮办代办 ------------------------------------------------------------------------------


def assistance_contribution(r: Any) -> tuple[Key, list[int]]:
    key = (
        local_month(r["recorded_at"]),
        r["jurisdiction_id"],
        r["case__handling_jurisdiction_id"],
        r["case__item_id"],
        r["role"],
        r["consent_method"],
    )
    steps = set(r["steps"] or ())
    return key, [1, *(int(step in steps) for step in ASSISTANCE_STEPS)]


def process_assistance_records(events: list[tuple[Any, ...]]) -> None:
    """Each record is counted once, when its id is first read (records are append-only, so
    there is no old contribution to take back)."""
    ids = sorted({e[0] for e in events})
    rows = AssistanceRecord.objects.filter(pk__in=ids).values(
        "recorded_at",
        "jurisdiction_id",
        "case__handling_jurisdiction_id",
        "case__item_id",
        "role",
        "consent_method",
        "steps",
    )
    deltas: Deltas = {}
    for r in rows:
        _add(deltas, *assistance_contribution(r), 1)
    apply_deltas(AssistanceCount, ASSISTANCE_DIMENSIONS, ASSISTANCE_MEASURES, deltas)


# -- the job ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    events: type[models.Model]
    fields: tuple[str, ...]
    process: Callable[[list[tuple[Any, ...]]], None]
    # the fields `process` needs on PostgreSQL, when its set-based fold reads the rest
    # itself (not turning 1,000,000 timestamps into Python objects saves seconds)
    pg_fields: tuple[str, ...] | None = None

    def read_fields(self) -> tuple[str, ...]:
        if self.pg_fields is not None and connection.vendor == "postgresql":
            return self.pg_fields
        return self.fields


SOURCES: tuple[Source, ...] = (
    Source(
        "case_events",
        "办件记录",
        CaseEvent,
        ("id", "case_id", "seq", "action", "to_status", "at"),
        process_case_events,
        pg_fields=("id",),
    ),
    Source(
        "consultation_events",
        "咨询记录",
        ConsultationEvent,
        ("id", "consultation_id"),
        process_consultation_events,
    ),
    Source("rating_events", "评价记录", RatingEvent, ("id", "rating_id"), process_rating_events),
    Source(
        "assistance_records",
        "帮办代办记录",
        AssistanceRecord,
        ("id",),
        process_assistance_records,
    ),
    # the hall's tickets and appointments, through their audit rows (stats/hall.py)
    Source(
        "hall_audit",
        "大厅预约与排队记录",
        AuditEvent,
        ("id", "action", "object_type", "object_id"),
        process_hall_audit,
    ),
)


@dataclass
class StepResult:
    events: int = 0
    late: int = 0
    last_id: int = 0


def _fetch(source: Source, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    table = source.events._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(source.read_fields())} FROM {table} WHERE {where}", params
        )
        return cursor.fetchall()


def _step(source: Source, batch: int, now: float) -> StepResult:
    Cursor.objects.get_or_create(name=source.name)
    with transaction.atomic():
        cursor = Cursor.objects.select_for_update().get(name=source.name)
        fresh = _fetch(source, "id > %s ORDER BY id LIMIT %s", [cursor.last_id, batch])
        pending: dict[str, float] = dict(cursor.pending or {})
        late: list[tuple[Any, ...]] = []
        if pending:
            table = source.events._meta.db_table
            late = _select_in(
                f"SELECT {', '.join(source.read_fields())} FROM {table} WHERE id IN ({{ids}})",
                sorted(int(k) for k in pending),
            )
            for e in late:
                pending.pop(str(e[0]), None)
            grace = _gap_grace_seconds()
            pending = {k: v for k, v in pending.items() if now - v < grace}
        if fresh:
            seen = {e[0] for e in fresh}
            low = cursor.last_id + 1 if cursor.last_id else min(seen)
            high = max(seen)
            missing = high - low + 1 - len(seen)
            if missing > MAX_TRACKED_GAP:
                log.warning("%s: %d ids missing below %d, not tracked", source.name, missing, high)
            elif missing:
                for i in range(low, high + 1):
                    if i not in seen:
                        pending[str(i)] = now
            cursor.last_id = high
        if fresh or late:
            source.process(fresh + late)
        cursor.pending = pending
        cursor.save()
    return StepResult(len(fresh), len(late), cursor.last_id)


def refresh(
    batch: int | None = None,
    progress: Callable[[str, StepResult, int], None] | None = None,
    sources: Iterable[Source] = SOURCES,
) -> dict[str, int]:
    """Fold every new event into the facts and counts. Returns events processed per
    source. `progress(source label, step, total so far)` is called after every batch.
    `batch`: events per transaction (default: default_batch())."""
    batch = batch or default_batch()
    done: dict[str, int] = {}
    for source in sources:
        total = 0
        while True:
            step = _step(source, batch, time.time())
            total += step.events + step.late
            if progress is not None and (step.events or step.late):
                progress(source.label, step, total)
            if step.events < batch:
                break
        done[source.name] = total
    return done


def rebuild(
    batch: int | None = None,
    progress: Callable[[str, StepResult, int], None] | None = None,
) -> dict[str, int]:
    """Empty every fact and count table and fold all events again from id 0."""
    with transaction.atomic():
        for model in (
            CaseCount,
            CaseFlowCount,
            CaseItemCount,
            CaseLegItemCount,
            CaseMonthCount,
            CaseFact,
            ConsultationCount,
            ConsultationFact,
            RatingCount,
            RatingFact,
            AssistanceCount,
            HallQueueCount,
            HallBookingCount,
            Cursor,
        ):
            model._default_manager.all().delete()
    return refresh(batch=batch, progress=progress)
