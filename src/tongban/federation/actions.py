"""Every change the federation makes: writing a message to the outbox, accepting (or
refusing) a received one, the agreement handshake, an operator's resend."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import User
from tongban.agreements.models import Agreement
from tongban.core.audit import record_audit
from tongban.core.errors import Conflict, DomainError, Invalid
from tongban.federation import agreements as fed_agreements
from tongban.federation import clock, envelope, errors, transport
from tongban.federation.handlers import HANDLERS
from tongban.federation.models import (
    AgreementCheck,
    CaseCursor,
    InboundMessage,
    OutboundMessage,
    RejectedMessage,
)
from tongban.federation.node import Node, this_node
from tongban.federation.trust import current_trust_list

logger = logging.getLogger("tongban.federation")


# ---- sending ----------------------------------------------------------------------------


def _cursor(peer: str, case_ref: str, direction: str) -> CaseCursor:
    """The case's cursor, created if missing, locked for the rest of the transaction."""
    try:
        with transaction.atomic():
            CaseCursor.objects.get_or_create(peer=peer, case_ref=case_ref, direction=direction)
    except IntegrityError:
        pass  # created meanwhile by a concurrent transaction
    return CaseCursor.objects.select_for_update().get(
        peer=peer, case_ref=case_ref, direction=direction
    )


def enqueue_message(
    *,
    peer: str,
    kind: str,
    jurisdiction: str,
    body: dict[str, Any] | None = None,
    case_ref: str = "",
    agreement: Agreement | None = None,
    require_confirmed_agreement: bool = True,
) -> OutboundMessage:
    """Write a message to the outbox in the caller's transaction (it commits or rolls back
    with the change it reports); `tongban federation deliver` sends it. A message of a
    case gets the case's next sequence number towards that peer."""
    trust_list = current_trust_list()
    me = this_node(trust_list)
    trust_list.node(peer)
    if peer == me.code:
        raise Invalid(_("A node does not send to itself."), code="invalid")
    if jurisdiction not in me.jurisdictions:
        raise errors.jurisdiction_not_served(me.code, jurisdiction)
    block = fed_agreements.block(agreement) if agreement is not None else None
    if block is not None and require_confirmed_agreement:
        confirmed = AgreementCheck.objects.filter(
            peer=peer,
            agreement_code=block["code"],
            agreement_version=block["version"],
            fingerprint=block["fingerprint"],
            agreed=True,
        ).exists()
        if not confirmed:
            raise errors.agreement_not_confirmed(block["code"], block["version"], peer)
    # the message's time is this node's federation clock; when to send it is the queue's
    now, created = timezone.now(), clock.now()
    with transaction.atomic():
        seq = 0
        if case_ref:
            cursor = _cursor(peer, case_ref, CaseCursor.Direction.OUT)
            cursor.last_seq += 1
            cursor.save(update_fields=["last_seq"])
            seq = cursor.last_seq
        message_id = str(uuid.uuid4())
        claims = _claims(
            me, peer, message_id, kind, case_ref, seq, jurisdiction, block, body, created
        )
        return OutboundMessage.objects.create(
            message_id=message_id,
            peer=peer,
            kind=kind,
            case_ref=case_ref,
            seq=seq,
            jurisdiction=jurisdiction,
            agreement_code=block["code"] if block else "",
            agreement_version=block["version"] if block else None,
            agreement_fingerprint=block["fingerprint"] if block else "",
            body=body or {},
            digest=envelope.digest(claims),
            created_at=created,
            next_attempt_at=now,
        )


def _claims(
    me: Node,
    peer: str,
    message_id: str,
    kind: str,
    case_ref: str,
    seq: int,
    jurisdiction: str,
    block: dict[str, Any] | None,
    body: dict[str, Any] | None,
    created: dt.datetime,
) -> dict[str, Any]:
    return {
        "v": envelope.VERSION,
        "id": message_id,
        "from": me.code,
        "to": peer,
        "kind": kind,
        "case": case_ref,
        "seq": seq,
        "jurisdiction": jurisdiction,
        "agreement": block,
        "created": envelope.iso(created),
        "body": body or {},
    }


def claims_of(message: OutboundMessage, me: Node) -> dict[str, Any]:
    block = None
    if message.agreement_code:
        block = {
            "code": message.agreement_code,
            "version": message.agreement_version,
            "fingerprint": message.agreement_fingerprint,
        }
    return _claims(
        me,
        message.peer,
        message.message_id,
        message.kind,
        message.case_ref,
        message.seq,
        message.jurisdiction,
        block,
        message.body,
        message.created_at,
    )


def resend_message(actor: User | AnonymousUser | None, message: OutboundMessage) -> OutboundMessage:
    """An operator sends a refused (or waiting) message again now. Safe whatever the
    peer already has: it deduplicates by message id."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
        if message.state == OutboundMessage.State.DELIVERED:
            raise Conflict(_("Already delivered."), code="already_delivered")
        previous = message.state
        message.state = OutboundMessage.State.PENDING
        message.next_attempt_at = timezone.now()
        message.claimed_by = ""
        message.claimed_at = None
        message.save(update_fields=["state", "next_attempt_at", "claimed_by", "claimed_at"])
        record_audit(actor, "federation.resend", message, f"{previous} → pending")
    return message


# ---- receiving --------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str  # applied | held | duplicate
    seq: int = 0
    missing: list[int] = field(default_factory=list)


def receive_message(token: Any, remote_address: str = "") -> tuple[Outcome, str]:
    """Accept a message from a peer: verify it (envelope.open_message), check the
    agreement it names, then deduplicate, order and apply it in one transaction. Returns
    the outcome and the signed receipt. Every refusal is logged (RejectedMessage) and
    raised as a DomainError with a stable code."""
    now = timezone.now()
    try:
        trust_list = current_trust_list()
        me = this_node(trust_list)
        # freshness is judged on this node's federation clock (clock.py)
        incoming = envelope.open_message(token, trust_list, me, clock.now())
        if incoming.kind not in HANDLERS:
            raise errors.unknown_kind(incoming.kind)
        if incoming.agreement is not None:
            fed_agreements.check_block(incoming.agreement)
        outcome = _accept(incoming, str(token), now)
    except DomainError as error:
        _log_rejection(error, token, remote_address, now)
        raise
    receipt = envelope.sign_receipt(
        me,
        {
            "type": "receipt",
            "from": me.code,
            "to": incoming.sender.code,
            "ref": incoming.message_id,
            "status": outcome.status,
            "case": incoming.case_ref,
            "seq": incoming.seq,
            "missing": outcome.missing,
        },
        clock.now(),
    )
    return outcome, receipt


def _accept(incoming: envelope.Incoming, token: str, now: dt.datetime) -> Outcome:
    peer = incoming.sender.code
    with transaction.atomic():
        cursor = None
        if incoming.seq:
            # one case's messages are accepted one at a time, in any arrival order
            cursor = _cursor(peer, incoming.case_ref, CaseCursor.Direction.IN)
        existing = InboundMessage.objects.filter(peer=peer, message_id=incoming.message_id).first()
        if existing is not None:
            if existing.digest != incoming.digest:
                raise errors.message_id_reused(incoming.message_id)
            logger.info("federation: duplicate %s from %s ignored", incoming.message_id, peer)
            missing = _missing(peer, incoming.case_ref, cursor) if cursor else []
            return Outcome("duplicate", incoming.seq, missing)
        if cursor is not None and (
            incoming.seq <= cursor.last_seq
            or InboundMessage.objects.filter(
                peer=peer, case_ref=incoming.case_ref, seq=incoming.seq
            ).exists()
        ):
            raise errors.sequence_replayed(incoming.case_ref, incoming.seq)
        try:
            # a savepoint: two copies of one message arriving at once (no case lock for
            # messages outside a case) meet the unique constraint, not a 500
            with transaction.atomic():
                message = InboundMessage.objects.create(
                    message_id=incoming.message_id,
                    peer=peer,
                    kind=incoming.kind,
                    case_ref=incoming.case_ref,
                    seq=incoming.seq,
                    jurisdiction=str(incoming.claims["jurisdiction"]),
                    agreement_code=str((incoming.agreement or {}).get("code", "")),
                    agreement_version=(incoming.agreement or {}).get("version"),
                    body=incoming.claims.get("body") or {},
                    digest=incoming.digest,
                    created_at=incoming.created_at,
                    signed_at=incoming.signed_at,
                    received_at=now,
                    certificate=incoming.certificate,
                    jws=token,
                    state=InboundMessage.State.HELD,
                )
        except IntegrityError:
            twin = InboundMessage.objects.filter(peer=peer, message_id=incoming.message_id).first()
            if twin is None:
                raise errors.sequence_replayed(incoming.case_ref, incoming.seq) from None
            if twin.digest != incoming.digest:
                raise errors.message_id_reused(incoming.message_id) from None
            return Outcome("duplicate", incoming.seq)
        if cursor is None:
            _apply(message, now)
            return Outcome("applied")
        while True:
            ready = InboundMessage.objects.filter(
                peer=peer,
                case_ref=incoming.case_ref,
                seq=cursor.last_seq + 1,
                state=InboundMessage.State.HELD,
            ).first()
            if ready is None:
                break
            _apply(ready, now)
            cursor.last_seq = ready.seq
        cursor.save(update_fields=["last_seq"])
        message.refresh_from_db(fields=["state"])
        status = "applied" if message.state == InboundMessage.State.APPLIED else "held"
        if status == "held":
            logger.info(
                "federation: %s #%d from %s held (waiting for #%d)",
                incoming.case_ref,
                incoming.seq,
                peer,
                cursor.last_seq + 1,
            )
        return Outcome(status, incoming.seq, _missing(peer, incoming.case_ref, cursor))


def _apply(message: InboundMessage, now: dt.datetime) -> None:
    HANDLERS[message.kind](message)
    message.state = InboundMessage.State.APPLIED
    message.applied_at = now
    message.save(update_fields=["state", "applied_at"])


def _missing(peer: str, case_ref: str, cursor: CaseCursor) -> list[int]:
    """Sequence numbers below the highest held one that this node has not received."""
    held = set(
        InboundMessage.objects.filter(
            peer=peer, case_ref=case_ref, seq__gt=cursor.last_seq
        ).values_list("seq", flat=True)
    )
    if not held:
        return []
    return [s for s in range(cursor.last_seq + 1, max(held)) if s not in held]


def _log_rejection(error: DomainError, token: Any, remote: str, now: dt.datetime) -> None:
    claimed_peer = claimed_id = ""
    text = token if isinstance(token, str) else ""
    try:
        header, claims = envelope.jose.peek(text)
        claimed_peer = str(claims.get("from") or header.get("kid") or "")[:64]
        claimed_id = str(claims.get("id") or "")[:64]
    except envelope.jose.JwsInvalid:
        pass
    reason = f"{error.en} {error.details}" if error.details else error.en
    with transaction.atomic():
        RejectedMessage.objects.create(
            received_at=now,
            claimed_peer=claimed_peer,
            claimed_message_id=claimed_id,
            code=error.code,
            reason=reason[:255],
            remote_address=remote[:64],
            jws=text[:65536],
        )
    logger.warning(
        "federation: refused message %s from %r (%s): %s",
        claimed_id or "?",
        claimed_peer or "?",
        error.code,
        error.en,
    )


# ---- the agreement handshake ------------------------------------------------------------


def check_agreement(
    actor: User | None, peer: str, agreement: Agreement, *, jurisdiction: str
) -> bool:
    """Ask `peer` synchronously whether it holds `agreement` identically (a signed
    `agreement.check` message). Records the result (AgreementCheck) either way; raises the
    peer's refusal (agreement_unknown, agreement_mismatch, ...) as a Conflict."""
    trust_list = current_trust_list()
    me = this_node(trust_list)
    node = trust_list.node(peer)
    if jurisdiction not in me.jurisdictions:
        raise errors.jurisdiction_not_served(me.code, jurisdiction)
    block = fed_agreements.block(agreement)
    now = timezone.now()
    signed = clock.now()
    claims = _claims(
        me, peer, str(uuid.uuid4()), "agreement.check", "", 0, jurisdiction, block, {}, signed
    )
    token = envelope.sign_message(me, claims, signed)
    with transport.new_client() as client:
        try:
            answer = transport.post_message(client, node, token)
        except transport.PeerUnreachable as error:
            raise Conflict(
                _("Node %(peer)s cannot be reached: %(error)s"),
                code="peer_unreachable",
                params={"peer": peer, "error": error},
            ) from error
    agreed = answer.status == 200
    error_code = "" if agreed else str(answer.body.get("code", f"http_{answer.status}"))
    if agreed:
        envelope.open_receipt(str(answer.body.get("jws", "")), node, me, claims["id"], now)
    details = answer.body.get("details") or {}
    with transaction.atomic():
        AgreementCheck.objects.update_or_create(
            peer=peer,
            agreement_code=agreement.code,
            agreement_version=agreement.version,
            defaults={
                "fingerprint": block["fingerprint"],
                "agreed": agreed,
                "peer_fingerprint": block["fingerprint"]
                if agreed
                else str(details.get("ours", ""))[:64],
                "error_code": error_code,
                "checked_at": now,
            },
        )
        record_audit(
            actor,
            "federation.agreement_check",
            agreement,
            f"{peer}: {'agreed' if agreed else error_code}",
            {"peer": peer, "fingerprint": block["fingerprint"]},
        )
    if not agreed:
        raise errors.peer_refused(
            error_code, str(answer.body.get("message", "")), details=details or None
        )
    return True
