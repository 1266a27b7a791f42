"""Signing the heads of the history chains (ADR 0092) as a periodic job (ADR 0121)."""

from __future__ import annotations

from django_tasks import task

from tongban.core.jobs import periodic
from tongban.integrity.actions import sign_heads


@periodic("audit-sign-heads", every=300)
@task()
def sign_chain_heads() -> int | None:
    checkpoint = sign_heads()
    return checkpoint.pk if checkpoint is not None else None
