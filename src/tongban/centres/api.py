"""Service centres and their windows, and one jurisdiction with its departments and
centres: public master data for any logged-in user."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tongban.centres.schemas import ServiceCentreOut
from tongban.centres.selectors import get_jurisdiction_detail_for, readable_centres
from tongban.core.api_errors import ErrorOut
from tongban.core.inputs import QueryText
from tongban.regions.api import JurisdictionOut
from tongban.regions.selectors import get_jurisdiction_for

router = Router(tags=["centres 政务服务中心与窗口"])


class DepartmentOut(Schema):
    kind: str
    kind_label: str
    name: str
    uscc: str


class JurisdictionDetailOut(JurisdictionOut):
    departments: list[DepartmentOut]
    service_centres: list[ServiceCentreOut]


class CentreFilter(Schema):
    jurisdiction: QueryText | None = Field(
        default=None, description="jurisdiction code; default: every active jurisdiction"
    )


@router.get(
    "/centres",
    response={200: list[ServiceCentreOut], 404: ErrorOut},
    summary="政务服务中心及窗口 / service centres with windows and opening hours",
)
def list_centres(request: HttpRequest, filters: Query[CentreFilter]) -> list[ServiceCentreOut]:
    jurisdiction = None
    if filters.jurisdiction:
        jurisdiction = get_jurisdiction_for(request.user, filters.jurisdiction)
    centres = readable_centres(request.user, jurisdiction)
    return [ServiceCentreOut.from_centre(c) for c in centres]


@router.get(
    "/jurisdictions/{code}",
    response={200: JurisdictionDetailOut, 404: ErrorOut},
    summary="管辖地详情(部门、政务服务中心与窗口)/ one jurisdiction",
    # the endpoint moved here from regions (which sits below centres, ADR 0103); its tag
    # and operation id stay those of the jurisdiction list so that clients see no change
    tags=["regions 行政区划与管辖地"],
    operation_id="tongban_regions_api_get_jurisdiction",
)
def get_jurisdiction(request: HttpRequest, code: str) -> JurisdictionDetailOut:
    j = get_jurisdiction_detail_for(request.user, code)
    base = JurisdictionOut.from_jurisdiction(j)
    return JurisdictionDetailOut(
        **base.model_dump(),
        departments=[
            DepartmentOut(kind=d.kind, kind_label=d.get_kind_display(), name=d.name, uscc=d.uscc)
            for d in j.departments.all()
        ],
        service_centres=[
            ServiceCentreOut.from_centre(c, jurisdiction=j) for c in j.service_centres.all()
        ],
    )
