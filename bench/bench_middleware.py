"""Bench-only middleware: what one request cost the server, in a response header.

`X-Bench-Cost: cpu=<ms>;pg=<ms>;db=<ms>;q=<n>;wall=<ms>;gc=<ms>` where
- cpu is the CPU time of the request's thread (time.thread_time, so time spent waiting
  for a core on a busy machine is not in it);
- pg the CPU time the PostgreSQL backend of the request's connection spent meanwhile,
  from /proc/<backend pid>/schedstat (nanoseconds, unlike the 10 ms ticks of
  /proc/<pid>/stat); 0 on SQLite or when /proc cannot be read;
- db the wall time spent inside SQL calls (PostgreSQL work, lock waits, round trips);
- q the number of SQL statements; wall the time inside Django;
- gc the CPU time of the collector's passes that ran in the request's thread (part of
  cpu): a full pass is rare and long, so it shows in the tail of the latencies.
cpu + pg is the server's CPU for the request: on a noisy shared machine far steadier than
any latency. Reading schedstat twice costs the request about 20 µs of its own cpu."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


def _backend_ns(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as stat:
            return int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _backend_pid() -> int | None:
    raw = getattr(connection, "connection", None)
    info = getattr(raw, "info", None)  # psycopg 3
    return getattr(info, "backend_pid", None)


_collector = threading.local()


def _time_collector(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _collector.started = time.thread_time()
    elif (started := getattr(_collector, "started", None)) is not None:
        _collector.total = getattr(_collector, "total", 0.0) + time.thread_time() - started
        _collector.started = None


gc.callbacks.append(_time_collector)


class RequestCostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        db = [0.0, 0]
        backend: list[int] = []  # pid, schedstat ns at its first statement

        def measure(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                    context: dict[str, Any]) -> Any:  # fmt: skip
            if (
                not backend
                and (pid := _backend_pid()) is not None
                and (ns := _backend_ns(pid)) is not None
            ):
                backend.extend((pid, ns))
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                db[0] += time.perf_counter() - started
                db[1] += 1

        collected = getattr(_collector, "total", 0.0)
        cpu = time.thread_time()
        wall = time.perf_counter()
        with connection.execute_wrapper(measure):
            response = self.get_response(request)
        pg = 0.0
        if backend and (ns := _backend_ns(backend[0])) is not None:
            pg = (ns - backend[1]) / 1e6
        response["X-Bench-Cost"] = (
            f"cpu={(time.thread_time() - cpu) * 1000:.3f};pg={pg:.3f};db={db[0] * 1000:.3f};"
            f"q={db[1]};wall={(time.perf_counter() - wall) * 1000:.3f};"
            f"gc={(getattr(_collector, 'total', 0.0) - collected) * 1000:.3f}"
        )
        return response
