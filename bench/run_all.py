"""`make bench`: the benchmark of issue 2 §7, end to end. Prints figures; never fails on
them (the exit status only says whether the run itself worked).

1. a dedicated PostgreSQL database (default `tongban_bench` on 127.0.0.1:5432), migrated,
   with the test world (`tongban.testing.world.build_world`) and a PKI in a temp dir;
2. N cases generated in bulk by COPY (bench/generate_cases.py; 1,000,000 by default);
3. gunicorn with gthread workers serving the bench settings (bench/bench_settings.py);
4. over HTTP from this process (a separate process from the server), with --clients
   threads: the bare-insert yardstick, the case walk (submit + 9 actions) for --duration
   seconds, the work queue and case lookup, the yardstick again;
5. EXPLAIN (ANALYZE, BUFFERS) of the queue and lookup queries, SQL queries per request;
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
import sys
import time
from pathlib import Path
from typing import Any

import common

RESULTS_DIR = common.BENCH_DIR / "results"
TARGETS = {"actions_per_s": 300.0, "queue_p99_ms": 50.0, "lookup_p99_ms": 10.0}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Tongban benchmark (issue 2 §7)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--db", default=common.DEFAULT_DB, help="database name (dropped!)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--cases", type=int, default=None, help="stop the walk after K cases")
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
    parser.add_argument(
        "--reference-rps",
        type=float,
        default=1300.0,
        help="yardstick req/s of a quiet machine, to normalise figures (default 1300)",
    )
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
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    return {
        "cases": total,
        "visible_to_officer": visible,
        "officer_overdue_red": red,
        "officer_status_accepted": accepted,
        "tables": sizes,
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


def query_plans(numbers: list[str]) -> tuple[dict[str, Any], str]:
    """EXPLAIN (ANALYZE, BUFFERS) of what the queue and lookup endpoints run."""
    from django.db import connection
    from django.db.models import Q

    from tongban.accounts.models import User
    from tongban.cases import selectors

    officer = User.objects.get(username=common.OFFICER)

    def queue(**filters: Any) -> Any:
        qs = selectors.case_queue(officer, selectors.QueueFilter(**filters))
        return qs.order_by("-received_at", "-id")[:51]

    first = list(queue())
    cursor_row = first[49] if len(first) > 49 else first[-1]
    at, pk = cursor_row.received_at, cursor_row.pk
    queries = {
        "queue": queue(),
        "queue_overdue_red": queue(overdue="red"),
        "queue_status_accepted": queue(status=["accepted"]),
        "queue_page_2": selectors.case_queue(officer, selectors.QueueFilter())
        .filter(Q(received_at__lt=at) | Q(received_at=at, id__lt=pk))
        .order_by("-received_at", "-id")[:51],
        "lookup": selectors.readable_cases(officer)
        .select_related(
            "item",
            "implementation",
            "applicant",
            "receiving_jurisdiction",
            "handling_jurisdiction",
            "receiving_window",
            "agreement",
            "parent",
            "submitted_by",
        )
        .filter(number=numbers[len(numbers) // 2])[:1],
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
            text.append(f"== {name}\n{cursor.mogrify(sql, params)}\n\n" + "\n".join(lines))
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


def add_ratios(results: dict[str, Any]) -> None:
    """Every figure also as a ratio to the bare-insert yardstick measured in this run:
    a rate as a fraction of its req/s, a latency in units of its time per request."""
    rates = [results[k]["req_per_s"] for k in ("insert_before", "insert_after") if k in results]
    baseline = sum(rates) / len(rates) if rates else 0.0
    results["yardstick"] = {
        "insert_req_per_s": round(baseline, 1),
        "insert_unit_ms": round(1000 / baseline, 3) if baseline else None,
    }
    cpus = os.cpu_count() or 1
    for key in ("insert_before", "insert_after", "walk"):
        phase = results.get(key)
        if not phase or "cpu" not in phase or not phase["requests"]:
            continue
        cpu = phase["cpu"]
        per_request = (cpu["app_cpu_s"] + cpu["db_cpu_s"]) / phase["requests"]
        cpu["server_ms_per_request"] = round(per_request * 1000, 2)
        cpu["app_ms_per_request"] = round(cpu["app_cpu_s"] / phase["requests"] * 1000, 2)
        cpu["db_ms_per_request"] = round(cpu["db_cpu_s"] / phase["requests"] * 1000, 2)
        # what the server's CPU alone would allow on this many idle cores (an upper bound:
        # no lock waits, no client, no other tenant)
        cpu["cpu_bound_req_per_s"] = round(cpus / per_request, 1) if per_request else None
    if not baseline:
        return
    unit = 1000 / baseline
    walk = results.get("walk")
    if walk:
        walk["actions_ratio"] = round(walk["actions_per_s"] / baseline, 3)
        walk["walks_ratio"] = round(walk["walks_per_s"] / baseline, 4)
        for stats in walk["per_action"].values():
            stats["p50_ratio"] = round(stats["p50_ms"] / unit, 1)
            stats["p99_ratio"] = round(stats["p99_ms"] / unit, 1)
    for kind in results.get("reads", {}).values():
        for mode in kind.values():
            mode["req_ratio"] = round(mode["req_per_s"] / baseline, 3)
            mode["latency"]["p50_ratio"] = round(mode["latency"]["p50_ms"] / unit, 1)
            mode["latency"]["p99_ratio"] = round(mode["latency"]["p99_ms"] / unit, 1)
    # the same ratios at the reference yardstick: an estimate of a quiet machine
    reference = results["config"].get("reference_rps") or 0.0
    if reference:
        ref_unit = 1000 / reference
        normalised: dict[str, Any] = {"reference_rps": reference}
        if walk:
            normalised["actions_per_s"] = round(walk["actions_ratio"] * reference, 1)
            normalised["walks_per_s"] = round(walk["walks_ratio"] * reference, 2)
        for name, kind in results.get("reads", {}).items():
            lat = kind["1_client"]["latency"]
            normalised[f"{name}_1_client_p50_ms"] = round(lat["p50_ratio"] * ref_unit, 1)
            normalised[f"{name}_1_client_p99_ms"] = round(lat["p99_ratio"] * ref_unit, 1)
        results["normalised"] = normalised


def print_report(results: dict[str, Any]) -> None:
    y = results["yardstick"]
    out = print
    out("")
    out("=" * 86)
    out(
        f"Tongban benchmark  {results['started_at']}  ({results['config']['clients']} clients, "
        f"{results['config']['workers']}x{results['config']['threads']} gthread, "
        f"{results['database'].get('cases', 0):,} cases in the database)"
    )
    out(
        f"machine: {results['machine']['cpus']} CPUs {results['machine']['cpu_model']}, "
        f"load {results['machine']['load_average']} -> {results['machine_end_load']}"
    )
    out("ratio: a rate / yardstick req/s; a latency / yardstick time per request (x)")
    out("cpu ms: median CPU of the request's server thread; sql ms: median time inside SQL")
    out("-" * 86)
    for key in ("insert_before", "insert_after"):
        if key in results:
            r = results[key]
            out(
                f"yardstick /bench/insert ({key[7:]}): {r['req_per_s']:8.1f} req/s  "
                f"p50 {r['latency']['p50_ms']:.1f} ms  p99 {r['latency']['p99_ms']:.1f} ms  "
                + _cpu_text(r)
            )
    out(f"yardstick used: {y['insert_req_per_s']} req/s = {y['insert_unit_ms']} ms per request")
    walk = results.get("walk")
    if walk:
        out("-" * 86)
        out(
            f"case walk: {walk['actions_per_s']:.1f} actions/s (ratio {walk.get('actions_ratio')})"
            f", {walk['walks_per_s']:.2f} walks/s (ratio {walk.get('walks_ratio')}), "
            f"{walk['walks']} walks in {walk['elapsed_s']} s"
        )
        out(f"  {_cpu_text(walk)}")
        if walk.get("sustained"):
            s = walk["sustained"]
            out(
                f"  per {s['window_s']:.0f} s window: min {s['min_req_per_s']} "
                f"max {s['max_req_per_s']} req/s"
            )
        if walk["errors"]:
            out(f"  errors: {walk['errors']}")
        out(
            f"  {'action':<18}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'p50 x':>8}{'p99 x':>8}"
            f"{'cpu ms':>9}{'sql ms':>9}{'sql n':>7}"
        )
        for action, st in walk["per_action"].items():
            out(
                f"  {action:<18}{st['count']:>7}{st['p50_ms']:>9.1f}{st['p99_ms']:>9.1f}"
                f"{st.get('p50_ratio', 0):>8.1f}{st.get('p99_ratio', 0):>8.1f}"
                f"{st.get('server_cpu_ms', 0):>9.1f}{st.get('server_db_ms', 0):>9.1f}"
                f"{st.get('sql_queries', 0):>7}"
            )
    reads = results.get("reads")
    if reads:
        out("-" * 86)
        out(f"reads as {common.OFFICER} with {results['database']['cases']:,} cases:")
        out(
            f"  {'request':<22}{'clients':>7}{'req/s':>8}{'ratio':>7}{'p50 ms':>8}"
            f"{'p99 ms':>8}{'p50 x':>7}{'p99 x':>7}{'cpu ms':>8}{'sql ms':>8}"
        )
        for name, modes in reads.items():
            for label, st in modes.items():
                lat = st["latency"]
                out(
                    f"  {name:<22}{label.split('_')[0]:>7}{st['req_per_s']:>8.1f}"
                    f"{st.get('req_ratio', 0):>7.3f}{lat['p50_ms']:>8.1f}{lat['p99_ms']:>8.1f}"
                    f"{lat.get('p50_ratio', 0):>7.1f}{lat.get('p99_ratio', 0):>7.1f}"
                    f"{lat.get('server_cpu_ms', 0):>8.1f}{lat.get('server_db_ms', 0):>8.1f}"
                )
    plans = results.get("plans")
    if plans:
        out("-" * 86)
        out(
            "EXPLAIN ANALYZE (server side, ms):  "
            + ", ".join(f"{k} {v['execution_ms']}" for k, v in plans.items())
        )
    if results.get("queries_per_request") and "error" not in results["queries_per_request"]:
        out(f"SQL queries per request: {results['queries_per_request']}")
    if results.get("normalised"):
        norm = results["normalised"]
        out("-" * 86)
        out(
            f"normalised to a {norm['reference_rps']:.0f} req/s yardstick (quiet machine; "
            "an estimate): "
            + ", ".join(f"{k} {v}" for k, v in norm.items() if k != "reference_rps")
        )
    out("-" * 86)
    out("targets (informative, never pass/fail): " + ", ".join(results["targets"]))
    out("=" * 86)


def _cpu_text(phase: dict[str, Any]) -> str:
    cpu = phase.get("cpu") or {}
    if "server_ms_per_request" not in cpu:
        return ""
    return (
        f"server CPU {cpu['server_ms_per_request']} ms/req (app {cpu['app_ms_per_request']}"
        f" + PostgreSQL {cpu['db_ms_per_request']}) -> CPU-bound ceiling "
        f"{cpu['cpu_bound_req_per_s']} req/s; client CPU {cpu['client_cpu_s']} s"
    )


def target_notes(results: dict[str, Any]) -> list[str]:
    notes = []
    walk = results.get("walk")
    if walk:
        notes.append(f"actions/s {walk['actions_per_s']} vs >= {TARGETS['actions_per_s']:.0f}")
    reads = results.get("reads", {})
    for name, modes in reads.items():
        key = "lookup_p99_ms" if name == "lookup" else "queue_p99_ms"
        p99 = modes["1_client"]["latency"]["p99_ms"]
        notes.append(f"{name} p99 (1 client) {p99} ms vs < {TARGETS[key]:.0f}")
    return notes


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    RESULTS_DIR.mkdir(exist_ok=True)
    env = common.make_env(args.db)
    common.django_setup(env)
    import bench_cases

    started = time.monotonic()
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {k: v for k, v in vars(args).items() if k not in ("output",)},
        "machine": machine_facts(),
    }
    results["generated"] = ensure_data(args, env)
    from django.db import connection

    connection.close()
    results["database"] = database_facts()
    common.log(
        f"{results['database']['cases']:,} cases; the officer sees "
        f"{results['database']['visible_to_officer']:,}"
    )
    facts = world_facts()
    numbers = lookup_numbers()
    connection.close()

    with common.gunicorn_server(env, args.workers, args.threads) as server:
        base_url = server.base_url
        bench_cases._check_loopback(base_url)
        tokens = bench_cases.Tokens(base_url)
        tokens.login(common.CLERK, common.OFFICER, common.AGENT)
        submission = bench_cases.submission_body(facts["materials"])
        submission["applicant"]["uscc"] = facts["uscc"]
        submission["applicant"]["agent_id_number"] = facts["agent_id_number"]

        def metered(name: str, run: Any) -> dict[str, Any]:
            with common.CpuMeter(server, args.db) as meter:
                result: dict[str, Any] = run()
            result["cpu"] = meter.result
            return result

        common.log(f"yardstick: POST /bench/insert, {args.clients} clients, {args.insert_seconds}s")
        results["insert_before"] = metered(
            "insert", lambda: bench_cases.insert_phase(base_url, args.clients, args.insert_seconds)
        )
        common.log(f"  {results['insert_before']['req_per_s']} req/s")
        common.log(f"case walk: {args.clients} clients, {args.duration} s")
        results["walk"] = metered(
            "walk",
            lambda: bench_cases.walk_phase(
                base_url, tokens, submission, args.clients, args.duration, args.cases
            ),
        )
        common.log(
            f"  {results['walk']['actions_per_s']} actions/s, "
            f"{results['walk']['walks_per_s']} walks/s"
        )
        if numbers:
            common.log(f"reads: {args.read_seconds} s per kind and mode")
            results["reads"] = bench_cases.read_phase(
                base_url, tokens, numbers, args.clients, args.read_seconds
            )
        results["insert_after"] = metered(
            "insert", lambda: bench_cases.insert_phase(base_url, args.clients, args.insert_seconds)
        )
        common.log(f"yardstick again: {results['insert_after']['req_per_s']} req/s")
        results["machine_end_load"] = [round(x, 2) for x in os.getloadavg()]
        if numbers:
            results["queries_per_request"] = _diagnostic(queries_per_request, tokens, numbers)

    if numbers:
        plans = _diagnostic(query_plans, numbers)
        if isinstance(plans, tuple):
            results["plans"], plan_text = plans
            (RESULTS_DIR / "plans-latest.txt").write_text(plan_text)
        else:
            results["plans_error"] = plans
    add_ratios(results)
    results["targets"] = target_notes(results)
    results["total_seconds"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print_report(results)
    common.log(f"figures in {args.output}; plans in {RESULTS_DIR / 'plans-latest.txt'}")
    connection.close()
    if args.drop_db:
        common.drop_database(args.db)
        common.log(f"dropped {args.db}")


if __name__ == "__main__":
    sys.exit(main())
