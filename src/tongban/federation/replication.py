"""Case events across nodes (the first part of "one case, two nodes", ADR 0112).

Sending: `cases.hooks` calls `queue_case_event` inside the action that appended an event.
When one of the case's legs (receiving or handling jurisdiction) is served by another
node, the event goes to that node as a `case.event` message in the same transaction:
its per-case sequence keeps the order, and an agreement not confirmed with that node
refuses the action (`agreement_not_confirmed`). A case whose legs this node serves alone
never touches the trust list.

Receiving: the `case.event` handler checks the event against the same transition table
(`cases.workflow`) and that the sending node owns the leg that acted, then keeps it as a
`ReplicatedCaseEvent`. Creating the replica case on the handling node (`case.transfer`)
is not built yet (docs/federation.md, "Not yet built")."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import Conflict
from tongban.federation import errors
from tongban.federation.handlers import register
from tongban.federation.models import InboundMessage, ReplicatedCaseEvent

logger = logging.getLogger("tongban.federation")

KIND = "case.event"


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
    actor_code = event.actor_jurisdiction.code if event.actor_jurisdiction_id else ""
    # the node speaks for the leg it owns; an applicant's own step belongs to the node
    # that holds the applicant relation (the receiving one)
    speaking_for = actor_code if actor_code in me.jurisdictions else ""
    if not speaking_for:
        speaking_for = next(code for code in legs.values() if code in me.jurisdictions)
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
    try:
        at = dt.datetime.fromisoformat(str(body.get("at")))
        event_seq = int(body.get("event_seq", 0))
        practice_code = int(body.get("practice_code", 0))
    except (TypeError, ValueError) as error:
        raise errors.malformed_message("case event fields") from error
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
