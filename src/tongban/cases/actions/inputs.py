"""What the callers of the case actions pass in.

`SubmitInput` (a plain dataclass) opens a case (`submission.submit_case`); `ActionInput`
carries everything any move may take (`transitions.perform_case_action`), each move
reading what it needs. `ActionInput` is the input contract itself (a pydantic model, as
the API's schemas are): the API body, the web form parsing and the dialogs' field lists
derive from it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, Field

from tongban.accounts.models import Applicant
from tongban.cases.models import Case, CaseMaterial, Shipment
from tongban.cases.workflow import Action
from tongban.core.errors import Invalid, StrOrPromise
from tongban.core.inputs import MAX_LIST_ITEMS, Column, Id, Note, Text


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


# a checklist line the clerk left unticked: refused when the material is required
NOT_CHECKED = ""


@dataclass
class MaterialInput:
    material_id: int
    # a CaseMaterial.State, or NOT_CHECKED
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
    # the receiving clerk confirms the formal and identity check (形式审查与身份核验) as he
    # receives: the `check` move of the table follows the receipt in the same transaction
    # (issue 15 §6: the separate step only repeated the intake check)
    check_at_receipt: bool = False

    def fingerprint(self) -> str:
        raw = json.dumps(self, default=lambda o: o.__dict__, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class RequiredWhen:
    """A field of `SubmitInput` that must be filled in when another has a value (邮政寄递
    needs an address). The one definition of the rule: the submission enforces it, and
    the pages render it as data attributes so the browser checks it before submit too
    (ADR 0123)."""

    field: str
    when: str
    value: str
    label: StrOrPromise

    def applies(self, data: Any) -> bool:
        return getattr(data, self.when) == self.value and not getattr(data, self.field).strip()

    def error(self) -> Invalid:
        return Invalid(
            _("%(label)s is required."),
            code="missing_field",
            details={"field": self.field},
            params={"label": self.label},
        )


REQUIRED_WHEN: tuple[RequiredWhen, ...] = (
    RequiredWhen("delivery_address", "delivery_method", "post", _("The delivery address")),
)


# the longest extension, supplement or commitment period any action allows is far below
MAX_DAYS = 365


@dataclass(frozen=True)
class ReadBy:
    """Pydantic metadata of an input: its official Chinese name (for messages about it)
    and the moves that read it, whose web dialogs ask for it (`fields_of`). Pydantic
    itself ignores it."""

    label: str
    actions: tuple[Action, ...]


def read_by(label: str, *actions: Action) -> ReadBy:
    return ReadBy(label, actions)


def label_of(name: str) -> str:
    """The Chinese name of an input of `ActionInput`."""
    return next(m.label for m in ActionInput.model_fields[name].metadata if isinstance(m, ReadBy))


class ActionInput(BaseModel):
    """Everything any action may take; each action reads what it needs and rejects
    what is missing (Invalid, 422) before anything is written.

    The one declaration of this contract: its types bound every value (core.inputs,
    lengths from the columns the values are stored in, ADR 0090); the API's body
    (`cases.api.CaseActionIn`), the web dialogs' parsing (`web.forms.action_input`) and
    the fields each dialog asks for (`fields_of`) derive from it."""

    reason: Annotated[
        Note,
        read_by(
            "理由",
            Action.REQUEST_SUPPLEMENT,
            Action.REFUSE,
            Action.PAUSE,
            Action.EXTEND,
            Action.APPROVE,
            Action.DENY,
            Action.WITHDRAW,
            Action.TERMINATE,
        ),
    ] = ""
    missing: Annotated[list[Id], read_by("补正材料", Action.REQUEST_SUPPLEMENT)] = Field(
        default=[],
        max_length=MAX_LIST_ITEMS,
        description="material ids to supplement (request_supplement)",
    )
    provided: Annotated[list[Id], read_by("已补正材料", Action.SUPPLEMENT)] = Field(
        default=[], max_length=MAX_LIST_ITEMS, description="material ids supplemented (supplement)"
    )
    days: Annotated[
        int | None,
        read_by("天数", Action.REQUEST_SUPPLEMENT, Action.ACCEPT_WITH_COMMITMENT, Action.EXTEND),
    ] = Field(
        default=None, ge=0, le=MAX_DAYS, description="extension / supplement / commitment days"
    )
    method: Annotated[
        Annotated[str, Text(16, required=True)] | None,
        read_by("送达方式", Action.RETURN_ORIGINALS, Action.SHIP),
    ] = Field(
        default=None, description="ship: post | window | electronic (default: the case's choice)"
    )
    carrier: Annotated[
        str,
        Column(Shipment, "carrier"),
        read_by("承运方", Action.TRANSFER, Action.RETURN_ORIGINALS, Action.SHIP),
    ] = ""
    waybill_number: Annotated[
        str,
        Column(Shipment, "waybill_number"),
        read_by("运单号", Action.TRANSFER, Action.RETURN_ORIGINALS, Action.SHIP),
    ] = ""
    address: Annotated[
        str, Column(Shipment, "address"), read_by("寄递地址", Action.RETURN_ORIGINALS, Action.SHIP)
    ] = ""
    pickup_code: Annotated[str, Text(16), read_by("取件码", Action.PICKUP)] = ""
    picker_id_number: Annotated[
        str, Column(Applicant, "id_number"), read_by("领取人身份号码", Action.PICKUP)
    ] = ""
    competent_authority: Annotated[
        str, Column(Case, "competent_authority"), read_by("有权受理机关", Action.REFUSE)
    ] = ""
    discrepancies: Annotated[
        str, Text(255), read_by("差异说明", Action.RECEIVE_TRANSFER, Action.RECEIVE_ORIGINALS)
    ] = Field(
        default="", description="receive_transfer / receive_originals: what differs (max 255)"
    )
    mismatch: Annotated[bool, read_by("原件与电子材料不符", Action.RECEIVE_ORIGINALS)] = Field(
        default=False, description="receive_originals: the paper differs from the electronic file"
    )


def fields_of(action: str, case: Case | None = None) -> tuple[str, ...]:
    """The inputs `action` reads, in the contract's order: what its dialog asks for (the
    action itself decides which are required). Given the case, a transfer without paper
    originals asks for nothing (no waybill: the file is pushed electronically)."""
    if action == Action.TRANSFER and case is not None and not case.implementation.needs_originals:
        return ()
    return tuple(
        name
        for name, info in ActionInput.model_fields.items()
        if any(isinstance(m, ReadBy) and action in m.actions for m in info.metadata)
    )


# every move after submission, with the inputs it reads
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    action: fields_of(action) for action in Action if action != Action.SUBMIT
}
