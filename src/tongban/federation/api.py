"""The node-to-node endpoint. Authentication is the message's own signature (checked
against the trust list), so the operation takes no bearer token or session."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Router, Schema

from tongban.core.api_errors import ErrorOut
from tongban.core.client import client_address
from tongban.core.inputs import Id
from tongban.federation import actions, files, reconcile
from tongban.federation.node import this_node
from tongban.federation.trust import current_trust_list

router = Router(tags=["federation 节点互联"])
BINARY = "application/octet-stream"
BINARY_ANSWER = {
    "responses": {
        200: {
            "description": "the file's bytes",
            "content": {BINARY: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


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


@router.post(
    "/federation/files",
    auth=None,
    response={200: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
    openapi_extra=BINARY_ANSWER,
    summary="向对方节点提供材料文件 / A file of a case, for the peer node handling it",
    description=(
        'The body is `{"jws"}`: a signed request of kind `file.fetch` (the message '
        "envelope, docs/federation.md) for the case's handling jurisdiction, body "
        '`{"sha256"}`. Answers the file\'s bytes (`application/octet-stream`). Refusals, '
        "logged: those of a message (`malformed_message` 400, `unknown_node`, "
        "`bad_signature`, `wrong_recipient`, `jurisdiction_not_served` 403, `replay` 409), "
        "and `not_found` (404) for a case or file this node does not hold."
    ),
)
def serve_file(request: HttpRequest, payload: MessageIn) -> HttpResponse:
    found = files.serve_file(payload.jws, client_address(request) or "")
    return HttpResponse(found.content, content_type=BINARY)


@router.get(
    "/cases/{number}/peer-files/{sha256}",
    response={200: None, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
    openapi_extra=BINARY_ANSWER,
    summary="对方节点的材料文件 / A file of a replica case, fetched from the origin node",
    description=(
        "For staff who may read the replica case: the file's contents, fetched from the "
        "node where it was uploaded with a signed request and checked against the SHA-256 "
        "of the transfer (ADR 0132). `not_found` (404) for a case out of scope or a file "
        "the transfer did not name; `file_hash_mismatch` (409) when the bytes differ; "
        "`peer_unreachable`, `peer_refused` (409)."
    ),
)
def peer_file(request: HttpRequest, number: str, sha256: str) -> HttpResponse:
    found = files.fetch_file(request.user, number, sha256)
    response = HttpResponse(found.content, content_type=found.content_type or BINARY)
    response["Content-Disposition"] = content_disposition_header(True, found.name or sha256)
    response["X-Content-Type-Options"] = "nosniff"
    return response


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


class ReconcileCounts(Schema):
    sent: int
    received: int
    accepted: int
    completed: int


class ReconcileDifference(Schema):
    measure: str = Field(..., description="our measure: sent, received, accepted, completed")
    peer_measure: str = Field(..., description="the peer's measure it must equal")
    only_here: list[str] = Field(..., description="case numbers only this node counts")
    only_there: list[str] = Field(..., description="case numbers only the peer counts")


class ReconcileDayOut(Schema):
    day: dt.date = Field(..., description="the day (China Standard Time)")
    peer: str = Field(..., description="the other node")
    ours: ReconcileCounts
    theirs: ReconcileCounts | None = Field(
        ...,
        description="the peer's matching figures under our names (its received for our "
        "sent, its sent for our received); null until the peer has reported the day",
    )
    own_at: dt.datetime
    theirs_at: dt.datetime | None = Field(..., description="when the peer counted")
    matched: bool | None = Field(..., description="null: not reported by the peer yet")
    differences: list[ReconcileDifference]
    undelivered: dict[str, str] = Field(
        ..., description="of the cases only we sent: our transfer message's state, if not delivered"
    )


class ReconciliationOut(Schema):
    agreement: dict[str, Any]
    node: str
    from_day: dt.date = Field(..., alias="from")
    to_day: dt.date = Field(..., alias="to")
    days: list[ReconcileDayOut]
    mismatched_days: int
    unreported_days: int


@router.get(
    "/stats/agreements/{int:agreement_id}/reconciliation",
    response={200: ReconciliationOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    by_alias=True,
    tags=["stats 统计"],
    summary="跨节点统计核对 / Both nodes' figures of a cross-node agreement",
    description=(
        "Per peer node and day (newest first), this node's and the peer's figures of the "
        "agreement's cases that crossed between them (sent, received, accepted, completed; "
        "ADR 0133), and the case numbers only one side counts. Supervisors and "
        "jurisdiction admins of a party (and platform admins): 401 unauthenticated, 403 "
        "`stats_forbidden` without a statistics role, 404 `not_found` for another "
        "agreement."
    ),
)
def reconciliation(
    request: HttpRequest,
    agreement_id: Id,
    days: Annotated[int, Field(ge=1, le=reconcile.MAX_DAYS)] = 7,
) -> dict[str, Any]:
    return reconcile.agreement_reconciliation(request.user, agreement_id, days)
