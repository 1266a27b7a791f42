"""`make bench`: the benchmark of issue 2 §7, end to end. Prints figures; never fails on
them (the exit status only says whether the run itself worked).

1. a dedicated PostgreSQL database (default `tongban_bench` on 127.0.0.1:5432), migrated,
   with the test world (`tongban.testing.world.build_world`) and a PKI in a temp dir;
2. N cases generated in bulk by COPY (bench/generate_cases.py; 1,000,000 by default);
3. gunicorn with gthread workers serving the bench settings (bench/bench_settings.py);
4. load from `wrk` (bench/wrk/*.lua, a separate C process), --clients connections: the
   bare-insert yardstick, the case walk (submit + 9 actions) for --duration seconds, the
   case look-up and the queue page variants, the yardstick again. For every request kind
   the server's CPU per request (gunicorn thread + PostgreSQL backend, X-Bench-Cost) and
   its ratio to the yardstick's; for every phase the server's and wrk's CPU from /proc;
5. EXPLAIN (ANALYZE, BUFFERS) of the queue queries, SQL statements per request;
6. a table on stdout, bench/results/latest.json and bench/results/plans-latest.txt.

    .venv/bin/python bench/run_all.py                # full run, 1,000,000 cases
    .venv/bin/python bench/run_all.py --quick        # 50,000 cases, shorter phases
    .venv/bin/python bench/run_all.py --reuse-db     # keep the generated cases of a
                                                     # previous run (same --db)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import bench_cases
import common

RESULTS_DIR = common.BENCH_DIR / "results"
# issue 12: server CPU per request and read latency at the server (1,000,000 cases)
TARGETS = {
    "action_cpu_ms": 5.0,
    "submit_cpu_ms": 12.0,
    "lookup_p99_ms": 5.0,
    "queue_p99_ms": 20.0,
    "lookup_sql": 3,
}
# a throughput ratio is quoted only when wrk used at most this share of the phase's CPU
CLIENT_SHARE_LIMIT = 0.15


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Tongban benchmark (issue 2 §7)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--db", default=common.DEFAULT_DB, help="database name (dropped!)")
    parser.add_argument("--clients", type=int, default=8, help="wrk connections (1 per thread)")
    parser.add_argument("--duration", type=float, default=60, help="walk phase, seconds")
    parser.add_argument("--cases-in-db", type=int, default=1_000_000)
    parser.add_argument("--insert-seconds", type=float, default=15)
    parser.add_argument("--read-seconds", type=float, default=10, help="per read kind and mode")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--quick", action="store_true", help="50,000 cases, short phases")
    parser.add_argument("--reuse-db", action="store_true", help="keep existing generated cases")
    parser.add_argument("--drop-db", action="store_true", help="drop the database at the end")
    parser.add_argument("--no-materials", action="store_true", help="generate no CaseMaterial")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.cases_in_db = min(args.cases_in_db, 50_000)
        args.duration = min(args.duration, 20)
        args.insert_seconds = min(args.insert_seconds, 5)
        args.read_seconds = min(args.read_seconds, 4)
    if args.clients < 1 or args.clients > 64:
        parser.error("--clients must be between 1 and 64")
    return args


# -- set-up ------------------------------------------------------------------------------


def ensure_data(args: argparse.Namespace, env: common.BenchEnv) -> dict[str, Any]:
    from generate_cases import generate

    generated: dict[str, Any] = {"reused": False}
    have = 0
    if args.reuse_db and common.database_exists(args.db):
        from tongban.accounts.models import User
        from tongban.cases.models import Case

        if User.objects.filter(username=common.OFFICER).exists():
            have = Case.objects.count()
            generated["reused"] = True
    if not generated["reused"]:
        common.prepare_database(env)
    missing = args.cases_in_db - have
    if missing > args.cases_in_db * 0.01:
        started = time.monotonic()
        result = generate(missing, seed=20230307 + have, with_materials=not args.no_materials)
        generated.update(
            cases=result.cases,
            events=result.events,
            materials=result.materials,
            seconds=round(time.monotonic() - started, 1),
        )
    else:
        common.log(f"reusing {have:,} cases in {args.db}")
    if generated["reused"]:
        # the reused database gets this code's schema: a trigger or index that a newer
        # migration adds must be measured too (nothing to do when it is current)
        common.tongban(env, "migrate", "--noinput", "--verbosity", "0")
        started = time.monotonic()
        common.vacuum_analyze(args.db)
        common.log(f"VACUUM (ANALYZE) of the reused database: {time.monotonic() - started:.0f} s")
    return generated


def world_facts() -> dict[str, Any]:
    from tongban.accounts.models import User
    from tongban.catalog.models import ItemImplementation

    agent = User.objects.get(username=common.AGENT)
    applicant = agent.applicants.order_by("pk").first()  # type: ignore[attr-defined]
    impl = (
        ItemImplementation.objects.filter(
            item__code="ITEM-COMPANY", jurisdiction__code=common.HANDLING, status="published"
        )
        .order_by("-version")
        .first()
    )
    assert applicant is not None and impl is not None
    return {
        "uscc": applicant.uscc,
        "agent_id_number": applicant.agent_id_number,
        "materials": list(impl.materials.order_by("position").values_list("pk", flat=True)),
    }


def database_facts() -> dict[str, Any]:
    from django.db import connection

    from tongban.cases import deadlines
    from tongban.regions.models import Jurisdiction

    donghu = Jurisdiction.objects.get(code=common.HANDLING).pk
    today = deadlines.local_today()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), "
            "count(*) FILTER (WHERE handling_jurisdiction_id = %s "
            "  OR receiving_jurisdiction_id = %s), "
            "count(*) FILTER (WHERE (handling_jurisdiction_id = %s "
            "  OR receiving_jurisdiction_id = %s) AND overdue_on < %s), "
            "count(*) FILTER (WHERE (handling_jurisdiction_id = %s "
            "  OR receiving_jurisdiction_id = %s) AND status = 'accepted') "
            "FROM cases_case",
            [donghu, donghu, donghu, donghu, today, donghu, donghu],
        )
        total, visible, red, accepted = cursor.fetchone()
        sizes = {}
        for table in ("cases_case", "cases_caseevent", "cases_casematerial"):
            cursor.execute(
                "SELECT pg_total_relation_size(%s), (SELECT count(*) FROM " + table + ")",
                [table],
            )
            size, rows = cursor.fetchone()
            sizes[table] = {"rows": rows, "total_mb": round(size / 2**20, 1)}
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
            "('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', "
            "'synchronous_commit')"
        )
        pg_settings = dict(cursor.fetchall())
        cursor.execute("SELECT pg_database_size(current_database())")
        database_bytes = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    return {
        "cases": total,
        "visible_to_officer": visible,
        "officer_overdue_red": red,
        "officer_status_accepted": accepted,
        "tables": sizes,
        "bytes": database_bytes,
        "postgres": version,
        "postgres_settings": pg_settings,
    }


def lookup_numbers(limit: int = 2000) -> list[str]:
    """Generated cases the 东湖 officer may read, picked at random."""
    from django.db import connection

    from tongban.regions.models import Jurisdiction

    donghu = Jurisdiction.objects.get(code=common.HANDLING).pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT number FROM cases_case TABLESAMPLE SYSTEM (5) "
            "WHERE handling_jurisdiction_id = %s OR receiving_jurisdiction_id = %s LIMIT %s",
            [donghu, donghu, limit],
        )
        numbers = [row[0] for row in cursor.fetchall()]
        if len(numbers) < 50:
            cursor.execute(
                "SELECT number FROM cases_case WHERE handling_jurisdiction_id = %s "
                "OR receiving_jurisdiction_id = %s ORDER BY random() LIMIT %s",
                [donghu, donghu, limit],
            )
            numbers = [row[0] for row in cursor.fetchall()]
    return numbers


def machine_facts() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# -- query plans and queries per request -------------------------------------------------


def query_plans() -> tuple[dict[str, Any], str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement of each queue page the bench reads (the
    look-up's two statements are pinned by cases/tests/test_read_statements.py)."""
    from django.db import connection

    from tongban.accounts.models import User
    from tongban.cases import selectors

    officer = User.objects.get(username=common.OFFICER)

    def page(cursor: str | None = None, **filters: Any) -> Any:
        return selectors.queue_page_query(officer, selectors.QueueFilter(**filters), cursor, 50)

    _, second = selectors.queue_page(officer, selectors.QueueFilter(), None, 50)
    queries = {
        "queue": page(),
        "queue_overdue_red": page(overdue="red"),
        "queue_status_accepted": page(status=["accepted"]),
        "queue_page_2": page(second),
    }
    summary: dict[str, Any] = {}
    text = []
    with connection.cursor() as cursor:
        for name, qs in queries.items():
            sql, params = qs.query.sql_with_params()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            lines = [row[0] for row in cursor.fetchall()]
            execution = next(
                (float(x.split(":")[1].split()[0]) for x in lines if "Execution Time" in x), None
            )
            summary[name] = {"execution_ms": execution, "top": lines[0].strip()}
            # the statement with its values, as a client-side cursor would quote them (the
            # connection binds them on the server, ADR 0137, and has no mogrify)
            shown = connection.ops.compose_sql(sql, params)
            text.append(f"== {name}\n{shown}\n\n" + "\n".join(lines))
    return summary, "\n\n".join(text) + "\n"


def queries_per_request(tokens: Any, numbers: list[str]) -> dict[str, int]:
    """SQL statements one request runs (Django test client in this process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = tokens.headers[common.OFFICER]
    counts = {}
    for name, url, params in (
        ("queue", "/api/v1/cases", {"limit": 50}),
        ("queue_overdue_red", "/api/v1/cases", {"limit": 50, "overdue": "red"}),
        ("lookup", f"/api/v1/cases/{numbers[0]}", {}),
    ):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params, headers=headers)
        counts[name] = len(captured) if response.status_code == 200 else -response.status_code
    return counts


def _diagnostic(function: Any, *args: Any) -> Any:
    """Run a diagnostic in this process; its failure (e.g. a module of the working tree
    being edited mid-run) must not cost the figures already measured."""
    try:
        return function(*args)
    except Exception as exc:
        common.log(f"diagnostic {function.__name__} failed: {exc!r}")
        return {"error": repr(exc)}


# -- report ------------------------------------------------------------------------------


def _kind_cpu(phase: dict[str, Any] | None, kind: str) -> float | None:
    if not phase:
        return None
    value = phase.get("kinds", {}).get(kind, {}).get("server_cpu_ms")
    return float(value) if value is not None else None


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The figures of issue 12, each request kind's server CPU next to the yardstick's:
    `ratio` = yardstick CPU / kind CPU, so 0.22 means the kind costs 4.5 yardsticks."""
    yardsticks = [
        v for k in ("insert_before", "insert_after") if (v := _kind_cpu(results.get(k), "insert"))
    ]
    phases_yardstick = statistics.median(yardsticks) if yardsticks else None
    walk = results.get("walk") or {}
    # the yardstick served between the walks (bench/wrk/walk.lua): the same server, warmed
    # the same way, under the same load as the moves it is compared with. The phases of
    # their own, before and after the walk, drifted with this machine by up to a quarter
    # between neighbouring runs; they stay for the throughput ratio.
    yardstick = _kind_cpu(walk, "insert") or phases_yardstick
    per_kind: dict[str, Any] = {}
    for kind in bench_cases.WALK_ACTIONS:
        cpu = _kind_cpu(walk, kind)
        if cpu is not None:
            stats = walk["kinds"][kind]
            per_kind[kind] = {
                "cpu_ms": cpu,
                "ratio": round(yardstick / cpu, 3) if yardstick else None,
                "sql": stats.get("sql_statements"),
                "count": stats.get("count"),
            }
    for name, modes in (results.get("reads") or {}).items():
        one = modes.get("1_client", {}).get("kinds", {}).get(name, {})
        if "server_cpu_ms" in one:
            per_kind[name] = {
                "cpu_ms": one["server_cpu_ms"],
                "ratio": round(yardstick / one["server_cpu_ms"], 3) if yardstick else None,
                "sql": one.get("sql_statements"),
                "server_p99_ms": one.get("server_p99_ms"),
                "client_p99_ms": modes["1_client"]["latency_ms"].get("p99"),
                "count": one.get("count"),
            }
    plain = [per_kind[a]["cpu_ms"] for a in bench_cases.PLAIN_ACTIONS if a in per_kind]
    action_cpu = round(statistics.median(plain), 3) if plain else None
    queue_p99 = [
        v["server_p99_ms"]
        for k, v in per_kind.items()
        if k.startswith("queue") and "server_p99_ms" in v
    ]
    out: dict[str, Any] = {
        "yardstick_cpu_ms": yardstick,
        "yardstick_source": "walk" if _kind_cpu(walk, "insert") else "phases",
        "yardstick_phases_cpu_ms": phases_yardstick,
        "yardstick_count": walk.get("kinds", {}).get("insert", {}).get("count", 0),
        "action_cpu_ms": action_cpu,
        "action_ratio": round(yardstick / action_cpu, 3) if yardstick and action_cpu else None,
        "submit_cpu_ms": per_kind.get("submit", {}).get("cpu_ms"),
        "issue_result_cpu_ms": per_kind.get("issue_result", {}).get("cpu_ms"),
        "lookup_cpu_ms": per_kind.get("lookup", {}).get("cpu_ms"),
        "lookup_p99_ms": per_kind.get("lookup", {}).get("server_p99_ms"),
        "lookup_sql": per_kind.get("lookup", {}).get("sql"),
        "queue_p99_ms": max(queue_p99) if queue_p99 else None,
        "per_kind": per_kind,
    }
    # throughput ratios only where wrk was shown not to be the bottleneck
    shares = {
        k: results[k]["cpu"].get("client_share")
        for k in ("insert_before", "insert_after", "walk")
        if k in results and "cpu" in results[k]
    }
    out["client_share"] = shares
    rates = [results[k]["req_per_s"] for k in ("insert_before", "insert_after") if k in results]
    if (
        walk
        and rates
        and shares
        and all(s is not None and s <= CLIENT_SHARE_LIMIT for s in shares.values())
    ):
        out["walk_throughput_ratio"] = round(walk["req_per_s"] / statistics.fmean(rates), 3)
    return out


def print_report(results: dict[str, Any]) -> None:
    h = results["headline"]
    out = print
    line = "-" * 92
    out("")
    out("=" * 92)
    out(
        f"Tongban benchmark  {results['started_at']}  (wrk, {results['config']['clients']} "
        f"connections; gunicorn {results['config']['workers']}x{results['config']['threads']}"
        f" gthread; {results['cases_in_db']:,} cases, {results['db_bytes'] / 2**30:.2f} GiB)"
    )
    out(
        f"machine: {results['machine']['cpus']} CPUs {results['machine']['cpu_model']}, "
        f"load {results['machine']['load_average']} -> {results.get('machine_end_load')}"
    )
    out("server CPU per request = the request's gunicorn thread + its PostgreSQL backend")
    out("(X-Bench-Cost, median); ratio = yardstick CPU / kind CPU (issue 12: actions >= 0.22)")
    out(line)
    out(
        f"  {'request kind':<24}{'CPU ms':>9}{'ratio':>8}{'SQL':>5}{'p99 srv':>9}"
        f"{'p99 wrk':>9}{'n':>8}"
    )
    out(
        f"  {'yardstick /bench/insert':<24}{h['yardstick_cpu_ms'] or 0:>9.3f}{1.0:>8.3f}{1:>5}"
        f"{'':>18}{h['yardstick_count']:>8}  ({h['yardstick_source']})"
    )
    if h["yardstick_phases_cpu_ms"]:
        out(f"  {'  in its own phases':<24}{h['yardstick_phases_cpu_ms']:>9.3f}")
    for kind, v in h["per_kind"].items():
        out(
            f"  {kind:<24}{v['cpu_ms']:>9.3f}{v['ratio'] or 0:>8.3f}{v['sql'] or 0:>5}"
            f"{v.get('server_p99_ms', float('nan')):>9.2f}"
            f"{v.get('client_p99_ms', float('nan')):>9.2f}{v['count']:>8}"
        )
    out(line)
    out("phases (whole phase, from /proc: server = gunicorn + PostgreSQL backends; wrk = rusage)")
    out(
        f"  {'phase':<30}{'req/s':>8}{'srv ms/req':>11}{'wrk ms/req':>11}{'cores busy':>11}"
        f"{'wrk share':>10}{'errors':>8}"
    )
    # the walk's figures include its yardstick requests, one per walk (bench/wrk/walk.lua)
    phases = [(k, results[k]) for k in ("insert_before", "walk", "insert_after") if k in results]
    for name, modes in (results.get("reads") or {}).items():
        phases += [(f"{name} {label.split('_')[0]}c", phase) for label, phase in modes.items()]
    for name, phase in phases:
        cpu = phase.get("cpu", {})
        errors = sum(sum(k.get("errors", {}).values()) for k in phase["kinds"].values())
        errors += sum(phase["socket_errors"].values())
        out(
            f"  {name:<30}{phase['req_per_s']:>8.1f}{cpu.get('server_ms_per_request') or 0:>11.3f}"
            f"{phase['client_cpu_ms_per_request'] or 0:>11.4f}"
            f"{cpu.get('server_cores_busy') or 0:>8.2f}/{cpu.get('cores', 0):<2}"
            f"{cpu.get('client_share') or 0:>10.3f}{errors:>8}"
        )  # fmt: skip
    out(line)
    if "walk_throughput_ratio" in h:
        out(
            f"walk throughput / yardstick throughput: {h['walk_throughput_ratio']} (wrk's CPU "
            f"share <= {CLIENT_SHARE_LIMIT} in every phase it compares)"
        )
    else:
        out(
            f"no throughput ratio: wrk's CPU share exceeded {CLIENT_SHARE_LIMIT}: "
            f"{h['client_share']}"
        )
    if results.get("queries_per_request") and "error" not in results["queries_per_request"]:
        out(
            "SQL statements per request (incl. 2 of authentication): "
            f"{results['queries_per_request']}"
        )
    plans = results.get("plans")
    if plans:
        out(
            "EXPLAIN ANALYZE (ms): "
            + ", ".join(f"{k} {v['execution_ms']}" for k, v in plans.items())
        )
    out("targets (informative, never pass/fail): " + "; ".join(results["targets"]))
    out("=" * 92)


def markdown_table(results: dict[str, Any]) -> str:
    """The current table of docs/benchmarks.md: figure, ratio, target, date."""
    h = results["headline"]
    day = results["started_at"][:10]
    y = h["yardstick_cpu_ms"]
    rows = [
        "| figure | measured | ratio to the yardstick | target (issue 12) | date |",
        "|---|---:|---:|---|---|",
        f"| yardstick `POST /bench/insert`: server CPU per request ({h['yardstick_source']}) "
        f"| {y:.2f} ms | 1 | | {day} |",
        f"| **plain action** (median of the 8): server CPU | **{h['action_cpu_ms']:.2f} ms** "
        f"| {h['action_ratio']:.3f} | ≤ 5 ms, ≥ 0.22× (moonshot 2.5 ms) | {day} |",
    ]
    if h.get("yardstick_phases_cpu_ms") and h["yardstick_source"] == "walk":
        phases = h["yardstick_phases_cpu_ms"]
        rows.append(
            f"| &nbsp;&nbsp;the yardstick in its own phases; the plain action's ratio to it "
            f"| {phases:.2f} ms | {phases / h['action_cpu_ms']:.3f} | ≥ 0.22× | {day} |"
        )
    targets = {"submit": "≤ 12 ms", "issue_result": "off the request path (§3)"}
    for kind, v in h["per_kind"].items():
        if kind in bench_cases.PLAIN_ACTIONS:
            rows.append(
                f"| &nbsp;&nbsp;{kind}: CPU, SQL statements | {v['cpu_ms']:.2f} ms, {v['sql']} "
                f"| {v['ratio']:.3f} | | {day} |"
            )
        elif kind in bench_cases.WALK_ACTIONS:
            rows.append(
                f"| {kind}: CPU, SQL statements | {v['cpu_ms']:.2f} ms, {v['sql']} "
                f"| {v['ratio']:.3f} | {targets.get(kind, '')} | {day} |"
            )
    for kind, v in h["per_kind"].items():
        if kind in bench_cases.WALK_ACTIONS:
            continue
        target = "< 5 ms, ≤ 3 statements + auth" if kind == "lookup" else "< 20 ms"
        rows.append(
            f"| {kind}: p99 at the server (1 connection); CPU; SQL | "
            f"**{v['server_p99_ms']:.2f} ms**; {v['cpu_ms']:.2f} ms; {v['sql']} "
            f"| {v['ratio']:.3f} | p99 {target} | {day} |"
        )
    if "walk_throughput_ratio" in h:
        rows.append(
            f"| walk req/s ÷ yardstick req/s (wrk share ≤ {CLIENT_SHARE_LIMIT}) | "
            f"{results['walk']['req_per_s']} req/s | {h['walk_throughput_ratio']} | | {day} |"
        )
    rows.append(
        f"| database | {results['cases_in_db']:,} cases, "
        f"{results['db_bytes'] / 2**30:.2f} GiB | | 1,000,000 cases | {day} |"
    )
    return "\n".join(rows) + "\n"


def target_notes(h: dict[str, Any]) -> list[str]:
    notes = []
    for key in ("action_cpu_ms", "submit_cpu_ms", "lookup_p99_ms", "queue_p99_ms"):
        notes.append(f"{key} {h.get(key)} vs <= {TARGETS[key]}")
    notes.append(f"lookup_sql {h.get('lookup_sql')} vs <= {TARGETS['lookup_sql']} + 2 auth")
    return notes


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    RESULTS_DIR.mkdir(exist_ok=True)
    bench_cases.wrk_binary()  # fail before the data, not after
    env = common.make_env(args.db)
    common.django_setup(env)

    started = time.monotonic()
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": machine_facts(),
        "load_generator": "wrk " + bench_cases.wrk_version(),
    }
    results["generated"] = ensure_data(args, env)
    from django.db import connection

    connection.close()
    results["database"] = database_facts()
    results["cases_in_db"] = results["database"]["cases"]
    results["db_bytes"] = results["database"]["bytes"]
    common.log(
        f"{results['cases_in_db']:,} cases ({results['db_bytes'] / 2**30:.2f} GiB); the officer "
        f"sees {results['database']['visible_to_officer']:,}"
    )
    facts = world_facts()
    numbers = lookup_numbers()
    connection.close()

    with common.gunicorn_server(env, args.workers, args.threads) as server:
        base_url = server.base_url
        tokens = bench_cases.Tokens(base_url)
        tokens.login(common.CLERK, common.OFFICER, common.AGENT)
        submission = bench_cases.submission_body(facts["materials"])
        submission["applicant"]["uscc"] = facts["uscc"]
        submission["applicant"]["agent_id_number"] = facts["agent_id_number"]

        def meter() -> common.CpuMeter:
            return common.CpuMeter(server, args.db)

        def yardstick(key: str) -> None:
            common.log(f"yardstick: POST /bench/insert, {args.clients} connections")
            results[key] = bench_cases.yardstick_phase(
                base_url, args.clients, args.insert_seconds, meter()
            )
            common.log(f"  {results[key]['req_per_s']} req/s")

        yardstick("insert_before")
        common.log(f"case walk: {args.clients} connections, {args.duration} s")
        results["walk"] = bench_cases.walk_phase(
            base_url, tokens, submission, args.clients, args.duration, meter()
        )
        common.log(
            f"  {results['walk']['req_per_s']} req/s, {results['walk']['walks_per_s']} walks/s"
        )
        if numbers:
            common.log(f"reads: {args.read_seconds} s per kind and mode")
            results["reads"] = bench_cases.read_phase(
                base_url, tokens, numbers, args.clients, args.read_seconds, meter
            )
        yardstick("insert_after")
        results["machine_end_load"] = [round(x, 2) for x in os.getloadavg()]
        if numbers:
            results["queries_per_request"] = _diagnostic(queries_per_request, tokens, numbers)

    plans = _diagnostic(query_plans)
    if isinstance(plans, tuple):
        results["plans"], plan_text = plans
        (RESULTS_DIR / "plans-latest.txt").write_text(plan_text)
    else:
        results["plans_error"] = plans
    h = headline(results)
    results["headline"] = h
    # the keys of issue 12 at the top level
    for key in (
        "action_cpu_ms",
        "submit_cpu_ms",
        "yardstick_cpu_ms",
        "lookup_p99_ms",
        "queue_p99_ms",
    ):
        results[key] = h[key]
    results["targets"] = target_notes(h)
    results["total_seconds"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    (RESULTS_DIR / "latest.md").write_text(markdown_table(results))
    print_report(results)
    common.log(f"figures in {args.output}; plans in {RESULTS_DIR / 'plans-latest.txt'}")
    connection.close()
    if args.drop_db:
        common.drop_database(args.db)
        common.log(f"dropped {args.db}")


if __name__ == "__main__":
    sys.exit(main())
