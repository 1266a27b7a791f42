"""/api/v1/consultations: record, forward (首问负责), answer, close; scoped reads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from tongban.accounts.models import Applicant
from tongban.catalog.models import ServiceItem
from tongban.consultations import actions, selectors
from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.core.errors import Invalid
from tongban.core.inputs import (
    Column,
    Id,
    Limit,
    Note,
    Offset,
    QueryText,
    RequiredNote,
)
from tongban.core.masking import mask_name, mask_phone
from tongban.regions.models import Jurisdiction

router = Router(tags=["consultations 咨询"])


class JurisdictionRef(Schema):
    code: str
    name: str


class ConsultationOut(Schema):
    id: int
    channel: str
    status: str
    jurisdiction: JurisdictionRef
    forwarded_to: JurisdictionRef | None
    answered_in: JurisdictionRef | None
    item_code: str | None
    item_name: str | None
    topic: str
    question: str
    answer: str
    asker_name: str
    asker_phone: str
    asked_at: dt.datetime
    forwarded_at: dt.datetime | None
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None


class ConsultationEventOut(Schema):
    seq: int
    action: str
    from_status: str
    to_status: str
    actor: str | None
    jurisdiction: str | None
    at: dt.datetime
    note: str
    data: dict


class ConsultationDetailOut(ConsultationOut):
    events: list[ConsultationEventOut]


class ConsultationPage(Schema):
    count: int
    items: list[ConsultationOut]


JurisdictionCode = Annotated[str, Column(Jurisdiction, "code", required=True)]


class ConsultationIn(Schema):
    jurisdiction: JurisdictionCode = Field(..., description="首问管辖地代码")
    channel: Annotated[str, Column(Consultation, "channel", required=True)] = Field(
        ..., description="window / hotline / online / terminal"
    )
    topic: Annotated[str, Column(Consultation, "topic", required=True)]
    question: RequiredNote
    item: Annotated[str, Column(ServiceItem, "code")] | None = Field(
        None, description="事项基本编码"
    )
    applicant_id: Id | None = None
    asker_name: Annotated[str, Column(Consultation, "asker_name")] = ""
    asker_phone: Annotated[str, Column(Consultation, "asker_phone")] = ""
    answer: Note = Field("", description="当场答复时填写")


class ForwardIn(Schema):
    to_jurisdiction: JurisdictionCode
    note: Note = ""


class AnswerIn(Schema):
    answer: RequiredNote


class CloseIn(Schema):
    note: Note = ""


def _ref(j: Jurisdiction | None) -> dict | None:
    return {"code": j.code, "name": j.name} if j is not None else None


def _out(c: Consultation) -> dict:
    return {
        "id": c.pk,
        "channel": c.channel,
        "status": c.status,
        "jurisdiction": _ref(c.jurisdiction),
        "forwarded_to": _ref(c.forwarded_to),
        "answered_in": _ref(c.answered_in),
        "item_code": c.item.code if c.item else None,
        "item_name": c.item.name if c.item else None,
        "topic": c.topic,
        "question": c.question,
        "answer": c.answer,
        "asker_name": mask_name(c.asker_name),
        "asker_phone": mask_phone(c.asker_phone),
        "asked_at": c.asked_at,
        "forwarded_at": c.forwarded_at,
        "answered_at": c.answered_at,
        "closed_at": c.closed_at,
    }


def _event_out(e: ConsultationEvent) -> dict:
    return {
        "seq": e.seq,
        "action": e.action,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "actor": str(e.actor) if e.actor else None,
        "jurisdiction": e.actor_jurisdiction.code if e.actor_jurisdiction else None,
        "at": e.at,
        "note": e.note,
        "data": e.data,
    }


def _detail(request: HttpRequest, consultation_id: Id) -> dict:
    c = selectors.get_consultation_for(request.user, consultation_id)
    body = _out(c)
    body["events"] = [_event_out(e) for e in selectors.consultation_events(c)]
    return body


def _jurisdiction(code: str) -> Jurisdiction:
    j = Jurisdiction.objects.filter(code=code).first()
    if j is None:
        raise Invalid(_("Unknown jurisdiction code."), details={"code": code})
    return j


@router.get("/consultations", response=ConsultationPage, summary="咨询列表")
def list_consultations(
    request: HttpRequest,
    status: QueryText | None = None,
    jurisdiction: QueryText | None = None,
    channel: QueryText | None = None,
    item: QueryText | None = None,
    q: QueryText | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    qs = selectors.list_consultations(
        request.user,
        status=status,
        jurisdiction_code=jurisdiction,
        channel=channel,
        item_code=item,
        search=q,
    )
    return {"count": qs.count(), "items": [_out(c) for c in qs[offset : offset + limit]]}


@router.post("/consultations", response={201: ConsultationDetailOut}, summary="登记咨询")
def create_consultation(request: HttpRequest, payload: ConsultationIn) -> Status:
    item = None
    if payload.item:
        item = ServiceItem.objects.filter(code=payload.item).first()
        if item is None:
            raise Invalid(_("Unknown item code."), details={"item": payload.item})
    applicant = None
    if payload.applicant_id is not None:
        applicant = Applicant.objects.filter(pk=payload.applicant_id).first()
        if applicant is None:
            raise Invalid(_("Unknown applicant."))
    c = actions.record_consultation(
        request.user,
        jurisdiction=_jurisdiction(payload.jurisdiction),
        channel=payload.channel,
        topic=payload.topic,
        question=payload.question,
        item=item,
        applicant=applicant,
        asker_name=payload.asker_name,
        asker_phone=payload.asker_phone,
        answer=payload.answer,
    )
    return Status(201, _detail(request, c.pk))


@router.get("/consultations/{consultation_id}", response=ConsultationDetailOut, summary="咨询详情")
def get_consultation(request: HttpRequest, consultation_id: Id) -> dict:
    return _detail(request, consultation_id)


@router.post(
    "/consultations/{consultation_id}/forward",
    response=ConsultationDetailOut,
    summary="转办(首问负责)",
)
def forward(request: HttpRequest, consultation_id: Id, payload: ForwardIn) -> dict:
    actions.forward_consultation(
        request.user, consultation_id, _jurisdiction(payload.to_jurisdiction), payload.note
    )
    return _detail(request, consultation_id)


@router.post(
    "/consultations/{consultation_id}/answer", response=ConsultationDetailOut, summary="答复"
)
def answer(request: HttpRequest, consultation_id: Id, payload: AnswerIn) -> dict:
    actions.answer_consultation(request.user, consultation_id, payload.answer)
    return _detail(request, consultation_id)


@router.post(
    "/consultations/{consultation_id}/close", response=ConsultationDetailOut, summary="办结"
)
def close(request: HttpRequest, consultation_id: Id, payload: CloseIn) -> dict:
    actions.close_consultation(request.user, consultation_id, payload.note)
    return _detail(request, consultation_id)
