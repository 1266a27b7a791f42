"""The one background job mechanism (ADR 0121): django-tasks with its database queue, and
the schedule of the periodic jobs that `tongban run-worker` enqueues.

Work is a django-tasks `Task` in the `tasks.py` of the app that owns it (a licence is
signed in `licences/tasks.py`, statistics refreshed in `stats/tasks.py`). An action that
needs work done writes the durable row of that work (an outbox message, a licence in
state `signing`, an outbound federation message) in its own transaction and enqueues the
task with `enqueue_on_commit`: the task is a nudge, the domain row is the truth. A nudge
lost between the commit and the enqueue (the process died in that instant) is made good
by the app's periodic sweep, which enqueues the task again for every row still due; so
every task is idempotent and finds its work in the database.

On PostgreSQL a task can be *announced* instead (ADR 0144): a trigger on the table of its
work runs `pg_notify(CHANNEL, name)` in the writing transaction, PostgreSQL delivers that
only at the commit, and every worker's `Listener` nudges the task registered with
`@announced(name)`. The writing request then pays for no statement after its commit; on
SQLite, which cannot listen, the nudge after commit stays.

Periodic jobs are tasks registered with `@periodic(name, every)`. One `ScheduledJob` row
per job holds its next run; every worker moves it on with a compare-and-set and only the
one whose UPDATE matched enqueues the task, in the same transaction, so a job is
neither skipped nor doubled however many workers run on however many machines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.backend import DatabaseBackend

from tongban.core.models import ScheduledJob
from tongban.core.prepared import Prepared

logger = logging.getLogger("tongban.jobs")


@dataclass(frozen=True)
class Periodic:
    name: str
    every: float  # seconds; 0 turns the job off
    task: Task[[], Any]
    # a sweep re-enqueues the work a lost nudge left behind (idempotent, cheap when idle)
    sweep: bool = False


_SCHEDULE: dict[str, Periodic] = {}


def periodic(
    name: str, every: float, *, sweep: bool = False
) -> Callable[[Task[[], Any]], Task[[], Any]]:
    """Register a task without arguments as a periodic job run every `every` seconds
    (TONGBAN_JOB_INTERVALS may override it per name)."""

    def register(task: Task[[], Any]) -> Task[[], Any]:
        _SCHEDULE[name] = Periodic(name, every, task, sweep)
        return task

    return register


def _overrides() -> dict[str, float]:
    found: dict[str, float] = {}
    for part in str(getattr(settings, "TONGBAN_JOB_INTERVALS", "") or "").split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            try:
                found[name.strip()] = max(0.0, float(value))
            except ValueError:
                logger.warning("TONGBAN_JOB_INTERVALS: %r is not a number of seconds", value)
    return found


def discover() -> None:
    """Import every app's `tasks.py`, which registers its tasks and periodic jobs."""
    autodiscover_modules("tasks")


def schedule() -> list[Periodic]:
    """The periodic jobs with their effective intervals, by name."""
    discover()
    overrides = _overrides()
    return [
        Periodic(job.name, overrides.get(job.name, job.every), job.task, job.sweep)
        for job in sorted(_SCHEDULE.values(), key=lambda job: job.name)
    ]


def enqueue_on_commit(task: Task[..., Any], *args: Any) -> None:
    """Enqueue `task(*args)` once the caller's transaction commits (at once outside one).
    Never raises: a lost nudge is made good by the owning app's sweep."""

    def enqueue() -> None:
        try:
            task.enqueue(*args)
        except Exception:
            logger.warning("could not enqueue %s; the sweep will", task.name, exc_info=True)

    transaction.on_commit(enqueue, robust=True)


def _waiting_runs(backend: str, task_path: str) -> Any:
    from django_tasks_db.models import DBTaskResult, get_date_max

    # waiting and due: a pass with a later `run_after` would not run now (the database's
    # clock, so that nothing of this moment is compiled into the statement). READY is
    # written into the statement, not bound: a generic plan of a prepared statement can
    # use the queue's partial index (`WHERE status = 'READY'`) only then, and without it
    # scanned every waiting task (3.5 ms of backend CPU with 9,000 of them).
    due = Q(run_after=get_date_max()) | Q(run_after__lte=Now())
    return DBTaskResult.objects.filter(
        due, status=TaskResultStatus.READY, task_path=task_path, backend_name=backend
    ).values_list("pk")[:1]


# every notifying action asks it after its commit (ADR 0137): compiled once per backend
_WAITING = Prepared("waiting_task_runs", _waiting_runs)


def nudge(task: Task[..., Any]) -> None:
    """Enqueue a pass of `task` (one without arguments that finds its work in the
    database) unless a pass is already waiting to be claimed: a worker claims it later
    and only then reads its work, so it sees what this caller committed before asking,
    and a second pass would find nothing. Call it after the commit (`on_commit`): asked
    inside the transaction, a worker could claim the waiting pass before the commit.
    Under load this turns one task row per notification into a handful per second.
    Never raises: a lost nudge is made good by the owning app's sweep."""
    try:
        if isinstance(task.get_backend(), DatabaseBackend) and _WAITING.fetch(
            task.backend, task_path=task.module_path
        ):
            return
        task.enqueue()
    except Exception:
        logger.warning("could not enqueue %s; the sweep will", task.name, exc_info=True)


# the LISTEN/NOTIFY channel of the announced tasks; the triggers name it in their SQL
CHANNEL = "tongban_jobs"

_ANNOUNCED: dict[str, Task[[], Any]] = {}


def announced(name: str) -> Callable[[Task[[], Any]], Task[[], Any]]:
    """Register a task (one without arguments that finds its work in the database) that a
    trigger announces on `CHANNEL` with the payload `name`."""

    def register(task: Task[[], Any]) -> Task[[], Any]:
        _ANNOUNCED[name] = task
        return task

    return register


def database_announces() -> bool:
    """Whether the triggers announce new work (PostgreSQL), so that a writer need not
    nudge after its commit."""
    return bool(connections["default"].vendor == "postgresql")


class Listener:
    """A worker's ear for the announcements (ADR 0144): LISTEN on a connection of its own,
    and on each announcement, after the writer's commit, the nudge that the writer would
    otherwise have sent. Announcements that arrive together are nudged once."""

    def __init__(self) -> None:
        self._connection: Any = None

    def _connect(self) -> None:
        import psycopg

        params = connections["default"].get_connection_params()
        conn = psycopg.connect(**{**params, "autocommit": True})
        try:
            conn.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            conn.close()
            raise
        self._connection = conn
        # what was committed before the LISTEN held was announced to no one
        discover()
        for task in _ANNOUNCED.values():
            nudge(task)

    def wait(self, timeout: float) -> set[str]:
        """Wait up to `timeout` seconds for announcements, nudge their tasks, and return
        their names. Raises `DatabaseError` when the database cannot be listened to (the
        next call connects anew)."""
        import psycopg

        try:
            if self._connection is None:
                self._connect()
            conn = self._connection
            names = {note.payload for note in conn.notifies(timeout=timeout, stop_after=1)}
            # and whatever else is already here, without waiting
            names |= {note.payload for note in conn.notifies(timeout=0)}
        except psycopg.Error as error:
            self.close()
            raise DatabaseError(f"listening on {CHANNEL}: {error}") from error
        for name in names:
            if (task := _ANNOUNCED.get(name)) is not None:
                nudge(task)
        return names

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose time has come and that no other worker took;
    returns their names."""
    now = now or timezone.now()
    jobs = [job for job in schedule() if job.every > 0]
    rows = dict(ScheduledJob.objects.values_list("name", "next_run_at"))
    missing = [job.name for job in jobs if job.name not in rows]
    if missing:
        ScheduledJob.objects.bulk_create(
            [ScheduledJob(name=name, next_run_at=now) for name in missing],
            ignore_conflicts=True,
        )
        rows = dict(ScheduledJob.objects.values_list("name", "next_run_at"))
    enqueued = []
    for job in jobs:
        due = rows[job.name]
        if due > now:
            continue
        with transaction.atomic():
            # the compare-and-set: of the workers that read the same `due`, one matches
            taken = ScheduledJob.objects.filter(name=job.name, next_run_at=due).update(
                next_run_at=now + timedelta(seconds=job.every),
                last_enqueued_at=now,
                runs=F("runs") + 1,
            )
            if taken:
                job.task.enqueue()
                enqueued.append(job.name)
    return enqueued


def record_finished(task_path: str, error: str) -> None:
    """Note on the schedule row when a periodic job's run ended, and how."""
    for job in _SCHEDULE.values():
        if job.task.module_path == task_path:
            ScheduledJob.objects.filter(name=job.name).update(
                last_finished_at=timezone.now(), last_error=error[:2000]
            )


class TaskRunner:
    """Runs ready tasks of the database queue in this process: django-tasks-db's claim
    (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, an exclusive transaction on SQLite)
    and its worker's `run_task` (result, traceback, signals). Its own `run` loop is not
    used: it closes the connection between tasks, which the caller does here (never
    inside a test's transaction), and it cannot interleave the schedule."""

    def __init__(self, worker_id: str | None = None) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        self.worker_id = worker_id or get_random_string(32)
        self.running = True
        self._worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )

    def stop(self) -> None:
        """Finish the task in hand, then return from `run_ready`."""
        self.running = False

    def _claim(self) -> Any:
        from django_tasks_db.models import DBTaskResult
        from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        with exclusive_transaction(ready.db):
            try:
                result = ready.get_locked()
            except OperationalError as error:
                if is_locked_database_exception(error):  # SQLite busy: next round
                    return None
                raise
            if result is not None:
                result.claim(self.worker_id)
            return result

    def run_ready(self) -> int:
        """Run every task that is ready now; returns how many ran."""
        ran = 0
        while self.running:
            result = self._claim()
            if result is None:
                break
            self._worker.run_task(result)
            ran += 1
        return ran


def run_pending(*, schedule_due: bool = False, sweeps: bool = True) -> int:
    """Run, in this process, every ready task until none is left; first enqueue the
    sweeps (with `sweeps`: the work lost nudges left behind) and the due periodic jobs
    (with `schedule_due`). For `run-worker --once` and tests (which also run a real
    `tongban run-worker` process)."""
    runner = TaskRunner()
    if sweeps:
        for job in schedule():
            if job.sweep:
                job.task.enqueue()
    if schedule_due:
        enqueue_due()
    total = 0
    while ran := runner.run_ready():
        total += ran
    return total
