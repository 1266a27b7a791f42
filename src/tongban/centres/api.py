"""Service centres and their windows: public master data for any logged-in user."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tongban.centres.schemas import ServiceCentreOut
from tongban.centres.selectors import readable_centres
from tongban.core.api_errors import ErrorOut
from tongban.core.inputs import QueryText
from tongban.regions.selectors import get_jurisdiction_for

router = Router(tags=["centres 政务服务中心与窗口"])


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
