"""The handling node's replica of a case received on another node, and the status moves
the other node's events bring (ADR 0127).

The federation (above `cases`) decides what crosses the border and checks each peer
event against the transition table; here are the two writes on the case itself, so a
`Case` row is still changed by the cases app only. Neither writes a `CaseEvent`: each
leg's events are written by the node that owns the leg, and the other node keeps the
peer's copy (the federation's `ReplicatedCaseEvent`)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.models import Applicant, User
from tongban.agreements.models import Agreement
from tongban.cases import deadlines
from tongban.cases.actions.common import _implementation, _notify
from tongban.cases.actions.joint import _complete_parent_if_ready
from tongban.cases.models import Case, CaseMaterial, Shipment, Status
from tongban.cases.workflow import CASCADING_ACTIONS, FINAL_STATES, PAPER_ACTIONS, Action
from tongban.catalog.models import ItemImplementation, ServiceItem
from tongban.core.crypto import blind_index
from tongban.core.errors import Conflict, Invalid
from tongban.regions.models import Jurisdiction

logger = logging.getLogger("tongban.cases")


@dataclass(frozen=True)
class ReplicaInput:
    """What the receiving node sends at transfer (federation.replication builds it)."""

    number: str
    item_code: str
    receiving: str
    handling: str
    mode: str
    channel: str
    agreement_code: str
    agreement_version: int | None
    status: str
    practice_code: int
    received_at: dt.datetime
    delivery_method: str
    delivery_address: str
    form_data: dict[str, Any]
    applicant: dict[str, str]
    materials: list[dict[str, Any]] = field(default_factory=list)
    originals: dict[str, str] | None = None


def _jurisdiction(code: str) -> Jurisdiction:
    found = Jurisdiction.objects.filter(code=code).first()
    if found is None:
        raise Invalid(
            _("Unknown jurisdiction %(code)s."),
            code="unknown_jurisdiction",
            params={"code": code},
        )
    return found


def _replica_applicant(given: dict[str, str]) -> Applicant:
    kind = given.get("kind", "")
    if kind == Applicant.Kind.PERSON:
        id_number = given.get("id_number", "")
        existing = Applicant.objects.filter(
            kind="person", id_number_index=blind_index("identifier", id_number)
        ).first()
        if existing is not None:
            return existing
        return Applicant.objects.create(kind="person", name=given["name"], id_number=id_number)
    if kind == Applicant.Kind.ENTERPRISE:
        existing = Applicant.objects.filter(kind="enterprise", uscc=given.get("uscc", "")).first()
        if existing is not None:
            return existing
        return Applicant.objects.create(
            kind="enterprise",
            name=given["name"],
            uscc=given["uscc"],
            agent_name=given.get("agent_name", ""),
            agent_id_number=given.get("agent_id_number", ""),
        )
    raise Invalid(_("Applicant kind must be person or enterprise."), code="invalid_applicant_kind")


def create_replica(data: ReplicaInput, submitted_by: User) -> Case:
    """The handling node's own `Case` row for a case received on another node: same
    number, the checklist as the receiving clerk left it, the originals in the post."""
    with transaction.atomic():
        existing = Case.objects.filter(number=data.number).first()
        if existing is not None:
            raise Conflict(
                _("Case %(number)s already exists on this node."),
                code="case_exists",
                params={"number": data.number},
            )
        item = ServiceItem.objects.filter(code=data.item_code).first()
        if item is None:
            raise Invalid(
                _("Unknown service item %(code)s."),
                code="unknown_item",
                params={"code": data.item_code},
            )
        handling = _jurisdiction(data.handling)
        receiving = _jurisdiction(data.receiving) if data.receiving else None
        agreement = None
        if data.agreement_code and data.agreement_version is not None:
            agreement = Agreement.objects.filter(
                code=data.agreement_code, version=data.agreement_version
            ).first()
        today = deadlines.local_today()
        implementation = _implementation(item, handling, today)
        case = Case(
            number=data.number,
            item=item,
            implementation=implementation,
            mode=data.mode,
            channel=data.channel,
            receiving_jurisdiction=receiving,
            handling_jurisdiction=handling,
            agreement=agreement,
            form_data=data.form_data,
            applicant=_replica_applicant(data.applicant),
            submitted_by=submitted_by,
            status=Status(data.status),
            practice_code=data.practice_code,
            delivery_method=data.delivery_method,
            delivery_address=data.delivery_address,
            received_at=data.received_at,
            promised_days=implementation.promised_limit_days,
            statutory_days=deadlines.statutory_days_for(data.mode, implementation),
        )
        deadlines.refresh_dates(case, deadlines.calendar_of(case), today)
        case.save()
        by_name = {m.name: m for m in implementation.materials.all()}
        CaseMaterial.objects.bulk_create(
            CaseMaterial(
                case=case,
                material=by_name.get(str(line.get("name", ""))),
                name=str(line.get("name", ""))[:128],
                state=CaseMaterial.State(line.get("state", CaseMaterial.State.PROVIDED)),
                original_required=bool(line.get("original_required")),
                original_posted=bool(line.get("original_posted")),
                licence_reference=str(line.get("licence_reference", ""))[:128],
                note=str(line.get("note", ""))[:255],
            )
            for line in data.materials
        )
        if data.originals:
            Shipment.objects.create(
                case=case,
                purpose=Shipment.Purpose.ORIGINALS,
                destination=Shipment.Destination.HANDLING_PLACE,
                carrier=data.originals.get("carrier", "")[:64],
                waybill_number=data.originals.get("waybill_number", "")[:64],
                shipped_at=dt.datetime.fromisoformat(data.originals["shipped_at"]),
            )
    return case


# the applicant notification of a move made on the other node, as the move's own handler
# would have queued it on a single node (the node holding the applicant relation sends it)
PEER_MOVE_NOTIFICATIONS: dict[str, str] = {
    Action.REQUEST_SUPPLEMENT: "supplement_requested",
    Action.ACCEPT: "accepted",
    Action.ACCEPT_WITH_COMMITMENT: "accepted_conditionally",
    Action.REFUSE: "refused",
    Action.PAUSE: "paused",
    Action.RESUME: "resumed",
    Action.EXTEND: "extended",
    Action.APPROVE: "approved",
    Action.DENY: "denied",
    Action.ISSUE_RESULT: "result_issued",
    Action.SIGN_FOR: "delivered",
    Action.PICKUP: "delivered",
    Action.COMPLETE: "completed",
    Action.TERMINATE: "terminated",
    Action.WITHDRAW: "withdrawn",
}


def _ship_notification(to_status: str) -> str:
    if to_status == Status.DELIVERED:
        return "delivered"
    if to_status == Status.AWAITING_PICKUP:
        return "ready_for_pickup"
    return "shipped"


def _lead_has_ended(case: Case) -> bool:
    return (
        case.parent_id is not None
        and Case.objects.filter(pk=case.parent_id, status__in=FINAL_STATES).exists()
    )


def apply_peer_move(
    number: str,
    *,
    action: str,
    from_status: str,
    to_status: str,
    practice_code: int,
    at: dt.datetime,
    reason: str = "",
) -> Case | None:
    """Move this node's copy of a case as the other node's checked event did. Returns
    None when the case is not on this node (events that arrive before the replica). A
    copy already elsewhere (both legs moved at once) keeps its status: the event still
    joins the timeline, and the divergence is logged for the operators."""
    with transaction.atomic():
        # a joint part handled on the other node moves like a local part: its lead is
        # locked first, then the part (ADR 0094 rule 6), as the part's end may complete it
        parent_id = Case.objects.filter(number=number).values_list("parent_id", flat=True)
        if parent_id and parent_id[0] is not None:
            list(Case.objects.select_for_update().filter(pk=parent_id[0]).values_list("pk"))
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("item", "handling_jurisdiction")
            .filter(number=number)
            .first()
        )
        if case is None:
            return None
        if action in PAPER_ACTIONS or action == Action.SUBMIT:
            return case
        if case.status != from_status:
            logger.warning(
                "case %s: peer move %s from %s, but this node has it %s; status kept",
                number,
                action,
                from_status,
                case.status,
            )
            return case
        case.status = to_status
        case.practice_code = practice_code
        cal = deadlines.calendar_of(case)
        local_day = timezone.localdate(at)
        if action in (Action.ACCEPT, Action.ACCEPT_WITH_COMMITMENT):
            case.accepted_at = at
            deadlines.start_clock(case, cal, local_day, at)
        elif action in (Action.APPROVE, Action.DENY):
            case.decided_at = at
        elif action == Action.COMPLETE:
            case.completed_at = at
        if action == Action.REFUSE:
            case.refusal_reason = reason
        if case.status in FINAL_STATES:
            deadlines.clear_dates_for_final_state(case)
        else:
            deadlines.refresh_dates(case, cal, deadlines.local_today())
        case.save()
        if case.parent_id is not None and case.status in FINAL_STATES:
            # the lead completes once every part has ended, wherever the part was handled
            _complete_parent_if_ready(case.parent_id)
        template = (
            _ship_notification(to_status)
            if action == Action.SHIP
            else PEER_MOVE_NOTIFICATIONS.get(action)
        )
        if action in CASCADING_ACTIONS and _lead_has_ended(case):
            template = None  # a part ended with its lead: the lead's end told the applicant
        elif action == Action.ISSUE_RESULT and (
            case.implementation.result_type == ItemImplementation.ResultType.LICENCE
        ):
            # as on one node, the applicant hears of a licence once it can be opened: when
            # the signed licence arrives from the handling node (ADR 0132)
            template = None
        if template:
            extra: dict[str, Any] = {"reason": reason}
            if case.due_date is not None:
                extra["due_date"] = case.due_date.isoformat()
            _notify(case, template, **extra)
    return case


__all__ = ["PEER_MOVE_NOTIFICATIONS", "ReplicaInput", "apply_peer_move", "create_replica"]
