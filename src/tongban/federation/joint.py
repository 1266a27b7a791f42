"""多地联办 parts on other nodes (ADR 0134).

A joint lead accepted here opens one part per place (ADR 0094). A part whose handling
jurisdiction the trust list gives to another node is sent there when it is opened: the
part's `submit` event goes out as every event does (replication.queue_case_event), and
right after it, in the same transaction and the part's sequence, a `case.part` message
with what the agreement lets cross (`replication.transfer_body`: the applicant's
identity, the form, the checklist, file and e-licence references) and the lead's number.
The peer makes its replica of the part in the part's initial state (待受理), where its
officers act under the same transition table; their events come back as `case.event`
and move this node's copy of the part, locking the lead first, and the part's end may
complete the lead (cases.actions.apply_peer_move).

When the lead ends as a whole (terminated), a part still undecided on the peer is ended
there, by the peer, which owns the part's handling leg: this node sends `case.lead_ended`
and the peer applies the table's cascade row (cases.actions.end_part_for_lead); the
resulting event comes back like any other.
"""

from __future__ import annotations

from typing import Any

from tongban.federation import errors
from tongban.federation.handlers import register
from tongban.federation.models import CaseReplica, InboundMessage
from tongban.federation.replication import (
    _illegal,
    _served_locally,
    apply_case_transfer,
    transfer_body,
)

PART_KIND = "case.part"
LEAD_ENDED_KIND = "case.lead_ended"


def _peer_of_part(part: Any) -> str | None:
    """The node serving the part's handling jurisdiction, when that is not this node."""
    from tongban.federation.node import enabled, this_node
    from tongban.federation.trust import current_trust_list

    if not enabled() or part.parent_id is None:
        return None
    handling = part.handling_jurisdiction.code
    local = _served_locally()
    if local is not None and handling in local:
        return None
    trust_list = current_trust_list()
    if handling in this_node(trust_list).jurisdictions:
        return None
    peer = trust_list.node_serving(handling)
    if peer is None:
        raise errors.unknown_node(f"(serving {handling})")
    return peer.code


def queue_remote_part(case: Any, event: Any) -> None:
    """`cases.hooks` event hook, registered after `queue_case_event`: a part just opened
    for a jurisdiction of another node is sent to that node."""
    from tongban.federation import actions

    if event.action != "submit":
        return
    peer = _peer_of_part(case)
    if peer is None:
        return
    actions.enqueue_message(
        peer=peer,
        kind=PART_KIND,
        # the part's receiving leg is the lead's handling place, served here
        jurisdiction=case.receiving_jurisdiction.code,
        case_ref=case.number,
        agreement=case.agreement,
        body={**transfer_body(case), "lead": case.parent.number},
    )


def tell_lead_ended(
    part: Any, action: str, lead_number: str, lead_status: str, reason: str
) -> None:
    """`cases.hooks` lead-ended hook: the part's node ends its part, not this one."""
    from tongban.federation import actions

    peer = _peer_of_part(part)
    if peer is None:
        return
    actions.enqueue_message(
        peer=peer,
        kind=LEAD_ENDED_KIND,
        jurisdiction=part.receiving_jurisdiction.code,
        case_ref=part.number,
        agreement=part.agreement,
        body={"action": action, "lead": lead_number, "lead_status": lead_status, "reason": reason},
    )


@register(PART_KIND)
def apply_case_part(message: InboundMessage) -> None:
    """The peer's joint part becomes this node's replica, in the part's initial state;
    the checks of a transfer apply (the sender speaks for the part's receiving leg, this
    node serves its handling one)."""
    from tongban.cases.workflow import PART_INITIAL_STATE

    body = message.body
    if body.get("mode") != "joint" or not str(body.get("lead") or ""):
        raise errors.malformed_message("joint part fields")
    if body.get("status") != PART_INITIAL_STATE:
        raise _illegal(body, f"a part starts {PART_INITIAL_STATE}")
    apply_case_transfer(message)


@register(LEAD_ENDED_KIND)
def apply_lead_ended(message: InboundMessage) -> None:
    """The lead on the peer ended as a whole: end this node's replica of the part, if it
    is still undecided, as the lead's own node would end a local part."""
    from tongban.cases.actions import end_part_for_lead
    from tongban.cases.workflow import CASCADING_ACTIONS

    body = message.body
    action = str(body.get("action", ""))
    if action not in CASCADING_ACTIONS:
        raise _illegal(body, f"a lead does not end its parts by {action}")
    replica = (
        CaseReplica.objects.filter(origin_node=message.peer, origin_number=message.case_ref)
        .select_related("case__receiving_jurisdiction", "message")
        .first()
    )
    if replica is None or str(replica.message.body.get("lead", "")) != body.get("lead"):
        raise _illegal(body, "no such part of that lead on this node")
    receiving = replica.case.receiving_jurisdiction
    if receiving is None or receiving.code != message.jurisdiction:
        raise errors.jurisdiction_not_served(message.peer, message.jurisdiction)
    end_part_for_lead(
        replica.case.number,
        action=action,
        lead_number=str(body.get("lead", "")),
        lead_status=str(body.get("lead_status", "")),
        reason=str(body.get("reason", "")),
    )
