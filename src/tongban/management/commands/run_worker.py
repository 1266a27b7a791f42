"""`tongban run-worker`: the one background worker (ADR 0121, docs/operations.md).

    tongban run-worker           loop: enqueue the periodic jobs that are due, run every
                                 ready task (licence signing, notification and federation
                                 delivery, the periodic jobs), sleep TONGBAN_WORKER_POLL_SECONDS
                                 (on PostgreSQL listening meanwhile: a new notification is
                                 delivered at once, ADR 0144)
    tongban run-worker --once    one notification pass, the due periodic jobs and every
                                 ready task, then exit (cron, tests)

Run as many as you like on PostgreSQL, on as many machines: tasks are claimed with SKIP
LOCKED, periodic jobs with a compare-and-set on their schedule row. On SQLite one worker
per database file (a second one exits: "another notification worker is running").
SIGTERM / SIGINT finish the task in hand and exit.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, InterfaceError, connection

from tongban.core import jobs
from tongban.notifications import tasks as notification_tasks
from tongban.notifications.redaction import describe_error
from tongban.notifications.worker import Worker, WorkerBusy

logger = logging.getLogger("tongban.jobs")


class Command(BaseCommand):
    help = (
        "后台任务进程: run the background jobs (licence signing, notifications, federation "
        "delivery, periodic jobs); --once runs what is due and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due and exit")
        parser.add_argument(
            "--poll",
            type=float,
            default=None,
            help="seconds between looks at the queue when idle "
            "(default TONGBAN_WORKER_POLL_SECONDS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        poll = options["poll"]
        poll = max(0.05, float(settings.TONGBAN_WORKER_POLL_SECONDS if poll is None else poll))
        jobs.discover()
        notifications = Worker()
        try:
            notifications.start()
        except WorkerBusy as error:
            raise CommandError(
                f"已有后台任务进程在运行 / another notification worker is running ({error})"
            ) from error
        notification_tasks.attach(notifications)
        runner = jobs.TaskRunner()
        try:
            if options["once"]:
                self.stdout.write(f"notifications: {notifications.run_once()}")
                # the sweeps whatever their schedule (cron: what is left must be found)
                for job in jobs.schedule():
                    if job.sweep:
                        job.task.enqueue()
                jobs.enqueue_due()
                self.stdout.write(f"tasks: {runner.run_ready()}")
                return
            stop = threading.Event()

            def _stop(signum: int, frame: Any) -> None:
                stop.set()
                runner.stop()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            self.stdout.write(f"worker {runner.worker_id} running (Ctrl-C to stop)")
            self.stdout.flush()
            self._loop(notifications, runner, stop, poll)
        finally:
            notification_tasks.attach(None)
            notifications.stop()

    def _loop(
        self, notifications: Worker, runner: jobs.TaskRunner, stop: threading.Event, poll: float
    ) -> None:
        # on PostgreSQL the idle wait listens: an announced task (a new outbox row) is
        # nudged and run at once instead of at the sweep (ADR 0144)
        listener = jobs.Listener() if jobs.database_announces() else None
        try:
            self._rounds(notifications, runner, stop, poll, listener)
        finally:
            if listener is not None:
                listener.close()

    def _rounds(
        self,
        notifications: Worker,
        runner: jobs.TaskRunner,
        stop: threading.Event,
        poll: float,
        listener: jobs.Listener | None,
    ) -> None:
        while not stop.is_set():
            ran = 0
            try:
                # no close_old_connections() here: the notification worker's liveness
                # lock lives on this connection (ADR 0050); a broken one is handled below
                if not notifications.token:
                    notifications.start()
                jobs.enqueue_due()
                ran = runner.run_ready()
            except (DatabaseError, InterfaceError) as error:
                # the database went away: drop the connection and the liveness lock with
                # it; the next round reconnects and recovers what this one left claimed
                logger.error("worker: database error, reconnecting: %s", describe_error(error))
                notifications.abandon()
                connection.close()
            except Exception:
                logger.exception("worker: unexpected error; going on")
            if ran or stop.is_set():
                continue
            if listener is None:
                stop.wait(poll)
                continue
            try:
                self._listen(listener, stop, poll)
            except (DatabaseError, InterfaceError) as error:
                logger.error("worker: cannot listen, polling: %s", describe_error(error))
                stop.wait(poll)

    @staticmethod
    def _listen(listener: jobs.Listener, stop: threading.Event, poll: float) -> None:
        """Until an announcement, `poll` seconds or a stop: in short waits, so that SIGTERM
        is heard within half a second."""
        deadline = time.monotonic() + poll
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if listener.wait(min(left, 0.5)):
                return
