"""The hall's reminders and no-shows as a periodic job (ADR 0121)."""

from __future__ import annotations

from django_tasks import task

from tongban.core.jobs import periodic
from tongban.hall.actions import record_no_shows, send_appointment_reminders


@periodic("hall-jobs", every=300)
@task()
def hall_jobs() -> dict[str, int]:
    return {"reminders": send_appointment_reminders(), "no_shows": record_no_shows()}
