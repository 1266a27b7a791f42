"""Public master data: jurisdictions and the working-day calendar (one jurisdiction with
its departments and service centres is in `centres.api`, which knows the centres).
Any logged-in user (the API's default authentication)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from tongban.core.api_errors import ErrorOut
from tongban.regions.calendar import MAX_CALENDAR_YEAR, MIN_CALENDAR_YEAR
from tongban.regions.models import Jurisdiction
from tongban.regions.selectors import (
    calendar_year_for,
    province_of,
    readable_jurisdictions,
)

router = Router(tags=["regions 行政区划与管辖地"])


class JurisdictionOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    region_code: str
    region_name: str
    province_code: str
    province: str
    service_bureau: str
    active: bool

    @staticmethod
    def from_jurisdiction(j: Jurisdiction) -> JurisdictionOut:
        province = province_of(j.region)
        return JurisdictionOut(
            code=j.code,
            name=j.name,
            short_name=j.short_name,
            kind=j.kind,
            kind_label=j.get_kind_display(),
            region_code=j.region.code,
            region_name=j.region.name,
            province_code=province.code,
            province=province.name,
            service_bureau=j.service_bureau,
            active=j.active,
        )


class CalendarDayOut(Schema):
    date: dt.date
    weekday: int = Field(description="1 = Monday ... 7 = Sunday (ISO)")
    is_working_day: bool
    source: str = Field(description="jurisdiction | national | package")
    note: str


class CalendarOut(Schema):
    jurisdiction_code: str | None = Field(description="null for the national calendar")
    year: int
    source: str = Field(description="package: official calendar; declared: entered by admins")
    provisional: bool
    working_days: int
    exceptions: list[CalendarDayOut]


class JurisdictionFilter(Schema):
    include_inactive: bool = False


class CalendarQuery(Schema):
    year: int | None = Field(
        default=None,
        ge=MIN_CALENDAR_YEAR,
        le=MAX_CALENDAR_YEAR,
        description="default: the current year (Asia/Shanghai)",
    )


@router.get(
    "/jurisdictions",
    response=list[JurisdictionOut],
    summary="管辖地列表 / list jurisdictions",
)
def list_jurisdictions(
    request: HttpRequest, filters: Query[JurisdictionFilter]
) -> list[JurisdictionOut]:
    rows = readable_jurisdictions(request.user, include_inactive=filters.include_inactive)
    return [JurisdictionOut.from_jurisdiction(j) for j in rows]


@router.get(
    "/calendar/{code}",
    response={200: CalendarOut, 404: ErrorOut, 409: ErrorOut},
    summary="工作日历(节假日与调休)/ working-day calendar exceptions of a year",
    description=(
        "`code` is a jurisdiction code, or `national` for the national calendar. Lists the "
        "dates that differ from the Monday-to-Friday rule. 409 `calendar_not_available` "
        "for a year nobody has entered."
    ),
)
def get_calendar(request: HttpRequest, code: str, query: Query[CalendarQuery]) -> CalendarOut:
    year = query.year or timezone.localdate().year
    view = calendar_year_for(request.user, code, year)
    return CalendarOut(
        jurisdiction_code=view.jurisdiction.code if view.jurisdiction else None,
        year=view.year,
        source=view.source,
        provisional=view.provisional,
        working_days=view.working_days,
        exceptions=[
            CalendarDayOut(
                date=e.day,
                weekday=e.day.isoweekday(),
                is_working_day=e.is_working_day,
                source=e.source,
                note=e.note,
            )
            for e in view.exceptions
        ],
    )
