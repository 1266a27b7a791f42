"""The licence signer and its sweep, run by `tongban run-worker` (ADR 0121)."""

from __future__ import annotations

from django_tasks import task

from tongban.core.jobs import periodic
from tongban.licences.actions import licences_to_sign, sign_licence


@task()
def sign_licence_task(licence_id: int) -> str:
    return sign_licence(licence_id)


@periodic("licence-signing", every=30, sweep=True)
@task()
def sweep_licence_signing() -> int:
    """Hand every licence still waiting for its signature, whose nudge was lost or whose
    signer died, to a signer again."""
    waiting = licences_to_sign()
    for licence_id in waiting:
        sign_licence_task.enqueue(licence_id)
    return len(waiting)
