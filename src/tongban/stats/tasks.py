"""The statistics refresh as a periodic job of `tongban run-worker` (ADR 0121)."""

from __future__ import annotations

from django_tasks import task

from tongban.core.jobs import periodic
from tongban.stats import refresh


@periodic("refresh-stats", every=60)
@task()
def refresh_stats() -> dict[str, int]:
    return refresh.refresh()
