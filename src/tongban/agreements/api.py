"""Cooperation agreements API: the scoped list, one agreement with its items, directions
and version history, and the routes open to a receiving window for an item. Read-only;
changes go through the admin (agreements.actions)."""

# no `from __future__ import annotations`: Django Ninja reads the parameter annotations
# (Query[...] under @paginate) at import time.
import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from tongban.accounts.access import is_platform_admin, jurisdictions_with
from tongban.agreements.models import Agreement, AgreementItem, AgreementParty
from tongban.agreements.selectors import (
    agreement_history,
    agreement_list,
    agreement_versions,
    get_agreement_for,
    routes,
)

# one schema per concept across the API: the catalogue's references and pagination
from tongban.catalog.api import ItemRef, JurisdictionRef, Pagination
from tongban.catalog.models import Mode
from tongban.catalog.selectors import get_item_for, get_jurisdiction
from tongban.core.api_errors import ErrorOut
from tongban.core.inputs import QueryText, Version
from tongban.core.masking import mask_phone

router = Router(tags=["合作协议 agreements"])

MODE_LABELS = {code: str(label) for code, label in Mode.choices}


class PartyOut(Schema):
    jurisdiction: JurisdictionRef
    signatory: str
    liaison_name: str
    liaison_phone: str


class AgreementSummary(Schema):
    code: str
    version: int
    title: str
    status: str
    status_label: str
    in_force: bool
    signed_on: dt.date | None
    valid_from: dt.date
    valid_to: dt.date | None
    parties: list[PartyOut]
    item_count: int

    @staticmethod
    def resolve_status_label(obj: Agreement) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_in_force(obj: Agreement) -> bool:
        return _in_force(obj)

    @staticmethod
    def resolve_parties(obj: Agreement) -> list[dict[str, Any]]:
        # lists never show full phone numbers
        return [_party(p, full_phone=False) for p in obj.parties.all()]


class AgreementItemOut(Schema):
    item: ItemRef
    modes: list[str]
    receiving_jurisdictions: list[JurisdictionRef] = Field(description="可收件方;空表示全部成员")
    handling_jurisdictions: list[JurisdictionRef] = Field(description="可办理方;空表示全部成员")


class VersionOut(Schema):
    version: int
    status: str
    status_label: str
    valid_from: dt.date
    valid_to: dt.date | None


class EventOut(Schema):
    version: int
    at: dt.datetime
    action: str
    note: str
    actor: str | None


class AgreementDetail(Schema):
    code: str
    version: int
    title: str
    status: str
    status_label: str
    in_force: bool
    signed_on: dt.date | None
    valid_from: dt.date
    valid_to: dt.date | None
    supersedes_version: int | None
    notes: str
    parties: list[PartyOut]
    items: list[AgreementItemOut]
    versions: list[VersionOut]
    events: list[EventOut]


class RouteOut(Schema):
    handling_jurisdiction: JurisdictionRef
    mode: str
    mode_label: str
    agreement_code: str
    agreement_version: int
    implementation_id: int
    implementation_version: int
    promised_limit_days: int
    statutory_limit_days: int
    needs_originals: bool


class AgreementFilters(Schema):
    party: QueryText | None = Field(None, description="管辖地代码:只列该地参与的协议")


class RouteQuery(Schema):
    item: QueryText = Field(..., description="事项基本编码")
    receiving: QueryText = Field(..., description="收件管辖地代码")
    on: dt.date | None = Field(None, description="日期,默认今天")


def _in_force(agreement: Agreement, on: dt.date | None = None) -> bool:
    on = on or timezone.localdate()
    return (
        agreement.status == Agreement.Status.ACTIVE
        and agreement.valid_from <= on
        and (agreement.valid_to is None or agreement.valid_to >= on)
    )


def _jurisdiction(j: Any) -> dict[str, str]:
    return {"code": j.code, "name": j.name, "short_name": j.short_name}


def _party(party: AgreementParty, *, full_phone: bool) -> dict[str, Any]:
    return {
        "jurisdiction": _jurisdiction(party.jurisdiction),
        "signatory": party.signatory,
        "liaison_name": party.liaison_name,
        "liaison_phone": party.liaison_phone if full_phone else mask_phone(party.liaison_phone),
    }


def _agreement_item(row: AgreementItem) -> dict[str, Any]:
    return {
        "item": {"code": row.item.code, "name": row.item.name},
        "modes": row.modes,
        "receiving_jurisdictions": [_jurisdiction(j) for j in row.receiving_jurisdictions.all()],
        "handling_jurisdictions": [_jurisdiction(j) for j in row.handling_jurisdictions.all()],
    }


@router.get(
    "/agreements",
    response={200: list[AgreementSummary]},
    summary="合作协议列表 / Agreements",
)
@paginate(Pagination)
def list_agreements(request: HttpRequest, filters: Query[AgreementFilters]) -> Any:
    party = get_jurisdiction(filters.party) if filters.party else None
    return agreement_list(request.user, party=party)


@router.get(
    "/agreements/{code}",
    response={200: AgreementDetail, 404: ErrorOut},
    summary="协议详情与版本历史 / Agreement with items and history",
)
def get_agreement(request: HttpRequest, code: str, version: Version | None = None) -> Any:
    user = request.user
    agreement = get_agreement_for(user, code, version)
    parties = list(agreement.parties.all())
    # liaison phones in full only for the platform admin and staff of a party
    full_phone = is_platform_admin(user) or bool(
        jurisdictions_with(user) & {p.jurisdiction_id for p in parties}
    )
    staff = bool(jurisdictions_with(user)) or is_platform_admin(user)
    supersedes = agreement.supersedes
    return {
        "code": agreement.code,
        "version": agreement.version,
        "title": agreement.title,
        "status": agreement.status,
        "status_label": agreement.get_status_display(),
        "in_force": _in_force(agreement),
        "signed_on": agreement.signed_on,
        "valid_from": agreement.valid_from,
        "valid_to": agreement.valid_to,
        "supersedes_version": supersedes.version if supersedes else None,
        "notes": agreement.notes,
        "parties": [_party(p, full_phone=full_phone) for p in parties],
        "items": [_agreement_item(row) for row in agreement.items.all()],
        "versions": [
            {
                "version": v.version,
                "status": v.status,
                "status_label": v.get_status_display(),
                "valid_from": v.valid_from,
                "valid_to": v.valid_to,
            }
            for v in agreement_versions(user, code)
        ],
        "events": [
            {
                "version": e.agreement.version,
                "at": e.at,
                "action": e.action,
                "note": e.note,
                "actor": str(e.actor) if staff and e.actor else None,
            }
            for e in agreement_history(user, code)
        ],
    }


@router.get(
    "/routes",
    response={200: list[RouteOut], 404: ErrorOut},
    summary="可通办路线 / Routes open to a receiving window",
)
def list_routes(request: HttpRequest, query: Query[RouteQuery]) -> Any:
    item = get_item_for(request.user, query.item)
    receiving = get_jurisdiction(query.receiving)
    return [
        {
            "handling_jurisdiction": _jurisdiction(route.handling),
            "mode": route.mode,
            "mode_label": MODE_LABELS.get(route.mode, route.mode),
            "agreement_code": route.agreement.code,
            "agreement_version": route.agreement.version,
            "implementation_id": route.implementation.pk,
            "implementation_version": route.implementation.version,
            "promised_limit_days": route.implementation.promised_limit_days,
            "statutory_limit_days": route.implementation.statutory_limit_days,
            "needs_originals": route.implementation.needs_originals,
        }
        for route in routes(item, receiving, query.on or timezone.localdate())
    ]
