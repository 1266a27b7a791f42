"""In-process profile of the two hot reads: server CPU and SQL statements per request.

The case look-up `GET /api/v1/cases/{number}` (generated cases the 东湖 officer may read,
drawn at random, and one case walked to its end through the API: agreement, materials,
two shipments, eleven events) and the queue page `GET /api/v1/cases?limit=50` with the
variants of bench/run_all.py, through the Django test client in this process with a real
bearer token. Each request's cost is the X-Bench-Cost header of bench/bench_middleware.py
(the CPU time of the request's thread, the statements it ran). No HTTP, no load
generator: it isolates the Python cost of a read, for comparing code changes; the
latencies under load are bench/run_all.py's.

    .venv/bin/python bench/profile_reads.py --db tongban_profile_reads --cases 20000
    .venv/bin/python bench/profile_reads.py --profile lookup --top 40   # cProfile
    .venv/bin/python bench/profile_reads.py --json out.json

The database is built on first use (migrate, world, PKI, `--cases` generated cases) and
reused afterwards (`--fresh` rebuilds it). Python cost hardly depends on its size; the
plans at 1,000,000 cases are bench/run_all.py's (`plans-latest.txt`).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sys
from typing import Any

import common

KINDS = ("lookup", "lookup_walked", "queue", "queue_overdue_red", "queue_status_accepted",
         "queue_page_2")  # fmt: skip


def _walked_case(client: Any, headers: dict[str, dict[str, str]]) -> str:
    import bench_cases
    import profile_actions
    import run_all

    facts = run_all.world_facts()
    body = bench_cases.submission_body(facts["materials"])
    body["applicant"]["uscc"] = facts["uscc"]
    body["applicant"]["agent_id_number"] = facts["agent_id_number"]
    response = client.post("/api/v1/cases", body, content_type="application/json",
                           headers=headers[common.CLERK])  # fmt: skip
    assert response.status_code == 201, response.content
    number: str = response.json()["number"]
    for action, user, data in profile_actions.WALK:
        response = client.post(
            f"/api/v1/cases/{number}/actions/{action}",
            data,
            content_type="application/json",
            headers=headers[user],
        )
        assert response.status_code == 200, (action, response.content[:300])
    return number


def requests_of(client: Any, headers: dict[str, dict[str, str]]) -> dict[str, Any]:
    """One callable per kind, each doing one request and answering the response."""
    import run_all

    officer = headers[common.OFFICER]
    numbers = run_all.lookup_numbers()
    walked = _walked_case(client, headers)
    first = client.get("/api/v1/cases", {"limit": 50}, headers=officer).json()
    cursor = first["next_cursor"]
    rng = random.Random(7)

    def get(path: str, params: dict[str, Any] | None = None) -> Any:
        return lambda: client.get(path, params or {}, headers=officer)

    return {
        "lookup": lambda: client.get(f"/api/v1/cases/{rng.choice(numbers)}", headers=officer),
        "lookup_walked": get(f"/api/v1/cases/{walked}"),
        "queue": get("/api/v1/cases", {"limit": 50}),
        "queue_overdue_red": get("/api/v1/cases", {"limit": 50, "overdue": "red"}),
        "queue_status_accepted": get("/api/v1/cases", {"limit": 50, "status": "accepted"}),
        "queue_page_2": get("/api/v1/cases", {"limit": 50, "cursor": cursor}),
    }


def measure(calls: dict[str, Any], kinds: list[str], n: int, warmup: int) -> dict[str, Any]:
    costs = common.InProcessCosts()
    for kind in kinds:
        for i in range(warmup + n):
            response = calls[kind]()
            if response.status_code != 200:
                raise SystemExit(f"{kind}: {response.status_code} {response.content[:300]!r}")
            if i >= warmup:
                costs.add(kind, response["X-Bench-Cost"])
    return costs.summary(kinds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="tongban_profile_reads")
    parser.add_argument("--cases", type=int, default=20_000, help="generated on first use")
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    parser.add_argument("--requests", type=int, default=300, help="per kind")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--profile", choices=KINDS, help="cProfile this kind instead")
    parser.add_argument("--top", type=int, default=30, help="cProfile: functions shown")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    env = common.make_env(args.db)
    common.django_setup(env)
    if args.fresh or not common.database_exists(args.db):
        from generate_cases import generate

        common.prepare_database(env)
        generate(args.cases)

    from django.test import Client

    client = Client()
    headers: dict[str, dict[str, str]] = {}
    for username in (common.CLERK, common.OFFICER, common.AGENT):
        response = client.post(
            "/api/v1/auth/token",
            {"username": username, "password": common.PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        headers[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    calls = requests_of(client, headers)

    if args.profile:
        call = calls[args.profile]
        for _ in range(args.warmup):
            call()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call()
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        return

    kinds = [k for k in args.kinds.split(",") if k]
    figures = measure(calls, kinds, args.requests, args.warmup)
    print(f"{'request':<24}{'CPU ms (median)':>16}{'p90':>8}{'pg ms':>8}{'SQL':>6}")
    for name, row in figures.items():
        print(
            f"{name:<24}{row['cpu_ms_median']:>16.2f}{row['cpu_ms_p90']:>8.2f}"
            f"{row['pg_ms_median']:>8.2f}{row['statements']:>6}"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
