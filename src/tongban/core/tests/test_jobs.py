"""The schedule of `tongban run-worker` (ADR 0121): each periodic job is enqueued once
per interval however many workers look, intervals can be overridden or turned off, and
the schedule row records how the run ended."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tongban.core import jobs
from tongban.core.models import ScheduledJob

pytestmark = pytest.mark.django_db

EXPECTED = {
    "audit-sign-heads",
    "expire-agreements",
    "federation-deliver",
    "federation-reconcile",
    "hall-jobs",
    "licence-signing",
    "notifications",
    "overdue-warnings",
    "prune-task-results",
    "purge-held-uploads",
    "refresh-stats",
}


def test_every_periodic_job_is_enqueued_once_per_interval(settings):
    settings.TONGBAN_JOB_INTERVALS = ""
    now = timezone.now()
    assert set(jobs.enqueue_due(now)) == EXPECTED
    assert DBTaskResult.objects.count() == len(EXPECTED)
    # a second worker looking at the same moment finds every row moved on
    assert jobs.enqueue_due(now) == []
    later = now + dt.timedelta(seconds=61)
    assert set(jobs.enqueue_due(later)) == {
        "refresh-stats",
        "notifications",
        "federation-deliver",
        "licence-signing",
    }
    assert ScheduledJob.objects.get(name="refresh-stats").runs == 2


def test_a_stale_read_loses_the_compare_and_set(settings, monkeypatch):
    """Two workers read the same `next_run_at`; the other one moved it on first."""
    settings.TONGBAN_JOB_INTERVALS = ""
    now = timezone.now()
    jobs.enqueue_due(now)
    due = now + dt.timedelta(seconds=3600)
    stale = dict(ScheduledJob.objects.values_list("name", "next_run_at"))
    ScheduledJob.objects.update(next_run_at=due + dt.timedelta(seconds=1))  # the other won
    # this worker still sees what it read before the other one's UPDATE
    monkeypatch.setattr(ScheduledJob.objects, "values_list", lambda *a, **k: list(stale.items()))
    before = DBTaskResult.objects.count()
    assert jobs.enqueue_due(due + dt.timedelta(seconds=2)) == []
    assert DBTaskResult.objects.count() == before


def test_intervals_can_be_overridden_and_turned_off(settings):
    settings.TONGBAN_JOB_INTERVALS = "hall-jobs=0,refresh-stats=5,bogus=x"
    intervals = {job.name: job.every for job in jobs.schedule()}
    assert intervals["hall-jobs"] == 0 and intervals["refresh-stats"] == 5
    assert "hall-jobs" not in jobs.enqueue_due()


def test_the_schedule_row_records_the_end_of_a_run(settings):
    settings.TONGBAN_JOB_INTERVALS = ",".join(f"{name}=0" for name in EXPECTED - {"hall-jobs"})
    jobs.enqueue_due()
    assert jobs.run_pending(sweeps=False) == 1
    row = ScheduledJob.objects.get(name="hall-jobs")
    assert row.last_finished_at is not None and row.last_error == ""
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_nudge_is_not_enqueued_while_a_pass_waits_to_be_claimed():
    """`jobs.nudge` (ADR 0137): one waiting pass is enough, since a worker reads the work
    only after it claims the pass; once claimed, the next nudge enqueues a new one."""
    from tongban.notifications.tasks import deliver_notifications

    def waiting() -> int:
        return DBTaskResult.objects.filter(
            task_path=deliver_notifications.module_path, status="READY"
        ).count()

    jobs.nudge(deliver_notifications)
    jobs.nudge(deliver_notifications)
    assert waiting() == 1
    DBTaskResult.objects.filter(status="READY").update(status="RUNNING")  # a worker claimed it
    jobs.nudge(deliver_notifications)
    jobs.nudge(deliver_notifications)
    assert waiting() == 1
    assert DBTaskResult.objects.filter(task_path=deliver_notifications.module_path).count() == 2


def test_a_nudge_never_raises(monkeypatch, caplog):
    from tongban.notifications.tasks import deliver_notifications

    def broken(*args, **kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(type(deliver_notifications), "enqueue", broken)
    jobs.nudge(deliver_notifications)
    assert "the sweep will" in caplog.text
