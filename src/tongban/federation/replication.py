"""Case events across nodes (the first part of "one case, two nodes", ADR 0112).

Sending: `cases.hooks` calls `queue_case_event` inside the action that appended an event.
When one of the case's legs (receiving or handling jurisdiction) is served by another
node, the event goes to that node as a `case.event` message in the same transaction:
its per-case sequence keeps the order, and an agreement not confirmed with that node
refuses the action (`agreement_not_confirmed`). A case whose legs this node serves alone
never touches the trust list.

Receiving: the `case.event` handler checks the event against the same transition table
(`cases.workflow`) and that the sending node owns the leg that acted, then keeps it as a
`ReplicatedCaseEvent`, and moves this node's copy of the case (the original, or the
replica) through `cases.actions.apply_peer_move`.

The replica (ADR 0127): the `transfer` event of a case whose handling jurisdiction sits on
another node is followed, in the same transaction and the same per-case sequence, by a
`case.transfer` message carrying what the handling authority needs to decide (see
`transfer_body`: what crosses the border and why). The handling node creates its own
`Case` row with the same number, marked by `CaseReplica`; its officers act on it with the
same transition table, and never notify the applicant (the origin node does)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import Conflict
from tongban.federation import errors
from tongban.federation.handlers import register
from tongban.federation.models import CaseReplica, InboundMessage, ReplicatedCaseEvent

logger = logging.getLogger("tongban.federation")

KIND = "case.event"
TRANSFER_KIND = "case.transfer"


def _served_locally() -> frozenset[str] | None:
    from django.conf import settings

    served = getattr(settings, "TONGBAN_NODE_JURISDICTIONS", []) or []
    return frozenset(served) if served else None


def queue_case_event(case: Any, event: Any) -> None:
    from tongban.federation import actions
    from tongban.federation.node import enabled, this_node
    from tongban.federation.trust import current_trust_list

    if not enabled():
        return
    legs = {
        "receiving": case.receiving_jurisdiction.code if case.receiving_jurisdiction_id else "",
        "handling": case.handling_jurisdiction.code,
    }
    local = _served_locally()
    if local is not None and all(code in local for code in legs.values() if code):
        return  # both legs here: nothing crosses a border, the trust list is not needed
    trust_list = current_trust_list()
    me = this_node(trust_list)
    foreign = {code for code in legs.values() if code and code not in me.jurisdictions}
    if not foreign:
        return
    if not any(code in me.jurisdictions for code in legs.values() if code):
        peer = trust_list.node_serving(legs["handling"])
        raise errors.case_on_other_node(peer.code if peer else legs["handling"])
    actor_code = event.actor_jurisdiction.code if event.actor_jurisdiction_id else ""
    # the node speaks for the leg it owns; an applicant's own step belongs to the node
    # that holds the applicant relation (the receiving one)
    speaking_for = actor_code if actor_code in me.jurisdictions else ""
    if not speaking_for:
        speaking_for = next(code for code in legs.values() if code in me.jurisdictions)
    if not actor_code and event.actor_role == "system":
        # the system moves a case for the leg this node owns (a joint lead completing, a
        # part ended with its lead): the receiver checks that leg's row (ADR 0134)
        actor_code = speaking_for
    body = {
        "event_seq": event.seq,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "practice_code": event.practice_code,
        "actor_role": event.actor_role,
        "actor_jurisdiction": actor_code,
        "at": event.at.isoformat(),
        "reason": event.reason,
        "mode": case.mode,
        "receiving": legs["receiving"],
        "handling": legs["handling"],
    }
    peers = []
    for code in sorted(foreign):
        peer = trust_list.node_serving(code)
        if peer is None:
            raise errors.unknown_node(f"(serving {code})")
        if peer.code not in peers:
            peers.append(peer.code)
    for peer_code in peers:
        actions.enqueue_message(
            peer=peer_code,
            kind=KIND,
            jurisdiction=speaking_for,
            case_ref=case.number,
            agreement=case.agreement,
            body=body,
        )
    handling_peer = trust_list.node_serving(legs["handling"])
    if (
        event.action == "transfer"
        and legs["handling"] in foreign
        and handling_peer is not None
        and legs["receiving"] in me.jurisdictions
    ):
        # after the event, in the same sequence: the replica is made in the transfer's state
        actions.enqueue_message(
            peer=handling_peer.code,
            kind=TRANSFER_KIND,
            jurisdiction=legs["receiving"],
            case_ref=case.number,
            agreement=case.agreement,
            body=transfer_body(case),
        )


def transfer_body(case: Any) -> dict[str, Any]:
    """What crosses the border with a case (ADR 0127). The handling authority decides on
    the application, so it gets the applicant's identity (name and ID number; for an
    enterprise its credit code and the agent), the application form, the checklist as
    the receiving clerk left it, the originals' waybill, the e-licence references standing
    in for materials, and the uploaded files as references with SHA-256 (the contents stay
    on the receiving node). Not the applicant's phone, e-mail or address: the receiving
    node holds the applicant relation and alone contacts the applicant. The delivery
    address crosses only when the result is posted (the handling node ships it)."""
    from tongban.attachments.models import Attachment
    from tongban.cases.models import Shipment

    applicant = case.applicant
    if applicant.kind == "person":
        person: dict[str, str] = {
            "kind": "person",
            "name": applicant.name,
            "id_number": applicant.id_number,
        }
    else:
        person = {
            "kind": "enterprise",
            "name": applicant.name,
            "uscc": applicant.uscc,
            "agent_name": applicant.agent_name,
            "agent_id_number": applicant.agent_id_number,
        }
    materials = [
        {
            "name": m.name,
            "state": m.state,
            "original_required": m.original_required,
            "original_posted": m.original_posted,
            "licence_reference": m.licence_reference,
            "note": m.note,
        }
        for m in case.materials.order_by("id")
    ]
    originals = (
        Shipment.objects.filter(
            case=case,
            purpose=Shipment.Purpose.ORIGINALS,
            destination=Shipment.Destination.HANDLING_PLACE,
        )
        .order_by("-shipped_at", "-pk")
        .first()
    )
    files = [
        {
            "material": a.case_material.name if a.case_material is not None else "",
            "name": a.original_name,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
        }
        for a in Attachment.objects.filter(case=case).select_related("case_material")
    ]
    return {
        "number": case.number,
        "item": case.item.code,
        "receiving": case.receiving_jurisdiction.code,
        "handling": case.handling_jurisdiction.code,
        "mode": case.mode,
        "channel": case.channel,
        "status": case.status,
        "practice_code": case.practice_code,
        "received_at": case.received_at.isoformat(),
        "delivery_method": case.delivery_method,
        "delivery_address": case.delivery_address if case.delivery_method == "post" else "",
        "form": case.form_data or {},
        "applicant": person,
        "materials": materials,
        "originals": None
        if originals is None
        else {
            "carrier": originals.carrier,
            "waybill_number": originals.waybill_number,
            "shipped_at": originals.shipped_at.isoformat(),
        },
        "files": files,
        "licences": sorted({m["licence_reference"] for m in materials if m["licence_reference"]}),
    }


def _leg(body: dict[str, Any]) -> str:
    actor = body.get("actor_jurisdiction") or ""
    if actor and actor == body.get("receiving"):
        return "receiving"
    if actor and actor == body.get("handling"):
        return "handling"
    return "applicant"


def _illegal(body: dict[str, Any], why: str) -> Conflict:
    return Conflict(
        _("The peer's case event breaks the workflow: %(why)s"),
        code="illegal_transition",
        details={"action": body.get("action"), "from": body.get("from_status")},
        params={"why": why},
    )


def _check_legs(message: InboundMessage, body: dict[str, Any], leg: str) -> None:
    """A peer writes events only of a leg it owns, of a case as this node knows it: the
    legs it names must be this node's copy's (else it could move a case of this node
    under legs it made up, e.g. a joint part handled here, ADR 0134), and the applicant's
    own steps come from the node of the receiving leg, which holds the relation."""
    from tongban.cases.models import Case

    here = (
        Case.objects.filter(number=message.case_ref)
        .values_list("receiving_jurisdiction__code", "handling_jurisdiction__code")
        .first()
    )
    receiving, handling = str(body.get("receiving") or ""), str(body.get("handling") or "")
    if here is not None and (here[0] or "", here[1]) != (receiving, handling):
        raise errors.jurisdiction_not_served(message.peer, here[1])
    if leg == "applicant" and receiving and message.jurisdiction != receiving:
        raise errors.jurisdiction_not_served(message.peer, receiving)


@register(KIND)
def apply_case_event(message: InboundMessage) -> None:
    from tongban.cases.workflow import TRANSITIONS, Action, Leg

    body = message.body
    action = str(body.get("action", ""))
    source, target = str(body.get("from_status", "")), str(body.get("to_status", ""))
    leg = _leg(body)
    actor = str(body.get("actor_jurisdiction") or "")
    if actor and actor != message.jurisdiction:
        raise errors.jurisdiction_not_served(message.peer, actor)
    if action == Action.SUBMIT:
        if source:
            raise _illegal(body, "submit starts a case")
    else:
        rows = [
            t
            for t in TRANSITIONS
            if t.action == action and t.source == source and t.target == target
        ]
        if not rows:
            raise _illegal(body, f"{action}: {source} → {target} is not in the table")
        if not any(Leg(leg) in t.legs for t in rows):
            raise _illegal(body, f"the {leg} leg may not {action}")
    _check_legs(message, body, leg)
    try:
        at = dt.datetime.fromisoformat(str(body.get("at")))
        event_seq = int(body.get("event_seq", 0))
        practice_code = int(body.get("practice_code", 0))
    except (TypeError, ValueError) as error:
        raise errors.malformed_message("case event fields") from error
    from tongban.cases.actions import apply_peer_move

    ReplicatedCaseEvent.objects.create(
        peer=message.peer,
        case_ref=message.case_ref,
        seq=message.seq,
        event_seq=event_seq,
        action=action,
        from_status=source,
        to_status=target,
        practice_code=practice_code,
        actor_role=str(body.get("actor_role", ""))[:16],
        actor_jurisdiction=actor[:12],
        leg=leg,
        at=at,
        reason=str(body.get("reason", "")),
        message=message,
    )
    # this node's copy of the case (the original, or the replica once it exists) moves
    # with the peer's leg; the original notifies its applicant, a replica never does
    apply_peer_move(
        message.case_ref,
        action=action,
        from_status=source,
        to_status=target,
        practice_code=practice_code,
        at=at,
        reason=str(body.get("reason", "")),
    )


def _node_user(peer: str) -> Any:
    """The account a replica is recorded as submitted by: the peer node, never a person
    (it cannot sign in: no usable password, inactive)."""
    from tongban.accounts.models import User

    user, created = User.objects.get_or_create(
        username=f"node-{peer}",
        defaults={"kind": User.Kind.STAFF, "display_name": f"节点 {peer}", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@register(TRANSFER_KIND)
def apply_case_transfer(message: InboundMessage) -> None:
    from tongban.cases.actions import ReplicaInput, create_replica
    from tongban.federation.node import this_node

    body = message.body
    receiving, handling = str(body.get("receiving", "")), str(body.get("handling", ""))
    if receiving != message.jurisdiction:
        # only the receiving leg hands a case over
        raise errors.jurisdiction_not_served(message.peer, receiving)
    if handling not in this_node().jurisdictions:
        raise _illegal(body, f"{handling} is not served by this node")
    if str(body.get("number", "")) != message.case_ref:
        raise errors.malformed_message("case number")
    try:
        data = ReplicaInput(
            number=message.case_ref,
            item_code=str(body["item"]),
            receiving=receiving,
            handling=handling,
            mode=str(body["mode"]),
            channel=str(body["channel"]),
            agreement_code=message.agreement_code,
            agreement_version=message.agreement_version,
            status=str(body["status"]),
            practice_code=int(body["practice_code"]),
            received_at=dt.datetime.fromisoformat(str(body["received_at"])),
            delivery_method=str(body["delivery_method"]),
            delivery_address=str(body.get("delivery_address", "")),
            form_data=dict(body.get("form") or {}),
            applicant={k: str(v) for k, v in dict(body["applicant"]).items()},
            materials=list(body.get("materials") or []),
            originals=body.get("originals") or None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise errors.malformed_message("case transfer fields") from error
    case = create_replica(data, _node_user(message.peer))
    CaseReplica.objects.create(
        case=case,
        origin_node=message.peer,
        origin_number=message.case_ref,
        files=list(body.get("files") or []),
        licences=list(body.get("licences") or []),
        message=message,
    )


def notifies_applicant(case: Any) -> bool:
    """`cases.hooks` notify check: a replica's applicant hears from the origin node only."""
    from tongban.federation.node import enabled

    if not enabled() or case.pk is None:
        return True
    return not CaseReplica.objects.filter(case_id=case.pk).exists()


def peer_events(case: Any) -> list[Any]:
    """`cases.hooks` peer events: what the other node wrote for this case."""
    from tongban.cases.hooks import PeerEvent
    from tongban.federation.node import enabled

    if not enabled():
        return []
    from tongban.regions.models import Jurisdiction

    rows = list(ReplicatedCaseEvent.objects.filter(case_ref=case.number).order_by("at", "id"))
    if not rows:
        return []
    names = dict(
        Jurisdiction.objects.filter(
            code__in={row.actor_jurisdiction for row in rows if row.actor_jurisdiction}
        ).values_list("code", "short_name")
    )
    return [
        PeerEvent(
            at=row.at,
            node=row.peer,
            action=row.action,
            from_status=row.from_status,
            to_status=row.to_status,
            practice_code=row.practice_code,
            actor_role=row.actor_role,
            actor_jurisdiction=row.actor_jurisdiction,
            reason=row.reason,
            actor_jurisdiction_name=names.get(row.actor_jurisdiction, ""),
        )
        for row in rows
    ]


def owns_leg(case: Any, leg: str) -> bool:
    """`cases.hooks` leg check: this node acts only in the legs of jurisdictions it serves
    (the applicant's leg belongs with the receiving one, which holds the relation)."""
    from tongban.core.errors import DomainError
    from tongban.federation.node import enabled
    from tongban.federation.trust import current_trust_list

    if not enabled():
        return True
    if leg == "handling" or case.receiving_jurisdiction_id is None:
        code = case.handling_jurisdiction.code
    else:
        code = case.receiving_jurisdiction.code
    served = _served_locally()
    if served is None:
        from django.conf import settings

        try:
            served = current_trust_list().node(settings.TONGBAN_NODE_CODE).jurisdictions
        except DomainError:
            return True  # not a working node (no trust list): the single-node rules apply
    return code in served
