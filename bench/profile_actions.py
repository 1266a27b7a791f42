"""In-process profile of the case walk: server CPU and SQL statements per case action.

The walk of bench/bench_cases.py (submit and nine actions, 黄州 receives a company
registration for 东湖) runs through the Django test client in this process, with real
bearer tokens from POST /api/v1/auth/token, against a PostgreSQL database of its own
(default `tongban_profile`, built on first use with the test world and a PKI). Each
request's cost is read from the X-Bench-Cost header of bench/bench_middleware.py: the CPU
time of the request's thread (time.thread_time) and the statements it ran. No HTTP, no
load generator: this isolates what the server spends per request, for comparing code
changes; the load figures are bench/run_all.py's.

    .venv/bin/python bench/profile_actions.py --walks 200
    .venv/bin/python bench/profile_actions.py --walks 200 --json out.json
    .venv/bin/python bench/profile_actions.py --walks 100 --profile approve --top 40
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from typing import Any

import common

WALK = (
    ("check", common.CLERK, {}),
    ("transfer", common.CLERK, {"carrier": "EMS", "waybill_number": "EMS-BENCH-1"}),
    ("receive_transfer", common.OFFICER, {"discrepancies": ""}),
    ("accept", common.OFFICER, {}),
    ("approve", common.OFFICER, {}),
    ("issue_result", common.OFFICER, {}),
    ("ship", common.OFFICER, {"method": "post", "carrier": "EMS", "waybill_number": "EMS-B-2"}),
    ("sign_for", common.AGENT, {}),
    ("complete", common.OFFICER, {}),
)


def profile(walks: int, warmup: int, profiler: cProfile.Profile | None = None,
            profiled: str = "") -> dict[str, Any]:  # fmt: skip
    from django.test import Client

    import bench_cases
    import run_all

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
    facts = run_all.world_facts()
    submission = bench_cases.submission_body(facts["materials"])
    submission["applicant"]["uscc"] = facts["uscc"]
    submission["applicant"]["agent_id_number"] = facts["agent_id_number"]
    costs = common.InProcessCosts()

    def post(name: str, url: str, user: str, body: dict[str, Any], expect: int) -> Any:
        if profiler is not None and name == profiled:
            profiler.enable()
        response = client.post(url, body, content_type="application/json", headers=headers[user])
        if profiler is not None and name == profiled:
            profiler.disable()
        if response.status_code != expect:
            raise SystemExit(f"{name}: {response.status_code} {response.content[:500]!r}")
        return response

    for walk in range(warmup + walks):
        response = post("submit", "/api/v1/cases", common.CLERK, submission, 201)
        results = [("submit", response)]
        number = response.json()["number"]
        for action, user, body in WALK:
            url = f"/api/v1/cases/{number}/actions/{action}"
            results.append((action, post(action, url, user, body, 200)))
        if walk >= warmup:
            for name, response in results:
                costs.add(name, response["X-Bench-Cost"])
    return costs.summary(["submit", *(a for a, _u, _b in WALK)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--db", default="tongban_profile")
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--profile", choices=["submit", *(a for a, _u, _b in WALK)],
                        help="also cProfile this request kind (its CPU figures then include "
                        "the profiler's overhead)")  # fmt: skip
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args(argv)
    env = common.make_env(args.db)
    if args.fresh or not common.database_exists(args.db):
        common.django_setup(env)
        common.prepare_database(env)
    else:
        common.django_setup(env)
    # CPU of this thread, not wall time: the waits on PostgreSQL are not the server's Python
    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    figures = profile(args.walks, args.warmup, profiler, args.profile or "")
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(args.sort).print_stats(args.top)
    plain = [v["cpu_ms_median"] for k, v in figures.items() if k not in ("submit", "issue_result")]
    print(f"{'request':<18}{'CPU ms (median)':>16}{'p90':>8}{'PG ms':>8}{'SQL':>6}")
    for name, row in figures.items():
        print(
            f"{name:<18}{row['cpu_ms_median']:>16.2f}{row['cpu_ms_p90']:>8.2f}"
            f"{row['pg_ms_median']:>8.2f}{row['statements']:>6}"
        )
    print(f"plain actions, median of medians: {statistics.median(plain):.2f} ms")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"per_request": figures, "action_cpu_ms": statistics.median(plain)}, out)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
