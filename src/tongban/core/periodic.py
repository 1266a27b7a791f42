"""The `--every N` loop of the periodic commands (overdue warnings, the hall's reminders and
no-shows): run once, or run, sleep N seconds and run again until SIGTERM / Ctrl-C. A failed
run (database down, a deadlock) is logged and retried at the next tick, so one bad minute
never stops the job; each run is idempotent, so a retry never does the work twice."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection


class PeriodicCommand(BaseCommand):
    """A command whose work is `run_once(quiet)`; `log` names the logger of its failures."""

    log = logging.getLogger("tongban")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=None, metavar="SECONDS")
        parser.add_argument(
            "--runs", type=int, default=0, help="with --every: stop after this many runs"
        )

    def run_once(self, quiet: bool = False) -> None:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every is None:
            self.run_once()
            return
        if every <= 0:
            raise CommandError("--every 须为正数 / --every must be a positive number of seconds")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread (tests)
                signal.signal(sig, lambda *_: stop.set())
        done, runs = 0, max(0, options["runs"])
        while not stop.is_set():
            if not connection.in_atomic_block:  # never inside a caller's transaction
                close_old_connections()
            try:
                self.run_once(quiet=True)
            except Exception:  # retried at the next tick
                self.log.exception("%s failed; retrying in %s s", self.__module__, every)
            done += 1
            if runs and done >= runs:
                break
            stop.wait(every)
