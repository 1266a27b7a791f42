"""Every change to a case goes through `submit_case` or `perform_case_action`.

Each call runs in one transaction, locks the case row (SELECT ... FOR UPDATE; SQLite's
IMMEDIATE transaction locks the database), checks the transition table, the caller's leg
and role, the agreement and the action's own rules, appends one immutable CaseEvent,
and queues the applicant notification in the outbox, which is delivered after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tongban.accounts import access, trust
from tongban.accounts.identifiers import normalise, validate_id_number, validate_uscc
from tongban.accounts.models import Applicant, Role, User
from tongban.agreements.selectors import find_agreement_item
from tongban.cases import deadlines, hooks
from tongban.cases.application_forms import DEFAULT_SEALS, clean_form, uscc_type_char
from tongban.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CaseNumberCounter,
    IdempotencyRecord,
    Shipment,
    Status,
)
from tongban.cases.workflow import (
    APPROVED_CODE,
    FINAL_STATES,
    INITIAL_STATE,
    PAPER_ACTIONS,
    PART_INITIAL_STATE,
    PARTS_OPEN_ON,
    SUBMIT_PRACTICE_CODE,
    Action,
    Guard,
    Leg,
    PartOutcome,
    ShipVariant,
    Transition,
    actions_from,
    cascade_for,
    find_transition,
    guard_holds,
    part_outcome,
    practice_code_for,
    transitions_from,
    variants_of,
)
from tongban.catalog.models import (
    Channel,
    DeliveryMethod,
    FormKind,
    ItemBundle,
    ItemImplementation,
    Material,
    Mode,
    ServiceItem,
)
from tongban.catalog.selectors import published_implementation
from tongban.centres.models import Window
from tongban.core.audit import record_audit
from tongban.core.crypto import blind_index
from tongban.core.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from tongban.regions.calendar import WorkingCalendar
from tongban.regions.models import Jurisdiction

# ---------------------------------------------------------------------------------------
# Input


@dataclass
class ApplicantInput:
    kind: str
    name: str
    id_number: str = ""
    uscc: str = ""
    agent_name: str = ""
    agent_id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass
class MaterialInput:
    material_id: int
    state: str = CaseMaterial.State.PROVIDED
    original_posted: bool = False
    licence_reference: str = ""


@dataclass
class JointPartInput:
    jurisdiction: str
    item: str


@dataclass
class SubmitInput:
    item: str
    handling: str
    mode: str
    channel: str
    delivery_method: str
    receiving: str | None = None
    window_id: int | None = None
    applicant_id: int | None = None
    applicant: ApplicantInput | None = None
    materials: list[MaterialInput] = field(default_factory=list)
    delivery_address: str = ""
    joint_parts: list[JointPartInput] = field(default_factory=list)
    # the item's structured application form (cases/application_forms.py)
    form: dict[str, Any] | None = None
    # a "一件事" bundle: its parts become the joint parts; optional parts by item code
    bundle: str = ""
    bundle_parts: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        raw = json.dumps(self, default=lambda o: o.__dict__, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class ActionInput:
    """Everything any action may take; each action reads what it needs and rejects
    what is missing (Invalid, 422) before anything is written."""

    reason: str = ""
    missing: list[int] = field(default_factory=list)  # material ids (request_supplement)
    provided: list[int] = field(default_factory=list)  # material ids (supplement)
    days: int | None = None  # extension days, supplement or commitment period
    method: str | None = None  # ship variant
    carrier: str = ""
    waybill_number: str = ""
    address: str = ""
    pickup_code: str = ""
    picker_id_number: str = ""
    competent_authority: str = ""
    discrepancies: str = ""
    mismatch: bool = False  # receive_originals: the paper differs from the electronic file


# ---------------------------------------------------------------------------------------
# Helpers


def _now() -> dt.datetime:
    return timezone.now()


def legs_of(user: Any, case: Case) -> dict[Leg, set[str]]:
    """The legs of this case the user acts in, with their roles there."""
    legs: dict[Leg, set[str]] = {}
    if case.receiving_jurisdiction_id is not None:
        roles = access.roles_in(user, case.receiving_jurisdiction_id)
        if roles:
            legs[Leg.RECEIVING] = roles
    roles = access.roles_in(user, case.handling_jurisdiction_id)
    if roles:
        legs[Leg.HANDLING] = roles
    if getattr(user, "pk", None) is not None and case.applicant.user_id == user.pk:
        legs[Leg.APPLICANT] = {"applicant"}
    return legs


def _acting_leg(transition: Transition, legs: dict[Leg, set[str]]) -> tuple[Leg, str] | None:
    # the handling place acts first when a user holds roles on both legs
    for leg in (Leg.HANDLING, Leg.RECEIVING, Leg.APPLICANT):
        if leg not in transition.legs or leg not in legs:
            continue
        if leg == Leg.APPLICANT:
            return leg, "applicant"
        matching = legs[leg] & transition.roles
        if matching:
            return leg, sorted(matching)[0]
    return None


def available_actions(user: Any, case: Case) -> list[str]:
    """Actions this user may attempt now (input-dependent rules are checked on submit)."""
    legs = legs_of(user, case)
    result: list[str] = []
    guards: dict[Guard, bool] = {}
    for action in actions_from(case.status, case.mode):
        for variant in variants_of(action, case.status):
            transition = find_transition(action, case.status, variant)
            if transition is None or case.mode not in transition.modes:
                continue
            if _acting_leg(transition, legs) is None or action in result:
                continue
            guard = transition.guard
            if guard is not None and guard not in guards:
                guards[guard] = _guard_holds(case, guard)
            if guard is None or guards[guard]:
                result.append(action)
    return result


def _originals_inbound(case: Case) -> Any:
    return Shipment.objects.filter(
        case=case,
        purpose=Shipment.Purpose.ORIGINALS,
        destination=Shipment.Destination.HANDLING_PLACE,
    )


def part_outcomes(case: Case) -> dict[str, PartOutcome]:
    """The outcome of each part of a joint lead, by sub-case number (empty otherwise)."""
    parts = list(case.subcases.order_by("number").values_list("pk", "number", "status"))
    if not parts:
        return {}
    approved = set(
        CaseEvent.objects.filter(
            case_id__in=[pk for pk, _, _ in parts], action=Action.APPROVE
        ).values_list("case_id", flat=True)
    )
    return {number: part_outcome(status, pk in approved) for pk, number, status in parts}


def _guard_holds(case: Case, guard: Guard) -> bool:
    if guard == Guard.ORIGINALS_IN_TRANSIT:
        return _originals_inbound(case).filter(state=Shipment.State.IN_TRANSIT).exists()
    if guard == Guard.ORIGINALS_HELD:
        return _originals_inbound(case).filter(state=Shipment.State.SIGNED).exists()
    return guard_holds(guard, part_outcomes(case).values())


def _next_case_number(jurisdiction: Jurisdiction, day: dt.date) -> str:
    """`{jurisdiction code}-{YYYYMMDD}-{6-digit running number}`: unique nationwide because
    jurisdiction codes are. The counter row is locked until the transaction commits."""
    prefix = f"{jurisdiction.code}-{day:%Y%m%d}"
    CaseNumberCounter.objects.bulk_create(
        [CaseNumberCounter(prefix=prefix, last=0)], ignore_conflicts=True
    )
    CaseNumberCounter.objects.filter(prefix=prefix).update(last=F("last") + 1)
    last = CaseNumberCounter.objects.select_for_update().get(prefix=prefix).last
    return f"{prefix}-{last:06d}"


def _append_event(
    case: Case,
    action: str,
    from_status: str,
    actor: Any,
    actor_role: str,
    actor_jurisdiction_id: int | None,
    practice_code: int,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    case.event_count += 1
    event = CaseEvent.objects.create(
        case=case,
        seq=case.event_count,
        action=action,
        from_status=from_status,
        to_status=case.status,
        practice_code=practice_code,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=actor_role,
        actor_jurisdiction_id=actor_jurisdiction_id,
        at=_now(),
        reason=reason,
        data=data or {},
    )
    # e.g. the federation replicates the event to the node of the case's other leg
    hooks.event_appended(case, event)
    return event


# the notifications that end a rateable service (好差评 covers refused and withdrawn too)
RATING_INVITE_TEMPLATES = frozenset({"completed", "refused", "withdrawn"})


def _notify(case: Case, template: str, **extra: Any) -> None:
    from tongban.notifications.actions import queue_case_notification

    context: dict[str, Any] = {
        "case_number": case.number,
        "item_name": case.item.name,
        "status": case.status,
        "status_label": Status(case.status).label,
    }
    context.update({k: v for k, v in extra.items() if v not in (None, "", [])})
    if template in RATING_INVITE_TEMPLATES:
        from tongban.ratings.actions import invite_to_rate

        # an applicant without a portal account rates through a one-time link
        link = invite_to_rate(case)
        if link:
            context["rating_link"] = link
    queue_case_notification(case, template, context)


def _require(value: str, field_name: str, zh: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(
            f"请填写{zh}。",
            f"'{field_name}' is required.",
            code="missing_field",
            details={"field": field_name},
        )
    return value


def _resolve_jurisdiction(code: str, field_name: str) -> Jurisdiction:
    jurisdiction = Jurisdiction.objects.filter(code=code, active=True).first()
    if jurisdiction is None:
        raise Invalid(
            f"管辖地代码不存在:{code}",
            f"Unknown jurisdiction code: {code}",
            code="unknown_jurisdiction",
            details={"field": field_name},
        )
    return jurisdiction


def _resolve_item(code: str) -> ServiceItem:
    item = ServiceItem.objects.filter(code=code).first()
    if item is None:
        raise Invalid(
            f"事项编码不存在:{code}",
            f"Unknown item code: {code}",
            code="unknown_item",
            details={"field": "item"},
        )
    return item


def _implementation(item: ServiceItem, handling: Jurisdiction, on: dt.date) -> ItemImplementation:
    implementation = published_implementation(item, handling, on)
    if implementation is None:
        raise Invalid(
            f"{handling.short_name}未发布“{item.name}”的实施清单。",
            f"{handling.code} has no published implementation of item {item.code}.",
            code="item_not_implemented",
        )
    return implementation


def _resolve_applicant(actor: Any, data: SubmitInput, staff: bool) -> Applicant:
    if not staff:
        trust.require_level(actor, "apply_online")
        own = Applicant.objects.filter(user=actor)
        if data.applicant_id is not None:
            own = own.filter(pk=data.applicant_id)
        applicant = own.order_by("pk").first()
        if applicant is None:
            raise Invalid(
                "您的账号未绑定申请人信息。",
                "Your account has no applicant record.",
                code="no_applicant",
            )
        return applicant
    if data.applicant_id is not None:
        applicant = Applicant.objects.filter(pk=data.applicant_id).first()
        if applicant is None:
            raise Invalid("申请人不存在。", "No such applicant.", code="unknown_applicant")
        return applicant
    given = data.applicant
    if given is None:
        raise Invalid(
            "请填写申请人信息。",
            "Applicant details are required.",
            code="missing_field",
            details={"field": "applicant"},
        )
    name = _require(given.name, "applicant.name", "申请人姓名/名称")
    if given.kind == Applicant.Kind.PERSON:
        id_number = validate_id_number(given.id_number)
        existing = Applicant.objects.filter(
            kind="person", id_number_index=blind_index("identifier", id_number)
        ).first()
        if existing is not None:
            if existing.name != name:
                raise Invalid(
                    "姓名与公民身份号码不一致。",
                    "Name does not match the ID number.",
                    code="identity_mismatch",
                )
            return existing
        return Applicant.objects.create(
            kind="person",
            name=name,
            id_number=id_number,
            phone=given.phone.strip(),
            email=given.email.strip(),
            address=given.address.strip(),
        )
    if given.kind == Applicant.Kind.ENTERPRISE:
        uscc = validate_uscc(given.uscc)
        agent_name = _require(given.agent_name, "applicant.agent_name", "经办人姓名")
        agent_id = validate_id_number(given.agent_id_number)
        existing = Applicant.objects.filter(kind="enterprise", uscc=uscc).first()
        if existing is not None:
            if existing.agent_id_number != agent_id:
                # a new agent for a known enterprise: record who acts this time
                existing.agent_name, existing.agent_id_number = agent_name, agent_id
                existing.save(
                    update_fields=["agent_name", "agent_id_number", "agent_id_number_index"]
                )
            return existing
        return Applicant.objects.create(
            kind="enterprise",
            name=name,
            uscc=uscc,
            agent_name=agent_name,
            agent_id_number=agent_id,
            phone=given.phone.strip(),
            email=given.email.strip(),
            address=given.address.strip(),
        )
    raise Invalid(
        "申请人类型不正确。",
        "Applicant kind must be person or enterprise.",
        code="invalid_applicant_kind",
    )


def _check_choice(value: str, allowed: list[str], field_name: str, zh: str) -> None:
    if value not in allowed:
        raise Invalid(
            f"该事项不支持此{zh}:{value}",
            f"{field_name} '{value}' is not offered for this item.",
            code=f"{field_name}_not_offered",
            details={"allowed": allowed},
        )


# ---------------------------------------------------------------------------------------
# Submission


@dataclass(frozen=True)
class Submitted:
    """What `submit_case_once` did: opened `case`, or (`replayed`) found the case an
    earlier or concurrent submission with the same Idempotency-Key opened."""

    case: Case
    replayed: bool


def submit_case(actor: Any, data: SubmitInput, idempotency_key: str | None = None) -> Case:
    """Open a case. Staff (clerks) submit at their window; applicants submit online or at
    a self-service terminal. A window receipt is not 帮办代办 by itself: that is recorded
    separately (tongban.assistance.actions.record_assistance)."""
    return submit_case_once(actor, data, idempotency_key).case


def submit_case_once(
    actor: Any, data: SubmitInput, idempotency_key: str | None = None
) -> Submitted:
    """`submit_case`, saying whether the answer is a replay. With a key, exactly one of any
    number of submissions (sequential or concurrent) opens the case; the others get that
    case back, marked replayed, or `idempotency_key_reused` (409) when their content
    differs. Concurrent ones queue on the caller's user row (ADR 0091)."""
    access.require_authenticated(actor)
    fingerprint = data.fingerprint()
    if idempotency_key:
        replay = _idempotent_replay(actor, idempotency_key, fingerprint)
        if replay is not None:
            return Submitted(replay, replayed=True)
    try:
        return _submit(actor, data, idempotency_key, fingerprint)
    except IntegrityError:
        # a concurrent request with the same Idempotency-Key won the race (the user-row
        # lock makes this rare: only a submission that started before the lock existed)
        if idempotency_key:
            replay = _idempotent_replay(actor, idempotency_key, fingerprint)
            if replay is not None:
                return Submitted(replay, replayed=True)
        raise


def _idempotent_replay(actor: Any, key: str, fingerprint: str) -> Case | None:
    record = IdempotencyRecord.objects.filter(user=actor, key=key).select_related("case").first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Conflict(
            "该幂等键已用于另一份不同的申请。",
            "This Idempotency-Key was already used for a different submission.",
            code="idempotency_key_reused",
        )
    return record.case


@transaction.atomic
def _submit(actor: Any, data: SubmitInput, key: str | None, fingerprint: str) -> Submitted:
    if key:
        # submissions with the same key queue here; the first commits its case and its
        # IdempotencyRecord, the next ones then find that record and replay it
        User.objects.select_for_update().filter(pk=actor.pk).first()
        replay = _idempotent_replay(actor, key, fingerprint)
        if replay is not None:
            return Submitted(replay, replayed=True)
    today = deadlines.local_today()
    staff = access.is_staff_member(actor)
    item = _resolve_item(data.item)
    handling = _resolve_jurisdiction(data.handling, "handling")
    if data.mode not in Mode.values:
        raise Invalid(
            "通办模式不正确。",
            "Unknown mode.",
            code="invalid_mode",
            details={"allowed": Mode.values},
        )
    if data.channel not in Channel.values:
        raise Invalid(
            "受理渠道不正确。",
            "Unknown channel.",
            code="invalid_channel",
            details={"allowed": Channel.values},
        )
    if data.delivery_method not in DeliveryMethod.values:
        raise Invalid(
            "送达方式不正确。",
            "Unknown delivery method.",
            code="invalid_delivery_method",
            details={"allowed": DeliveryMethod.values},
        )

    receiving: Jurisdiction | None = None
    window: Window | None = None
    agreement = None
    if data.mode == Mode.ONLINE:
        if data.channel not in (Channel.WEB, Channel.APP):
            raise Invalid(
                "全程网办只能通过网上办事大厅或移动端提交。",
                "Fully online cases are submitted on the web or in the app.",
                code="channel_not_offered",
            )
        if staff:
            raise Forbidden(
                "全程网办由申请人本人在线提交;窗口请使用异地代收代办。",
                "Online cases are submitted by the applicant; windows use proxy.",
                code="online_needs_applicant",
            )
    else:
        if data.window_id is not None:
            window = (
                Window.objects.select_related("centre__jurisdiction")
                .filter(pk=data.window_id, active=True)
                .first()
            )
            if window is None:
                raise Invalid("窗口不存在。", "Unknown window.", code="unknown_window")
            receiving = window.centre.jurisdiction
        elif data.receiving:
            receiving = _resolve_jurisdiction(data.receiving, "receiving")
        else:
            raise Invalid(
                "请指定收件地或收件窗口。",
                "The receiving jurisdiction is required.",
                code="missing_field",
                details={"field": "receiving"},
            )
        if staff:
            if not access.has_role(actor, [Role.CLERK], receiving.pk):
                raise Forbidden(
                    "只有收件地的窗口人员可以收件。",
                    "Only clerks of the receiving jurisdiction may receive cases.",
                    code="not_a_clerk_here",
                )
            if data.channel not in (Channel.WINDOW, Channel.TERMINAL):
                raise Invalid(
                    "窗口收件的渠道应为窗口或自助终端。",
                    "Staff receive at a window or terminal.",
                    code="channel_not_offered",
                )
        elif data.channel != Channel.TERMINAL or window is None or window.kind != "terminal":
            raise Forbidden(
                "申请人只能在线提交全程网办事项,或在自助终端提交代收代办事项。",
                "Applicants apply online, or for proxy handling at a self-service terminal.",
                code="applicant_channel_not_allowed",
            )
        agreement_item = find_agreement_item(item, receiving, handling, data.mode, today)
        if agreement_item is None:
            raise Invalid(
                f"{receiving.short_name}与{handling.short_name}之间没有在有效期内的合作协议"
                f"允许以该模式代收“{item.name}”。",
                f"No agreement in force lets {receiving.code} receive {item.code} "
                f"for {handling.code} in mode {data.mode}.",
                code="no_agreement",
            )
        agreement = agreement_item.agreement
        if window is not None and window.centre.jurisdiction_id != receiving.pk:
            raise Invalid(
                "窗口不属于收件地。",
                "The window is not in the receiving jurisdiction.",
                code="window_mismatch",
            )

    implementation = _implementation(item, handling, today)
    _check_choice(data.mode, implementation.modes, "mode", "通办模式")
    _check_choice(data.channel, implementation.channels, "channel", "受理渠道")
    _check_choice(
        data.delivery_method, implementation.delivery_methods, "delivery_method", "送达方式"
    )
    if data.delivery_method == DeliveryMethod.POST:
        _require(data.delivery_address, "delivery_address", "寄递地址")

    bundle, requested_parts = _bundle_parts(data, item, handling)
    joint_parts: list[dict[str, str]] = []
    if data.mode == Mode.JOINT:
        if not requested_parts:
            raise Invalid(
                "多地联办须列明各协办部分。",
                "A joint case lists its parts.",
                code="missing_field",
                details={"field": "joint_parts"},
            )
        for part in requested_parts:
            part_jurisdiction = _resolve_jurisdiction(part.jurisdiction, "joint_parts")
            part_item = _resolve_item(part.item)
            if (
                part_jurisdiction.pk != handling.pk
                and find_agreement_item(part_item, handling, part_jurisdiction, Mode.JOINT, today)
                is None
            ):
                raise Invalid(
                    f"{handling.short_name}与{part_jurisdiction.short_name}之间没有"
                    f"多地联办“{part_item.name}”的协议。",
                    f"No agreement lets {handling.code} and {part_jurisdiction.code} "
                    f"handle {part_item.code} jointly.",
                    code="no_agreement",
                )
            _implementation(part_item, part_jurisdiction, today)
            joint_parts.append({"jurisdiction": part_jurisdiction.code, "item": part_item.code})
    elif data.joint_parts:
        raise Invalid(
            "只有多地联办可以列明协办部分。",
            "Only joint cases have parts.",
            code="unexpected_field",
            details={"field": "joint_parts"},
        )

    form_data = _application_form(item, data, bundle)
    applicant = _resolve_applicant(actor, data, staff)
    _check_applicant_for_form(item, applicant, form_data)
    number = _next_case_number(receiving or handling, today)
    status = INITIAL_STATE[Mode(data.mode)]
    case = Case(
        number=number,
        item=item,
        implementation=implementation,
        mode=data.mode,
        channel=data.channel,
        receiving_jurisdiction=receiving,
        receiving_window=window,
        handling_jurisdiction=handling,
        agreement=agreement,
        applicant=applicant,
        submitted_by=actor,
        status=status,
        practice_code=SUBMIT_PRACTICE_CODE,
        delivery_method=data.delivery_method,
        delivery_address=data.delivery_address.strip(),
        received_at=_now(),
        promised_days=implementation.promised_limit_days,
        promised_hours=implementation.promised_limit_hours,
        statutory_days=deadlines.statutory_days_for(data.mode, implementation),
        joint_parts=joint_parts,
        bundle=bundle,
        form_data=form_data,
    )
    cal = deadlines.calendar_of(case)
    deadlines.refresh_dates(case, cal, today)
    case.save()
    _create_materials(case, implementation, data.materials)
    if key:
        IdempotencyRecord.objects.create(user=actor, key=key, request_hash=fingerprint, case=case)
    role = "clerk" if staff else "applicant"
    _append_event(
        case,
        Action.SUBMIT,
        "",
        actor,
        role,
        receiving.pk if (staff and receiving) else None,
        SUBMIT_PRACTICE_CODE,
        data={
            "channel": data.channel,
            "mode": data.mode,
            "agreement": agreement.code if agreement else None,
            **({"bundle": bundle.code} if bundle else {}),
        },
    )
    case.save(update_fields=["event_count"])
    _notify(case, "submitted")
    return Submitted(case, replayed=False)


def _bundle_parts(
    data: SubmitInput, item: ServiceItem, handling: Jurisdiction
) -> tuple[ItemBundle | None, list[JointPartInput]]:
    """A "一件事" application names its bundle instead of its parts: the bundle's required
    parts and the optional ones the applicant chose become joint parts handled by the
    competent departments of the handling place (their implementations say which)."""
    if not data.bundle:
        if data.bundle_parts:
            raise Invalid(
                "只有“一件事”申请可以选择联办事项。",
                "Only a bundle application chooses bundle parts.",
                code="unexpected_field",
                details={"field": "bundle_parts"},
            )
        return None, list(data.joint_parts)
    bundle = (
        ItemBundle.objects.filter(code=data.bundle, active=True)
        .prefetch_related("parts__item")
        .first()
    )
    if bundle is None:
        raise Invalid(
            f"“一件事”不存在:{data.bundle}",
            f"Unknown bundle: {data.bundle}",
            code="unknown_bundle",
            details={"field": "bundle"},
        )
    if bundle.lead_item_id != item.pk:
        raise Invalid(
            f"“{bundle.name}”的主办事项不是“{item.name}”。",
            f"The lead item of bundle {bundle.code} is not {item.code}.",
            code="bundle_item_mismatch",
            details={"field": "item"},
        )
    if data.mode != Mode.JOINT or data.joint_parts:
        raise Invalid(
            "“一件事”按多地联办受理,联办事项由“一件事”确定。",
            "A bundle is received in joint mode; its parts come from the bundle.",
            code="bundle_needs_joint_mode",
            details={"field": "mode"},
        )
    parts = list(bundle.parts.all())
    optional = {p.item.code for p in parts if p.optional}
    unknown = sorted(set(data.bundle_parts) - optional)
    if unknown:
        raise Invalid(
            "所选事项不是该“一件事”的可选事项。",
            "A chosen part is not an optional part of the bundle.",
            code="unknown_bundle_part",
            details={"field": "bundle_parts", "unknown": unknown, "allowed": sorted(optional)},
        )
    chosen = [
        JointPartInput(jurisdiction=handling.code, item=p.item.code)
        for p in parts
        if not p.optional or p.item.code in data.bundle_parts
    ]
    return bundle, chosen


def _application_form(
    item: ServiceItem, data: SubmitInput, bundle: ItemBundle | None
) -> dict[str, Any]:
    form = clean_form(item.form_kind, data.form)
    if bundle is None and form.get("seals"):
        raise Invalid(
            "未申请公章刻制,不能填写印章。",
            "Seals are only ordered with the seal-engraving part.",
            code="unexpected_field",
            details={"field": "form.seals"},
        )
    if bundle is not None and item.form_kind == FormKind.COMPANY_ESTABLISHMENT:
        engraves = any(p.item.form_kind == FormKind.SEAL_ENGRAVING for p in bundle.parts.all())
        if engraves and not form.get("seals"):
            # the usual set, as in the article's example (3 seals)
            form["seals"] = list(DEFAULT_SEALS)
        elif not engraves and form.get("seals"):
            raise Invalid(
                "未申请公章刻制,不能填写印章。",
                "Seals are only ordered with the seal-engraving part.",
                code="unexpected_field",
                details={"field": "form.seals"},
            )
    return form


def _check_applicant_for_form(
    item: ServiceItem, applicant: Applicant, form: dict[str, Any]
) -> None:
    if item.form_kind != FormKind.COMPANY_ESTABLISHMENT:
        return
    # the enterprise does not exist before its licence: a person (investor or agent) files
    if applicant.kind != Applicant.Kind.PERSON:
        raise Invalid(
            "企业设立登记由自然人(投资人或受托经办人)申请;已有统一社会信用代码的企业不能再设立。",
            "Company establishment is filed by a natural person; an enterprise that already "
            "has a USCC cannot be established again.",
            code="establishment_needs_person",
        )
    if Applicant.objects.filter(
        kind=Applicant.Kind.ENTERPRISE, name=form["proposed_name"]
    ).exists():
        raise Conflict(
            f"企业名称“{form['proposed_name']}”已被登记。",
            f"An enterprise named '{form['proposed_name']}' is already registered.",
            code="enterprise_name_taken",
        )


def _create_materials(
    case: Case, implementation: ItemImplementation, given: list[MaterialInput]
) -> None:
    checklist = {m.pk: m for m in implementation.materials.all()}
    by_id: dict[int, MaterialInput] = {}
    for given_entry in given:
        if given_entry.material_id not in checklist:
            raise Invalid(
                "材料不在该事项的材料清单中。",
                "A material is not on the checklist.",
                code="unknown_material",
                details={"material_id": given_entry.material_id},
            )
        if given_entry.state not in CaseMaterial.State.values:
            raise Invalid(
                "材料状态不正确。", "Unknown material state.", code="invalid_material_state"
            )
        by_id[given_entry.material_id] = given_entry
    # licences found by ID number stand in for materials only when that number is proven:
    # a clerk saw the person, or the account's trust level reaches `own_records`
    submitter = case.submitted_by
    proven = access.is_staff_member(submitter) or trust.meets(submitter, "own_records")
    held = _licences_by_type(case.applicant, checklist.values()) if proven else {}
    rows = []
    for material in checklist.values():
        entry = by_id.get(material.pk)
        state = entry.state if entry else None
        reference = entry.licence_reference.strip() if entry else ""
        licence = held.get(material.licence_type_code) if material.licence_type_code else None
        if state == CaseMaterial.State.BY_LICENCE:
            if licence is None or (reference and reference != licence.identifier):
                raise Invalid(
                    f"申请人没有可用于“{material.name}”的有效电子证照。",
                    f"The applicant holds no valid e-licence for '{material.name}'.",
                    code="licence_not_valid",
                    details={"material_id": material.pk},
                )
        elif state in (None, CaseMaterial.State.MISSING) and licence is not None:
            # 数据共享, 免提交: a valid licence from any jurisdiction satisfies the material
            state = CaseMaterial.State.BY_LICENCE
        if state is None:
            state = (
                CaseMaterial.State.NOT_APPLICABLE
                if material.requirement == Material.Requirement.OPTIONAL
                else CaseMaterial.State.MISSING
            )
        rows.append(
            CaseMaterial(
                case=case,
                material=material,
                name=material.name,
                state=state,
                original_required=material.form == Material.Form.ORIGINAL
                and state != CaseMaterial.State.BY_LICENCE,
                original_posted=bool(entry and entry.original_posted),
                licence_reference=(
                    licence.identifier
                    if licence is not None and state == CaseMaterial.State.BY_LICENCE
                    else ""
                ),
            )
        )
    CaseMaterial.objects.bulk_create(rows)


def _licences_by_type(applicant: Applicant, materials: Any) -> dict[str, Any]:
    from tongban.licences.selectors import valid_licences_of

    types = {m.licence_type_code for m in materials if m.licence_type_code}
    if not types:
        return {}
    held: dict[str, Any] = {}
    for licence in (
        valid_licences_of(applicant).filter(licence_type_code__in=types).order_by("-issued_at")
    ):
        held.setdefault(licence.licence_type_code, licence)
    return held


# ---------------------------------------------------------------------------------------
# Transitions


def perform_case_action(actor: Any, number: str, action: str, data: ActionInput) -> Case:
    access.require_authenticated(actor)
    with transaction.atomic():
        # a part's end may complete its lead, and a lead's end ends its parts: lock the
        # lead before the part, always in that order, so the two never wait on each other
        parent_id = Case.objects.filter(number=number).values_list("parent_id", flat=True)
        if parent_id and parent_id[0] is not None:
            list(Case.objects.select_for_update().filter(pk=parent_id[0]).values_list("pk"))
        case = _lock_case(actor, number)
        variant = _variant_for(case, action, data)
        transition = find_transition(action, case.status, variant)
        if transition is None or case.mode not in transition.modes:
            raise IllegalTransition(
                f"当前状态“{Status(case.status).label}”下不能执行“{action}”。",
                f"Action '{action}' is not allowed in state '{case.status}'.",
                details={"status": case.status, "allowed": actions_from(case.status, case.mode)},
            )
        acting = _acting_leg(transition, legs_of(actor, case))
        if acting is None:
            raise Forbidden(
                "您的角色或所在管辖地不能对该办件执行此操作。",
                "Your role or jurisdiction may not perform this action on this case.",
                code="action_not_permitted",
            )
        leg, role = acting
        today = deadlines.local_today()
        cal = deadlines.calendar_of(case)
        handler = _HANDLERS[Action(action)]
        from_status = case.status
        outcome = handler(case, data, _Context(actor, leg, role, today, cal, transition))
        case.status = transition.target
        case.practice_code = practice_code_for(
            transition,
            case.practice_code,
            accepted_with_commitment=transition.practice_code == APPROVED_CODE
            and case.events.filter(action=Action.ACCEPT_WITH_COMMITMENT).exists(),
        )
        if transition.action in PAPER_ACTIONS:
            pass  # a fact about the paper: the case's step and clock are as they were
        elif case.status in FINAL_STATES:
            deadlines.clear_dates_for_final_state(case)
        else:
            deadlines.refresh_dates(case, cal, today)
        jurisdiction_id = (
            case.receiving_jurisdiction_id
            if leg == Leg.RECEIVING
            else case.handling_jurisdiction_id
            if leg == Leg.HANDLING
            else None
        )
        _append_event(
            case,
            action,
            from_status,
            actor,
            role,
            jurisdiction_id,
            case.practice_code,
            data.reason.strip(),
            outcome.event_data,
        )
        case.save()
        if case.status in FINAL_STATES and from_status not in FINAL_STATES:
            if case.parent_id is not None:
                _complete_parent_if_ready(case.parent_id)
            _end_open_parts(case, action, data.reason.strip())
        if outcome.notify:
            extra = {"reason": data.reason.strip(), **outcome.notify_extra}
            if "due_date" not in extra and case.due_date is not None:
                extra["due_date"] = case.due_date.isoformat()
            _notify(case, outcome.notify, **extra)
        for follow_up in outcome.after:
            follow_up()
    return case


def _lock_case(actor: Any, number: str) -> Case:
    from tongban.cases.selectors import readable_cases

    # .get() rather than .first(): the number is unique, and first()'s ORDER BY id would
    # only give the planner a wrong index to consider
    try:
        return (
            readable_cases(actor)
            .select_for_update(of=("self",))
            .select_related(
                "applicant",
                "item",
                "implementation",
                "handling_jurisdiction",
                "receiving_jurisdiction",
            )
            .get(number=number)
        )
    except Case.DoesNotExist:
        raise NotFound(
            "未找到该办件,或您无权查看。", "No such case, or it is outside your scope."
        ) from None


def _variant_for(case: Case, action: str, data: ActionInput) -> str | None:
    if action != Action.SHIP:
        return None
    method = data.method or case.delivery_method
    if method == DeliveryMethod.WINDOW:
        # 就近取证: back to the receiving window when there is one
        return (
            ShipVariant.RECEIVING_WINDOW
            if case.receiving_jurisdiction_id
            else ShipVariant.HANDLING_WINDOW
        )
    if method in ShipVariant.__members__.values():
        return method
    raise Invalid(
        "送达方式不正确。",
        "Unknown delivery method.",
        code="invalid_delivery_method",
        details={"allowed": [v.value for v in ShipVariant]},
    )


@dataclass
class _Context:
    actor: User
    leg: Leg
    role: str
    today: dt.date
    cal: WorkingCalendar
    transition: Transition


@dataclass
class _Outcome:
    notify: str | None = None
    event_data: dict[str, Any] = field(default_factory=dict)
    notify_extra: dict[str, Any] = field(default_factory=dict)
    after: list[Callable[[], None]] = field(default_factory=list)


def _need_reason(data: ActionInput, zh: str = "理由") -> str:
    return _require(data.reason, "reason", zh)


def _days(data: ActionInput, default: int, low: int, high: int, what: str) -> int:
    days = default if data.days is None else data.days
    if not low <= days <= high:
        raise Invalid(
            f"{what}应在{low}至{high}个工作日之间。",
            f"'days' must be between {low} and {high} working days.",
            code="invalid_days",
            details={"min": low, "max": high},
        )
    return days


def _on_check(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    missing = case.materials.filter(
        state=CaseMaterial.State.MISSING, material__requirement=Material.Requirement.REQUIRED
    ).values_list("name", flat=True)
    if missing:
        raise Conflict(
            "必须提交的材料尚未齐全,请先一次性告知补正。",
            "Required materials are missing: request a supplement first.",
            code="materials_incomplete",
            details={"missing": list(missing)},
        )
    return _Outcome(notify="checked")


def _on_request_supplement(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    if not data.missing:
        raise Invalid(
            "请一次性列明所有需要补正的材料。",
            "List every material to supplement.",
            code="missing_field",
            details={"field": "missing"},
        )
    materials = list(case.materials.filter(pk__in=data.missing))
    if len(materials) != len(set(data.missing)):
        raise Invalid(
            "补正材料不属于该办件。",
            "A listed material does not belong to the case.",
            code="unknown_material",
        )
    if case.status == Status.PENDING_ACCEPTANCE:
        _refuse_late_supplement_notice(case, ctx)
    days = _days(data, deadlines.DEFAULT_SUPPLEMENT_DAYS, 1, 60, "补正期限")
    case.supplement_due = ctx.cal.add_working_days(ctx.today, days)
    CaseMaterial.objects.filter(pk__in=[m.pk for m in materials]).update(
        state=CaseMaterial.State.MISSING
    )
    names = [m.name for m in materials]
    return _Outcome(
        notify="supplement_requested",
        event_data={
            "missing": names,
            "material_ids": sorted(set(data.missing)),
            "due": case.supplement_due.isoformat(),
        },
        notify_extra={"missing": names, "due_date": case.supplement_due.isoformat()},
    )


def _refuse_late_supplement_notice(case: Case, ctx: _Context) -> None:
    due = deadlines.supplement_notice_due(case, ctx.cal)
    if ctx.today > due:
        received = deadlines.receipt_day(case)
        raise Conflict(
            f"收件后5个工作日内(至{due:%Y-%m-%d})未一次性告知补正,依法自收件之日"
            f"({received:%Y-%m-%d})起即为受理;请受理后在审查中要求补正。",
            f"No supplement notice was given within 5 working days of receipt (by {due}): "
            f"by law the case counts as accepted from receipt ({received}). Accept it, then "
            "ask for a supplement during review.",
            code="supplement_notice_late",
            details={"receipt_day": received.isoformat(), "notice_due": due.isoformat()},
        )


def _start_acceptance_clock(case: Case, ctx: _Context, outcome: _Outcome) -> None:
    """Acceptance starts the count the next day, or, when the supplement notice was not
    given in time (行政许可法 §32), from the day of receipt."""
    deemed = (
        deadlines.deemed_accepted_from(case, ctx.cal, ctx.today)
        if case.status == Status.PENDING_ACCEPTANCE
        else None
    )
    deadlines.start_clock(
        case, ctx.cal, deemed or ctx.today, case.received_at if deemed is not None else None
    )
    if deemed is not None:
        outcome.event_data["deemed_accepted_from"] = deemed.isoformat()


def _on_supplement(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    open_states = [CaseMaterial.State.MISSING, CaseMaterial.State.DEFERRED]
    outstanding = case.materials.filter(state__in=open_states)
    provided = set(data.provided)
    if not provided:
        raise Invalid(
            "请选择已补正的材料。",
            "List the supplemented materials.",
            code="missing_field",
            details={"field": "provided"},
        )
    known = set(outstanding.values_list("pk", flat=True))
    if not provided <= known:
        raise Invalid(
            "所选材料不在待补正清单中。",
            "A listed material is not outstanding.",
            code="unknown_material",
        )
    CaseMaterial.objects.filter(pk__in=provided).update(state=CaseMaterial.State.PROVIDED)
    # 容缺: every deferred material must be made good; otherwise every required one
    must_have = [Material.Requirement.REQUIRED]
    if case.status == Status.ACCEPTED_CONDITIONALLY:
        must_have.append(Material.Requirement.DEFERRABLE)
    still_missing = list(
        case.materials.filter(
            state__in=open_states, material__requirement__in=must_have
        ).values_list("name", flat=True)
    )
    if still_missing:
        raise Conflict(
            "仍有材料未补齐,不能完成补正。",
            "Materials are still outstanding.",
            code="materials_incomplete",
            details={"missing": still_missing},
        )
    if case.status in (Status.SUPPLEMENT_IN_REVIEW,):
        # 补正 during review: the count restarts the day after the supplement arrives
        deadlines.start_clock(case, ctx.cal, ctx.today)
    case.supplement_due = None
    if case.status == Status.ACCEPTED_CONDITIONALLY:
        case.commitment_due = None
    return _Outcome(notify=None, event_data={"provided": sorted(provided)})


def _on_transfer(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    event: dict[str, Any] = {"electronic_push": True}
    if case.implementation.needs_originals:
        carrier = _require(data.carrier, "carrier", "承运方")
        waybill = _require(data.waybill_number, "waybill_number", "运单号")
        Shipment.objects.create(
            case=case,
            purpose=Shipment.Purpose.ORIGINALS,
            destination=Shipment.Destination.HANDLING_PLACE,
            carrier=carrier,
            waybill_number=waybill,
            shipped_at=_now(),
        )
        case.materials.filter(original_required=True, state=CaseMaterial.State.PROVIDED).update(
            original_posted=True
        )
        event.update({"carrier": carrier, "waybill_number": waybill})
    return _Outcome(notify="transferred", event_data=event)


def _on_receive_transfer(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    # the electronic file only: the paper originals are signed for when they arrive
    in_post = _originals_inbound(case).filter(state=Shipment.State.IN_TRANSIT).exists()
    return _Outcome(
        event_data={"discrepancies": data.discrepancies.strip(), "originals_in_transit": in_post}
    )


def _on_receive_originals(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    shipment = (
        _originals_inbound(case)
        .select_for_update()
        .filter(state=Shipment.State.IN_TRANSIT)
        .order_by("shipped_at", "pk")
        .first()
    )
    if shipment is None:
        raise Conflict(
            "没有在途的纸质原件可签收。",
            "No paper originals are on their way to be signed for.",
            code="no_originals_in_transit",
        )
    note = data.discrepancies.strip()
    if data.mismatch and not note:
        _require("", "discrepancies", "原件与电子材料不符之处")
    if len(note) > 255:
        raise Invalid(
            "签收说明不能超过255个字符。",
            "The note is longer than 255 characters.",
            code="too_long",
            details={"field": "discrepancies", "max_length": 255},
        )
    shipment.state = Shipment.State.SIGNED
    shipment.signed_at = _now()
    shipment.mismatch = data.mismatch
    shipment.note = note
    shipment.save(update_fields=["state", "signed_at", "mismatch", "note"])
    return _Outcome(
        event_data={
            "carrier": shipment.carrier,
            "waybill_number": shipment.waybill_number,
            "mismatch": data.mismatch,
            "discrepancies": note,
        }
    )


def _on_return_originals(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    held = list(
        _originals_inbound(case)
        .select_for_update()
        .filter(state=Shipment.State.SIGNED)
        .order_by("shipped_at", "pk")
    )
    if not held:
        raise Conflict(
            "办理地没有待退还的纸质原件。",
            "The handling place holds no paper originals to return.",
            code="no_originals_held",
        )
    method = data.method or DeliveryMethod.POST
    if method not in (DeliveryMethod.POST, DeliveryMethod.WINDOW):
        raise Invalid(
            "退还方式应为邮寄给申请人或送回收件窗口。",
            "Originals go back by post to the applicant or to the receiving window.",
            code="invalid_delivery_method",
            details={"allowed": [DeliveryMethod.POST.value, DeliveryMethod.WINDOW.value]},
        )
    carrier = _require(data.carrier, "carrier", "承运方")
    waybill = _require(data.waybill_number, "waybill_number", "运单号")
    to_applicant = method == DeliveryMethod.POST
    address = (data.address or case.delivery_address or case.applicant.address).strip()
    if to_applicant and not address:
        _require("", "address", "寄递地址")
    now = _now()
    for inbound in held:
        Shipment.objects.create(
            case=case,
            purpose=Shipment.Purpose.ORIGINALS,
            destination=(
                Shipment.Destination.APPLICANT
                if to_applicant
                else Shipment.Destination.RECEIVING_WINDOW
            ),
            carrier=carrier,
            waybill_number=waybill,
            address=address if to_applicant else "",
            shipped_at=now,
            return_of=inbound,
        )
    Shipment.objects.filter(pk__in=[s.pk for s in held]).update(state=Shipment.State.RETURNED)
    destination = "applicant" if to_applicant else "receiving_window"
    return _Outcome(
        notify="originals_returned",
        event_data={"carrier": carrier, "waybill_number": waybill, "destination": destination},
        notify_extra={"carrier": carrier, "waybill_number": waybill, "to_window": not to_applicant},
    )


def _require_originals_if_needed(case: Case) -> None:
    if not case.implementation.originals_before_acceptance:
        return
    if _originals_inbound(case).filter(state=Shipment.State.IN_TRANSIT).exists():
        raise Conflict(
            "该事项须签收纸质原件后方可受理,原件尚在寄递途中。",
            "This item is accepted only once the paper originals have been signed for; "
            "they are still in the post.",
            code="originals_not_received",
        )


def _on_accept(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    missing = list(
        case.materials.filter(
            state__in=[CaseMaterial.State.MISSING, CaseMaterial.State.DEFERRED],
            material__requirement__in=[
                Material.Requirement.REQUIRED,
                Material.Requirement.DEFERRABLE,
            ],
        ).values_list("name", flat=True)
    )
    if missing:
        raise Conflict(
            "材料不齐全,不能受理;可一次性告知补正或容缺受理。",
            "Materials are incomplete: request a supplement or accept conditionally.",
            code="materials_incomplete",
            details={"missing": missing},
        )
    _require_originals_if_needed(case)
    case.accepted_at = _now()
    outcome = _Outcome(notify="accepted")
    _start_acceptance_clock(case, ctx, outcome)
    _open_parts_on_acceptance(case, ctx, outcome)
    return outcome


def _open_parts_on_acceptance(case: Case, ctx: _Context, outcome: _Outcome) -> None:
    if (
        ctx.transition.action in PARTS_OPEN_ON
        and case.mode == Mode.JOINT
        and case.parent_id is None
        and case.joint_parts
        and not case.subcases.exists()
    ):
        outcome.event_data["subcases"] = _open_subcases(case, ctx)


def _open_subcases(parent: Case, ctx: _Context) -> list[str]:
    numbers = []
    for part in parent.joint_parts:
        jurisdiction = Jurisdiction.objects.get(code=part["jurisdiction"])
        item = ServiceItem.objects.get(code=part["item"])
        implementation = _implementation(item, jurisdiction, ctx.today)
        sub = Case(
            number=_next_case_number(parent.handling_jurisdiction, ctx.today),
            item=item,
            implementation=implementation,
            mode=Mode.JOINT,
            channel=parent.channel,
            receiving_jurisdiction=parent.handling_jurisdiction,
            handling_jurisdiction=jurisdiction,
            agreement=parent.agreement,
            parent=parent,
            applicant=parent.applicant,
            submitted_by=ctx.actor,
            status=PART_INITIAL_STATE,
            practice_code=SUBMIT_PRACTICE_CODE,
            delivery_method=DeliveryMethod.ELECTRONIC,
            received_at=_now(),
            promised_days=implementation.promised_limit_days,
            promised_hours=implementation.promised_limit_hours,
            statutory_days=deadlines.statutory_days_for(Mode.JOINT, implementation),
            bundle=parent.bundle,
            form_data=_part_form(parent, item),
        )
        deadlines.refresh_dates(sub, deadlines.calendar_of(sub), ctx.today)
        sub.save()
        _create_materials(
            sub,
            implementation,
            [
                MaterialInput(material_id=m.pk)
                for m in implementation.materials.all()
                if m.requirement != Material.Requirement.OPTIONAL
            ],
        )
        _append_event(
            sub,
            Action.SUBMIT,
            "",
            ctx.actor,
            ctx.role,
            parent.handling_jurisdiction_id,
            SUBMIT_PRACTICE_CODE,
            data={"parent": parent.number, "mode": "joint"},
        )
        sub.save(update_fields=["event_count"])
        numbers.append(sub.number)
    return numbers


def _part_form(parent: Case, item: ServiceItem) -> dict[str, Any]:
    """A bundle part's form comes from the lead application (one form, filled once)."""
    if item.form_kind == FormKind.SEAL_ENGRAVING and parent.form_data.get("seals"):
        return clean_form(
            item.form_kind,
            {
                "enterprise_name": parent.form_data["proposed_name"],
                "seals": parent.form_data["seals"],
            },
        )
    return {}


def _on_accept_with_commitment(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    if case.applicant.bad_credit:
        raise Conflict(
            "申请人有失信记录,不适用容缺受理。",
            "Applicants with a bad-credit record cannot be accepted conditionally.",
            code="bad_credit",
        )
    outstanding = case.materials.filter(
        state__in=[CaseMaterial.State.MISSING, CaseMaterial.State.DEFERRED]
    ).select_related("material")
    blocking = [
        m.name
        for m in outstanding
        if m.material and m.material.requirement == Material.Requirement.REQUIRED
    ]
    deferrable = [
        m
        for m in outstanding
        if m.material and m.material.requirement == Material.Requirement.DEFERRABLE
    ]
    if blocking:
        raise Conflict(
            "主要材料不齐全,不能容缺受理。",
            "Main materials are missing: conditional acceptance is not possible.",
            code="materials_incomplete",
            details={"missing": blocking},
        )
    if not deferrable:
        raise Conflict(
            "没有容缺材料,请直接受理。",
            "Nothing is missing: accept normally.",
            code="nothing_deferred",
        )
    days = _days(data, deadlines.DEFAULT_COMMITMENT_DAYS, 1, 30, "容缺补齐期限")
    _require_originals_if_needed(case)
    CaseMaterial.objects.filter(pk__in=[m.pk for m in deferrable]).update(
        state=CaseMaterial.State.DEFERRED
    )
    case.commitment_due = ctx.cal.add_working_days(ctx.today, days)
    case.accepted_at = _now()
    names = [m.name for m in deferrable]
    outcome = _Outcome(
        notify="accepted_conditionally",
        event_data={"deferred": names, "commitment_due": case.commitment_due.isoformat()},
        notify_extra={"missing": names, "due_date": case.commitment_due.isoformat()},
    )
    _start_acceptance_clock(case, ctx, outcome)
    _open_parts_on_acceptance(case, ctx, outcome)
    return outcome


def _on_refuse(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    reason = _need_reason(data, "不予受理理由")
    authority = _require(data.competent_authority, "competent_authority", "有权受理机关")
    case.refusal_reason = reason
    case.competent_authority = authority
    return _Outcome(notify="refused", event_data={"competent_authority": authority})


def _on_terminate(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    reason = _need_reason(data, "终止理由")
    outcomes = part_outcomes(case) if case.mode == Mode.JOINT else {}
    failed = [number for number, o in outcomes.items() if o == PartOutcome.FAILED]
    if ctx.transition.guard == Guard.PART_FAILED or failed:
        # 多地联办 ended as a whole: a part it cannot do without has failed (ADR 0094)
        if not failed:
            raise Conflict(
                "没有失败的联办部分,不能整体终止。",
                "No part of this joint case has failed: it cannot be ended as a whole.",
                code="no_failed_part",
            )
        return _Outcome(
            notify="terminated",
            event_data={"reason": reason, "as_a_whole": True, "failed_parts": failed},
        )
    deadline = (
        case.commitment_due
        if case.status == Status.ACCEPTED_CONDITIONALLY
        else (case.supplement_due)
    )
    if deadline is not None and ctx.today <= deadline:
        raise Conflict(
            f"补齐期限({deadline:%Y-%m-%d})尚未届满,不能终止。",
            f"The deadline ({deadline}) has not passed yet.",
            code="deadline_not_passed",
        )
    return _Outcome(notify="terminated", event_data={"reason": reason})


def _on_pause(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    reason = _need_reason(data, "特别程序事由")
    case.paused_on = ctx.today
    return _Outcome(notify="paused", event_data={"reason": reason})


def _on_resume(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    paused_on = case.paused_on
    deadlines.add_paused_days(case, ctx.cal, ctx.today)
    return _Outcome(
        notify="resumed",
        event_data={
            "paused_on": paused_on.isoformat() if paused_on else None,
            "paused_working_days": case.paused_working_days,
        },
    )


def _on_extend(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    reason = _need_reason(data, "延期理由")
    limit = deadlines.STATUTORY_EXTENSION["joint" if case.mode == Mode.JOINT else "default"]
    remaining = limit - case.extension_days
    if remaining <= 0:
        raise Conflict(
            "已达到法定延期上限。",
            "The statutory extension is used up.",
            code="extension_exhausted",
        )
    days = _days(data, remaining, 1, remaining, "延期天数")
    case.extension_days += days
    return _Outcome(
        notify="extended", event_data={"days": days, "reason": reason}, notify_extra={"days": days}
    )


def _on_approve(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    event: dict[str, Any] = {}
    if case.item.form_kind == FormKind.SEAL_ENGRAVING:
        event = _seal_engraving_record(case)
    case.decided_at = _now()
    return _Outcome(notify="approved", event_data=event)


def _seal_engraving_record(case: Case) -> dict[str, Any]:
    """Seals are engraved (and filed with public security) for a registered enterprise:
    in a bundle, only once the lead case has issued the business licence."""
    from tongban.licences.models import Licence

    seals = list(case.form_data.get("seals") or [])
    if case.parent_id is None:
        holder = case.applicant
    else:
        licence = (
            Licence.objects.filter(case_id=case.parent_id, status=Licence.Status.VALID)
            .select_related("holder")
            .first()
        )
        if licence is None:
            raise Conflict(
                "营业执照尚未核发,不能刻制公章。",
                "The business licence has not been issued yet: seals cannot be engraved.",
                code="licence_not_issued",
            )
        holder = licence.holder
    return {"seals": seals, "enterprise": {"name": holder.name, "uscc": holder.uscc}}


def _on_deny(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    _need_reason(data, "不予许可理由")
    case.decided_at = _now()
    return _Outcome(notify="denied")


def _on_issue_result(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    event: dict[str, Any] = {}
    if case.status == Status.APPROVED and (
        case.implementation.result_type == ItemImplementation.ResultType.LICENCE
    ):
        from tongban.licences.actions import issue_licence_for_case

        holder = None
        # a case opened before the item took its form (or imported history) has none: its
        # applicant stays the holder, as it was when the case was opened
        if case.item.form_kind == FormKind.COMPANY_ESTABLISHMENT and case.form_data:
            holder = _establish_enterprise(case, ctx)
            event["enterprise"] = {"name": holder.name, "uscc": holder.uscc}
        licence = issue_licence_for_case(case, ctx.actor, holder=holder)
        event["licence"] = licence.identifier
    return _Outcome(notify="result_issued", event_data=event)


def _establish_enterprise(case: Case, ctx: _Context) -> Applicant:
    """The enterprise comes into being with its licence, registered in the handling place
    (its region code goes into the new 统一社会信用代码)."""
    from tongban.accounts.actions import register_established_enterprise

    form = case.form_data
    region = case.handling_jurisdiction.region
    return register_established_enterprise(
        ctx.actor,
        name=form["proposed_name"],
        region_code=region.code[:6],
        kind=uscc_type_char(form["enterprise_type"]),
        agent=case.applicant,
        address=form["address"],
    )


def _pickup_hash(case: Case, code: str) -> str:
    return hashlib.sha256(f"{case.number}:{code}".encode()).hexdigest()


def _issue_pickup_code(case: Case) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    case.pickup_code_hash = _pickup_hash(case, code)
    return code


def _on_ship(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    variant = ctx.transition.variant
    event: dict[str, Any] = {"method": variant}
    extra: dict[str, Any] = {}
    if variant in (ShipVariant.POST, ShipVariant.RECEIVING_WINDOW):
        carrier = _require(data.carrier, "carrier", "承运方")
        waybill = _require(data.waybill_number, "waybill_number", "运单号")
        to_applicant = variant == ShipVariant.POST
        address = (data.address or case.delivery_address).strip() if to_applicant else ""
        if to_applicant and not address:
            _require("", "address", "寄递地址")
        Shipment.objects.create(
            case=case,
            purpose=Shipment.Purpose.RESULT,
            destination=(
                Shipment.Destination.APPLICANT
                if to_applicant
                else Shipment.Destination.RECEIVING_WINDOW
            ),
            carrier=carrier,
            waybill_number=waybill,
            address=address,
            shipped_at=_now(),
        )
        event.update({"carrier": carrier, "waybill_number": waybill})
        extra.update({"carrier": carrier, "waybill_number": waybill})
    if variant == ShipVariant.HANDLING_WINDOW:
        code = _issue_pickup_code(case)
        return _Outcome(
            notify="ready_for_pickup", event_data=event, notify_extra={"pickup_code": code}
        )
    return _Outcome(
        notify="delivered" if variant == ShipVariant.ELECTRONIC else "shipped",
        event_data=event,
        notify_extra=extra,
    )


def _on_sign_for(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    Shipment.objects.filter(
        case=case, purpose=Shipment.Purpose.RESULT, state=Shipment.State.IN_TRANSIT
    ).update(state=Shipment.State.SIGNED, signed_at=_now())
    if ctx.transition.target == Status.AWAITING_PICKUP:
        code = _issue_pickup_code(case)
        return _Outcome(notify="ready_for_pickup", notify_extra={"pickup_code": code})
    return _Outcome(notify="delivered")


def _on_print_licence(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    """异地打照: the receiving window prints the paper licence from the signed e-licence,
    after checking its signatures, and the applicant collects it there with a pickup code.
    The event records who printed which licence (identifier, version, PDF digest) and
    which copy this is."""
    from tongban.licences.models import Licence
    from tongban.licences.selectors import VerificationStatus, verify_licence

    if case.delivery_method != DeliveryMethod.WINDOW:
        raise Conflict(
            "申请人未选择窗口领取,不能异地打照。",
            "The applicant did not choose pickup at the window.",
            code="not_window_delivery",
        )
    licence = (
        Licence.objects.filter(case=case, status=Licence.Status.VALID).order_by("-version").first()
    )
    if licence is None:
        raise Conflict(
            "该办件没有有效的电子证照可供打印。",
            "The case has no valid e-licence to print.",
            code="no_licence",
        )
    result = verify_licence(licence.identifier, pdf_bytes=bytes(licence.pdf))
    if result.status != VerificationStatus.VALID:
        raise Conflict(
            "电子证照核验未通过,不能打印。",
            "The e-licence failed verification and cannot be printed.",
            code="licence_not_valid",
            details={"status": result.status, "problems": result.problems},
        )
    copy = case.events.filter(action=Action.PRINT_LICENCE).count() + 1
    code = _issue_pickup_code(case)
    return _Outcome(
        notify="ready_for_pickup",
        event_data={
            "licence": licence.identifier,
            "version": licence.version,
            "pdf_sha256": licence.pdf_sha256,
            "copy": copy,
            "window": case.receiving_window.code if case.receiving_window else "",
            "verified": True,
        },
        notify_extra={"pickup_code": code},
    )


def _on_pickup(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    # the result waits at the receiving window if it was sent there or printed there (异地
    # 打照), else at the handling place
    waiting_at = (
        Leg.RECEIVING
        if case.events.filter(action__in=[Action.SIGN_FOR, Action.PRINT_LICENCE]).exists()
        and (case.receiving_jurisdiction_id is not None)
        else Leg.HANDLING
    )
    if ctx.leg != waiting_at:
        raise Forbidden(
            "结果不在您所在的窗口。",
            "The result is not waiting at your window.",
            code="action_not_permitted",
        )
    code = _require(data.pickup_code, "pickup_code", "取件码")
    if not case.pickup_code_hash or not secrets.compare_digest(
        case.pickup_code_hash, _pickup_hash(case, code.strip())
    ):
        raise Invalid("取件码不正确。", "The pickup code is wrong.", code="wrong_pickup_code")
    picker = normalise(_require(data.picker_id_number, "picker_id_number", "领取人身份号码"))
    allowed = {case.applicant.id_number, case.applicant.agent_id_number} - {""}
    if picker not in allowed:
        raise Invalid(
            "领取人身份与申请人或经办人不符。",
            "The person picking up is neither the applicant nor the agent.",
            code="identity_mismatch",
        )
    case.pickup_code_hash = ""
    event: dict[str, Any] = {"identity_checked": True}
    # 企业开办一件事: the seals engraved in the bundle are handed over with the licence
    seals = [
        seal
        for part in case.subcases.filter(
            item__form_kind=FormKind.SEAL_ENGRAVING,
            status__in=[Status.APPROVED, Status.RESULT_ISSUED, Status.DELIVERED, Status.COMPLETED],
        )
        for seal in part.form_data.get("seals", [])
    ]
    if seals:
        event["seals"] = seals
    return _Outcome(notify="delivered", event_data=event)


def _on_complete(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    outcomes = part_outcomes(case)
    if not guard_holds(ctx.transition.guard, outcomes.values()):
        open_subcases = [n for n, o in outcomes.items() if o == PartOutcome.OPEN]
        raise Conflict(
            "尚有联办子件未办结。",
            "Joint sub-cases are still open.",
            code="subcases_open",
            details={"subcases": open_subcases},
        )
    case.completed_at = _now()
    event, extra = _joint_outcome(case, outcomes)
    return _Outcome(notify="completed", event_data=event, notify_extra=extra)


def _joint_outcome(
    case: Case, outcomes: dict[str, PartOutcome]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the completion of a joint lead records and tells the applicant: every part's
    outcome, and for a partial completion (部分办结) which parts failed and why."""
    if not outcomes:
        return {}, {}
    failed = [number for number, o in outcomes.items() if o == PartOutcome.FAILED]
    event: dict[str, Any] = {
        "parts": {number: o.value for number, o in outcomes.items()},
        "partial": bool(failed),
    }
    if not failed:
        return event, {}
    lines = []
    for sub in case.subcases.filter(number__in=failed).select_related(
        "item", "handling_jurisdiction"
    ):
        last = sub.events.exclude(reason="").order_by("-seq").first()
        why = Status(sub.status).label if sub.status != Status.COMPLETED else "不予许可"
        lines.append(
            f"{sub.handling_jurisdiction.short_name}·{sub.item.name}({sub.number}):{why}"
            + (f",{last.reason}" if last is not None else "")
        )
    event["failed_parts"] = failed
    return event, {"failed_parts": lines}


def _complete_parent_if_ready(parent_id: int) -> None:
    """The lead of a joint case completes by itself once its own result is delivered and
    every part has ended, recording the parts that failed (ADR 0094). The move is the
    table's `complete` row, performed by the system."""
    parent = Case.objects.select_for_update().select_related("item").get(pk=parent_id)
    transition = find_transition(Action.COMPLETE, parent.status)
    outcomes = part_outcomes(parent)
    if transition is None or not guard_holds(transition.guard, outcomes.values()):
        return
    from_status = parent.status
    event, extra = _joint_outcome(parent, outcomes)
    parent.status = transition.target
    if transition.practice_code is not None:
        parent.practice_code = transition.practice_code
    parent.completed_at = _now()
    deadlines.clear_dates_for_final_state(parent)
    _append_event(
        parent,
        Action.COMPLETE,
        from_status,
        None,
        "system",
        None,
        parent.practice_code,
        "全部联办子件已结束" + ("(部分办结)" if event.get("partial") else ""),
        {"automatic": True, **event},
    )
    parent.save()
    _notify(parent, "completed", **extra)


def _end_open_parts(lead: Case, action: str, reason: str) -> None:
    """A joint lead that has just been terminated or withdrawn as a whole ends its parts
    that are still undecided, with the same action, by the table's rows (ADR 0094)."""
    if lead.mode != Mode.JOINT or lead.parent_id is not None:
        return
    for part in (
        lead.subcases.select_for_update()
        .select_related("item", "handling_jurisdiction")
        .exclude(status__in=FINAL_STATES)
        .order_by("pk")
    ):
        transition = cascade_for(action, lead.status, part.status)
        if transition is None:
            continue
        from_status = part.status
        part.status = transition.target
        if transition.practice_code is not None:
            part.practice_code = transition.practice_code
        deadlines.clear_dates_for_final_state(part)
        _append_event(
            part,
            action,
            from_status,
            None,
            "system",
            None,
            part.practice_code,
            f"联办主件{lead.number}已{Status(lead.status).label}"
            + (f":{reason}" if reason else ""),
            {"automatic": True, "lead": lead.number},
        )
        part.save()


def _on_withdraw(case: Case, data: ActionInput, ctx: _Context) -> _Outcome:
    if ctx.leg == Leg.RECEIVING:
        _need_reason(data, "撤回原因(代申请人撤回)")
    return _Outcome(notify="withdrawn", event_data={"on_behalf": ctx.leg == Leg.RECEIVING})


_HANDLERS: dict[Action, Callable[[Case, ActionInput, _Context], _Outcome]] = {
    Action.CHECK: _on_check,
    Action.REQUEST_SUPPLEMENT: _on_request_supplement,
    Action.SUPPLEMENT: _on_supplement,
    Action.TRANSFER: _on_transfer,
    Action.RECEIVE_TRANSFER: _on_receive_transfer,
    Action.RECEIVE_ORIGINALS: _on_receive_originals,
    Action.RETURN_ORIGINALS: _on_return_originals,
    Action.ACCEPT: _on_accept,
    Action.ACCEPT_WITH_COMMITMENT: _on_accept_with_commitment,
    Action.REFUSE: _on_refuse,
    Action.PAUSE: _on_pause,
    Action.RESUME: _on_resume,
    Action.EXTEND: _on_extend,
    Action.APPROVE: _on_approve,
    Action.DENY: _on_deny,
    Action.ISSUE_RESULT: _on_issue_result,
    Action.SHIP: _on_ship,
    Action.SIGN_FOR: _on_sign_for,
    Action.PICKUP: _on_pickup,
    Action.PRINT_LICENCE: _on_print_licence,
    Action.COMPLETE: _on_complete,
    Action.WITHDRAW: _on_withdraw,
    Action.TERMINATE: _on_terminate,
}


# ---------------------------------------------------------------- 超期预警 (ADR 0093)


def send_overdue_warnings(today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """The overdue-warning sweep (`tongban send-overdue-warnings`, run periodically): every
    open case that turned yellow or red and was not yet warned for that level and date
    gets an `OverdueAlert` row, an audit row and a staff notification in the outbox for
    the person responsible for its current step and the supervisors of both legs. One
    transaction per case; running it twice sends nothing new. Returns the alerts made."""
    from django.db.models import Exists, OuterRef, Q
    from django.db.models.functions import Coalesce, TruncDate

    from tongban.cases.models import OverdueAlert
    from tongban.cases.selectors import red_q

    today = today or deadlines.local_today()
    now = now or deadlines.local_now()

    def alerted(level: str, on: Any) -> Exists:
        return Exists(OverdueAlert.objects.filter(case=OuterRef("pk"), level=level, on=on))

    open_cases = Case.objects.exclude(status__in=FINAL_STATES)
    red = open_cases.filter(red_q(today, now)).exclude(alerted("red", OuterRef("overdue_on")))
    yellow = (
        open_cases.filter(Q(warn_on__lte=today) | Q(warn_at__lte=now))
        .exclude(red_q(today, now))
        # a 即办件's yellow is about the day of its warning time
        .annotate(
            yellow_on=Coalesce(
                "warn_on", TruncDate("warn_at", tzinfo=timezone.get_default_timezone())
            )
        )
        .exclude(alerted("yellow", OuterRef("yellow_on")))
    )
    made = 0
    for case_id in [*red.values_list("pk", flat=True), *yellow.values_list("pk", flat=True)]:
        made += _warn_case(case_id, today, now)
    return made


def _warn_case(case_id: int, today: dt.date, now: dt.datetime) -> int:
    from tongban.cases.models import OverdueAlert
    from tongban.cases.selectors import OverdueLevel, overdue_level_of
    from tongban.notifications.actions import queue_staff_notification

    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("item", "receiving_jurisdiction", "handling_jurisdiction")
            .get(pk=case_id)
        )
        level = overdue_level_of(case, today, now)
        if case.status in FINAL_STATES or level == OverdueLevel.GREEN:
            return 0  # moved on since the query
        on = (
            case.overdue_on
            if level == OverdueLevel.RED
            else case.warn_on or (timezone.localdate(case.warn_at) if case.warn_at else None)
        )
        if on is None or OverdueAlert.objects.filter(case=case, level=level, on=on).exists():
            return 0
        recipients = warning_recipients(case)
        OverdueAlert.objects.create(
            case=case,
            level=level,
            on=on,
            status=case.status,
            recipients=[user.pk for user, _ in recipients],
        )
        context = {
            "item_name": case.item.name,
            "level": level,
            "status_label": Status(case.status).label,
            "due_date": case.due_date,
            "due_at": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
            if case.due_at
            else None,
            "step_due_date": case.step_due_date,
            "receiving": str(case.receiving_jurisdiction or "—"),
            "handling": str(case.handling_jurisdiction),
        }
        for user, as_supervisor in recipients:
            queue_staff_notification(
                user, case, "overdue_warning", {**context, "as_supervisor": as_supervisor}
            )
        record_audit(
            None,
            "case.overdue_warning",
            case,
            f"{level} {case.number}",
            {"level": level, "on": on.isoformat(), "recipients": [u.pk for u, _ in recipients]},
        )
    return 1


def warning_recipients(case: Case) -> list[tuple[User, bool]]:
    """Who hears of a case turning yellow or red: the person responsible for the current
    step (the last staff member who acted on it in the jurisdiction whose move it is; if
    nobody has yet, everyone there holding a role that may make the move), then the
    supervisors (监督人员) of the receiving and the handling jurisdiction. `True` marks a
    supervisor."""
    from tongban.accounts.models import RoleAssignment

    staff_moves = [
        t
        for t in transitions_from(case.status)
        if t.action != Action.WITHDRAW and case.mode in t.modes
    ]
    jurisdictions: list[int] = []
    roles: set[str] = set()
    for t in staff_moves:
        if Leg.HANDLING in t.legs:
            jurisdictions.append(case.handling_jurisdiction_id)
        if Leg.RECEIVING in t.legs and case.receiving_jurisdiction_id is not None:
            jurisdictions.append(case.receiving_jurisdiction_id)
        roles |= set(t.roles)
    last = (
        case.events.filter(actor__isnull=False, actor_jurisdiction_id__in=jurisdictions)
        .exclude(actor_role__in=["applicant", "system"])
        .order_by("-seq")
        .select_related("actor")
        .first()
    )
    responsible: list[User] = []
    if last is not None and last.actor is not None and last.actor.is_active:
        responsible = [last.actor]
    elif jurisdictions:
        responsible = list(
            User.objects.filter(
                is_active=True,
                role_assignments__jurisdiction_id=jurisdictions[0],
                role_assignments__role__in=roles,
            )
            .distinct()
            .order_by("pk")
        )
    legs = [case.handling_jurisdiction_id]
    if case.receiving_jurisdiction_id is not None:
        legs.append(case.receiving_jurisdiction_id)
    supervisors = (
        User.objects.filter(
            is_active=True,
            pk__in=RoleAssignment.objects.filter(
                role=Role.SUPERVISOR, jurisdiction_id__in=legs
            ).values("user_id"),
        )
        .exclude(pk__in=[u.pk for u in responsible])
        .order_by("pk")
    )
    return [(u, False) for u in responsible] + [(u, True) for u in supervisors]
