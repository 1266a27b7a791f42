"""What the callers of the case actions pass in: plain dataclasses, one per kind of call.

`SubmitInput` opens a case (`submission.submit_case`); `ActionInput` carries everything any
move may take (`transitions.perform_case_action`), each move reading what it needs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tongban.cases.models import (
    CaseMaterial,
)


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
