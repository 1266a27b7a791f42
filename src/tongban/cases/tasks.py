"""The overdue warnings (超期预警, ADR 0093) as a periodic job (ADR 0121)."""

from __future__ import annotations

from django_tasks import task

from tongban.cases.actions import send_overdue_warnings
from tongban.core.jobs import periodic


@periodic("overdue-warnings", every=300)
@task()
def overdue_warnings() -> int:
    return send_overdue_warnings()
