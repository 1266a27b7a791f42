"""The refusals of the federation transport. Each has a stable code that the receiving
node answers with, logs in its rejection log and the sending node records against the
message (docs/federation.md, "Error codes")."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import Conflict, DomainError, Forbidden, Invalid, MalformedRequest

logger = logging.getLogger("tongban.federation")


class FederationNotConfigured(DomainError):
    """A deployment that is not a node offers no federation endpoint: 404, and the
    reason (which file is missing) goes to the log, never to the caller."""

    status = 404
    code = "federation_not_configured"


def not_configured(what: str) -> FederationNotConfigured:
    logger.warning("federation not configured: %s", what)
    return FederationNotConfigured(_("This deployment is not a federation node."))


class TrustListInvalid(DomainError):
    """The trust list cannot be believed: bad signature, expired, malformed."""

    status = 503
    code = "trust_list_invalid"


def malformed_message(reason: str) -> MalformedRequest:
    return MalformedRequest(
        _("Malformed message: %(reason)s"), code="malformed_message", params={"reason": reason}
    )


def unknown_node(node: str) -> Forbidden:
    return Forbidden(
        _("Node %(node)s is not on the trust list."),
        code="unknown_node",
        params={"node": node},
    )


def bad_signature() -> Forbidden:
    return Forbidden(
        _("The message signature does not verify against the sender's certificates."),
        code="bad_signature",
    )


def algorithm_mismatch(node: str, listed: str, used: str) -> Forbidden:
    return Forbidden(
        _("Node %(node)s signs with %(listed)s on the trust list; this message uses %(used)s."),
        code="algorithm_mismatch",
        params={"node": node, "listed": listed, "used": used},
        details={"listed": listed, "used": used},
    )


def wrong_recipient(node: str) -> Forbidden:
    return Forbidden(
        _("The message is addressed to node %(node)s, not to this node."),
        code="wrong_recipient",
        params={"node": node},
    )


def jurisdiction_not_served(node: str, jurisdiction: str) -> Forbidden:
    return Forbidden(
        _("Node %(node)s does not serve jurisdiction %(jurisdiction)s."),
        code="jurisdiction_not_served",
        params={"node": node, "jurisdiction": jurisdiction},
    )


def stale_message(skew: int) -> Conflict:
    return Conflict(
        _(
            "The message was signed more than %(skew)s seconds from this "
            "node's clock: refused as a replay."
        ),
        code="replay",
        details={"reason": "stale"},
        params={"skew": skew},
    )


def message_id_reused(message_id: str) -> Conflict:
    return Conflict(
        _("Message id %(message_id)s was already used for a different message."),
        code="replay",
        details={"reason": "message_id_reused"},
        params={"message_id": message_id},
    )


def sequence_replayed(case: str, seq: int) -> Conflict:
    return Conflict(
        _("Sequence %(seq)s of case %(case)s was already received with another message id."),
        code="replay",
        details={"reason": "sequence_replayed", "seq": seq},
        params={"seq": seq, "case": case},
    )


def unknown_kind(kind: str) -> Invalid:
    return Invalid(
        _("This node does not handle messages of kind %(kind)s."),
        code="unknown_kind",
        params={"kind": kind},
    )


def agreement_unknown(code: str, version: int) -> Conflict:
    return Conflict(
        _("Agreement %(code)s version %(version)s is not registered and in force on this node."),
        code="agreement_unknown",
        details={"agreement": code, "version": version},
        params={"code": code, "version": version},
    )


def agreement_mismatch(code: str, version: int, ours: str, theirs: str) -> Conflict:
    return Conflict(
        _(
            "The nodes' copies of agreement %(code)s version %(version)s "
            "differ (fingerprints do not match): no cases are exchanged "
            "under it."
        ),
        code="agreement_mismatch",
        details={"agreement": code, "version": version, "ours": ours, "theirs": theirs},
        params={"code": code, "version": version},
    )


def agreement_not_confirmed(code: str, version: int, peer: str) -> Conflict:
    return Conflict(
        _(
            "Agreement %(code)s version %(version)s has not been confirmed with node "
            "%(peer)s: run the agreement check first."
        ),
        code="agreement_not_confirmed",
        params={"code": code, "version": version, "peer": peer},
        details={"agreement": code, "version": version, "peer": peer},
    )


def peer_refused(code: str, message: str, details: dict[str, Any] | None = None) -> Conflict:
    return Conflict(
        _("The peer node refused: %(message)s"),
        code=code,
        details=details,
        params={"message": message},
    )


def case_on_other_node(peer: str) -> Conflict:
    # e.g. a 全程网办 application for a jurisdiction another node serves: no leg is ours,
    # so nobody here could act on it and no replica would ever be made (ADR 0127)
    return Conflict(
        _("Every leg of this case is served by node %(peer)s: apply there."),
        code="case_on_other_node",
        params={"peer": peer},
        details={"peer": peer},
    )
