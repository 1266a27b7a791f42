"""The message format (docs/federation.md, "Message format"; ADR 0111): a compact JWS,
ES256, signed by the sending node's key, header

    {"alg": "ES256", "typ": "tongban-fed+jws", "kid": "<sender node code>",
     "x5t#S256": "<SHA-256 of the signing certificate>"}

over the claims

    {"v": 1, "id": "<uuid>", "from": "hubei", "to": "henan", "kind": "case.event",
     "case": "<case number at the sender>", "seq": 3, "jurisdiction": "420704",
     "agreement": {"code": "...", "version": 1, "fingerprint": "<sha-256>"} | null,
     "created": "<ISO 8601, when the message was written>",
     "signed": "<ISO 8601, when this copy was signed>", "body": {...}}

A message is re-signed at each delivery attempt (`signed` moves, nothing else): the
receiver refuses a copy signed further than TONGBAN_FEDERATION_MAX_SKEW_SECONDS from its
clock, so a captured copy cannot be replayed later, while the message id (deduplication)
and the per-case sequence (ordering) stay those of the message."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from tongban.federation import errors, jose
from tongban.federation.node import Node
from tongban.federation.trust import PeerNode, TrustList

VERSION = 1
MESSAGE_TYPE = "tongban-fed+jws"
RECEIPT_TYPE = "tongban-fed-receipt+jws"
MAX_TOKEN_CHARS = 2_000_000


@dataclass(frozen=True)
class Incoming:
    sender: PeerNode
    claims: dict[str, Any]
    digest: str
    certificate: str
    signed_at: dt.datetime
    created_at: dt.datetime

    @property
    def message_id(self) -> str:
        return str(self.claims["id"])

    @property
    def kind(self) -> str:
        return str(self.claims["kind"])

    @property
    def case_ref(self) -> str:
        return str(self.claims.get("case") or "")

    @property
    def seq(self) -> int:
        return int(self.claims.get("seq") or 0)

    @property
    def agreement(self) -> dict[str, Any] | None:
        value = self.claims.get("agreement")
        return value if isinstance(value, dict) else None


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def digest(claims: dict[str, Any]) -> str:
    """What identifies a message's content: every claim but the signing time."""
    content = {k: v for k, v in claims.items() if k != "signed"}
    return hashlib.sha256(jose.canonical(content)).hexdigest()


def sign_message(node: Node, claims: dict[str, Any], moment: dt.datetime) -> str:
    header = {"typ": MESSAGE_TYPE, "kid": node.code, "x5t#S256": node.thumbprint}
    return jose.sign({**claims, "signed": iso(moment)}, node.signing_key, header)


def sign_receipt(node: Node, claims: dict[str, Any], moment: dt.datetime) -> str:
    header = {"typ": RECEIPT_TYPE, "kid": node.code, "x5t#S256": node.thumbprint}
    return jose.sign({"v": VERSION, **claims, "signed": iso(moment)}, node.signing_key, header)


def _time(value: Any, name: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError as error:
        raise errors.malformed_message(f"{name} is not an ISO 8601 time") from error
    if moment.tzinfo is None:
        raise errors.malformed_message(f"{name} has no time zone")
    return moment


def _peek(token: str, expected_type: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise errors.malformed_message("not a compact JWS")
    try:
        header, claims = jose.peek(token)
    except jose.JwsInvalid as error:
        raise errors.malformed_message("not a compact JWS") from error
    if header.get("typ") != expected_type or header.get("alg") not in jose.ALGORITHMS:
        raise errors.malformed_message(
            f"typ must be {expected_type} and alg one of {', '.join(jose.ALGORITHMS)}"
        )
    return header, claims


def _verified(
    token: str, header: dict[str, Any], sender: PeerNode, now: dt.datetime
) -> dict[str, Any]:
    if header.get("alg") != sender.algorithm:
        # the trust list fixes each node's algorithm: a downgrade or a confusion is refused
        raise errors.algorithm_mismatch(sender.code, sender.algorithm, str(header.get("alg")))
    keys = sender.verification_keys(now)
    try:
        return jose.verify(token, keys)
    except jose.JwsInvalid as error:
        raise errors.bad_signature() from error


def open_message(token: str, trust_list: TrustList, me: Node, now: dt.datetime) -> Incoming:
    """Verify a received message completely, in the order that discloses least: format,
    known sender, signature, addressee, freshness, the sender's jurisdiction. Raises the
    DomainError whose code the receiver answers with."""
    header, unverified = _peek(token, MESSAGE_TYPE)
    sender_code = str(unverified.get("from") or header.get("kid") or "")
    if header.get("kid") != sender_code:
        raise errors.malformed_message("kid and from differ")
    sender = trust_list.node(sender_code, now)
    claims = _verified(token, header, sender, now)
    for name, kind in (("id", str), ("kind", str), ("to", str), ("jurisdiction", str)):
        if not isinstance(claims.get(name), kind) or not claims.get(name):
            raise errors.malformed_message(f"{name} is missing")
    if claims.get("v") != VERSION:
        raise errors.malformed_message(f"unsupported version {claims.get('v')!r}")
    if not isinstance(claims.get("seq", 0), int) or claims.get("seq", 0) < 0:
        raise errors.malformed_message("seq must be a non-negative integer")
    if (claims.get("seq") or 0) > 0 and not claims.get("case"):
        raise errors.malformed_message("a sequence number needs a case")
    if not isinstance(claims.get("body", {}), dict):
        raise errors.malformed_message("body must be an object")
    if len(str(claims["id"])) > 36 or len(str(claims.get("case") or "")) > 32:
        raise errors.malformed_message("id or case too long")
    if claims["to"] != me.code:
        raise errors.wrong_recipient(str(claims["to"]))
    signed_at = _time(claims.get("signed"), "signed")
    skew = int(getattr(settings, "TONGBAN_FEDERATION_MAX_SKEW_SECONDS", 900))
    if abs((now - signed_at).total_seconds()) > skew:
        raise errors.stale_message(skew)
    if not sender.serves(str(claims["jurisdiction"])):
        raise errors.jurisdiction_not_served(sender.code, str(claims["jurisdiction"]))
    return Incoming(
        sender=sender,
        claims=claims,
        digest=digest(claims),
        certificate=str(header.get("x5t#S256") or ""),
        signed_at=signed_at,
        created_at=_time(claims.get("created"), "created"),
    )


def open_receipt(
    token: str, peer: PeerNode, me: Node, message_id: str, now: dt.datetime
) -> dict[str, Any]:
    """A peer's receipt for `message_id`, verified against the peer's certificates."""
    header, _ = _peek(token, RECEIPT_TYPE)
    if header.get("kid") != peer.code:
        raise errors.bad_signature()
    claims = _verified(token, header, peer, now)
    if claims.get("from") != peer.code or claims.get("to") != me.code:
        raise errors.bad_signature()
    if claims.get("ref") != message_id:
        raise errors.malformed_message("the receipt is for another message")
    return claims
