"""Delivering the outbox as a task of the one job mechanism (ADR 0121). The careful part,
at most once per channel with its `in_doubt` state and the liveness locks (ADR 0050), is
`worker.Worker`'s and unchanged; a task only runs one pass of it."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django_tasks import task

from tongban.core.jobs import announced, periodic
from tongban.notifications.worker import Worker, WorkerBusy

# the Worker that `tongban run-worker` started for its process: it holds the process's
# liveness lock for as long as the process lives, so a killed worker's claims are known
# to be orphans at once (ADR 0050, decision 3)
_process_worker: Worker | None = None


def attach(worker: Worker | None) -> None:
    global _process_worker
    _process_worker = worker


# a new outbox row announces itself on PostgreSQL (migration 0004, ADR 0144)
@announced("notifications")
@task()
def deliver_notifications() -> str:
    """One delivery pass: recover orphans, deliver every message that is due."""
    if connection.in_atomic_block:
        # each step must commit on its own (a test's transaction): the pass is skipped
        return "skipped: inside a transaction"
    worker = _process_worker
    if worker is not None:
        if not worker.token:
            worker.start()
        return str(worker.run_once())
    try:
        with Worker() as own:
            return str(own.run_once())
    except WorkerBusy:
        # SQLite: the process that holds the worker lock delivers
        return "busy"


@periodic(
    "notifications", every=float(getattr(settings, "TONGBAN_NOTIFY_POLL_SECONDS", 10)), sweep=True
)
@task()
def sweep_notifications() -> str:
    """Retries that came due and messages whose nudge was lost."""
    return deliver_notifications.call()
