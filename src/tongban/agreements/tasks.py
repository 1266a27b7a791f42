"""Expiring agreements past their end date as a periodic job (ADR 0121)."""

from __future__ import annotations

from django_tasks import task

from tongban.agreements.actions import expire_due_agreements
from tongban.core.jobs import periodic


@periodic("expire-agreements", every=3600)
@task()
def expire_agreements() -> int:
    return len(expire_due_agreements())
