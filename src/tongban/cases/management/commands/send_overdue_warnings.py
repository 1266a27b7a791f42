"""`tongban send-overdue-warnings`: warn the responsible staff and the supervisors of both
legs of every case that turned yellow or red (超期预警, ADR 0093). Idempotent: run it as
often as you like (cron every few minutes, or `--every 300`); each case is warned once per
level and date. The messages go through the notification outbox (`tongban run-worker`)."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection

from tongban.cases.actions import send_overdue_warnings

log = logging.getLogger("tongban.cases.overdue")


class Command(BaseCommand):
    help = (
        "发送超期预警: notify the responsible staff and the supervisors of both legs of "
        "every case that turned yellow or red. --every N repeats every N seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=None, metavar="SECONDS")
        parser.add_argument(
            "--runs", type=int, default=0, help="with --every: stop after this many runs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every is None:
            self._run()
            return
        if every <= 0:
            raise CommandError("--every 须为正数 / --every must be a positive number of seconds")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):
                signal.signal(sig, lambda *_: stop.set())
        done, runs = 0, max(0, options["runs"])
        while not stop.is_set():
            if not connection.in_atomic_block:  # never inside a caller's transaction
                close_old_connections()
            try:
                self._run(quiet=True)
            except Exception:  # retried at the next tick
                log.exception("overdue warnings failed; retrying in %s s", every)
            done += 1
            if runs and done >= runs:
                break
            stop.wait(every)

    def _run(self, quiet: bool = False) -> None:
        made = send_overdue_warnings()
        if made or not quiet:
            self.stdout.write(f"超期预警 overdue warnings: {made}")
