"""Benchmark of the statistics (issue 5): with N cases (target 10,000,000) every dashboard
query p99 < 100 ms, and the refresh job takes in 1,000,000 new case events in < 60 s.

What it does, on a dedicated PostgreSQL database (default tongban_bench_stats):

1. --prepare: recreate the database, migrate, build the test world, and add the
   dimensions of a province-sized deployment: 48 jurisdictions (the world's five + 43
   synthetic ones), 410 service items (30 of them high-frequency), each jurisdiction with
   8 agreement partners sharing 80 items.
2. --cases N: COPY N cases over the last 36 months into cases_case and, in the same loop,
   their statistics facts into stats_casefact, exactly as the refresh job folds a case's
   events (every path is the transition table's, cases/workflow.py); then the count table
   stats_casecount as one INSERT … SELECT … GROUP BY over the facts (the SQL mirror of
   stats.refresh.case_contribution; `--verify` checks it against the Python fold). The
   historical CaseEvent rows are not written (the refresh job reads only events past its
   watermark, so their number does not change what is measured) and the cases point at
   one item implementation (the statistics never read it).
3. Dashboard: every selector call the /stats/ page makes, timed for a platform admin
   (one year, one month), the supervisor of the busiest and of a median jurisdiction
   (one year) and an agreement page; plus the whole page through Django's test client.
   p50 / p99 over --rounds runs after two warm-ups (p99 of 20 runs is their maximum).
4. Refresh: COPY --events new case events (60 % for new cases walking their whole path,
   40 % one or two steps of open cases), then time `stats.refresh.refresh()`.
5. The yardstick of bench/README.md: a bare Django view doing one ORM INSERT through the
   same test client, for the ratio on another machine.

Figures are printed (and with --json as one object); nothing is asserted.

    .venv/bin/python bench/bench_stats.py --prepare --cases 10000000
    .venv/bin/python bench/bench_stats.py --skip-generate          # re-measure
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import common
from generate_cases import NULL, _columns, _conninfo, _empty_form, _indexes_dropped, _text

DEFAULT_DB = "tongban_bench_stats"
UTC = dt.UTC
LOCAL = dt.timedelta(hours=8)  # Asia/Shanghai
MONTHS = 36
N_JURISDICTIONS = 48
N_ITEMS = 410
HF_ITEMS = 30
PARTNERS = 8
ITEMS_PER_AGREEMENT = 80
ONLINE_SHARE = 0.45
SYN = "BSJ"  # code prefix of the synthetic jurisdictions and items
HOUR = 3600
DAY = 86400

PROXY_PATH = (
    ("check", None, 0.5 * HOUR),
    ("transfer", None, 1 * HOUR),
    ("receive_transfer", None, 1 * DAY),
    ("accept", None, 0.5 * DAY),
    ("approve", None, None),  # review time drawn per case
    ("issue_result", None, 2 * HOUR),
    ("ship", "post", 2 * HOUR),
    ("sign_for", None, 2 * DAY),
    ("complete", None, 1 * HOUR),
)
ONLINE_PATH = (
    ("accept", None, 1 * DAY),
    ("approve", None, None),
    ("issue_result", None, 2 * HOUR),
    ("ship", "electronic", 1 * HOUR),
    ("complete", None, 1 * HOUR),
)
FIRST_OF = {
    "transfer": "transferred_at",
    "accept": "accepted_at",
    "approve": "decided_at",
    "complete": "completed_at",
}


def log(message: str) -> None:
    common.log(message)


# -- the dimensions ------------------------------------------------------------------------


@dataclass
class Dims:
    jurisdictions: list[int]  # ids, busiest first
    jurisdiction_weights: list[float]
    codes: dict[int, str]
    partners: dict[int, list[int]]
    items: list[int]  # ids, most used first
    item_weights: list[float]
    item_info: dict[int, tuple[str, bool]]  # id -> (department kind, high frequency)
    agreement_items: dict[int, list[int]]  # handling id -> items its agreements cover
    agreement_id: int
    implementation_id: int
    applicant_id: int
    clerk_id: int
    online_user_id: int


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return [c / total for c in out]


def build_dimensions(seed: int) -> Dims:
    """The world plus synthetic jurisdictions and items (created once, found again)."""
    from django.db import transaction

    from tongban.accounts.models import Applicant, User
    from tongban.agreements.models import Agreement
    from tongban.catalog.models import ItemImplementation, ServiceItem
    from tongban.regions.models import Jurisdiction

    rng = random.Random(seed)
    world_codes = ["420100Z01", "421102", "420703400", "420205", "420115"]
    with transaction.atomic():
        region = Jurisdiction.objects.get(code="420100Z01").region
        existing = set(
            Jurisdiction.objects.filter(code__startswith=SYN).values_list("code", flat=True)
        )
        Jurisdiction.objects.bulk_create(
            [
                Jurisdiction(
                    code=f"{SYN}{i:03d}",
                    name=f"基准测试管辖地{i:03d}",
                    short_name=f"测{i:03d}",
                    kind="region",
                    region=region,
                )
                for i in range(N_JURISDICTIONS - len(world_codes))
                if f"{SYN}{i:03d}" not in existing
            ]
        )
        kinds = ["public_security", "civil_affairs", "market_regulation", "human_resources",
                 "housing", "taxation", "transport", "health"]  # fmt: skip
        have = set(ServiceItem.objects.filter(code__startswith=SYN).values_list("code", flat=True))
        ServiceItem.objects.bulk_create(
            [
                ServiceItem(
                    code=f"{SYN}-ITEM-{i:04d}",
                    name=f"基准测试事项{i:04d}",
                    item_type="licensing",
                    department_kind=kinds[i % len(kinds)],
                    high_frequency=False,
                )
                for i in range(N_ITEMS - 2)
                if f"{SYN}-ITEM-{i:04d}" not in have
            ]
        )
    # busiest first: 东湖, then the synthetic ones, the world's others in the middle
    jurisdictions = list(Jurisdiction.objects.filter(code__startswith=SYN).order_by("code"))
    world = {j.code: j for j in Jurisdiction.objects.filter(code__in=world_codes)}
    ordered = [
        world["420100Z01"],
        *jurisdictions[:10],
        world["421102"],
        *jurisdictions[10:22],
        world["420205"],
        world["420703400"],
        *jurisdictions[22:],
        world["420115"],
    ]
    j_ids = [j.pk for j in ordered]
    j_weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(j_ids))]
    items = list(ServiceItem.objects.filter(code__startswith=SYN).order_by("code"))
    world_items = list(ServiceItem.objects.filter(code__in=["ITEM-COMPANY", "ITEM-MARRIAGE"]))
    ordered_items = [*world_items, *items]
    i_ids = [i.pk for i in ordered_items]
    i_weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(i_ids))]
    ServiceItem.objects.filter(pk__in=i_ids[:HF_ITEMS]).update(high_frequency=True)
    ServiceItem.objects.filter(pk__in=i_ids[HF_ITEMS:]).update(high_frequency=False)
    info = {
        pk: (kind, pk in set(i_ids[:HF_ITEMS]))
        for pk, kind in ServiceItem.objects.filter(pk__in=i_ids).values_list(
            "pk", "department_kind"
        )
    }
    partners = {}
    agreement_items = {}
    for index, pk in enumerate(j_ids):
        others = [o for o in j_ids if o != pk]
        # neighbours by rank (a circle of nearby places) plus a couple of distant ones
        near = [j_ids[(index + k) % len(j_ids)] for k in (1, 2, 3, -1, -2, -3)]
        partners[pk] = near + rng.sample([o for o in others if o not in near], PARTNERS - 6)
        common_items = i_ids[:40]
        agreement_items[pk] = common_items + rng.sample(i_ids[40:], ITEMS_PER_AGREEMENT - 40)
    agreement = Agreement.objects.get(code="WEHH-2023")
    implementation = ItemImplementation.objects.filter(item__code="ITEM-COMPANY").first()
    assert implementation is not None
    applicant = Applicant.objects.filter(kind="person").order_by("pk").first()
    assert applicant is not None
    return Dims(
        jurisdictions=j_ids,
        jurisdiction_weights=_cumulative(j_weights),
        codes={j.pk: j.code for j in ordered},
        partners=partners,
        items=i_ids,
        item_weights=_cumulative(i_weights),
        item_info=info,
        agreement_items=agreement_items,
        agreement_id=agreement.pk,
        implementation_id=implementation.pk,
        applicant_id=applicant.pk,
        clerk_id=User.objects.get(username="420100Z01-clerk").pk,
        online_user_id=User.objects.get(username="applicant-1").pk,
    )


# -- one case ------------------------------------------------------------------------------


@dataclass
class Step:
    action: str
    source: str
    target: str
    practice_code: int
    at: int  # POSIX seconds


@dataclass
class GenCase:
    receiving: int | None
    handling: int
    item: int
    mode: str
    channel: str
    received: int
    steps: list[Step] = field(default_factory=list)
    due: dt.date | None = None


_PATHS: dict[str, list[tuple[str, str, str, int, float | None]]] = {}


def _paths() -> dict[str, list[tuple[str, str, str, int, float | None]]]:
    """(action, from, to, practice code, delay) along each path, from the transition
    table itself."""
    if not _PATHS:
        from tongban.cases.workflow import SUBMIT_PRACTICE_CODE, find_transition, practice_code_for

        for mode, path, start in (
            ("proxy", PROXY_PATH, "received"),
            ("online", ONLINE_PATH, "pending_acceptance"),
        ):
            status, out, code = start, [], SUBMIT_PRACTICE_CODE
            for action, variant, delay in path:
                t = find_transition(action, status, variant)
                assert t is not None, (action, status)
                code = practice_code_for(t, code)
                out.append((action, status, str(t.target), code, delay))
                status = str(t.target)
            _PATHS[mode] = out
    return _PATHS


class Generator:
    def __init__(self, dims: Dims, seed: int, now: dt.datetime) -> None:
        self.dims = dims
        self.rng = random.Random(seed)
        self.now = int(now.timestamp())
        # 36 months ending with the current one (cut at now), growing over time
        months = [now.date().replace(day=1)]
        while len(months) < MONTHS:
            months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
        self.months = sorted(months)
        self.month_starts = [
            int(dt.datetime(m.year, m.month, 1, tzinfo=UTC).timestamp()) - 8 * HOUR
            for m in self.months
        ]
        self.month_starts.append(self.now - DAY)  # the current month ends yesterday
        elapsed = (self.month_starts[-1] - self.month_starts[-2]) / (30 * DAY)
        weights = [0.6 + 0.8 * i / MONTHS for i in range(MONTHS)]
        weights[-1] *= max(0.0, elapsed)
        self.month_weights = _cumulative(weights)
        self.partner_weights = _cumulative([1.0 / (k + 1) ** 0.7 for k in range(PARTNERS)])
        self.agreement_weights = _cumulative(
            [1.0 / (k + 1) ** 1.05 for k in range(ITEMS_PER_AGREEMENT)]
        )

    def pick(self, cumulative: list[float]) -> int:
        return min(bisect.bisect_left(cumulative, self.rng.random()), len(cumulative) - 1)

    def case(self, received: int | None = None, full: bool = False) -> GenCase:
        rng, d = self.rng, self.dims
        if received is None:
            m = self.pick(self.month_weights)
            start, end = self.month_starts[m], self.month_starts[m + 1]
            day = start + DAY * int(rng.random() * ((end - start) // DAY))
            received = day + int(8.5 * HOUR + rng.random() * 9 * HOUR)
        handling = d.jurisdictions[self.pick(d.jurisdiction_weights)]
        if rng.random() < ONLINE_SHARE:
            mode, receiving = "online", None
            item = d.items[self.pick(d.item_weights)]
            channel = "web" if rng.random() < 0.7 else "app"
        else:
            mode = "proxy"
            receiving = d.partners[handling][self.pick(self.partner_weights)]
            item = d.agreement_items[handling][self.pick(self.agreement_weights)]
            channel = "window" if rng.random() < 0.85 else "terminal"
        case = GenCase(receiving, handling, item, mode, channel, received)
        at = received
        status = "received" if mode == "proxy" else "pending_acceptance"
        withdrawn = rng.random() < 0.02
        for action, source, target, code, delay in _paths()[mode]:
            if withdrawn and action == "accept":
                if at + HOUR <= self.now or full:
                    case.steps.append(Step("withdraw", status, "withdrawn", 14, at + HOUR))
                break
            if delay is None:  # review: 97 % within the promised five working days
                delay = DAY * (rng.uniform(0.5, 6.5) if rng.random() < 0.97 else rng.uniform(8, 15))
            at += int(delay * rng.uniform(0.6, 1.6))
            if at > self.now and not full:
                break
            case.steps.append(Step(action, source, target, code, at))
            if action == "accept":
                local = dt.datetime.fromtimestamp(at, UTC) + LOCAL
                case.due = local.date() + dt.timedelta(days=9)
            status = target
        return case

    def fact(self, case: GenCase) -> dict[str, Any]:
        kind, hf = self.dims.item_info[case.item]
        received = dt.datetime.fromtimestamp(case.received, UTC)
        fact: dict[str, Any] = {
            "month": (received + LOCAL).date().replace(day=1),
            "receiving_id": case.receiving or 0,
            "handling_id": case.handling,
            "item_id": case.item,
            "agreement_id": self.dims.agreement_id if case.receiving else 0,
            "department_kind": kind,
            "mode": case.mode,
            "channel": case.channel,
            "high_frequency": hf,
            "is_part": False,
            "status": case.steps[-1].target if case.steps else _initial(case),
            "last_seq": len(case.steps) + 1,
            "received_at": received,
            "transferred_at": None,
            "accepted_at": None,
            "decided_at": None,
            "delivered_at": None,
            "completed_at": None,
            "due_date": case.due,
        }
        for step in case.steps:
            column = FIRST_OF.get(step.action)
            if column and fact[column] is None:
                fact[column] = dt.datetime.fromtimestamp(step.at, UTC)
            if step.target == "delivered" and fact["delivered_at"] is None:
                fact["delivered_at"] = dt.datetime.fromtimestamp(step.at, UTC)
        return fact


def _initial(case: GenCase) -> str:
    return "received" if case.mode == "proxy" else "pending_acceptance"


def _ts(seconds: int | None) -> str:
    if seconds is None:
        return NULL
    return dt.datetime.fromtimestamp(seconds, UTC).isoformat()


def case_line(case_id: int, case: GenCase, dims: Dims, columns: list[str]) -> str:
    last = case.steps[-1] if case.steps else None
    status = last.target if last else _initial(case)
    accepted = next((s.at for s in case.steps if s.action == "accept"), None)
    decided = next((s.at for s in case.steps if s.action == "approve"), None)
    completed = next((s.at for s in case.steps if s.action == "complete"), None)
    values = {
        "id": str(case_id),
        "number": f"BS-{case_id:010d}",
        "item_id": str(case.item),
        "implementation_id": str(dims.implementation_id),
        "mode": case.mode,
        "channel": case.channel,
        "receiving_jurisdiction_id": _text(case.receiving),
        "receiving_window_id": NULL,
        "handling_jurisdiction_id": str(case.handling),
        "agreement_id": str(dims.agreement_id) if case.receiving else NULL,
        "parent_id": NULL,
        "bundle_id": NULL,
        "joint_parts": "[]",
        "form_data": _empty_form(),
        "applicant_id": str(dims.applicant_id),
        "submitted_by_id": str(dims.clerk_id if case.receiving else dims.online_user_id),
        "assisted": "t" if case.receiving else "f",
        "status": status,
        "practice_code": str(last.practice_code if last else 1),
        "delivery_method": "post",
        "delivery_address": "",
        "received_at": _ts(case.received),
        "accepted_at": _ts(accepted),
        "decided_at": _ts(decided),
        "completed_at": _ts(completed),
        "promised_days": "5",
        "promised_hours": NULL,
        "clock_started_at": NULL,
        "due_at": NULL,
        "warn_at": NULL,
        "overdue_at": NULL,
        "statutory_days": "20",
        "extension_days": "0",
        "clock_start": NULL
        if accepted is None
        else (dt.datetime.fromtimestamp(accepted, UTC) + LOCAL).date().isoformat(),
        "paused_working_days": "0",
        "paused_on": NULL,
        "due_date": _text(case.due),
        "step_due_date": NULL,
        "warn_on": NULL,
        "overdue_on": NULL,
        "commitment_due": NULL,
        "supplement_due": NULL,
        "pickup_code_hash": "",
        "refusal_reason": "",
        "competent_authority": "",
        "event_count": str(len(case.steps) + 1),
        "created_at": _ts(case.received),
        "updated_at": _ts(last.at if last else case.received),
    }
    return "\t".join(values[c] for c in columns)


# -- loading ---------------------------------------------------------------------------------


def _conn() -> str:
    from django.conf import settings

    return _conninfo(settings.DATABASES["default"])


def _expand(weights_cumulative: list[float], size: int) -> list[int]:
    """Indexes 0..k-1 repeated in proportion to their weights: picking a uniform element
    of the result is a weighted pick (in SQL: arr[1 + floor(random() * size)])."""
    out, previous = [], 0.0
    for index, c in enumerate(weights_cumulative):
        out += [index] * max(1, round((c - previous) * size))
        previous = c
    return out


def _steps_sql(now: int) -> str:
    """The staging rows' milestones as they stand at `now`, following the two paths of
    PROXY_PATH / ONLINE_PATH (checked against the transition table by _paths())."""
    proxy = [target for _a, _s, target, _c, _d in _paths()["proxy"]]
    online = [target for _a, _s, target, _c, _d in _paths()["online"]]
    proxy_times = ["t_check", "t_transfer", "t_rt", "t_accept", "t_approve", "t_issue",
                   "t_ship", "t_sign", "t_complete"]  # fmt: skip
    online_times = ["t_accept", "t_approve", "t_issue", "t_ship", "t_complete"]

    def status(times: list[str], targets: list[str], first: str) -> str:
        whens = " ".join(
            f"WHEN {t} <= {now} THEN '{target}'"
            for t, target in reversed(list(zip(times, targets, strict=True)))
        )
        return f"CASE {whens} ELSE '{first}' END"

    def steps(times: list[str]) -> str:
        return " + ".join(f"({t} <= {now})::int" for t in times)

    return f"""
        CASE WHEN withdrawn THEN CASE WHEN rec + 3600 <= {now} THEN 'withdrawn'
             ELSE CASE WHEN online THEN 'pending_acceptance' ELSE 'received' END END
             WHEN online THEN {status(online_times, online, "pending_acceptance")}
             ELSE {status(proxy_times, proxy, "received")} END AS status,
        1 + CASE WHEN withdrawn THEN (rec + 3600 <= {now})::int
             WHEN online THEN {steps(online_times)} ELSE {steps(proxy_times)} END AS last_seq
    """


def generate(dims: Dims, n: int, seed: int) -> None:
    """N cases and their facts, set-based in PostgreSQL (INSERT … SELECT over
    generate_series: the same distributions as Generator, at C speed)."""
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from tongban.cases.models import Case
    from tongban.catalog.models import ServiceItem
    from tongban.stats.models import CaseFact

    gen = Generator(dims, seed, timezone.now())
    now = gen.now
    case_table, fact_table = Case._meta.db_table, CaseFact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {case_table}")
        first_id = cursor.fetchone()[0] + 1
    connection.close()
    index_of = {pk: i for i, pk in enumerate(dims.jurisdictions)}
    params = {
        "empty_form": _empty_form(),
        "first": first_id,
        "n": n,
        "now": now,
        "j_ids": dims.jurisdictions,
        "j_pick": _expand(dims.jurisdiction_weights, 2000),
        "partners": [p for pk in dims.jurisdictions for p in dims.partners[pk]],
        "p_pick": _expand(gen.partner_weights, 200),
        "ag_items": [i for pk in dims.jurisdictions for i in dims.agreement_items[pk]],
        "ag_pick": _expand(gen.agreement_weights, 2000),
        "items": dims.items,
        "i_pick": _expand(dims.item_weights, 20000),
        "m_start": gen.month_starts[:-1],
        "m_days": [
            max(1, (b - a) // DAY)
            for a, b in zip(gen.month_starts, gen.month_starts[1:], strict=False)
        ],
        "m_pick": _expand(gen.month_weights, 5000),
        "agreement": dims.agreement_id,
    }
    assert len(index_of) == len(dims.jurisdictions)
    staging = "bench_stats_gen"
    # durations (seconds) of the steps, as in PROXY_PATH / ONLINE_PATH; each × U(0.6, 1.6)
    proxy_steps = {"t_check": "1800", "t_transfer": "3600", "t_rt": "86400",
                   "t_accept": "43200", "t_approve": "review", "t_issue": "7200",
                   "t_ship": "7200", "t_sign": "172800", "t_complete": "3600"}  # fmt: skip
    online_steps = {"t_accept": "86400", "t_approve": "review", "t_issue": "7200",
                    "t_ship": "3600", "t_complete": "3600"}  # fmt: skip
    durations = ", ".join(
        f"floor(CASE WHEN online THEN {online_steps.get(k, '0')} ELSE {v} END"
        f" * (0.6 + random()))::bigint AS d_{k}"
        for k, v in proxy_steps.items()
    )
    cumulative, times = "rec", []
    for key in proxy_steps:
        cumulative = f"{cumulative} + d_{key}"
        times.append(f"{cumulative} AS {key}")
    # an online case has no check / transfer / receive_transfer / sign_for: zero durations,
    # and it is delivered when shipped (electronically)
    pick = "[1 + floor(random() * cardinality({a}))::int]"

    def picked(name: str) -> str:
        return f"(%({name})s::int[]){pick.format(a=f'%({name})s::int[]')}"

    sql_base = f"""
        CREATE UNLOGGED TABLE {staging} AS
        SELECT case_id, online, withdrawn, handling_id, receiving_id, item_id, channel, rec,
               CASE WHEN NOT withdrawn AND NOT online AND t_transfer <= %(now)s
                    THEN t_transfer END AS transferred,
               CASE WHEN NOT withdrawn AND t_accept <= %(now)s THEN t_accept END AS accepted,
               CASE WHEN NOT withdrawn AND t_approve <= %(now)s THEN t_approve END AS decided,
               CASE WHEN NOT withdrawn AND (CASE WHEN online THEN t_ship ELSE t_sign END)
                    <= %(now)s THEN CASE WHEN online THEN t_ship ELSE t_sign END END AS delivered,
               CASE WHEN NOT withdrawn AND t_complete <= %(now)s THEN t_complete END AS completed,
               {_steps_sql(now)}
        FROM (
            SELECT x.*, {", ".join(times)}
            FROM (
                SELECT r.*,
                       (%(m_start)s::bigint[])[m + 1]
                         + floor(r_day * (%(m_days)s::int[])[m + 1])::bigint * {DAY}
                         + (30600 + floor(r_time * 32400))::bigint AS rec,
                       (%(j_ids)s::bigint[])[h + 1] AS handling_id,
                       CASE WHEN online THEN NULL
                            ELSE (%(partners)s::bigint[])[h * {PARTNERS} + pk + 1]
                       END AS receiving_id,
                       CASE WHEN online THEN (%(items)s::bigint[])[ik + 1]
                            ELSE (%(ag_items)s::bigint[])[h * {ITEMS_PER_AGREEMENT} + ak + 1]
                       END AS item_id,
                       CASE WHEN online THEN CASE WHEN r_ch < 0.7 THEN 'web' ELSE 'app' END
                            ELSE CASE WHEN r_ch < 0.85 THEN 'window' ELSE 'terminal' END
                       END AS channel,
                       {durations}
                FROM (
                    SELECT g + %(first)s - 1 AS case_id,
                           random() < {ONLINE_SHARE} AS online,
                           random() < 0.02 AS withdrawn,
                           {picked("j_pick")} AS h,
                           {picked("p_pick")} AS pk,
                           {picked("ag_pick")} AS ak,
                           {picked("i_pick")} AS ik,
                           {picked("m_pick")} AS m,
                           random() AS r_day, random() AS r_time, random() AS r_ch,
                           CASE WHEN random() < 0.97 THEN 43200 + random() * 518400
                                ELSE 691200 + random() * 604800 END AS review
                    FROM generate_series(1, %(n)s) g
                ) r
            ) x
        ) y
    """
    practice = {target: code for path in _paths().values() for _a, _s, target, code, _d in path}
    practice.update({"received": 1, "pending_acceptance": 1, "withdrawn": 2})
    practice_sql = " ".join(f"WHEN '{k}' THEN {v}" for k, v in practice.items())

    def ts(column: str) -> str:
        return f"to_timestamp({column})"

    def local_date(column: str) -> str:
        return f"(to_timestamp({column}) AT TIME ZONE 'Asia/Shanghai')::date"

    fact_sql = f"""
        INSERT INTO {fact_table} (case_id, month, receiving_id, handling_id, item_id,
            agreement_id, department_kind, mode, channel, high_frequency, is_part, status,
            last_seq, received_at, transferred_at, accepted_at, decided_at, delivered_at,
            completed_at, due_date)
        SELECT g.case_id, date_trunc('month', {local_date("rec")})::date,
               coalesce(g.receiving_id, 0), g.handling_id, g.item_id,
               CASE WHEN g.online THEN 0 ELSE %(agreement)s END, i.department_kind,
               CASE WHEN g.online THEN 'online' ELSE 'proxy' END, g.channel,
               i.high_frequency, false, g.status, g.last_seq, {ts("g.rec")},
               {ts("g.transferred")}, {ts("g.accepted")}, {ts("g.decided")},
               {ts("g.delivered")}, {ts("g.completed")}, {local_date("g.accepted")} + 9
        FROM {staging} g JOIN {ServiceItem._meta.db_table} i ON i.id = g.item_id
    """
    case_sql = f"""
        INSERT INTO {case_table} (id, number, item_id, implementation_id, mode, channel,
            receiving_jurisdiction_id, receiving_window_id, handling_jurisdiction_id,
            agreement_id, parent_id, joint_parts, form_data, applicant_id, submitted_by_id,
            assisted, status, practice_code, delivery_method, delivery_address, received_at,
            accepted_at, decided_at, completed_at, promised_days, statutory_days,
            extension_days, clock_start, paused_working_days, paused_on, due_date,
            step_due_date, warn_on, overdue_on, commitment_due, supplement_due,
            pickup_code_hash, refusal_reason, competent_authority, event_count, created_at,
            updated_at)
        SELECT case_id, 'BS-' || lpad(case_id::text, 10, '0'), item_id, {dims.implementation_id},
               CASE WHEN online THEN 'online' ELSE 'proxy' END, channel, receiving_id, NULL,
               handling_id, CASE WHEN online THEN NULL ELSE %(agreement)s END, NULL, '[]',
               %(empty_form)s, {dims.applicant_id},
               CASE WHEN online THEN {dims.online_user_id} ELSE {dims.clerk_id} END,
               NOT online, status, CASE status {practice_sql} ELSE 1 END, 'post', '',
               {ts("rec")}, {ts("accepted")}, {ts("decided")}, {ts("completed")}, 5, 20, 0,
               {local_date("accepted")}, 0, NULL, {local_date("accepted")} + 9, NULL, NULL,
               NULL, NULL, NULL, '', '', '', last_seq, {ts("rec")},
               {ts("greatest(rec, accepted, decided, completed)")}
        FROM {staging}
    """
    conninfo = _conn()
    started = time.monotonic()
    log(f"generating {n:,} cases from {gen.months[0]:%Y-%m} to {gen.months[-1]:%Y-%m} (SQL)")
    with _indexes_dropped(conninfo, [case_table, fact_table]):
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("SET synchronous_commit = off")
            conn.execute("SET work_mem = '256MB'")
            conn.execute(f"DROP TABLE IF EXISTS {staging}")
            conn.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
            conn.execute(sql_base, params)
            log(f"  staging rows written in {time.monotonic() - started:.0f} s")
            conn.execute(fact_sql, params)
            log(f"  facts written in {time.monotonic() - started:.0f} s")
            conn.execute(case_sql, params)
            log(f"  cases written in {time.monotonic() - started:.0f} s")
            conn.execute(f"DROP TABLE {staging}")
        log(f"rows done in {time.monotonic() - started:.0f} s; rebuilding indexes and keys")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{case_table}', 'id'), "
            f"(SELECT max(id) FROM {case_table}))"
        )
        count_started = time.monotonic()
        conn.execute("SET work_mem = '256MB'")
        for sql in count_sql():
            conn.execute(sql)
        log(f"count tables filled from the facts in {time.monotonic() - count_started:.0f} s")
        for table in (case_table, fact_table, *rollup_tables()):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    log(f"generated {n:,} cases in {time.monotonic() - started:.0f} s")


def _leg(start: str, end: str) -> tuple[str, str]:
    both = f"{start} IS NOT NULL AND {end} IS NOT NULL"
    return (
        f"count(*) FILTER (WHERE {both})",
        f"coalesce(sum(greatest(0, trunc(extract(epoch FROM {end} - {start}))))"
        f" FILTER (WHERE {both}), 0)::bigint",
    )


def rollup_tables() -> list[str]:
    from tongban.stats.models import CaseCount, CaseFlowCount, CaseItemCount, CaseLegItemCount

    return [m._meta.db_table for m in (CaseCount, CaseFlowCount, CaseItemCount, CaseLegItemCount)]


def count_sql() -> list[str]:
    """stats.refresh.case_contribution as one GROUP BY over the facts, then the roll-ups
    as GROUP BY over the count table."""
    from tongban.stats.models import (
        CASE_DIMENSIONS,
        CASE_MEASURES,
        LEG_ITEM_DIMENSIONS,
        CaseCount,
        CaseFact,
        CaseLegItemCount,
    )
    from tongban.stats.refresh import ROLLUPS

    legs = [
        _leg("received_at", "transferred_at"),
        _leg("CASE WHEN mode = 'online' THEN received_at ELSE transferred_at END", "accepted_at"),
        _leg("accepted_at", "decided_at"),
        _leg("decided_at", "coalesce(delivered_at, completed_at)"),
        _leg("received_at", "completed_at"),
    ]
    measures = [
        "count(*)",
        "count(decided_at)",
        "count(*) FILTER (WHERE decided_at IS NOT NULL AND due_date IS NOT NULL "
        "AND (decided_at AT TIME ZONE 'Asia/Shanghai')::date <= due_date)",
        "count(*) FILTER (WHERE status = 'completed')",
        *[m for pair in legs for m in pair],
    ]
    dims = ", ".join(CASE_DIMENSIONS)
    sums = ", ".join(f"sum({m})" for m in CASE_MEASURES)
    out = [f"DELETE FROM {table}" for table in rollup_tables()]
    out.append(
        f"INSERT INTO {CaseCount._meta.db_table} ({dims}, {', '.join(CASE_MEASURES)}) "
        f"SELECT {dims}, {', '.join(measures)} FROM {CaseFact._meta.db_table} "
        f"WHERE NOT is_part GROUP BY {dims}"
    )
    for model, onto in ROLLUPS:
        keys = ", ".join(onto)
        out.append(
            f"INSERT INTO {model._meta.db_table} ({keys}, {', '.join(CASE_MEASURES)}) "
            f"SELECT {keys}, {sums} FROM {CaseCount._meta.db_table} GROUP BY {keys}"
        )
    rest = "item_id, department_kind, mode, channel, status, high_frequency"
    measures_list = ", ".join(CASE_MEASURES)
    count = CaseCount._meta.db_table
    out.append(
        f"INSERT INTO {CaseLegItemCount._meta.db_table} ({', '.join(LEG_ITEM_DIMENSIONS)}, "
        f"{measures_list}) SELECT month, j, leg, {rest}, {sums} FROM ("
        f"SELECT month, handling_id AS j, CASE WHEN receiving_id = handling_id THEN 'both' "
        f"ELSE 'handling' END AS leg, {rest}, {measures_list} FROM {count} "
        f"UNION ALL SELECT month, receiving_id, 'receiving', {rest}, {measures_list} "
        f"FROM {count} WHERE receiving_id <> 0 AND receiving_id <> handling_id"
        f") x GROUP BY month, j, leg, {rest}"
    )
    return out


def verify_counts() -> None:
    """The SQL fill equals the Python fold of every fact (small N only)."""
    from tongban.stats import refresh
    from tongban.stats.models import (
        CASE_DIMENSIONS,
        CASE_MEASURES,
        LEG_ITEM_DIMENSIONS,
        CaseCount,
        CaseFact,
        CaseLegItemCount,
    )

    ids = list(CaseFact.objects.values_list("case_id", flat=True))
    facts = refresh._load_facts(ids)
    python: dict[tuple[Any, ...], list[int]] = {}
    for fact in facts.values():
        refresh._add(python, *refresh.case_contribution(fact), 1)
    table = {
        tuple(row[:10]): list(row[10:])
        for row in CaseCount.objects.values_list(*CASE_DIMENSIONS, *CASE_MEASURES)
    }
    assert table == python, "the SQL count table differs from the Python fold"
    for model, onto in refresh.ROLLUPS:
        rolled = {
            tuple(row[: len(onto)]): list(row[len(onto) :])
            for row in model.objects.values_list(*onto, *CASE_MEASURES)
        }
        assert rolled == {
            k: v for k, v in refresh.project(python, CASE_DIMENSIONS, onto).items() if any(v)
        }, f"{model.__name__} differs"
    legs = {
        tuple(row[:9]): list(row[9:])
        for row in CaseLegItemCount.objects.values_list(*LEG_ITEM_DIMENSIONS, *CASE_MEASURES)
    }
    assert legs == {k: v for k, v in refresh.project_legs(python).items() if any(v)}
    log(f"verified: count table == Python fold of {len(ids):,} facts ({len(table):,} rows)")


# -- dashboard -------------------------------------------------------------------------------


def _time(fn: Callable[[], Any], rounds: int) -> dict[str, float]:
    for _ in range(2):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return {"p50_ms": round(statistics.median(samples), 1), "p99_ms": round(p99, 1), "n": rounds}


def dashboard_queries(rounds: int) -> dict[str, Any]:
    from django.test import Client

    from tongban.accounts.models import User
    from tongban.stats import selectors
    from tongban.stats.models import (
        CaseCount,
        CaseFact,
        CaseFlowCount,
        CaseItemCount,
        CaseLegItemCount,
        CaseMonthCount,
    )
    from tongban.web.pages import stats as dashboard

    last = CaseFact.objects.order_by("-month").values_list("month", flat=True).first()
    assert last is not None
    year = last.year - 1  # the last whole year
    admin = User.objects.get(username="platform-admin")
    busiest = User.objects.get(username="420100Z01-supervisor")
    median = User.objects.get(username="420205-supervisor")
    agreement = selectors.readable_agreements(admin)[0]["id"]
    scenarios = {
        "platform admin, one year": (admin, dashboard.parse_query({"year": str(year)})),
        "platform admin, one month": (
            admin,
            dashboard.parse_query({"from_month": f"{year}-06", "to_month": f"{year}-06"}),
        ),
        "supervisor 东湖 (busiest), one year": (
            busiest,
            dashboard.parse_query({"year": str(year)}),
        ),
        "supervisor 开铁 (median), one year": (median, dashboard.parse_query({"year": str(year)})),
    }
    out: dict[str, Any] = {
        "count_rows": CaseCount.objects.count(),
        "flow_rows": CaseFlowCount.objects.count(),
        "item_rows": CaseItemCount.objects.count(),
        "month_rows": CaseMonthCount.objects.count(),
        "leg_item_rows": CaseLegItemCount.objects.count(),
        "year": year,
        "scenarios": {},
    }
    for name, (user, query) in scenarios.items():
        f = query.stats_filter
        # exactly the selector calls of web.pages.stats.build
        calls: dict[str, Callable[[], Any]] = {
            "cases by month × channel": lambda u=user, f=f: selectors.case_stats(
                u, f(), "month,channel", ("cases",)
            ),
            "cases by item × high-frequency": lambda u=user, f=f: selectors.case_stats(
                u, f(), "item,high_frequency", ("cases",)
            ),
            "cases by month (on-time, KPIs)": lambda u=user, f=f: selectors.case_stats(
                u, f(), "month", dashboard.MONTH_MEASURES
            ),
            "cases by mode (legs)": lambda u=user, f=f: selectors.case_stats(
                u, f(), "mode", dashboard.LEG_MEASURES
            ),
            "flow matrix": lambda u=user, f=f: selectors.flow_matrix(u, f()),
            "high-frequency share": lambda u=user, f=f: selectors.high_frequency_share(
                u, f(), top=0
            ),
            "consultations by month × channel": lambda u=user, f=f: selectors.consultation_stats(
                u, f(), "month,channel"
            ),
            "ratings by month": lambda u=user, f=f: selectors.rating_stats(u, f(), "month"),
            "years with figures": lambda u=user: selectors.available_years(u),
            "jurisdictions to pick": lambda u=user: selectors.scope_jurisdictions(u),
            "agreements": lambda u=user: selectors.readable_agreements(u),
            "whole dashboard (dashboard.build)": lambda u=user, q=query: dashboard.build(u, q),
        }
        results = {}
        for label, fn in calls.items():
            results[label] = _time(fn, rounds)
        client = Client()
        client.force_login(user)
        url = f"/stats/?from_month={query.month_from:%Y-%m}&to_month={query.month_to:%Y-%m}"

        def page(client: Client = client, url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        results["GET /stats/ (whole page)"] = _time(page, rounds)
        out["scenarios"][name] = results
        worst = max(r["p99_ms"] for k, r in results.items() if not k.startswith(("whole", "GET")))
        whole = results["GET /stats/ (whole page)"]["p99_ms"]
        log(f"{name}: slowest query p99 {worst:.1f} ms; page p99 {whole} ms")
    agreement_query = dashboard.parse_query({"year": str(year)})
    page_calls: dict[str, Callable[[], Any]] = {
        f"agreement by {group}": lambda group=group: selectors.agreement_stats(
            admin, agreement, agreement_query.stats_filter(), group, dashboard.AGREEMENT_MEASURES
        )
        for group in ("month", "handling", "receiving")
    }
    page_calls["whole page (dashboard.build_agreement)"] = lambda: dashboard.build_agreement(
        admin, agreement, agreement_query
    )
    out["agreement page, one year"] = {k: _time(fn, rounds) for k, fn in page_calls.items()}
    return out


# -- refresh ---------------------------------------------------------------------------------


def write_events(dims: Dims, n_events: int, seed: int) -> dict[str, int]:
    """COPY about n_events new case events: new cases walking their whole path (60 %),
    open cases taking one or two steps (40 %)."""
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from tongban.cases.models import Case, CaseEvent
    from tongban.stats.models import CaseFact

    now = timezone.now()
    gen = Generator(dims, seed + 1, now - dt.timedelta(days=30))
    gen.now = int(now.timestamp())
    case_table, event_table = Case._meta.db_table, CaseEvent._meta.db_table
    case_columns = _columns(Case, skip=())
    event_columns = ["id", "case_id", "seq", "action", "from_status", "to_status",
                     "practice_code", "actor_id", "actor_role", "actor_jurisdiction_id", "at",
                     "reason", "data", "prev_digest", "digest"]  # fmt: skip
    assert _columns(CaseEvent, skip=()) == event_columns
    # the rows are not SM3-sealed (empty digests: `tongban audit verify` would report
    # them); the refresh this measures does not read the chain
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {case_table}")
        next_case = cursor.fetchone()[0] + 1
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {event_table}")
        next_event = cursor.fetchone()[0] + 1
    # open cases: their fact says where they are on their path
    open_facts = list(
        CaseFact.objects.exclude(status__in=["completed", "withdrawn"])
        .values_list("case_id", "mode", "status", "last_seq")
        .order_by("-case_id")[: int(n_events * 0.4)]
    )
    connection.close()
    paths = _paths()
    events: list[str] = []
    new_cases: list[str] = []
    written = {"events": 0, "new_cases": 0, "open_cases_advanced": 0}
    at = int(now.timestamp()) - 3600
    for case_id, mode, status, last_seq in open_facts:
        if written["events"] >= n_events * 0.4:
            break
        path = paths[mode]
        index = next((i for i, step in enumerate(path) if step[1] == status), None)
        if index is None:
            continue
        seq = last_seq
        for action, source, target, code, _delay in path[index : index + 1 + (seq % 2)]:
            seq += 1
            events.append(
                f"{next_event}\t{case_id}\t{seq}\t{action}\t{source}\t{target}\t{code}\t"
                f"{NULL}\tofficer\t{NULL}\t{_ts(at)}\t\t{{}}\t\t"
            )
            next_event += 1
            written["events"] += 1
        written["open_cases_advanced"] += 1
    while written["events"] < n_events:
        received = at - int(gen.rng.random() * 20 * DAY)
        case = gen.case(received=received, full=True)
        case_id = next_case
        next_case += 1
        new_cases.append(case_line(case_id, case, dims, case_columns))
        initial = _initial(case)
        events.append(
            f"{next_event}\t{case_id}\t1\tsubmit\t\t{initial}\t1\t{NULL}\tclerk\t{NULL}\t"
            f"{_ts(case.received)}\t\t{{}}\t\t"
        )
        next_event += 1
        for seq, step in enumerate(case.steps, start=2):
            events.append(
                f"{next_event}\t{case_id}\t{seq}\t{step.action}\t{step.source}\t{step.target}\t"
                f"{step.practice_code}\t{NULL}\tofficer\t{NULL}\t{_ts(step.at)}\t\t{{}}\t\t"
            )
            next_event += 1
        written["events"] += len(case.steps) + 1
        written["new_cases"] += 1
    with psycopg.connect(_conn()) as conn:
        with conn.cursor().copy(
            f"COPY {case_table} ({', '.join(case_columns)}) FROM STDIN"
        ) as copy:
            copy.write("\n".join(new_cases) + "\n")
        with conn.cursor().copy(
            f"COPY {event_table} ({', '.join(event_columns)}) FROM STDIN"
        ) as copy:
            for start in range(0, len(events), 50_000):
                copy.write("\n".join(events[start : start + 50_000]) + "\n")
        for table in (case_table, event_table):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(_conn(), autocommit=True) as conn:
        conn.execute(f"VACUUM (ANALYZE) {event_table}")
    return written


def _statement_label(sql: str) -> str:
    """A statement's kind, for the time split: its verb and first table."""
    words = sql.split()
    verb = " ".join(words[:3]) if words[:2] == ["CREATE", "TEMP"] else words[0]
    table = next((w for w in words if w.startswith(('"stats_', "stats_", '"cases_'))), "")
    return f"{verb} {table.strip(chr(34))}".strip()


def time_refresh(batch: int | None = None) -> dict[str, Any]:
    from django.db import connection

    from tongban.stats import refresh
    from tongban.stats.models import CaseFact, Cursor

    Cursor.objects.get_or_create(name="case_events")
    seen = {"n": 0}
    split: dict[str, list[float]] = {}

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # where the refresh's time goes, statement by statement (no pg_stat_statements)
        t0 = time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = split.setdefault(_statement_label(sql), [0, 0.0])
            entry[0] += 1
            entry[1] += time.monotonic() - t0

    started = time.monotonic()

    def progress(label: str, step: refresh.StepResult, total: int) -> None:
        if total // 100_000 != seen["n"] // 100_000:
            rate = total / (time.monotonic() - started)
            log(f"  {label}: {total:,} events folded ({rate:,.0f}/s)")
        seen["n"] = total

    case_source = [s for s in refresh.SOURCES if s.name == "case_events"]
    with connection.execute_wrapper(timed):
        done = refresh.refresh(batch=batch, progress=progress, sources=case_source)
    elapsed = time.monotonic() - started
    events = done["case_events"]
    log(f"refresh: {events:,} case events in {elapsed:.1f} s ({events / elapsed:,.0f}/s)")
    in_sql = sum(t for _, t in split.values())
    for label, (count, seconds) in sorted(split.items(), key=lambda kv: -kv[1][1]):
        log(f"  {seconds:7.2f} s  {count:5d}×  {label}")
    log(f"  {elapsed - in_sql:7.2f} s  outside SQL (Python, fetching rows)")
    return {
        "events": events,
        "seconds": round(elapsed, 1),
        "events_per_second": round(events / elapsed),
        "facts": CaseFact.objects.count(),
        "statements": {k: [c, round(t, 2)] for k, (c, t) in split.items()},
    }


def check_totals() -> dict[str, int]:
    from django.db.models import Sum

    from tongban.stats.models import CaseCount, CaseFact

    counted = int(CaseCount.objects.aggregate(n=Sum("cases"))["n"] or 0)
    facts = CaseFact.objects.filter(is_part=False).count()
    assert counted == facts, (counted, facts)
    return {"cases_counted": counted}


# -- yardstick ------------------------------------------------------------------------------


def bare_insert(rounds: int) -> dict[str, float]:
    from django.test import Client

    client = Client()
    return _time(lambda: client.get("/bench/insert"), rounds)


# -- main -------------------------------------------------------------------------------------


def print_dashboard(d: dict[str, Any], base: float) -> None:
    print(
        f"rows: CaseCount {d['count_rows']:,}, "
        f"CaseFlowCount {d['flow_rows']:,}, CaseItemCount {d['item_rows']:,}, "
        f"CaseLegItemCount {d['leg_item_rows']:,}, CaseMonthCount {d['month_rows']:,}"
    )
    for name, calls in d["scenarios"].items():
        print(f"\n{name}")
        for label, r in calls.items():
            print(f"  {label:<38} p50 {r['p50_ms']:>8.1f} ms   p99 {r['p99_ms']:>8.1f} ms"
                  f"   ({r['p50_ms'] / base:.1f}× bare insert)")  # fmt: skip
    print("\nagreement page (the agreement every proxy case is under), one year")
    for label, r in d["agreement page, one year"].items():
        print(f"  {label:<38} p50 {r['p50_ms']:>8.1f} ms   p99 {r['p99_ms']:>8.1f} ms")


@contextlib.contextmanager
def section(name: str) -> Iterator[None]:
    log(f"== {name}")
    started = time.monotonic()
    yield
    log(f"== {name}: {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20220101)
    parser.add_argument("--prepare", action="store_true", help="recreate the database first")
    parser.add_argument("--skip-generate", action="store_true", help="measure what is there")
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument("--batch", type=int, help="events per refresh transaction")
    parser.add_argument("--verify", action="store_true", help="check the SQL count fill (small N)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    env = common.make_env(args.db)
    if args.prepare or not common.database_exists(args.db):
        log(f"creating database {args.db}")
        common.recreate_database(args.db)
        common.tongban(env, "migrate", "--noinput", "--verbosity", "0")
    # the whole /stats/ page is rendered too: `{% static %}` needs the manifest (ADR 0126)
    common.tongban(env, "collectstatic", "--noinput", "--verbosity", "0")
    common.django_setup(env)
    common.build_world_once()
    results: dict[str, Any] = {"database": args.db}
    dims = build_dimensions(args.seed)
    if not args.skip_generate:
        with section(f"generate {args.cases:,} cases"):
            started = time.monotonic()
            generate(dims, args.cases, args.seed)
            results["generate_seconds"] = round(time.monotonic() - started)
        if args.verify:
            verify_counts()
    from tongban.stats.models import CaseFact

    results["cases"] = CaseFact.objects.count()
    if not args.skip_dashboard:
        with section("dashboard queries"):
            results["dashboard"] = dashboard_queries(args.rounds)
    if not args.skip_refresh:
        with section(f"refresh of {args.events:,} new case events"):
            results["events_written"] = write_events(dims, args.events, args.seed)
            results["refresh"] = time_refresh(args.batch)
            results["totals"] = check_totals()
    with section("yardstick: bare ORM insert view"):
        results["bare_insert"] = bare_insert(max(100, args.rounds * 5))
    base = results["bare_insert"]["p50_ms"] or 1.0
    print()
    print(f"cases: {results['cases']:,}")
    if "dashboard" in results:
        print_dashboard(results["dashboard"], base)
    if "refresh" in results:
        f = results["refresh"]
        print(
            f"\nrefresh: {f['events']:,} case events in {f['seconds']} s "
            f"({f['events_per_second']:,}/s); written: {results['events_written']}"
        )
    print(f"bare ORM insert view: p50 {base} ms, p99 {results['bare_insert']['p99_ms']} ms")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
