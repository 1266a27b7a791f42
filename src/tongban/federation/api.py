"""The node-to-node endpoint. Authentication is the message's own signature (checked
against the trust list), so the operation takes no bearer token or session."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from tongban.core.api_errors import ErrorOut
from tongban.core.client import client_address
from tongban.federation import actions
from tongban.federation.node import this_node
from tongban.federation.trust import current_trust_list

router = Router(tags=["federation 节点互联"])


class MessageIn(Schema):
    jws: str = Field(
        ...,
        max_length=2_000_000,
        description=(
            "the message as a compact JWS (RFC 7515; ES256, or SM2SM3 for a node the trust "
            "list lists with it), docs/federation.md"
        ),
    )


class ReceiptOut(Schema):
    status: str = Field(..., description="applied | held | duplicate")
    seq: int = Field(0, description="the message's per-case sequence number (0: none)")
    missing: list[int] = Field(
        default_factory=list, description="sequence numbers the receiver still waits for"
    )
    jws: str = Field(..., description="the receipt, signed by the receiving node (JWS)")


class NodeOut(Schema):
    code: str
    name: str
    jurisdictions: list[str]
    certificate_sha256: str
    trust_list_sequence: int


@router.post(
    "/federation/messages",
    auth=None,
    response={200: ReceiptOut, 403: ErrorOut, 409: ErrorOut, 503: ErrorOut},
    summary="接收节点报文 / Receive a signed message from a peer node",
    description=(
        "Refusals (all logged by the receiver): `malformed_message` (400), `unknown_node`, "
        "`algorithm_mismatch` (the `alg` is not the one the trust list gives the sender), "
        "`bad_signature`, `wrong_recipient`, `jurisdiction_not_served` (403), `replay` "
        "(409; details.reason stale, message_id_reused or sequence_replayed), "
        "`agreement_unknown`, `agreement_mismatch` (409), `unknown_kind` (422), "
        "`federation_not_configured` (404: this deployment is not a node), "
        "`trust_list_invalid` (503)."
    ),
)
def receive(request: HttpRequest, payload: MessageIn) -> ReceiptOut:
    outcome, receipt = actions.receive_message(payload.jws, client_address(request) or "")
    return ReceiptOut(status=outcome.status, seq=outcome.seq, missing=outcome.missing, jws=receipt)


@router.get(
    "/federation/node",
    auth=None,
    response={200: NodeOut, 404: ErrorOut, 503: ErrorOut},
    summary="本节点身份 / This node's identity (public)",
)
def node(request: HttpRequest) -> NodeOut:
    trust_list = current_trust_list()
    me = this_node(trust_list)
    return NodeOut(
        code=me.code,
        name=me.name,
        jurisdictions=sorted(me.jurisdictions),
        certificate_sha256=me.thumbprint,
        trust_list_sequence=trust_list.sequence,
    )
