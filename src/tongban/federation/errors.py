"""The refusals of the federation transport. Each has a stable code that the receiving
node answers with, logs in its rejection log and the sending node records against the
message (docs/federation.md, "Error codes")."""

from __future__ import annotations

import logging
from typing import Any

from tongban.core.errors import Conflict, DomainError, Forbidden, Invalid, MalformedRequest

logger = logging.getLogger("tongban.federation")


class FederationNotConfigured(DomainError):
    """A deployment that is not a node offers no federation endpoint: 404, and the
    reason (which file is missing) goes to the log, never to the caller."""

    status = 404
    code = "federation_not_configured"


def not_configured(what: str) -> FederationNotConfigured:
    logger.warning("federation not configured: %s", what)
    return FederationNotConfigured(
        "本节点未开通节点互联。", "This deployment is not a federation node."
    )


class TrustListInvalid(DomainError):
    """The trust list cannot be believed: bad signature, expired, malformed."""

    status = 503
    code = "trust_list_invalid"


def malformed_message(reason: str) -> MalformedRequest:
    return MalformedRequest(
        f"报文格式错误:{reason}", f"Malformed message: {reason}", code="malformed_message"
    )


def unknown_node(node: str) -> Forbidden:
    return Forbidden(
        f"信任列表中没有节点 {node}。",
        f"Node {node!r} is not on the trust list.",
        code="unknown_node",
    )


def bad_signature() -> Forbidden:
    return Forbidden(
        "报文签名无效,或签名证书不在信任列表中。",
        "The message signature does not verify against the sender's certificates.",
        code="bad_signature",
    )


def wrong_recipient(node: str) -> Forbidden:
    return Forbidden(
        f"报文的接收节点是 {node},不是本节点。",
        f"The message is addressed to node {node!r}, not to this node.",
        code="wrong_recipient",
    )


def jurisdiction_not_served(node: str, jurisdiction: str) -> Forbidden:
    return Forbidden(
        f"节点 {node} 不服务管辖地 {jurisdiction}。",
        f"Node {node!r} does not serve jurisdiction {jurisdiction!r}.",
        code="jurisdiction_not_served",
    )


def stale_message(skew: int) -> Conflict:
    return Conflict(
        f"报文签名时间与本节点时钟相差超过 {skew} 秒,按重放拒收。",
        f"The message was signed more than {skew} seconds from this node's clock: "
        "refused as a replay.",
        code="replay",
        details={"reason": "stale"},
    )


def message_id_reused(message_id: str) -> Conflict:
    return Conflict(
        f"报文编号 {message_id} 已用于内容不同的报文,拒收。",
        f"Message id {message_id} was already used for a different message.",
        code="replay",
        details={"reason": "message_id_reused"},
    )


def sequence_replayed(case: str, seq: int) -> Conflict:
    return Conflict(
        f"办件 {case} 的第 {seq} 号报文已收到,拒收重复序号的新报文。",
        f"Sequence {seq} of case {case} was already received with another message id.",
        code="replay",
        details={"reason": "sequence_replayed", "seq": seq},
    )


def unknown_kind(kind: str) -> Invalid:
    return Invalid(
        f"本节点不处理报文类型 {kind}。",
        f"This node does not handle {kind!r}.",
        code="unknown_kind",
    )


def agreement_unknown(code: str, version: int) -> Conflict:
    return Conflict(
        f"本节点未登记协议 {code} 第 {version} 版,或该版本未生效。",
        f"Agreement {code} version {version} is not registered and in force on this node.",
        code="agreement_unknown",
        details={"agreement": code, "version": version},
    )


def agreement_mismatch(code: str, version: int, ours: str, theirs: str) -> Conflict:
    return Conflict(
        f"两节点登记的协议 {code} 第 {version} 版内容不一致(指纹不同),拒绝交换办件。",
        f"The nodes' copies of agreement {code} version {version} differ "
        "(fingerprints do not match): no cases are exchanged under it.",
        code="agreement_mismatch",
        details={"agreement": code, "version": version, "ours": ours, "theirs": theirs},
    )


def agreement_not_confirmed(code: str, version: int, peer: str) -> Conflict:
    return Conflict(
        f"尚未与节点 {peer} 核对协议 {code} 第 {version} 版,不能发送办件。",
        f"Agreement {code} version {version} has not been confirmed with node {peer!r}: "
        "run the agreement check first.",
        code="agreement_not_confirmed",
        details={"agreement": code, "version": version, "peer": peer},
    )


def peer_refused(code: str, message: str, details: dict[str, Any] | None = None) -> Conflict:
    return Conflict(
        f"对方节点拒绝:{message}", f"The peer node refused: {message}", code=code, details=details
    )
