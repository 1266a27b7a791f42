"""Bulk generator: N realistic cases straight into PostgreSQL with COPY (psycopg 3
`cursor.copy()`), for measuring the work queue and case lookup at 1,000,000 cases.

What it writes, per case: one `cases_case` row, its `submit` CaseEvent (seq 1, so a later
action on a generated case appends seq 2) and one CaseMaterial row per checklist line.
Around them: ~60k applicants (persons for marriage registrations, enterprises with agents
for company registrations, 5k of them with portal accounts for online cases) and the
CaseNumberCounter rows, so live submissions never reuse a generated number.

Distributions (see docs/benchmarks.md): receipts over the last three years, growing over
time, on working days and office hours; 45 % 全程网办 (online, any of the five
jurisdictions), 55 % 异地代收代办 (proxy, between the four parties of the 武鄂黄黄
agreement); statuses follow each case's age along its delivery path (mailed, window
pickup, electronic) with a per-case speed, side states (补正, 容缺, 暂停), refusals,
withdrawals, terminations and a small backlog of stuck cases. Deadlines and the overdue
columns (due_date, step_due_date, warn_on, overdue_on) are computed by the product's own
`cases.deadlines.refresh_dates` on the handling jurisdiction's calendar, as if each
case's last transition had happened on its day.

The loader drops the three tables' secondary indexes and their foreign-key and unique
constraints, COPYs the rows over three connections at once, then recreates exactly the
same definitions (read back from pg_catalog) and runs VACUUM ANALYZE; if anything fails
in between, the definitions are restored all the same.

Usage (a fresh database is prepared first with --prepare):

    .venv/bin/python bench/generate_cases.py --db tongban_bench --prepare --cases 1000000
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import datetime as dt
import functools
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import common

UTC = dt.UTC
LOCAL_OFFSET = dt.timedelta(hours=8)  # Asia/Shanghai, no daylight saving
YEARS_BACK = 3
CHUNK = 50_000

# handling-jurisdiction weights of online cases (江夏 is not a party: online only)
ONLINE_HANDLING = {"420100Z01": 0.36, "421102": 0.18, "420703400": 0.14, "420205": 0.14,
                   "420115": 0.18}  # fmt: skip
# proxy: handling place weights, receiving place weights (a place never receives for itself)
PROXY_HANDLING = {"420100Z01": 0.40, "421102": 0.20, "420703400": 0.20, "420205": 0.20}
PROXY_RECEIVING = {"420100Z01": 0.30, "421102": 0.30, "420703400": 0.20, "420205": 0.20}
ONLINE_SHARE = 0.45

# working-day offsets (from receipt, before the per-case speed factor) at which a case
# enters each state along its delivery path; the last entry is the final state
PATHS: dict[str, list[tuple[str, int]]] = {
    "proxy-company-post": [("received", 0), ("checked", 0), ("in_transfer", 0),
                           ("pending_acceptance", 1), ("accepted", 2), ("approved", 4),
                           ("result_issued", 5), ("in_delivery", 5), ("delivered", 7),
                           ("completed", 8)],
    "proxy-company-window": [("received", 0), ("checked", 0), ("in_transfer", 0),
                             ("pending_acceptance", 1), ("accepted", 2), ("approved", 4),
                             ("result_issued", 5), ("to_window", 5), ("awaiting_pickup", 7),
                             ("delivered", 9), ("completed", 9)],
    "proxy-company-electronic": [("received", 0), ("checked", 0), ("in_transfer", 0),
                                 ("pending_acceptance", 1), ("accepted", 2), ("approved", 4),
                                 ("result_issued", 5), ("delivered", 5), ("completed", 6)],
    "proxy-marriage-window": [("received", 0), ("checked", 0), ("in_transfer", 0),
                              ("pending_acceptance", 1), ("accepted", 1), ("approved", 1),
                              ("result_issued", 2), ("to_window", 2), ("awaiting_pickup", 3),
                              ("delivered", 5), ("completed", 5)],
    "online-company-electronic": [("pending_acceptance", 0), ("accepted", 1), ("approved", 3),
                                  ("result_issued", 3), ("delivered", 3), ("completed", 4)],
    "online-company-post": [("pending_acceptance", 0), ("accepted", 1), ("approved", 3),
                            ("result_issued", 3), ("in_delivery", 3), ("delivered", 6),
                            ("completed", 6)],
}  # fmt: skip
# a case still on its path is in a side state instead, with this probability
SIDE_STATES = {
    "received": (0.10, ["supplement_at_receipt"]),
    "pending_acceptance": (0.08, ["supplement_before_acceptance"]),
    "accepted": (0.12, ["supplement_in_review", "paused", "accepted_conditionally"]),
}
FINAL_ENDINGS = (  # (probability, status): otherwise the case completes
    (0.025, "refused"),
    (0.030, "withdrawn"),
    (0.007, "terminated"),
)
STUCK_RECENT, STUCK_OLD = 0.015, 0.003  # backlog: a case stops on its path (turns red)
FINAL = {"completed", "refused", "withdrawn", "terminated"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然欣怡子涵"
TRADES = ["商贸", "科技", "信息技术", "建筑工程", "餐饮管理", "物流", "电子商务", "文化传媒",
          "生物医药", "光电", "农业开发", "装饰工程", "教育咨询", "汽车服务"]  # fmt: skip
CITIES = {"420100Z01": "武汉", "421102": "黄冈", "420703400": "鄂州", "420205": "黄石",
          "420115": "武汉"}  # fmt: skip
COUNTY_CODES = ["420102", "420111", "420115", "421102", "420703", "420205", "421181", "420222"]


@dataclass
class Ref:
    """What the generator needs of the world, read once through the ORM."""

    jurisdiction_ids: dict[str, int]
    item_ids: dict[str, int]  # "company" / "marriage"
    implementations: dict[tuple[str, str], Any]  # (item, code) -> ItemImplementation
    materials: dict[int, list[tuple[int, str, bool, str]]]  # impl id -> checklist
    window_ids: dict[str, int]
    clerk_ids: dict[str, int]
    agreement_id: int
    agreement_code: str
    calendars: dict[str, Any]


def _load_refs() -> Ref:
    from tongban.accounts.models import User
    from tongban.agreements.models import Agreement
    from tongban.catalog.models import ItemImplementation, ServiceItem
    from tongban.centres.models import Window
    from tongban.regions.calendar import calendar_for
    from tongban.regions.models import Jurisdiction

    jurisdictions = {j.code: j for j in Jurisdiction.objects.all()}
    codes = list(ONLINE_HANDLING)
    missing = [c for c in codes if c not in jurisdictions]
    if missing:
        raise SystemExit(f"the world is missing jurisdictions {missing}: run with --prepare")
    items = {"company": ServiceItem.objects.get(code="ITEM-COMPANY"),
             "marriage": ServiceItem.objects.get(code="ITEM-MARRIAGE")}  # fmt: skip
    implementations: dict[tuple[str, str], Any] = {}
    materials: dict[int, list[tuple[int, str, bool, str]]] = {}
    for key, item in items.items():
        for code in codes:
            impl = (
                ItemImplementation.objects.filter(
                    item=item, jurisdiction=jurisdictions[code], status="published"
                )
                .order_by("-version")
                .first()
            )
            if impl is None:
                continue
            implementations[(key, code)] = impl
            materials[impl.pk] = [
                (m.pk, m.name, m.form == "original", m.requirement)
                for m in impl.materials.order_by("position")
            ]
    windows: dict[str, int] = {}
    for window in Window.objects.select_related("centre").order_by("pk"):
        windows.setdefault(window.centre.jurisdiction.code, window.pk)
    clerks = {
        code: User.objects.get(username=f"{code}-clerk").pk
        for code in codes
        if User.objects.filter(username=f"{code}-clerk").exists()
    }
    agreement = Agreement.objects.get(code="WEHH-2023")
    return Ref(
        jurisdiction_ids={c: j.pk for c, j in jurisdictions.items()},
        item_ids={k: i.pk for k, i in items.items()},
        implementations=implementations,
        materials=materials,
        window_ids=windows,
        clerk_ids=clerks,
        agreement_id=agreement.pk,
        agreement_code=agreement.code,
        calendars={code: calendar_for(jurisdictions[code]) for code in codes},
    )


# -- applicants --------------------------------------------------------------------------


def _make_applicants(rng: random.Random, n_cases: int) -> tuple[list[int], list[int], list[int]]:
    """Persons, enterprises, and the enterprises with a portal account (with user ids)."""
    from tongban.accounts.identifiers import make_id_number, make_uscc
    from tongban.accounts.models import Applicant, User

    n_persons = max(500, n_cases // 25)
    n_enterprises = max(250, n_cases // 50)
    n_users = max(50, n_enterprises // 4)
    tag = f"{int(time.time()) % 100000:05d}"
    users = User.objects.bulk_create(
        [User(username=f"bench-{tag}-{i}", password="!", kind="applicant") for i in range(n_users)],
        batch_size=5000,
    )
    base = dt.date(1960, 1, 1)
    persons = [
        Applicant(
            kind="person",
            name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
            id_number=make_id_number(
                COUNTY_CODES[i % len(COUNTY_CODES)],
                base + dt.timedelta(days=(i // 999) * 3 + int(tag) % 3),
                i % 999 + 1,
            ),
            phone=f"13{rng.randrange(10**9):09d}",
        )
        for i in range(n_persons)
    ]
    enterprises = []
    for i in range(n_enterprises):
        code = rng.choice(list(CITIES))
        enterprises.append(
            Applicant(
                kind="enterprise",
                name=f"{CITIES[code]}市{rng.choice(GIVEN)}{rng.choice(GIVEN)}"
                f"{rng.choice(TRADES)}有限公司",
                uscc=make_uscc(COUNTY_CODES[i % len(COUNTY_CODES)], f"MC{tag[:2]}{i:05d}"),
                agent_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                agent_id_number=make_id_number("420111", base + dt.timedelta(days=i % 9000), 7),
                phone=f"13{rng.randrange(10**9):09d}",
                user=users[i] if i < n_users else None,
            )
        )
    persons = Applicant.objects.bulk_create(persons, batch_size=5000)
    enterprises = Applicant.objects.bulk_create(enterprises, batch_size=5000)
    online = [e.pk for e in enterprises[:n_users]]
    return [p.pk for p in persons], [e.pk for e in enterprises], online


# -- time --------------------------------------------------------------------------------


class Days:
    """The national working-day calendar over the generated span, as index arithmetic."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        from tongban.regions.calendar import calendar_for

        cal = calendar_for(None)
        self.first, self.last = first, last
        self.all = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        self.working = [d for d in self.all if cal.is_working_day(d)]
        self.is_working = {d: True for d in self.working}

    def ordinal(self, day: dt.date) -> int:
        """Working days up to and including `day` (minus one)."""
        return bisect.bisect_right(self.working, day) - 1

    def plus(self, day: dt.date, working_days: int) -> dt.date | None:
        """The working day `working_days` after `day` (None when past the span)."""
        index = self.ordinal(day) + working_days
        if working_days == 0:
            return day
        return self.working[index] if index < len(self.working) else None


def _local_to_utc(day: dt.date, seconds: float) -> dt.datetime:
    return (
        dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
        + dt.timedelta(seconds=seconds)
        - LOCAL_OFFSET
    )


# -- the overdue columns, by the product's own arithmetic ---------------------------------


class DateColumns:
    def __init__(self, ref: Ref) -> None:
        self.ref = ref
        self.memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def compute(
        self,
        handling: str,
        status: str,
        last_day: dt.date,
        clock_start: dt.date | None,
        promised: int,
    ) -> tuple[Any, ...]:
        final = status in FINAL
        key = (handling, "final" if final else status, None if final else last_day,
               clock_start, promised)  # fmt: skip
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        from tongban.cases import deadlines

        cal = self.ref.calendars[handling]
        case = SimpleNamespace(
            status=status,
            clock_start=clock_start,
            promised_days=promised,
            promised_hours=None,  # no 即办件 among the generated items
            clock_started_at=None,
            due_at=None,
            statutory_days=promised,
            # no joint (多地联办) lead among the generated cases
            mode="proxy",
            parent_id=None,
            joint_parts=[],
            extension_days=0,
            paused_working_days=0,
            paused_on=last_day if status == "paused" else None,
            due_date=None,
            step_due_date=None,
            warn_on=None,
            overdue_on=None,
            supplement_due=None,
            commitment_due=None,
        )
        if status.startswith("supplement_"):
            case.supplement_due = cal.add_working_days(last_day, deadlines.DEFAULT_SUPPLEMENT_DAYS)
        if status == "accepted_conditionally":
            case.commitment_due = cal.add_working_days(last_day, deadlines.DEFAULT_COMMITMENT_DAYS)
        due_date = None
        if clock_start is not None:
            due_date = cal.add_working_days(clock_start, promised)
        if final:
            result: tuple[Any, ...] = (due_date, None, None, None, None, None, None)
        else:
            deadlines.refresh_dates(case, cal, last_day)  # type: ignore[arg-type]
            result = (
                case.due_date if clock_start is not None else None,
                case.step_due_date,
                case.warn_on,
                case.overdue_on,
                case.supplement_due,
                case.commitment_due,
                case.paused_on,
            )
        self.memo[key] = result
        return result


def _practice_codes() -> dict[str, int]:
    from tongban.cases.workflow import SUBMIT_PRACTICE_CODE, TRANSITIONS

    codes: dict[str, int] = {"received": SUBMIT_PRACTICE_CODE}
    for transition in TRANSITIONS:
        # a move without a code of its own keeps the code of the state it leaves
        code = transition.practice_code or codes.get(transition.source.value)
        if code is not None:
            codes.setdefault(transition.target.value, code)
    codes["pending_acceptance"] = SUBMIT_PRACTICE_CODE
    return codes


# -- row generation ----------------------------------------------------------------------


@dataclass
class Generated:
    cases: int = 0
    events: int = 0
    materials: int = 0


_CUMULATIVE: dict[tuple[int, str | None], tuple[list[str], list[float]]] = {}


def _weighted(rng: random.Random, weights: dict[str, float], exclude: str | None = None) -> str:
    key = (id(weights), exclude)
    table = _CUMULATIVE.get(key)
    if table is None:
        keys = [k for k in weights if k != exclude]
        cumulative, total = [], 0.0
        for k in keys:
            total += weights[k]
            cumulative.append(total)
        table = _CUMULATIVE[key] = (keys, [c / total for c in cumulative])
    keys, cumulative = table
    return keys[min(bisect.bisect_left(cumulative, rng.random()), len(keys) - 1)]


def _receipt_times(rng: random.Random, n: int, days: Days, now: dt.datetime) -> list[float]:
    """n receipt instants (UTC POSIX seconds), sorted: more recent days weigh more,
    working days far more than weekends, office hours (online also evenings)."""
    past = [day for day in days.all if day <= now.date()]
    span = len(past)
    weights = []
    for index, day in enumerate(past):
        growth = 0.5 + index / span
        weights.append(growth * (1.0 if day in days.is_working else 0.06))
    picked = rng.choices(range(span), weights=weights, k=n)
    out = []
    now_ts = now.timestamp()
    for index in picked:
        day = past[index]
        seconds = rng.uniform(8.5 * 3600, 17.5 * 3600)
        if rng.random() < 0.2:  # online submissions spread into the evening
            seconds = rng.uniform(7 * 3600, 23.9 * 3600)
        ts = _local_to_utc(day, seconds).timestamp()
        out.append(min(ts, now_ts - rng.uniform(1, 3600)))
    out.sort()
    return out


def generate(n: int, seed: int = 20230307, with_materials: bool = True) -> Generated:
    """Write n cases into the database of the current Django settings."""
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from tongban.cases.models import Case, CaseEvent, CaseMaterial
    from tongban.core.chain import link_digest, timestamp

    rng = random.Random(seed)
    started = time.monotonic()
    ref = _load_refs()
    now = timezone.now()
    today = timezone.localdate()
    first_day = today - dt.timedelta(days=365 * YEARS_BACK)
    days = Days(first_day, today + dt.timedelta(days=40))
    today_ordinal = days.ordinal(today)
    columns = DateColumns(ref)
    practice = _practice_codes()
    common.log(f"generating {n:,} cases ({first_day} .. {today}), seed {seed}")

    persons, enterprises, online_enterprises = _make_applicants(rng, n)
    from tongban.accounts.models import Applicant

    online_users = dict(
        Applicant.objects.filter(pk__in=online_enterprises).values_list("pk", "user_id")
    )
    common.log(
        f"applicants: {len(persons):,} persons, {len(enterprises):,} enterprises "
        f"({len(online_enterprises):,} with portal accounts)"
    )
    times = _receipt_times(rng, n, days, now)

    case_table, event_table, material_table = (
        Case._meta.db_table,
        CaseEvent._meta.db_table,
        CaseMaterial._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {case_table}")
        next_case_id = cursor.fetchone()[0] + 1
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {event_table}")
        next_event_id = cursor.fetchone()[0] + 1
        cursor.execute("SELECT prefix, last FROM cases_casenumbercounter")
        counters: dict[str, int] = dict(cursor.fetchall())
    connection.close()

    case_columns = _columns(Case, skip=())
    event_columns = _columns(CaseEvent, skip=())
    material_columns = _columns(CaseMaterial, skip=("id",))
    # the event and material rows below are positional: fail loudly if the models move
    expected_events = ["id", "case_id", "seq", "action", "from_status", "to_status",
                       "practice_code", "actor_id", "actor_role", "actor_jurisdiction_id",
                       "at", "reason", "data", "prev_digest", "digest"]  # fmt: skip
    expected_materials = ["case_id", "material_id", "name", "state", "original_required",
                          "original_posted", "licence_reference", "note"]  # fmt: skip
    if event_columns != expected_events or material_columns != expected_materials:
        raise SystemExit(
            f"CaseEvent/CaseMaterial columns changed: {event_columns} {material_columns}; "
            "update bench/generate_cases.py"
        )
    conninfo = _conninfo(settings.DATABASES["default"])
    event_data_cache: dict[tuple[bool, str, str], str] = {}
    result = Generated()

    with _indexes_dropped(conninfo, [case_table, event_table, material_table]):
        load_started = time.monotonic()
        with contextlib.ExitStack() as stack:
            conns = [stack.enter_context(psycopg.connect(conninfo)) for _ in range(3)]
            for conn in conns:
                conn.execute("SET synchronous_commit = off")
            copies = [
                stack.enter_context(
                    conn.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN")
                )
                for conn, table, cols in zip(
                    conns,
                    (case_table, event_table, material_table),
                    (case_columns, event_columns, material_columns),
                    strict=True,
                )
            ]
            case_copy, event_copy, material_copy = copies
            # rows are formatted as COPY text here (tabs, \N for NULL): several times faster
            # than write_row's per-value adaptation; no generated value has a tab, newline
            # or backslash in it
            case_lines: list[str] = []
            event_lines: list[str] = []
            material_lines: list[str] = []
            for index, ts in enumerate(times):
                case_id = next_case_id + index
                received_at = dt.datetime.fromtimestamp(ts, UTC)
                local = received_at + LOCAL_OFFSET
                received_day = local.date()
                row = _case_row(
                    rng, ref, days, columns, practice, received_at, received_day,
                    today_ordinal, now, persons, enterprises, online_enterprises, online_users,
                )  # fmt: skip
                prefix = f"{row['_prefix_code']}-{received_day:%Y%m%d}"
                counters[prefix] = counters.get(prefix, 0) + 1
                row["id"] = case_id
                row["number"] = f"{prefix}-{counters[prefix]:06d}"
                case_lines.append("\t".join([_text(row[c]) for c in case_columns]))
                key = (row["assisted"], row["channel"], row["mode"])
                data = event_data_cache.get(key)
                if data is None:
                    data = json.dumps(
                        {
                            "assisted": row["assisted"],
                            "channel": row["channel"],
                            "mode": row["mode"],
                            "agreement": ref.agreement_code if row["mode"] == "proxy" else None,
                        },
                        ensure_ascii=False,
                    )
                    event_data_cache[key] = data
                receiving_id = row["receiving_jurisdiction_id"]
                role = "clerk" if row["assisted"] else "applicant"
                # the first link of the case's SM3 chain (ADR 0092), as CaseEvent.save seals it
                digest = link_digest(
                    "",
                    {
                        "case": case_id,
                        "seq": 1,
                        "action": "submit",
                        "from_status": "",
                        "to_status": row["_initial"],
                        "practice_code": 1,
                        "actor": row["submitted_by_id"],
                        "actor_role": role,
                        "actor_jurisdiction": receiving_id,
                        "at": timestamp(received_at),
                        "reason": "",
                        "data": json.loads(data),
                    },
                )
                event_lines.append(
                    f"{next_event_id + index}\t{case_id}\t1\tsubmit\t\t{row['_initial']}\t1\t"
                    f"{row['submitted_by_id']}\t{role}\t"
                    f"{receiving_id if receiving_id is not None else NULL}\t"
                    f"{received_at.isoformat()}\t\t{data}\t\t{digest}"
                )
                if with_materials:
                    for material in row["_materials"]:
                        material_lines.append(f"{case_id}\t{material}")
                    result.materials += len(row["_materials"])
                result.cases += 1
                if len(case_lines) >= 5000:
                    case_copy.write("\n".join(case_lines) + "\n")
                    event_copy.write("\n".join(event_lines) + "\n")
                    if material_lines:
                        material_copy.write("\n".join(material_lines) + "\n")
                    case_lines.clear()
                    event_lines.clear()
                    material_lines.clear()
                if (index + 1) % 100_000 == 0:
                    rate = (index + 1) / (time.monotonic() - load_started)
                    common.log(f"  {index + 1:,} cases written ({rate:,.0f}/s)")
            if case_lines:
                case_copy.write("\n".join(case_lines) + "\n")
                event_copy.write("\n".join(event_lines) + "\n")
            if material_lines:
                material_copy.write("\n".join(material_lines) + "\n")
            result.events = result.cases
        common.log(f"COPY done in {time.monotonic() - load_started:.0f} s; rebuilding indexes")

    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in (case_table, event_table):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",
                [table],
            )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO cases_casenumbercounter (prefix, last) VALUES (%s, %s) "
                "ON CONFLICT (prefix) DO UPDATE SET last = GREATEST("
                "cases_casenumbercounter.last, EXCLUDED.last)",
                list(counters.items()),
            )
        common.log("VACUUM ANALYZE")
        for table in (case_table, event_table, material_table, "accounts_applicant"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    common.log(
        f"generated {result.cases:,} cases, {result.events:,} events, "
        f"{result.materials:,} materials in {time.monotonic() - started:.0f} s"
    )
    return result


@functools.cache
def _encrypted_address() -> str:
    from tongban.core.crypto import encrypt

    return encrypt("湖北省某市某区某路1号", "cases.case.delivery_address")


@functools.cache
def _empty_form() -> str:
    """The stored value of an empty application form (EncryptedJSONField): COPY bypasses
    the field, so the ciphertext is made here, once."""
    from django.db import connection

    from tongban.cases.models import Case

    return str(Case._meta.get_field("form_data").get_db_prep_value({}, connection))


def _case_row(
    rng: random.Random,
    ref: Ref,
    days: Days,
    columns: DateColumns,
    practice: dict[str, int],
    received_at: dt.datetime,
    received_day: dt.date,
    today_ordinal: int,
    now: dt.datetime,
    persons: list[int],
    enterprises: list[int],
    online_enterprises: list[int],
    online_users: dict[int, int],
) -> dict[str, Any]:
    online = rng.random() < ONLINE_SHARE
    if online:
        mode, item = "online", "company"
        handling = _weighted(rng, ONLINE_HANDLING)
        receiving = None
        channel = "web" if rng.random() < 0.7 else "app"
        delivery = "electronic" if rng.random() < 0.7 else "post"
        applicant = rng.choice(online_enterprises)
        submitted_by = online_users[applicant]
        path = PATHS[f"online-company-{delivery}"]
    else:
        mode = "proxy"
        handling = _weighted(rng, PROXY_HANDLING)
        receiving = _weighted(rng, PROXY_RECEIVING, exclude=handling)
        item = "company" if rng.random() < 0.55 else "marriage"
        channel = "window" if rng.random() < 0.92 else "terminal"
        if item == "company":
            r = rng.random()
            delivery = "post" if r < 0.5 else "window" if r < 0.9 else "electronic"
            applicant = rng.choice(enterprises)
        else:
            delivery = "window"
            applicant = rng.choice(persons)
        submitted_by = ref.clerk_ids[receiving]
        path = PATHS[f"proxy-{item}-{delivery}"]
    impl = ref.implementations[(item, handling)]

    # where on its path the case is today
    age = today_ordinal - days.ordinal(received_day)
    speed = rng.lognormvariate(0, 0.35)
    entered = [(status, round(offset * speed)) for status, offset in path]
    upto = max(i for i, (_, offset) in enumerate(entered) if offset <= age)
    status, last_offset = entered[upto]
    if status == "completed":
        r = rng.random()
        ending = None
        for probability, final in FINAL_ENDINGS:
            if r < probability:
                ending = final
                break
            r -= probability
        if ending is not None:
            # withdrawn at any point before the decision; refused or terminated at acceptance
            if ending == "withdrawn":
                before = ("received", "pending_acceptance", "accepted")
                upto = rng.choice([i for i, (s, _) in enumerate(entered) if s in before])
            else:
                upto = next(i for i, (s, _) in enumerate(entered) if s == "pending_acceptance")
            status, last_offset = ending, entered[upto][1] + 1
        elif rng.random() < (STUCK_RECENT if age < 60 else STUCK_OLD):
            open_states = [i for i, (s, _) in enumerate(entered) if s not in FINAL | {"delivered"}]
            upto = rng.choice(open_states)
            status, last_offset = entered[upto]
    if status not in FINAL:
        side = SIDE_STATES.get(status)
        if side is not None and rng.random() < side[0]:
            status = rng.choice(side[1])
            last_offset += 1
    reached = [s for s in entered[: upto + 1] if s[0] not in FINAL]

    last_day = days.plus(received_day, min(last_offset, age)) or received_day
    offsets = {s: o for s, o in reached if s in ("accepted", "approved")}
    accepted_day = days.plus(received_day, offsets["accepted"]) if "accepted" in offsets else None
    decided_day = days.plus(received_day, offsets["approved"]) if "approved" in offsets else None
    completed_day = last_day if status == "completed" else None
    due_date, step_due, warn_on, overdue_on, supplement_due, commitment_due, paused_on = (
        columns.compute(handling, status, last_day, accepted_day, impl.promised_limit_days)
    )

    def at(day: dt.date | None, hours: float) -> dt.datetime | None:
        if day is None:
            return None
        if day == received_day:
            value = received_at + dt.timedelta(hours=hours)
        else:
            value = _local_to_utc(day, rng.uniform(9 * 3600, 17 * 3600))
        return min(value, max(now, received_at))

    last_at = at(last_day, 2.0) or received_at
    handling_id = ref.jurisdiction_ids[handling]
    materials = []
    checklist = ref.materials[impl.pk]
    for position, (material_id, name, original, requirement) in enumerate(checklist):
        state = "provided"
        if status.startswith("supplement_") and position == len(checklist) - 1:
            state = "missing"
        elif status == "accepted_conditionally" and requirement == "deferrable":
            state = "deferred"
        posted = original and mode == "proxy"
        materials.append(
            f"{material_id}\t{name}\t{state}\t{'t' if original else 'f'}\t"
            f"{'t' if posted else 'f'}\t\t"
        )
    return {
        "_prefix_code": receiving or handling,
        "_initial": "pending_acceptance" if online else "received",
        "_materials": materials,
        "item_id": ref.item_ids[item],
        "implementation_id": impl.pk,
        "mode": mode,
        "channel": channel,
        "receiving_jurisdiction_id": ref.jurisdiction_ids[receiving] if receiving else None,
        "receiving_window_id": ref.window_ids.get(receiving) if receiving else None,
        "handling_jurisdiction_id": handling_id,
        "agreement_id": ref.agreement_id if receiving else None,
        "parent_id": None,
        "bundle_id": None,
        "form_data": _empty_form(),
        "joint_parts": "[]",
        "applicant_id": applicant,
        "submitted_by_id": submitted_by,
        "assisted": not online,
        "status": status,
        "practice_code": 14 if status == "withdrawn" and accepted_day else practice[status],
        "delivery_method": delivery,
        # COPY bypasses the field: the stored value must already be a ciphertext (ADR 0098)
        "delivery_address": _encrypted_address() if delivery == "post" else "",
        "received_at": received_at,
        "accepted_at": at(accepted_day, 1.0),
        "decided_at": at(decided_day, 1.5),
        "completed_at": last_at if completed_day else None,
        "promised_days": impl.promised_limit_days,
        "statutory_days": impl.statutory_limit_days,
        "extension_days": 0,
        "clock_start": accepted_day,
        "paused_working_days": 0,
        "paused_on": paused_on,
        "promised_hours": None,  # no 即办件 among the generated items
        "clock_started_at": None,
        "due_at": None,
        "warn_at": None,
        "overdue_at": None,
        "due_date": due_date,
        "step_due_date": step_due,
        "warn_on": warn_on,
        "overdue_on": overdue_on,
        "commitment_due": commitment_due,
        "supplement_due": supplement_due,
        "pickup_code_hash": "",
        "refusal_reason": "材料不符合法定形式" if status == "refused" else "",
        "competent_authority": "",
        "event_count": 1,
        "created_at": received_at,
        "updated_at": last_at,
    }


# -- COPY plumbing -----------------------------------------------------------------------


NULL = "\\N"


def _text(value: Any) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return NULL
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    return value.isoformat()  # type: ignore[no-any-return]


def _columns(model: Any, skip: tuple[str, ...]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


def _conninfo(db: dict[str, Any]) -> str:
    parts = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "dbname": db["NAME"],
        "user": db.get("USER") or "postgres",
    }
    if db.get("PASSWORD"):
        parts["password"] = db["PASSWORD"]
    return " ".join(f"{k}={v}" for k, v in parts.items())


@contextlib.contextmanager
def _indexes_dropped(conninfo: str, tables: list[str]) -> Iterator[None]:
    """Drop the tables' secondary indexes, foreign keys and unique constraints for the
    load and put back exactly the same definitions afterwards (also on failure)."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        constraints: list[tuple[str, str, str]] = []
        indexes: list[tuple[str, str]] = []
        for table in tables:
            constraints += [
                (table, name, definition)
                for name, definition in conn.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
                    [table],
                ).fetchall()
            ]
            indexes += conn.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
                " AND c.conrelid = x.indrelid) ORDER BY i.relname",
                [table],
            ).fetchall()
        with conn.transaction():
            for table, name, _ in constraints:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
        common.log(
            f"dropped {len(indexes)} indexes and {len(constraints)} constraints for the load"
        )
    try:
        yield
    finally:
        started = time.monotonic()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                conn.execute(definition)
            for table, name, definition in constraints:
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        common.log(
            f"recreated {len(indexes)} indexes and {len(constraints)} constraints "
            f"in {time.monotonic() - started:.0f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=common.DEFAULT_DB, help="database name (127.0.0.1)")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20230307)
    parser.add_argument("--no-materials", action="store_true", help="skip CaseMaterial rows")
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="drop and recreate the database, migrate, build the world and the PKI first",
    )
    args = parser.parse_args()
    env = common.make_env(args.db)
    common.django_setup(env)
    if args.prepare:
        common.prepare_database(env)
    generate(args.cases, seed=args.seed, with_materials=not args.no_materials)


if __name__ == "__main__":
    main()
