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

from tongban.cases.models import Case, CaseEvent
from tongban.catalog.models import ServiceItem
from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.ratings.models import Rating, RatingEvent
from tongban.stats.models import (
    CASE_DIMENSIONS,
    CASE_MEASURES,
    CONSULTATION_DIMENSIONS,
    CONSULTATION_MEASURES,
    FLOW_DIMENSIONS,
    ITEM_DIMENSIONS,
    RATING_DIMENSIONS,
    RATING_MEASURES,
    CaseCount,
    CaseFact,
    CaseFlowCount,
    CaseItemCount,
    ConsultationCount,
    ConsultationFact,
    Cursor,
    RatingCount,
    RatingFact,
)

log = logging.getLogger(__name__)

DEFAULT_BATCH = 5000
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


def apply_deltas(
    model: type[models.Model],
    dimensions: Sequence[str],
    measures: Sequence[str],
    deltas: Deltas,
) -> int:
    """INSERT ... ON CONFLICT (dimensions) DO UPDATE SET m = m + excluded.m, for every key
    whose delta is not all zero; then drop the rows of keys that lost contributions and
    now count nothing. Same SQL on PostgreSQL and SQLite (>= 3.24)."""
    rows = [key + tuple(values) for key, values in deltas.items() if any(values)]
    if not rows:
        return 0
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = [*dimensions, *measures]
    placeholders = ", ".join(["%s"] * len(columns))
    updates = ", ".join(f"{qn(m)} = {table}.{qn(m)} + excluded.{qn(m)}" for m in measures)
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(qn(d) for d in dimensions)}) DO UPDATE SET {updates}"
    )
    first = measures[0]
    shrunk = [key for key, values in deltas.items() if values[0] < 0]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[start : start + 1000])
        if shrunk:
            where = " AND ".join(f"{qn(d)} = %s" for d in dimensions)
            cursor.executemany(
                f"DELETE FROM {table} WHERE {where} AND {qn(first)} = 0", [list(k) for k in shrunk]
            )
    return len(rows)


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
    table = CaseFact._meta.db_table
    updates = ", ".join(f"{c} = excluded.{c}" for c in FACT_COLUMNS[1:])
    sql = (
        f"INSERT INTO {table} ({', '.join(FACT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(FACT_COLUMNS))}) "
        f"ON CONFLICT (case_id) DO UPDATE SET {updates}"
    )
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
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[start : start + 1000])


def process_case_events(events: list[tuple[Any, ...]]) -> None:
    """`events`: (id, case_id, seq, action, to_status, at) rows."""
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
    """CaseCount and its roll-ups (CaseFlowCount, CaseItemCount) move together."""
    apply_deltas(CaseCount, CASE_DIMENSIONS, CASE_MEASURES, deltas)
    for model, onto in ((CaseFlowCount, FLOW_DIMENSIONS), (CaseItemCount, ITEM_DIMENSIONS)):
        apply_deltas(model, onto, CASE_MEASURES, project(deltas, CASE_DIMENSIONS, onto))


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
    deltas: Deltas = {}
    changed = []
    for r in rows:
        old = facts.get(r["id"])
        if old is not None:
            _add(deltas, *consultation_contribution(old), -1)
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
        _add(deltas, *consultation_contribution(fact), 1)
        changed.append(fact)
    ConsultationFact.objects.bulk_create(
        changed,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["consultation"],
        update_fields=[f.name for f in ConsultationFact._meta.concrete_fields if not f.primary_key],
    )
    apply_deltas(ConsultationCount, CONSULTATION_DIMENSIONS, CONSULTATION_MEASURES, deltas)


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
        "case__receiving_jurisdiction_id",
        "case__handling_jurisdiction_id",
        "target_jurisdiction_id",
        "case__item_id",
        "case__agreement_id",
        "channel_kind",
        "level",
        "status",
        "rectification__status",
    )
    deltas: Deltas = {}
    changed = []
    for r in rows:
        old = facts.get(r["id"])
        if old is not None:
            _add(deltas, *rating_contribution(old), -1)
        fact = RatingFact(
            rating_id=r["id"],
            month=local_month(r["rated_at"]),
            receiving_id=r["case__receiving_jurisdiction_id"] or 0,
            handling_id=r["case__handling_jurisdiction_id"],
            target_id=r["target_jurisdiction_id"],
            item_id=r["case__item_id"],
            agreement_id=r["case__agreement_id"] or 0,
            channel_kind=r["channel_kind"],
            level=r["level"],
            status=r["status"],
            task_status=r["rectification__status"] or "",
        )
        _add(deltas, *rating_contribution(fact), 1)
        changed.append(fact)
    RatingFact.objects.bulk_create(
        changed,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["rating"],
        update_fields=[f.name for f in RatingFact._meta.concrete_fields if not f.primary_key],
    )
    apply_deltas(RatingCount, RATING_DIMENSIONS, RATING_MEASURES, deltas)


# -- the job ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    events: type[models.Model]
    fields: tuple[str, ...]
    process: Callable[[list[tuple[Any, ...]]], None]


SOURCES: tuple[Source, ...] = (
    Source(
        "case_events",
        "办件记录",
        CaseEvent,
        ("id", "case_id", "seq", "action", "to_status", "at"),
        process_case_events,
    ),
    Source(
        "consultation_events",
        "咨询记录",
        ConsultationEvent,
        ("id", "consultation_id"),
        process_consultation_events,
    ),
    Source("rating_events", "评价记录", RatingEvent, ("id", "rating_id"), process_rating_events),
)


@dataclass
class StepResult:
    events: int = 0
    late: int = 0
    last_id: int = 0


def _fetch(source: Source, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    table = source.events._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(source.fields)} FROM {table} WHERE {where}", params)
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
                f"SELECT {', '.join(source.fields)} FROM {table} WHERE id IN ({{ids}})",
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
    batch: int = DEFAULT_BATCH,
    progress: Callable[[str, StepResult, int], None] | None = None,
    sources: Iterable[Source] = SOURCES,
) -> dict[str, int]:
    """Fold every new event into the facts and counts. Returns events processed per
    source. `progress(source label, step, total so far)` is called after every batch."""
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
    batch: int = DEFAULT_BATCH,
    progress: Callable[[str, StepResult, int], None] | None = None,
) -> dict[str, int]:
    """Empty every fact and count table and fold all events again from id 0."""
    with transaction.atomic():
        for model in (
            CaseCount,
            CaseFlowCount,
            CaseItemCount,
            CaseFact,
            ConsultationCount,
            ConsultationFact,
            RatingCount,
            RatingFact,
            Cursor,
        ):
            model._default_manager.all().delete()
    return refresh(batch=batch, progress=progress)
