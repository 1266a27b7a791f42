"""Service catalogue API: search the basic catalogue and read an item's published
implementations (materials checklist, limits, fee, modes). Read-only; changes go through
the admin (catalog.actions)."""

# no `from __future__ import annotations`: Django Ninja reads the parameter annotations
# (Query[...] under @paginate) at import time.
import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from tongban.catalog.models import ItemImplementation, Material, ServiceItem
from tongban.catalog.selectors import (
    get_implementation_for,
    get_item_for,
    get_jurisdiction,
    item_implementations,
)
from tongban.catalog.selectors import search_items as search_items_selector
from tongban.core.api_errors import ErrorOut
from tongban.core.inputs import Id, Limit, Offset, QueryText

router = Router(tags=["事项目录 catalogue"])


class Pagination(LimitOffsetPagination):
    """limit (1–200, default 20) and offset; the answer carries `count`."""

    class Input(Schema):
        limit: Limit = 20
        offset: Offset = 0


class JurisdictionRef(Schema):
    code: str
    name: str
    short_name: str


class PublishedAt(Schema):
    """A jurisdiction that publishes the item, with the version in force there."""

    jurisdiction: JurisdictionRef
    version: int
    modes: list[str]


class ItemFacts(Schema):
    """What a list and a detail both say about an item."""

    code: str
    name: str
    pinyin_initials: str
    item_type: str
    item_type_label: str
    department_kind: str
    department_kind_label: str
    high_frequency: bool


class ItemSummary(ItemFacts):
    jurisdictions: list[PublishedAt]

    @staticmethod
    def resolve_item_type_label(obj: ServiceItem) -> str:
        return obj.get_item_type_display()

    @staticmethod
    def resolve_department_kind_label(obj: ServiceItem) -> str:
        return obj.get_department_kind_display()

    @staticmethod
    def resolve_jurisdictions(obj: ServiceItem) -> list[ItemImplementation]:
        return list(getattr(obj, "published_versions", []))


class MaterialOut(Schema):
    id: int = Field(..., description="material id, as used in POST /cases materials")
    position: int
    name: str
    requirement: str
    requirement_label: str
    form: str
    form_label: str
    copies: int
    licence_type_code: str
    note: str

    @staticmethod
    def resolve_requirement_label(obj: Material) -> str:
        return obj.get_requirement_display()

    @staticmethod
    def resolve_form_label(obj: Material) -> str:
        return obj.get_form_display()


class DepartmentRef(Schema):
    name: str
    kind: str


class ImplementationOut(Schema):
    id: int
    jurisdiction: JurisdictionRef
    department: DepartmentRef
    version: int
    implementation_code: str
    legal_basis: str
    conditions: str
    statutory_limit_days: int
    promised_limit_days: int
    promised_limit_hours: int | None = None
    fee: Decimal
    result_type: str
    result_name: str
    licence_type_code: str
    modes: list[str]
    channels: list[str]
    delivery_methods: list[str]
    needs_originals: bool
    originals_before_acceptance: bool
    valid_from: dt.date | None
    valid_to: dt.date | None
    published_at: dt.datetime | None
    materials: list[MaterialOut]

    @staticmethod
    def resolve_materials(obj: ItemImplementation) -> list[Material]:
        return list(obj.materials.all())


class ItemRef(Schema):
    code: str
    name: str


class ImplementationDetail(ImplementationOut):
    """One version, whatever its status (drafts only for those who may edit them)."""

    item: ItemRef
    status: str
    status_label: str

    @staticmethod
    def resolve_status_label(obj: ItemImplementation) -> str:
        return obj.get_status_display()


class ItemDetail(ItemFacts):
    description: str
    implementations: list[ImplementationOut]


class ItemFilters(Schema):
    q: QueryText | None = Field(None, description="名称包含 / 编码前缀 / 拼音首字母前缀")
    jurisdiction: QueryText | None = Field(None, description="管辖地代码:只列该地已发布的事项")
    department: QueryText | None = Field(None, description="主管部门类别,如 market_regulation")
    mode: QueryText | None = Field(None, description="通办模式:online / proxy / joint")


@router.get(
    "/items",
    response={200: list[ItemSummary], 404: ErrorOut},
    summary="搜索事项 / Search service items",
)
@paginate(Pagination)
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> Any:
    jurisdiction = get_jurisdiction(filters.jurisdiction) if filters.jurisdiction else None
    return search_items_selector(
        request.user,
        q=filters.q,
        jurisdiction=jurisdiction,
        department_kind=filters.department,
        mode=filters.mode,
    )


@router.get(
    "/items/{code}",
    response={200: ItemDetail, 404: ErrorOut},
    summary="事项详情与各地实施清单 / Item with published implementations",
)
def get_item(request: HttpRequest, code: str) -> Any:
    item = get_item_for(request.user, code)
    return {
        "code": item.code,
        "name": item.name,
        "pinyin_initials": item.pinyin_initials,
        "item_type": item.item_type,
        "item_type_label": item.get_item_type_display(),
        "department_kind": item.department_kind,
        "department_kind_label": item.get_department_kind_display(),
        "high_frequency": item.high_frequency,
        "description": item.description,
        "implementations": item_implementations(item),
    }


@router.get(
    "/implementations/{implementation_id}",
    response={200: ImplementationDetail, 404: ErrorOut},
    summary="实施清单某一版本 / One implementation version",
)
def get_implementation(request: HttpRequest, implementation_id: Id) -> Any:
    return get_implementation_for(request.user, implementation_id)
