"""Housekeeping of the job queue itself (ADR 0121)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from tongban.core.jobs import periodic


@periodic("prune-task-results", every=3600)
@task()
def prune_task_results() -> int:
    """Forget finished task results after TONGBAN_TASK_RESULTS_DAYS (the work they did is
    in the domain tables; the results only serve an operator looking at recent runs)."""
    days = float(getattr(settings, "TONGBAN_TASK_RESULTS_DAYS", 7))
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
