"""Case endpoints: submit, read, list (the work queue) and act. Thin: parse, call one
selector or action, serialise."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja import Status as Answer
from ninja.errors import AuthenticationError

from tongban.accounts import auth, personal_data
from tongban.accounts.credentials import CredentialNotVerified
from tongban.accounts.models import Applicant, User
from tongban.cases import actions, selectors
from tongban.cases.actions import ActionInput
from tongban.cases.application_forms import masked_form
from tongban.cases.models import Case, CaseEvent, CaseMaterial, Status
from tongban.cases.workflow import ACTION_LABELS, is_irreversible, performable_action
from tongban.catalog.models import ItemBundle, ServiceItem
from tongban.core.errors import Invalid
from tongban.core.inputs import (
    MAX_LIST_ITEMS,
    Column,
    Id,
    Limit,
    QueryText,
    Text,
    choice_filter,
    text_problem,
)
from tongban.core.masking import mask_id_number, mask_name
from tongban.core.outputs import Out
from tongban.regions.models import Jurisdiction

router = Router(tags=["cases"])


# -- input -------------------------------------------------------------------------------
# Lengths come from the columns the values are stored in (core.inputs, ADR 0090).

JurisdictionCode = Annotated[str, Column(Jurisdiction, "code", required=True)]
ItemCode = Annotated[str, Column(ServiceItem, "code", required=True)]
Choice = Annotated[str, Text(16, required=True)]


class ApplicantIn(Schema):
    kind: Choice = Field(..., description="person | enterprise")
    name: Annotated[str, Column(Applicant, "name", required=True)]
    id_number: Annotated[str, Column(Applicant, "id_number")] = ""
    uscc: Annotated[str, Column(Applicant, "uscc")] = ""
    agent_name: Annotated[str, Column(Applicant, "agent_name")] = ""
    agent_id_number: Annotated[str, Column(Applicant, "agent_id_number")] = ""
    phone: Annotated[str, Column(Applicant, "phone")] = ""
    email: Annotated[str, Column(Applicant, "email")] = ""
    address: Annotated[str, Column(Applicant, "address")] = ""


class MaterialIn(Schema):
    material_id: Id
    state: Choice = Field("provided", description="provided | missing | deferred | by_licence")
    original_posted: bool = False
    licence_reference: Annotated[str, Column(CaseMaterial, "licence_reference")] = ""


class JointPartIn(Schema):
    jurisdiction: JurisdictionCode
    item: ItemCode


class CaseCreateIn(Schema):
    item: ItemCode = Field(..., description="service item code")
    handling: JurisdictionCode = Field(..., description="handling jurisdiction code")
    mode: Choice = Field(..., description="online | proxy | joint")
    channel: Choice = Field(..., description="window | terminal | web | app")
    delivery_method: Choice = Field(..., description="post | window | electronic")
    receiving: JurisdictionCode | None = Field(
        None, description="receiving jurisdiction code (not online)"
    )
    window_id: Id | None = None
    applicant_id: Id | None = None
    applicant: ApplicantIn | None = None
    materials: list[MaterialIn] = Field([], max_length=MAX_LIST_ITEMS)
    delivery_address: Annotated[str, Column(Case, "delivery_address")] = ""
    joint_parts: list[JointPartIn] = Field([], max_length=MAX_LIST_ITEMS)
    form: dict[str, Any] | None = Field(
        None,
        description="structured application form of the item (e.g. 企业设立登记: "
        "name_declaration_number, proposed_name, enterprise_type, registered_capital (万元), "
        "address, business_scope, legal_representative, investors, seals)",
    )
    bundle: Annotated[str, Column(ItemBundle, "code")] = Field(
        "", description="a 一件事 bundle code (e.g. BUNDLE-QYKB), joint mode"
    )
    bundle_parts: list[ItemCode] = Field(
        [], max_length=MAX_LIST_ITEMS, description="optional bundle parts chosen (item codes)"
    )
    check_at_receipt: bool = Field(
        False,
        description="the receiving clerk confirms the formal and identity check as he "
        "receives: the `check` move follows in the same transaction, with its own rules "
        "(409 `materials_incomplete`, 403, 409 `illegal_transition`) and event",
    )


# the action input contract itself, declared once in the domain (cases.actions.inputs)
class CaseActionIn(ActionInput):
    """What any case action may take: each action reads the fields it needs and refuses
    what is missing (422) before anything is written."""


class CaseQueueIn(Schema):
    status: list[Annotated[str, Column(Case, "status")]] | None = Field(
        None, max_length=MAX_LIST_ITEMS
    )
    jurisdiction: QueryText | None = None
    side: QueryText | None = Field(None, description="receiving | handling (with jurisdiction)")
    overdue: QueryText | None = Field(None, description="green | yellow | red")
    item: QueryText | None = None
    number: QueryText | None = Field(
        None,
        description="a case number or its beginning (digits, letters, hyphens; 422 "
        "`invalid_filter` otherwise), within the caller's scope",
    )
    awaiting: QueryText | None = Field(
        None,
        description="`me`: only the cases waiting for the caller (待我处理): a next step of "
        "the transition table for one of the caller's legs and roles (422 `invalid_filter` "
        "for any other value)",
    )
    stage: QueryText | None = Field(
        None, description="intake | acceptance | review | result | ended: a group of states"
    )
    ordering: QueryText = Field(
        "received", description="received (newest first) | due (most urgent first)"
    )
    cursor: Annotated[str, Text(256)] | None = None
    limit: Limit = 50


# -- output ------------------------------------------------------------------------------


class Ref(Out):
    code: str
    name: str


class ApplicantOut(Out):
    kind: str
    name: str
    identifier: str
    agent_name: str
    phone: str | None = Field(None, description="Only in a detail read with reveal=true")


class CaseSummaryOut(Out):
    number: str
    item: Ref
    mode: str
    channel: str
    status: str
    status_label: str
    practice_code: int
    receiving: Ref | None
    handling: Ref
    applicant: ApplicantOut
    assisted: bool = Field(..., description="有帮办代办记录(见 /cases/{number}/assistance)")
    received_at: dt.datetime
    accepted_at: dt.datetime | None
    due_date: dt.date | None
    step_due_date: dt.date | None
    overdue_level: str


class EventOut(Out):
    seq: int
    action: str
    action_label: str
    from_status: str
    to_status: str
    practice_code: int
    actor: str | None
    actor_role: str
    actor_jurisdiction: str | None
    at: dt.datetime
    reason: str
    data: dict[str, Any]


class PeerEventOut(Out):
    node: str = Field(..., description="the node that owns the leg and wrote the event")
    action: str
    action_label: str
    from_status: str
    to_status: str
    practice_code: int
    actor_role: str
    actor_jurisdiction: str
    at: dt.datetime
    reason: str


class CaseMaterialOut(Out):
    id: int
    name: str
    state: str
    original_required: bool
    original_posted: bool
    licence_reference: str


class ShipmentOut(Out):
    purpose: str
    destination: str
    carrier: str
    waybill_number: str
    state: str
    shipped_at: dt.datetime
    signed_at: dt.datetime | None
    mismatch: bool
    note: str


class CaseDetailOut(CaseSummaryOut):
    implementation_version: int
    agreement: str | None
    bundle: str | None
    form: dict[str, Any] = Field(..., description="application form, ID numbers masked")
    parent: str | None
    subcases: list[str]
    part_outcomes: dict[str, str] = Field(
        ..., description="多地联办 lead: each part's outcome (open | succeeded | failed)"
    )
    delivery_method: str
    promised_days: int
    promised_hours: int | None = Field(None, description="即办件: limit in working hours")
    due_at: dt.datetime | None = Field(None, description="即办件: due time")
    statutory_days: int
    extension_days: int
    paused_working_days: int
    supplement_due: dt.date | None
    commitment_due: dt.date | None
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    refusal_reason: str
    competent_authority: str
    available_actions: list[str]
    irreversible_actions: list[str] = Field(
        ...,
        description="those of available_actions that cannot be undone (a decision or the end "
        "of the case): warn before performing them",
    )
    materials: list[CaseMaterialOut]
    shipments: list[ShipmentOut]
    events: list[EventOut]
    peer_events: list[PeerEventOut] = Field(
        ...,
        description="events of the case's other leg, written by the node that owns it "
        "(a case spanning two federation nodes, ADR 0127); with `events` one timeline",
    )


# every action answers it, built as a dict by `state()`: a plain pydantic model, validated
# without Ninja's per-field `DjangoGetter` (ADR 0131)
class CaseStateOut(Out):
    """Where a case stands after a move: its row's own fields, no related lists."""

    number: str
    status: str
    status_label: str
    practice_code: int
    mode: str
    delivery_method: str
    overdue_level: str
    accepted_at: dt.datetime | None
    due_date: dt.date | None
    step_due_date: dt.date | None
    due_at: dt.datetime | None = Field(None, description="即办件: due time")
    supplement_due: dt.date | None
    commitment_due: dt.date | None
    promised_days: int
    promised_hours: int | None = Field(None, description="即办件: limit in working hours")
    statutory_days: int
    extension_days: int
    paused_working_days: int
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    refusal_reason: str
    competent_authority: str
    available_actions: list[str]
    irreversible_actions: list[str] = Field(
        ..., description="those of available_actions that cannot be undone"
    )


class CaseActionOut(CaseStateOut):
    """The answer to a case action: the case's state and the event of the move. The full
    case (materials, shipments, every event) is `GET /cases/{number}`."""

    event: EventOut


class CaseListOut(Out):
    items: list[CaseSummaryOut]
    next_cursor: str | None


def _applicant(case: Case, revealed: bool = False) -> dict[str, Any]:
    applicant = case.applicant
    person = applicant.kind == "person"
    if revealed:
        return {
            "kind": applicant.kind,
            "name": applicant.name,
            "identifier": applicant.identifier,
            "agent_name": applicant.agent_name,
            "phone": applicant.phone,
        }
    return {
        "kind": applicant.kind,
        "name": mask_name(applicant.name) if person else applicant.name,
        "identifier": mask_id_number(applicant.id_number) if person else applicant.uscc,
        "agent_name": mask_name(applicant.agent_name),
    }


def _ref(obj: Any) -> dict[str, str] | None:
    return None if obj is None else {"code": obj.code, "name": obj.name}


def summary(
    case: Case, today: dt.date | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    return {
        "number": case.number,
        "item": _ref(case.item),
        "mode": case.mode,
        "channel": case.channel,
        "status": case.status,
        "status_label": Status(case.status).label,
        "practice_code": case.practice_code,
        "receiving": _ref(case.receiving_jurisdiction),
        "handling": _ref(case.handling_jurisdiction),
        "applicant": _applicant(case),
        "assisted": case.assisted,
        "received_at": case.received_at,
        "accepted_at": case.accepted_at,
        "due_date": case.due_date,
        "step_due_date": case.step_due_date,
        "overdue_level": selectors.overdue_level_of(case, today, now),
    }


def detail(
    user: User | AnonymousUser, case: Case, parts: selectors.CaseParts | None = None
) -> dict[str, Any]:
    """The full detail. `parts` as `selectors.case_detail_for` loaded them with the case;
    without, they are read here (the case an action has just changed)."""
    if parts is None:
        parts = selectors.case_parts(case)
    # the parts hold every shipment of the case: the paper guards need no statement
    actions.know_inbound_states(case, parts.shipments)
    # the row's state as an action answers it (CaseStateOut), then what only the detail has
    body = {**summary(case), **state(user, case)}
    # a joint lead's parts by number, in order; no other case has any (no statement)
    outcomes = actions.part_outcomes(case) if selectors.is_joint_lead(case) else {}
    body.update(
        implementation_version=case.implementation.version,
        agreement=_related(case, "agreement_code", "agreement", "code"),
        bundle=_related(case, "bundle_code", "bundle", "code"),
        form=masked_form(case.form_data or {}),
        parent=_related(case, "parent_number", "parent", "number"),
        subcases=list(outcomes),
        part_outcomes={n: o.value for n, o in outcomes.items()},
        materials=parts.materials,
        shipments=parts.shipments,
        events=[_event(e) for e in parts.events],
        peer_events=[
            {
                "node": e.node,
                "action": e.action,
                "action_label": str(ACTION_LABELS.get(e.action, e.action)),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "practice_code": e.practice_code,
                "actor_role": e.actor_role,
                "actor_jurisdiction": e.actor_jurisdiction,
                "at": e.at,
                "reason": e.reason,
            }
            for e in selectors.peer_events_of(case)
        ],
    )
    return body


def _related(case: Case, annotation: str, relation: str, attribute: str) -> str | None:
    """One value of an optional relation: as `selectors.case_detail_for` annotated it on
    the case, else read through the relation (None when it is not set)."""
    if getattr(case, f"{relation}_id") is None:
        return None
    value = getattr(case, annotation, None)
    if value is None:
        value = getattr(getattr(case, relation), attribute)
    return str(value)


def state(user: User | AnonymousUser, case: Case) -> dict[str, Any]:
    """CaseStateOut: only the case row, already held, and the actions open now."""
    available = actions.available_actions(user, case)
    return {
        "number": case.number,
        "status": case.status,
        "status_label": Status(case.status).label,
        "practice_code": case.practice_code,
        "mode": case.mode,
        "delivery_method": case.delivery_method,
        "overdue_level": selectors.overdue_level_of(case),
        "accepted_at": case.accepted_at,
        "due_date": case.due_date,
        "step_due_date": case.step_due_date,
        "due_at": case.due_at,
        "supplement_due": case.supplement_due,
        "commitment_due": case.commitment_due,
        "promised_days": case.promised_days,
        "promised_hours": case.promised_hours,
        "statutory_days": case.statutory_days,
        "extension_days": case.extension_days,
        "paused_working_days": case.paused_working_days,
        "decided_at": case.decided_at,
        "completed_at": case.completed_at,
        "refusal_reason": case.refusal_reason,
        "competent_authority": case.competent_authority,
        "available_actions": available,
        "irreversible_actions": [a for a in available if is_irreversible(a)],
    }


def event_out(case: Case, event: CaseEvent) -> dict[str, Any]:
    """EventOut of an event just appended to `case`: its actor and jurisdiction are
    objects the action already holds, so nothing is read again."""
    jurisdiction = next(
        (
            j
            for j in (case.handling_jurisdiction, case.receiving_jurisdiction)
            if j is not None and j.pk == event.actor_jurisdiction_id
        ),
        None,
    )
    return _event(selectors.ShownEvent.of(event, jurisdiction))


def _event(event: selectors.ShownEvent) -> dict[str, Any]:
    """EventOut of one event."""
    return {
        "seq": event.seq,
        "action": event.action,
        "action_label": str(ACTION_LABELS.get(event.action, event.action)),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "practice_code": event.practice_code,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "actor_jurisdiction": event.actor_jurisdiction,
        "at": event.at,
        "reason": event.reason,
        "data": _public_event_data(event.data),
    }


def _public_event_data(data: dict[str, Any]) -> dict[str, Any]:
    # event data never holds personal data or secrets; keep it that way defensively
    return {k: v for k, v in data.items() if k not in {"pickup_code", "id_number"}}


# -- endpoints ---------------------------------------------------------------------------


@router.post(
    "/cases",
    response={200: CaseDetailOut, 201: CaseDetailOut},
    summary="提交办件",
    description="带 Idempotency-Key 时,同一键的多次提交(包括并发提交)只开一个办件:第一次答 201,"
    "其余答 200 和同一办件,并带 `Idempotent-Replayed: true`;内容不同则答 409 "
    "`idempotency_key_reused`。/ With an Idempotency-Key, any number of submissions "
    "(concurrent ones included) open one case: the first answers 201, the others 200 with "
    "the same case and `Idempotent-Replayed: true`; different content answers 409.",
)
def create_case(
    request: HttpRequest, response: HttpResponse, payload: CaseCreateIn
) -> Answer[dict[str, Any]]:
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and (len(key) > 128 or text_problem(key)):
        raise Invalid(
            _("Idempotency-Key is too long (max 128) or holds a NUL character."),
            code="invalid_idempotency_key",
        )
    data = actions.SubmitInput(
        item=payload.item,
        handling=payload.handling,
        mode=payload.mode,
        channel=payload.channel,
        delivery_method=payload.delivery_method,
        receiving=payload.receiving,
        window_id=payload.window_id,
        applicant_id=payload.applicant_id,
        applicant=actions.ApplicantInput(**payload.applicant.dict()) if payload.applicant else None,
        materials=[actions.MaterialInput(**m.dict()) for m in payload.materials],
        delivery_address=payload.delivery_address,
        joint_parts=[actions.JointPartInput(**p.dict()) for p in payload.joint_parts],
        form=payload.form,
        bundle=payload.bundle,
        bundle_parts=payload.bundle_parts,
        check_at_receipt=payload.check_at_receipt,
    )
    submitted = actions.submit_case_once(request.user, data, idempotency_key=key)
    # the answer is GET /cases/{number}'s: of a case just opened, from the rows the action
    # wrote (only the scope is asked), else read as GET reads it
    if submitted.materials is not None and submitted.event is not None:
        case = submitted.case
        parts = selectors.opened_case_parts(
            request.user, case, submitted.materials, submitted.event
        )
    else:
        case, parts = selectors.case_detail_for(request.user, submitted.case.number)
    if submitted.replayed:
        response["Idempotent-Replayed"] = "true"
        return Answer(200, detail(request.user, case, parts))
    return Answer(201, detail(request.user, case, parts))


@router.get("/cases", response=CaseListOut, summary="办件列表(工作队列)")
def list_cases(request: HttpRequest, filters: Query[CaseQueueIn]) -> dict[str, Any]:
    rows, next_cursor = selectors.queue_page(
        request.user,
        selectors.QueueFilter(
            status=filters.status,
            jurisdiction=filters.jurisdiction,
            side=filters.side,
            overdue=filters.overdue,
            item=filters.item,
            number=filters.number,
            stage=filters.stage,
            awaiting=choice_filter(filters.awaiting, ("me",), "awaiting") == "me",
        ),
        filters.cursor,
        filters.limit,
        filters.ordering,
    )
    today, now = selectors.deadlines.local_today(), selectors.deadlines.local_now()
    return {"items": [summary(c, today, now) for c in rows], "next_cursor": next_cursor}


@router.get("/cases/{number}", response=CaseDetailOut, summary="办件详情", auth=auth.deferred_auth)
def get_case(request: HttpRequest, number: str, reveal: bool = False) -> dict[str, Any]:
    """`reveal=true`: the applicant's full identity, for the roles that need it for this
    case (403 `unmask_not_allowed` otherwise); every such read is recorded."""
    # a bearer token this process accepted before is checked by the case statement
    # (ADR 0154), as by a move's
    try:
        case, parts = selectors.case_detail_for(
            request.user, number, auth.unverified_credential(request)
        )
    except CredentialNotVerified:
        user = auth.check_again(request)
        if user is None:
            raise AuthenticationError() from None
        case, parts = selectors.case_detail_for(user, number)
    body = detail(request.user, case, parts)
    if reveal:
        personal_data.require_unmask_case(request.user, case)
        personal_data.record_case_read(request.user, case, personal_data.Channel.API)
        body["applicant"] = _applicant(case, revealed=True)
    return body


@router.post(
    "/cases/{number}/actions/{action}",
    response=CaseActionOut,
    summary="办件操作",
    auth=auth.deferred_auth,
)
def act_on_case(
    request: HttpRequest, number: str, action: str, payload: CaseActionIn
) -> dict[str, Any]:
    """Answers the case's new state and the event of the move (CaseActionOut); the whole
    case, with its materials, shipments and history, is `GET /cases/{number}`."""
    performable_action(action)
    # the action returns the case it locked: no second lookup. A bearer token this
    # process accepted before is checked by the move's own statement (ADR 0148).
    try:
        performed = actions.perform(
            request.user, number, action, payload, auth.unverified_credential(request)
        )
    except CredentialNotVerified:
        user = auth.check_again(request)
        if user is None:
            raise AuthenticationError() from None
        performed = actions.perform(user, number, action, payload)
    return {
        **state(request.user, performed.case),
        "event": event_out(performed.case, performed.event),
    }
