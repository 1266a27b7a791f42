"""The delivery worker: sends due outbox messages to their peers, at least once.
Run by `tongban federation deliver` (management command).

Unlike e-mail (notifications/worker.py, whose SMTP handover cannot be undone and so needs
an "in doubt" state), a peer node deduplicates by message id: sending a message twice is
harmless. So the worker keeps no in-doubt state. It claims a message under a lease
(`claimed_by`, `claimed_at`), sends it, and settles it from the answer:

- a signed receipt (applied / held / duplicate) → `delivered`;
- a refusal that cannot heal by waiting (bad signature, replayed sequence, agreement
  mismatch, ...) → `refused`, shown to the operator, who may resend it;
- anything else (peer down, timeout, 5xx, a stale signature after clock trouble, a peer
  that does not know us yet) → `pending` again after a back-off: base, 2×base, ... capped.

A worker killed mid-send leaves its claim; once the lease has passed another worker (or
the same one restarted) takes the message over and sends it again: the peer answers
`duplicate` if the first copy had arrived. The retry's back-off and the lease follow
TONGBAN_FEDERATION_BACKOFF_SECONDS / _BACKOFF_MAX_SECONDS / _LEASE_SECONDS."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from dataclasses import dataclass, field

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tongban.core.errors import DomainError
from tongban.federation import clock, envelope, transport
from tongban.federation.actions import claims_of
from tongban.federation.models import OutboundMessage, PeerStatus
from tongban.federation.node import Node, this_node
from tongban.federation.trust import TrustList, current_trust_list

logger = logging.getLogger("tongban.federation")
S = OutboundMessage.State

#: refusals that waiting may heal: the peer may not have our entry or the agreement yet
RETRYABLE_CODES = {
    "unknown_node",
    "trust_list_invalid",
    "federation_not_configured",
    "agreement_unknown",
    "too_many_requests",
}


@dataclass(frozen=True)
class DeliveryConfig:
    backoff_seconds: float = 5
    backoff_max_seconds: float = 600
    lease_seconds: float = 60
    poll_seconds: float = 5

    @classmethod
    def from_settings(cls) -> DeliveryConfig:
        return cls(
            backoff_seconds=float(settings.TONGBAN_FEDERATION_BACKOFF_SECONDS),
            backoff_max_seconds=float(settings.TONGBAN_FEDERATION_BACKOFF_MAX_SECONDS),
            lease_seconds=float(settings.TONGBAN_FEDERATION_LEASE_SECONDS),
            poll_seconds=float(settings.TONGBAN_FEDERATION_POLL_SECONDS),
        )

    def backoff(self, attempts: int) -> dt.timedelta:
        seconds = self.backoff_seconds * (2 ** max(0, min(attempts, 30) - 1))
        return dt.timedelta(seconds=min(seconds, self.backoff_max_seconds))


@dataclass
class DeliveryStats:
    delivered: int = 0
    retrying: int = 0
    refused: int = 0
    peers_down: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        down = ",".join(sorted(self.peers_down)) or "-"
        return (
            f"delivered={self.delivered} retrying={self.retrying} refused={self.refused} "
            f"peers_down={down}"
        )


class Deliverer:
    def __init__(
        self, config: DeliveryConfig | None = None, client: httpx.Client | None = None
    ) -> None:
        self.config = config or DeliveryConfig.from_settings()
        self.client = client
        self.token = secrets.token_hex(8)

    def run_once(self, stop: threading.Event | None = None) -> DeliveryStats:
        """Send every due message (until `stop` is set). A peer that does not answer is
        skipped for the rest of the pass: its messages wait for their next attempt."""
        stats = DeliveryStats()
        trust_list = current_trust_list()
        me = this_node(trust_list)
        client = self.client or transport.new_client()
        try:
            while stop is None or not stop.is_set():
                message = self._claim(timezone.now(), stats.peers_down)
                if message is None:
                    break
                self._send(client, trust_list, me, message, stats)
        finally:
            if self.client is None:
                client.close()
        return stats

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                stats = self.run_once(stop)
                if stats.delivered or stats.retrying or stats.refused:
                    logger.info("federation delivery: %s", stats)
            except DomainError as error:  # not configured yet, trust list expired...
                logger.error("federation delivery: %s (%s)", error.en, error.code)
            stop.wait(self.config.poll_seconds)

    # ---- claiming -----------------------------------------------------------------------

    def _claim(self, now: dt.datetime, skip_peers: set[str]) -> OutboundMessage | None:
        lease_expired = now - dt.timedelta(seconds=self.config.lease_seconds)
        with transaction.atomic():
            message = (
                OutboundMessage.objects.select_for_update(skip_locked=True)
                .filter(state=S.PENDING)
                .filter(Q(claimed_by="") | Q(claimed_at__lt=lease_expired))
                .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
                .exclude(peer__in=skip_peers)
                .order_by("next_attempt_at", "case_ref", "seq", "id")
                .first()
            )
            if message is None:
                return None
            OutboundMessage.objects.filter(pk=message.pk).update(
                claimed_by=self.token,
                claimed_at=now,
                attempts=F("attempts") + 1,
                last_attempt_at=now,
            )
            message.refresh_from_db()
            return message

    # ---- sending ------------------------------------------------------------------------

    def _send(
        self,
        client: httpx.Client,
        trust_list: TrustList,
        me: Node,
        message: OutboundMessage,
        stats: DeliveryStats,
    ) -> None:
        now = timezone.now()
        try:
            peer = trust_list.node(message.peer, now)
        except DomainError as error:
            self._settle(message, now, S.PENDING, error.code, error.en)
            stats.retrying += 1
            return
        token = envelope.sign_message(me, claims_of(message, me), clock.now())
        try:
            answer = transport.post_message(client, peer, token)
        except transport.PeerUnreachable as error:
            stats.peers_down.add(peer.code)
            stats.retrying += 1
            self._settle(message, now, S.PENDING, "peer_unreachable", str(error), jws=token)
            return
        if answer.status == 200:
            try:
                receipt = envelope.open_receipt(
                    str(answer.body.get("jws", "")), peer, me, message.message_id, now
                )
            except DomainError as error:
                stats.retrying += 1
                self._settle(message, now, S.PENDING, "bad_receipt", error.en, jws=token)
                return
            stats.delivered += 1
            self._settle(
                message,
                now,
                S.DELIVERED,
                jws=token,
                receipt=str(answer.body["jws"]),
                receipt_status=str(receipt.get("status", "")),
                missing=[int(s) for s in receipt.get("missing") or [] if isinstance(s, int)],
            )
            return
        code = str(answer.body.get("code") or f"http_{answer.status}")
        reason = str(answer.body.get("message") or "")
        stale = (answer.body.get("details") or {}).get("reason") == "stale"
        if answer.status >= 500 or answer.status == 429 or code in RETRYABLE_CODES or stale:
            stats.retrying += 1
            if answer.status >= 500:
                stats.peers_down.add(peer.code)
            self._settle(message, now, S.PENDING, code, reason, jws=token)
        else:
            stats.refused += 1
            self._settle(message, now, S.REFUSED, code, reason, jws=token)

    def _settle(
        self,
        message: OutboundMessage,
        now: dt.datetime,
        state: str,
        code: str = "",
        reason: str = "",
        *,
        jws: str = "",
        receipt: str = "",
        receipt_status: str = "",
        missing: list[int] | None = None,
    ) -> None:
        with transaction.atomic():
            locked = OutboundMessage.objects.select_for_update().get(pk=message.pk)
            if locked.claimed_by != self.token or locked.state != S.PENDING:
                return  # taken over after our lease ran out, or settled by an operator
            locked.state = state
            locked.claimed_by = ""
            locked.claimed_at = None
            locked.error_code = code
            locked.last_error = reason[:255]
            if jws:
                locked.jws = jws
            if state == S.DELIVERED:
                locked.delivered_at = now
                locked.next_attempt_at = None
                locked.receipt = receipt
                locked.receipt_status = receipt_status
            elif state == S.PENDING:
                locked.next_attempt_at = now + self.config.backoff(locked.attempts)
            else:
                locked.next_attempt_at = None
            locked.save()
            if missing:
                # the peer holds later messages of the case and asks for these again
                OutboundMessage.objects.filter(
                    peer=locked.peer, case_ref=locked.case_ref, seq__in=missing
                ).update(state=S.PENDING, next_attempt_at=now, claimed_by="", claimed_at=None)
            self._peer_status(locked.peer, now, ok=state == S.DELIVERED, error=code, reason=reason)
        if state == S.REFUSED:
            logger.error(
                "federation: %s refused message %s (%s): %s",
                locked.peer,
                locked.message_id,
                code,
                reason,
            )
        elif state == S.PENDING:
            logger.warning(
                "federation: message %s to %s not delivered (%s), retry at %s",
                locked.message_id,
                locked.peer,
                code,
                locked.next_attempt_at,
            )

    def _peer_status(
        self, peer: str, now: dt.datetime, *, ok: bool, error: str, reason: str
    ) -> None:
        status, _ = PeerStatus.objects.get_or_create(peer=peer)
        if ok:
            status.last_success_at = now
            status.consecutive_failures = 0
        else:
            status.last_failure_at = now
            status.consecutive_failures += 1
            status.last_error = f"{error}: {reason}"[:255]
        status.save()
