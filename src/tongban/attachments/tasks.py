"""Deleting the held uploads of refused forms once they expire (ADR 0123) as a periodic
job (ADR 0121)."""

from __future__ import annotations

from django_tasks import task

from tongban.attachments.actions import purge_held_uploads as purge
from tongban.core.jobs import periodic


# hourly: a held file lives TONGBAN_HELD_UPLOAD_HOURS (24 h by default), so it outlives
# its expiry by at most an hour, and an idle run is one indexed SELECT
@periodic("purge-held-uploads", every=3600)
@task()
def purge_held_uploads() -> int:
    return purge()
