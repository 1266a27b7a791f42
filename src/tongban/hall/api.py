"""/api/v1/public/...: the service guides and opening hours without login (ADR 0108);
/api/v1/appointments, /api/v1/tickets, /api/v1/windows/{id}/call-next: the hall."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tongban.agreements.models import Agreement
from tongban.cases import deadlines
from tongban.catalog.models import ServiceItem
from tongban.centres.hours import days_ahead, weekly_table
from tongban.core.api_errors import ErrorOut
from tongban.core.inputs import Column, Id, QueryText
from tongban.hall import guides
from tongban.hall.schemas import (
    AgreementGuideOut,
    AgreementSummaryOut,
    CentreHoursOut,
    GuideItemOut,
    ItemGuideOut,
)

router = Router(tags=["hall 政务服务大厅:办事指南、预约、排队叫号"])

ItemCode = Annotated[str, Column(ServiceItem, "code")]


class GuideFilter(Schema):
    q: QueryText | None = Field(default=None, description="name, code or pinyin initials")


@router.get(
    "/public/guides/items",
    auth=None,
    response={200: list[GuideItemOut], 422: ErrorOut},
    summary="办事指南事项列表(无需登录) / Items with a public service guide",
)
def guide_items(request: HttpRequest, filters: Query[GuideFilter]) -> list[GuideItemOut]:
    items = guides.public_items(deadlines.local_today(), filters.q)[:200]
    return [GuideItemOut.of(i) for i in items]


class ItemGuideFilter(Schema):
    jurisdiction: QueryText | None = Field(
        default=None, description="only this jurisdiction's version"
    )


@router.get(
    "/public/guides/items/{code}",
    auth=None,
    response={200: ItemGuideOut, 404: ErrorOut, 422: ErrorOut},
    summary="办事指南(各地实施对照) / The service guide of an item, jurisdictions side by side",
)
def guide_item(
    request: HttpRequest, code: ItemCode, filters: Query[ItemGuideFilter]
) -> ItemGuideOut:
    guide = guides.item_guide(code, deadlines.local_today(), filters.jurisdiction)
    return ItemGuideOut.of(guide)


@router.get(
    "/public/guides/agreements",
    auth=None,
    response=list[AgreementSummaryOut],
    summary="生效的合作协议 / Agreements in force",
)
def guide_agreements(request: HttpRequest) -> list[AgreementSummaryOut]:
    return [AgreementSummaryOut.of(a) for a in guides.public_agreements(deadlines.local_today())]


@router.get(
    "/public/guides/agreements/{code}",
    auth=None,
    response={200: AgreementGuideOut, 404: ErrorOut, 422: ErrorOut},
    summary="通办事项清单 / The item list of an agreement in force",
)
def guide_agreement(
    request: HttpRequest, code: Annotated[str, Column(Agreement, "code")]
) -> AgreementGuideOut:
    return AgreementGuideOut.of_guide(guides.agreement_guide(code, deadlines.local_today()))


class HoursFilter(Schema):
    start: dt.date | None = Field(default=None, description="first day (default today)")
    days: int = Field(default=14, ge=1, le=62, description="1–62")


@router.get(
    "/public/centres/{centre_id}/hours",
    auth=None,
    response={200: CentreHoursOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="办公时间与错时延时 / Opening hours of a centre, day by day on its calendar",
)
def centre_hours(
    request: HttpRequest, centre_id: Id, filters: Query[HoursFilter]
) -> CentreHoursOut:
    centre = guides.get_public_centre(centre_id)
    start = filters.start or deadlines.local_today()
    return CentreHoursOut.of(centre, weekly_table(centre), days_ahead(centre, start, filters.days))
