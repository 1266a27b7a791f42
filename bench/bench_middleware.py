"""Bench-only middleware: what one request cost the server, in a response header.

`X-Bench-Cost: cpu=<ms>;db=<ms>;q=<n>;wall=<ms>` where cpu is the CPU time of the
request's thread (time.thread_time, so time spent waiting for a core on a busy machine is
not in it), db the wall time spent inside SQL calls (PostgreSQL work, lock waits and the
round trips), q the number of SQL statements and wall the time inside Django. On a noisy
shared machine the CPU figure is far steadier than any latency."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class RequestCostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        db = [0.0, 0]

        def measure(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                    context: dict[str, Any]) -> Any:  # fmt: skip
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                db[0] += time.perf_counter() - started
                db[1] += 1

        cpu = time.thread_time()
        wall = time.perf_counter()
        with connection.execute_wrapper(measure):
            response = self.get_response(request)
        response["X-Bench-Cost"] = (
            f"cpu={(time.thread_time() - cpu) * 1000:.3f};db={db[0] * 1000:.3f};"
            f"q={db[1]};wall={(time.perf_counter() - wall) * 1000:.3f}"
        )
        return response
