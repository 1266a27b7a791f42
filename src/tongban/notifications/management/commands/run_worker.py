"""`tongban run-worker`: deliver the notification outbox (e-mail and SMS).

    tongban run-worker            loop: deliver what is due, sleep until the next retry,
                                  a wake-up (PostgreSQL NOTIFY) or the poll interval
    tongban run-worker --once     deliver what is due now and exit (tests, cron)

SIGTERM / SIGINT finish the message in hand and exit. See docs/operations.md.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.notifications.worker import Worker, WorkerBusy, WorkerConfig


class Command(BaseCommand):
    help = "Deliver queued notifications (e-mail, SMS); --once delivers what is due and exits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is due and exit")
        parser.add_argument(
            "--poll",
            type=float,
            default=None,
            help="seconds between polls when idle (default TONGBAN_NOTIFY_POLL_SECONDS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = WorkerConfig.from_settings()
        if options["poll"] is not None:
            config = WorkerConfig(
                max_attempts=config.max_attempts,
                backoff_seconds=config.backoff_seconds,
                backoff_max_seconds=config.backoff_max_seconds,
                poll_seconds=max(0.1, options["poll"]),
            )
        worker = Worker(config=config)
        try:
            if options["once"]:
                with worker:
                    stats = worker.run_once()
                self.stdout.write(f"notifications: {stats}")
                return
            stop = threading.Event()

            def _stop(signum: int, frame: Any) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            worker.start()
            self.stdout.write(f"notification worker {worker.token} running (Ctrl-C to stop)")
            self.stdout.flush()
            worker.run_forever(stop)
        except WorkerBusy as error:
            raise CommandError(
                f"已有通知发送进程在运行 / another notification worker is running ({error})"
            ) from error
