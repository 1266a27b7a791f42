"""HTTP load against a running Tongban server: the case walk, the work queue, case lookup
and the bare-insert yardstick. Runs in its own process (never inside the server), with a
bounded number of client threads, each phase bounded in time and request count, and
talks only to 127.0.0.1.

Used by bench/run_all.py; also runnable on its own against a server that already has
the test world (`build_world`) loaded:

    .venv/bin/python bench/bench_cases.py --base-url http://127.0.0.1:8000 --walk-seconds 30
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

import common

WALK_ACTIONS = (
    "submit",
    "check",
    "transfer",
    "receive_transfer",
    "accept",
    "approve",
    "issue_result",
    "ship",
    "sign_for",
    "complete",
)
MAX_REQUESTS_PER_PHASE = 2_000_000  # a hard stop besides the time limit


def _check_loopback(base_url: str) -> None:
    host = urlsplit(base_url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {host}: the benchmark only targets 127.0.0.1")


# -- recording ---------------------------------------------------------------------------


@dataclass
class Recorder:
    """Latencies per request name, errors per name and status, completion instants."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    costs: dict[str, list[tuple[float, float, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    done_at: list[float] = field(default_factory=list)
    walks: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, name: str, seconds: float, at: float, cost: str | None = None) -> None:
        parsed = _parse_cost(cost) if cost else None
        with self.lock:
            self.latencies[name].append(seconds)
            self.done_at.append(at)
            if parsed is not None:
                self.costs[name].append(parsed)

    def summary(self, name: str) -> dict[str, float]:
        result = latency_summary(self.latencies[name])
        costs = self.costs.get(name)
        if costs:
            result["server_cpu_ms"] = round(_median([c[0] for c in costs]), 2)
            result["server_db_ms"] = round(_median([c[1] for c in costs]), 2)
            result["sql_queries"] = int(_median([float(c[2]) for c in costs]))
        return result

    def fail(self, name: str, status: int, body: str) -> None:
        with self.lock:
            self.errors[f"{name}:{status}"] += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{name} -> {status}: {body[:300]}")

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def _parse_cost(header: str) -> tuple[float, float, int] | None:
    """X-Bench-Cost (bench/bench_middleware.py) -> (cpu ms, db ms, queries)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(";"))
        return float(parts["cpu"]), float(parts["db"]), int(parts["q"])
    except (KeyError, ValueError):
        return None


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a list of seconds, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1] * 1000


def latency_summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p90_ms": round(percentile(values, 90), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "max_ms": round(max(values) * 1000, 2) if values else float("nan"),
    }


# -- clients -----------------------------------------------------------------------------


class Tokens:
    """Bearer tokens from POST /api/v1/auth/token, one per user, shared by the threads."""

    def __init__(self, base_url: str, password: str = common.PASSWORD) -> None:
        self.base_url = base_url
        self.password = password
        self.headers: dict[str, dict[str, str]] = {}

    def login(self, *usernames: str) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            for username in usernames:
                response = client.post(
                    "/api/v1/auth/token", json={"username": username, "password": self.password}
                )
                if response.status_code != 200:
                    raise SystemExit(
                        f"login of {username} failed: {response.status_code} {response.text}"
                    )
                token = response.json()["access_token"]
                self.headers[username] = {"Authorization": f"Bearer {token}"}


def _client(base_url: str) -> httpx.Client:
    # one keep-alive connection per thread, as a browser tab or an integration would hold
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


def _run_threads(
    clients: int, seconds: float, body: Callable[[httpx.Client, int, Callable[[], bool]], None],
    base_url: str,
) -> float:  # fmt: skip
    """Run `body(client, thread index, stop)` in `clients` threads for `seconds`; return
    the elapsed wall time (until the last thread has stopped)."""
    deadline = time.monotonic() + seconds

    def stop() -> bool:
        return time.monotonic() >= deadline

    def worker(index: int) -> None:
        with _client(base_url) as client:
            body(client, index, stop)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return time.monotonic() - started


def _timed(
    client: httpx.Client,
    recorder: Recorder,
    name: str,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    params: Any = None,
    expect: tuple[int, ...] = (200,),
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = client.request(method, url, headers=headers, json=json_body, params=params)
    except httpx.HTTPError as exc:
        recorder.fail(name, 0, repr(exc))
        return None
    elapsed = time.perf_counter() - started
    if response.status_code not in expect:
        recorder.fail(name, response.status_code, response.text)
        return None
    recorder.ok(name, elapsed, time.monotonic(), response.headers.get("X-Bench-Cost"))
    return response


def _throughput(recorder: Recorder, elapsed: float) -> dict[str, Any]:
    return {
        "elapsed_s": round(elapsed, 2),
        "requests": recorder.requests,
        "req_per_s": round(recorder.requests / elapsed, 1) if elapsed else 0.0,
        "errors": dict(recorder.errors),
        "error_samples": recorder.error_samples,
    }


# -- phases ------------------------------------------------------------------------------


def insert_phase(base_url: str, clients: int, seconds: float) -> dict[str, Any]:
    """The yardstick: POST /bench/insert (one ORM INSERT) as fast as the clients go."""
    recorder = Recorder()

    def body(client: httpx.Client, index: int, stop: Callable[[], bool]) -> None:
        for _ in range(MAX_REQUESTS_PER_PHASE // clients):
            if stop():
                return
            _timed(client, recorder, "insert", "POST", "/bench/insert")

    elapsed = _run_threads(clients, seconds, body, base_url)
    result = _throughput(recorder, elapsed)
    result["latency"] = recorder.summary("insert")
    return result


def submission_body(material_ids: list[int]) -> dict[str, Any]:
    """POST /api/v1/cases as in cases/tests/test_examples.py: 黄州 receives a company
    registration for 东湖 by proxy, every material provided, the result to be mailed."""
    return {
        "item": "ITEM-COMPANY",
        "handling": common.HANDLING,
        "receiving": common.RECEIVING,
        "mode": "proxy",
        "channel": "window",
        "delivery_method": "post",
        "delivery_address": "湖北省黄冈市黄州区东门路1号",
        "applicant": {
            "kind": "enterprise",
            "name": "武汉市云尚李商贸有限公司",
            "uscc": "",  # filled in from the world by walk_phase
            "agent_name": "卫敏",
            "agent_id_number": "",
        },
        "materials": [{"material_id": m, "state": "provided"} for m in material_ids],
    }


def walk_phase(
    base_url: str,
    tokens: Tokens,
    submission: dict[str, Any],
    clients: int,
    seconds: float,
    max_walks: int | None = None,
) -> dict[str, Any]:
    """Each thread walks cases from receipt to completion, one after another: submit and
    nine actions, 10 requests per walk, each timed under its action name."""
    recorder = Recorder()
    clerk = tokens.headers[common.CLERK]
    officer = tokens.headers[common.OFFICER]
    agent = tokens.headers[common.AGENT]
    started_walks = [0]
    walk_lock = threading.Lock()
    steps: list[tuple[str, dict[str, str], dict[str, Any]]] = [
        ("check", clerk, {}),
        ("transfer", clerk, {"carrier": "EMS", "waybill_number": "EMS-BENCH-1"}),
        ("receive_transfer", officer, {"discrepancies": ""}),
        ("accept", officer, {}),
        ("approve", officer, {}),
        ("issue_result", officer, {}),
        ("ship", officer, {"method": "post", "carrier": "EMS", "waybill_number": "EMS-BENCH-2"}),
        ("sign_for", agent, {}),
        ("complete", officer, {}),
    ]

    def body(client: httpx.Client, index: int, stop: Callable[[], bool]) -> None:
        while not stop():
            with walk_lock:
                if max_walks is not None and started_walks[0] >= max_walks:
                    return
                started_walks[0] += 1
            response = _timed(
                client, recorder, "submit", "POST", "/api/v1/cases", clerk, submission, None,
                (201,),
            )  # fmt: skip
            if response is None:
                continue
            number = response.json()["number"]
            for action, headers, payload in steps:
                if stop():
                    return
                url = f"/api/v1/cases/{number}/actions/{action}"
                if _timed(client, recorder, action, "POST", url, headers, payload) is None:
                    break
            else:
                with recorder.lock:
                    recorder.walks += 1

    elapsed = _run_threads(clients, seconds, body, base_url)
    result = _throughput(recorder, elapsed)
    result["actions_per_s"] = result.pop("req_per_s")
    result["walks"] = recorder.walks
    result["walks_per_s"] = round(recorder.walks / elapsed, 2) if elapsed else 0.0
    result["per_action"] = {a: recorder.summary(a) for a in WALK_ACTIONS}
    result["sustained"] = _windows(recorder.done_at, window=10.0)
    return result


def _windows(instants: list[float], window: float) -> dict[str, Any]:
    """Requests per second in consecutive full windows: shows whether the rate held."""
    if not instants:
        return {}
    ordered = sorted(instants)
    start = ordered[0]
    counts: dict[int, int] = defaultdict(int)
    for at in ordered:
        counts[int((at - start) // window)] += 1
    full = [counts[i] / window for i in range(int((ordered[-1] - start) // window))]
    if not full:
        return {}
    return {
        "window_s": window,
        "min_req_per_s": round(min(full), 1),
        "max_req_per_s": round(max(full), 1),
        "per_window": [round(x, 1) for x in full],
    }


def read_kinds(
    client: httpx.Client, tokens: Tokens, lookup_numbers: list[str]
) -> dict[str, Callable[[random.Random], tuple[str, Any]]]:
    """The reads measured at 1M cases, as (url, params) makers, for the 东湖 officer."""
    officer = tokens.headers[common.OFFICER]
    first = client.get("/api/v1/cases", params={"limit": 50}, headers=officer)
    first.raise_for_status()
    cursor = first.json()["next_cursor"]
    return {
        "queue": lambda rng: ("/api/v1/cases", {"limit": 50}),
        "queue_overdue_red": lambda rng: ("/api/v1/cases", {"limit": 50, "overdue": "red"}),
        "queue_status_accepted": lambda rng: (
            "/api/v1/cases",
            {"limit": 50, "status": "accepted"},
        ),
        "queue_page_2": lambda rng: ("/api/v1/cases", {"limit": 50, "cursor": cursor}),
        "lookup": lambda rng: (f"/api/v1/cases/{rng.choice(lookup_numbers)}", None),
    }


def read_phase(
    base_url: str,
    tokens: Tokens,
    lookup_numbers: list[str],
    clients: int,
    seconds: float,
    warmup: int = 10,
) -> dict[str, Any]:
    """Each read kind alone: first with one client (latency without queueing), then with
    `clients` clients (latency and throughput under load)."""
    officer = tokens.headers[common.OFFICER]
    with _client(base_url) as client:
        kinds = read_kinds(client, tokens, lookup_numbers)
        rng = random.Random(7)
        for make in kinds.values():  # warm caches and connections
            for _ in range(warmup):
                url, params = make(rng)
                client.get(url, params=params, headers=officer)
    results: dict[str, Any] = {}
    for name, make in kinds.items():
        results[name] = {}
        modes = [("1_client", 1)] + ([(f"{clients}_clients", clients)] if clients > 1 else [])
        for label, n in modes:
            recorder = Recorder()

            def body(
                client: httpx.Client,
                index: int,
                stop: Callable[[], bool],
                make: Callable[[random.Random], tuple[str, Any]] = make,
                recorder: Recorder = recorder,
                name: str = name,
                n: int = n,
            ) -> None:
                local_rng = random.Random(index)
                for _ in range(MAX_REQUESTS_PER_PHASE // max(n, 1)):
                    if stop():
                        return
                    url, params = make(local_rng)
                    _timed(client, recorder, name, "GET", url, officer, None, params)

            elapsed = _run_threads(n, seconds, body, base_url)
            summary = _throughput(recorder, elapsed)
            summary["latency"] = recorder.summary(name)
            results[name][label] = summary
            common.log(
                f"  {name:<22} {label:<10} p50 {summary['latency']['p50_ms']:7.1f} ms  "
                f"p99 {summary['latency']['p99_ms']:7.1f} ms  {summary['req_per_s']:7.1f} req/s"
                + (f"  errors {summary['errors']}" if summary["errors"] else "")
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--walk-seconds", type=float, default=30)
    parser.add_argument("--insert-seconds", type=float, default=10)
    parser.add_argument("--cases", type=int, default=None, help="stop after this many walks")
    parser.add_argument("--uscc", required=True, help="uscc of the world's enterprise-1")
    parser.add_argument("--agent-id-number", required=True)
    parser.add_argument("--materials", required=True, help="comma-separated material ids")
    args = parser.parse_args()
    _check_loopback(args.base_url)
    tokens = Tokens(args.base_url)
    tokens.login(common.CLERK, common.OFFICER, common.AGENT)
    submission = submission_body([int(m) for m in args.materials.split(",")])
    submission["applicant"]["uscc"] = args.uscc
    submission["applicant"]["agent_id_number"] = args.agent_id_number
    out = {
        "insert": insert_phase(args.base_url, args.clients, args.insert_seconds),
        "walk": walk_phase(
            args.base_url, tokens, submission, args.clients, args.walk_seconds, args.cases
        ),
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
