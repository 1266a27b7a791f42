"""`tongban refresh-stats`: fold new case, consultation and rating events into the
pre-computed statistics (docs/adr/0060-statistics-and-ratings.md).

    tongban refresh-stats               one incremental run, then exit (cron)
    tongban refresh-stats --every 60    run, sleep 60 s, run again ... until SIGTERM / Ctrl-C
    tongban refresh-stats --rebuild     empty the statistics and recount from every event

With --every a failed run (database down, a deadlock) is logged and retried at the next
tick; SIGTERM / SIGINT end the loop after the batch in hand (each batch is its own
transaction, so stopping between batches loses nothing). See docs/operations.md."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection

from tongban.stats import refresh

log = logging.getLogger("tongban.stats.refresh")


def _reconnect_if_needed(force: bool = False) -> None:
    """Between runs of a long-lived loop: drop a broken or expired connection (Django
    does this per request; a command has no requests). Never inside a transaction (a
    caller's, e.g. a test's)."""
    if connection.in_atomic_block:
        return
    if force:
        connection.close()
    else:
        close_old_connections()


class Command(BaseCommand):
    help = (
        "刷新统计表(增量): fold new case, consultation and rating events into the "
        "pre-computed statistics. --every N repeats every N seconds; --rebuild empties "
        "them and recounts from scratch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="清空统计表并从头重算 / recount from scratch"
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=None,
            help="events per transaction (default 20,000 on PostgreSQL, 5,000 on SQLite)",
        )
        parser.add_argument(
            "--every",
            type=float,
            default=None,
            metavar="SECONDS",
            help="定时刷新 / keep running: refresh, then wait SECONDS, until SIGTERM or Ctrl-C",
        )
        parser.add_argument(
            "--runs",
            type=int,
            default=0,
            help="with --every: stop after this many runs (0 = never; for scripts and tests)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = max(100, options["batch"] or refresh.default_batch())
        every = options["every"]
        if every is None:
            self._run(batch, rebuild=options["rebuild"])
            return
        if every <= 0:
            raise CommandError("--every 须为正数 / --every must be a positive number of seconds")
        if options["rebuild"]:
            raise CommandError(
                "--rebuild 不能与 --every 同时使用 / run --rebuild once, then start the loop"
            )
        self._loop(batch, every, max(0, options["runs"]))

    def _run(self, batch: int, rebuild: bool = False, quiet: bool = False) -> dict[str, int]:
        started = time.monotonic()

        def progress(label: str, step: refresh.StepResult, total: int) -> None:
            late = f"(含补录 {step.late})" if step.late else ""
            self.stdout.write(f"  {label}: {total} {late} → #{step.last_id}")

        if rebuild:
            self.stdout.write("重建统计表 / rebuilding statistics from scratch")
            done = refresh.rebuild(batch=batch, progress=progress)
        else:
            if not quiet:
                self.stdout.write("增量刷新统计表 / refreshing statistics")
            done = refresh.refresh(batch=batch, progress=progress)
        elapsed = time.monotonic() - started
        if not quiet or any(done.values()):
            summary = ", ".join(f"{name} {n}" for name, n in done.items())
            self.stdout.write(self.style.SUCCESS(f"完成 done in {elapsed:.1f}s: {summary}"))
        return done

    def _loop(self, batch: int, every: float, runs: int) -> None:
        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            # ValueError: not the main thread (e.g. a test calling the command in a thread)
            with contextlib.suppress(ValueError):
                signal.signal(sig, _stop)
        self.stdout.write(
            f"统计刷新进程运行中,每 {every:g} 秒一次 / refreshing statistics every {every:g} s "
            "(Ctrl-C to stop)"
        )
        self.stdout.flush()
        done = 0
        while not stop.is_set():
            _reconnect_if_needed()
            try:
                self._run(batch, quiet=True)
            except Exception:  # a failed run is retried at the next tick
                log.exception("statistics refresh failed; retrying in %s s", every)
                _reconnect_if_needed(force=True)
            done += 1
            if runs and done >= runs:
                break
            stop.wait(every)
        self.stdout.write(f"统计刷新进程已停止 / stopped after {done} run(s)")
