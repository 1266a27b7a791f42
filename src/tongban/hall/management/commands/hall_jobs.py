"""`tongban hall-jobs`: the hall's periodic work — queue the reminder of every booking of
tomorrow (the day before, through the notification outbox; `tongban run-worker` sends
it) and record bookings whose slot ended without a check-in as no-shows. Idempotent:
run it as often as you like (cron, or `--every 300`)."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection

from tongban.hall.actions import record_no_shows, send_appointment_reminders

log = logging.getLogger("tongban.hall")


class Command(BaseCommand):
    help = (
        "预约提醒与爽约登记: remind tomorrow's bookings and record no-shows. "
        "--every N repeats every N seconds."
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
            if not connection.in_atomic_block:
                close_old_connections()
            try:
                self._run(quiet=True)
            except Exception:  # retried at the next tick
                log.exception("hall jobs failed; retrying in %s s", every)
            done += 1
            if runs and done >= runs:
                break
            stop.wait(every)

    def _run(self, quiet: bool = False) -> None:
        reminded = send_appointment_reminders()
        missed = record_no_shows()
        if reminded or missed or not quiet:
            self.stdout.write(f"预约提醒 reminders: {reminded}; 爽约 no-shows: {missed}")
