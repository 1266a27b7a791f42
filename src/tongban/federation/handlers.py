"""What applying a received message does, per kind. A handler runs inside the receiving
transaction, after the message passed every check and in its case's sequence order; it
raises a DomainError to refuse. Higher layers (case replication) register their kinds
here at import time of `tongban.federation.apps`."""

from __future__ import annotations

from collections.abc import Callable

from tongban.federation.models import InboundMessage

Handler = Callable[[InboundMessage], None]
HANDLERS: dict[str, Handler] = {}


def register(kind: str) -> Callable[[Handler], Handler]:
    def decorate(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return decorate


@register("ping")
def _ping(message: InboundMessage) -> None:
    """Connectivity and ordering probe: applying it is recording it."""


@register("agreement.check")
def _agreement_check(message: InboundMessage) -> None:
    """The handshake: the agreement claim was compared before applying; nothing else."""
