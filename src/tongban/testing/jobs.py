"""Running the background jobs inside a test (ADR 0121)."""

from __future__ import annotations

from tongban.core.jobs import run_pending


def run_jobs() -> int:
    """Do now what `tongban run-worker` would do next: the sweeps enqueue the work left in
    the domain tables (a test's transaction never commits, so no nudge fires), then every
    ready task of the database queue runs in this process with django-tasks-db's own
    worker. Returns the number of tasks run."""
    return run_pending(sweeps=True)
