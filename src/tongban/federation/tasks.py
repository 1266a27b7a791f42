"""Delivering the federation outbox as a task of the one job mechanism (ADR 0121). The
delivery itself (at least once under a lease, the receiver deduplicates; ADR 0111) is
`delivery.Deliverer`'s and unchanged; the task runs one pass of it."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from tongban.core.errors import DomainError
from tongban.core.jobs import periodic
from tongban.federation.delivery import Deliverer
from tongban.federation.models import OutboundMessage


@task()
def deliver_federation() -> str:
    """One delivery pass; nothing at all on a node with nothing to send (a node that is
    not part of a federation has no trust list to read)."""
    if not OutboundMessage.objects.filter(state=OutboundMessage.State.PENDING).exists():
        return "idle"
    try:
        return str(Deliverer().run_once())
    except DomainError as error:  # not configured yet, trust list expired...
        return f"{error.en} ({error.code})"


@periodic(
    "federation-deliver",
    every=float(getattr(settings, "TONGBAN_FEDERATION_POLL_SECONDS", 5)),
    sweep=True,
)
@task()
def sweep_federation() -> str:
    return deliver_federation.call()


@task()
def reconcile_federation() -> str:
    """Send this node's statistics figures to every peer of a cross-node agreement (ADR
    0133); nothing on a node that is not part of a federation."""
    from tongban.federation import reconcile
    from tongban.federation.node import enabled

    if not enabled():
        return "idle"
    try:
        result = reconcile.send_reports()
    except DomainError as error:  # not configured yet, trust list expired...
        return f"{error.en} ({error.code})"
    return f"queued {len(result.queued)}, unconfirmed {len(result.unconfirmed)}"


@periodic(
    "federation-reconcile",
    every=float(getattr(settings, "TONGBAN_FEDERATION_RECONCILE_SECONDS", 3600)),
)
@task()
def sweep_reconcile() -> str:
    return reconcile_federation.call()
