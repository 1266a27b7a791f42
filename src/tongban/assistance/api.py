"""/api/v1/cases/{number}/assistance: 帮办代办 records of a case (read: whoever reads the
case; write: window staff of the receiving place)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tongban.assistance import actions, selectors
from tongban.assistance.models import AssistanceRecord
from tongban.cases.selectors import get_case_for
from tongban.core.inputs import Column, Id, LocalDateTime, Note, Text

router = Router(tags=["assistance 帮办代办"])


class AssistanceIn(Schema):
    role: Annotated[str, Column(AssistanceRecord, "role", required=True)] = Field(
        ..., description="help 帮办 / act 代办"
    )
    steps: list[Annotated[str, Text(32)]] = Field(
        ..., max_length=16, description="fill_form / scan / submit / follow_up / collect_result"
    )
    consent_method: Annotated[str, Column(AssistanceRecord, "consent_method", required=True)] = (
        Field(..., description="window_signature / portal")
    )
    consent_at: LocalDateTime | None = Field(
        None, description="默认为登记时间;不带时区偏移时按北京时间"
    )
    note: Note = ""
    consultation_id: Id | None = None


class AssistanceOut(Schema):
    id: int
    case_number: str
    consultation_id: int | None
    jurisdiction: str
    helper: str
    role: str
    steps: list[str]
    consent_method: str
    consent_at: dt.datetime
    note: str
    recorded_at: dt.datetime


def _out(case_number: str, r: AssistanceRecord) -> dict:
    return {
        "id": r.pk,
        "case_number": case_number,
        "consultation_id": r.consultation_id,
        "jurisdiction": r.jurisdiction.code,
        "helper": str(r.helper),
        "role": r.role,
        "steps": r.steps,
        "consent_method": r.consent_method,
        "consent_at": r.consent_at,
        "note": r.note,
        "recorded_at": r.recorded_at,
    }


@router.get(
    "/cases/{number}/assistance", response=list[AssistanceOut], summary="办件的帮办代办记录"
)
def list_assistance(request: HttpRequest, number: str) -> list[dict]:
    case = get_case_for(request.user, number)
    return [_out(number, r) for r in selectors.assistance_of_case(request.user, case)]


@router.post("/cases/{number}/assistance", response={201: AssistanceOut}, summary="登记帮办代办")
def record_assistance(request: HttpRequest, number: str, payload: AssistanceIn) -> Status:
    record = actions.record_assistance(
        request.user,
        number,
        actions.AssistanceInput(
            role=payload.role,
            steps=payload.steps,
            consent_method=payload.consent_method,
            consent_at=payload.consent_at,
            note=payload.note,
            consultation_id=payload.consultation_id,
        ),
    )
    return Status(201, _out(number, record))
