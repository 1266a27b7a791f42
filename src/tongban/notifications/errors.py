"""Outcomes of one delivery attempt other than success. These are worker-internal signals,
not domain errors: nothing here reaches an API client."""

from __future__ import annotations


class NotDelivered(Exception):
    """The channel *knows* the message did not leave (refused connection, 4xx/5xx reply).
    Transient ones are retried with back-off; permanent ones (5xx) fail the channel."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class DeliveryInDoubt(Exception):
    """The message was handed over but no answer came back: it may or may not have been
    accepted. The worker never resends such a channel by itself (that could duplicate it);
    an operator checks the reference in the server's log and confirms or resends."""


class ClaimLost(Exception):
    """Another worker recovered this delivery (we were taken for dead): stop before the
    irreversible step."""
