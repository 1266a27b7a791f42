"""/api/v1/stats: figures from the pre-computed count tables, shaped for a dashboard
(rows + total, each dimension as code and label). Every table can be downloaded with
`?format=csv` or `?format=xlsx`."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from tongban.core.inputs import Id, Month, QueryText
from tongban.stats import export, hall, selectors

router = Router(tags=["stats 统计"])

# `?format=csv|xlsx` answers a file instead of JSON; documented so clients (and the
# schema run) know the other content types of the 200 answer
_EXPORTS: dict[str, Any] = {
    "responses": {
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                export.XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    }
}


class StatsQuery(Schema):
    from_month: Month | None = Field(None, description="起始月份 YYYY-MM(含)")
    to_month: Month | None = Field(None, description="截止月份 YYYY-MM(含)")
    jurisdiction: QueryText | None = Field(None, description="管辖地代码(须在本人范围内)")
    leg: QueryText = Field("any", description="any / receiving / handling")
    item: QueryText | None = Field(None, description="事项基本编码")
    department: QueryText | None = None
    mode: QueryText | None = None
    channel: QueryText | None = None
    status: QueryText | None = None
    high_frequency: bool | None = None
    agreement: Id | None = None
    format: QueryText = Field("json", description="json / csv / xlsx")

    def to_filter(self) -> selectors.StatsFilter:
        # the dashboard reads the same filters with the same function
        month_from, month_to, leg = selectors.parse_period(self.from_month, self.to_month, self.leg)
        return selectors.StatsFilter(
            month_from=month_from,
            month_to=month_to,
            jurisdiction=self.jurisdiction,
            leg=leg,
            item=self.item,
            department=self.department,
            mode=self.mode,
            channel=self.channel,
            status=self.status,
            high_frequency=self.high_frequency,
            agreement=self.agreement,
        )


class TableOut(Schema):
    group_by: list[str]
    rows: list[dict[str, Any]]
    total: dict[str, Any]


class FlowOut(Schema):
    jurisdictions: list[str]
    rows: list[dict[str, Any]]


class HighFrequencyOut(Schema):
    cases: int
    high_frequency_cases: int
    case_share: float | None
    consultations: int
    high_frequency_consultations: int
    consultation_share: float | None
    top_items_by_cases: list[dict[str, Any]]
    top_items_by_consultations: list[dict[str, Any]]


class OverviewOut(Schema):
    cases: dict[str, Any]
    consultations: dict[str, Any]
    ratings: dict[str, Any]
    assistance: dict[str, Any]
    high_frequency: dict[str, Any]


class AgreementRef(Schema):
    id: int
    code: str
    version: int
    title: str
    status: str


class AgreementTableOut(TableOut):
    agreement: dict[str, Any]
    ratings: dict[str, Any]


def _table(
    q: StatsQuery, name: str, data: dict[str, Any], measures: tuple[str, ...]
) -> dict[str, Any] | HttpResponse:
    fmt = export.check_format(q.format)
    if fmt == "json":
        return data
    groups = data["group_by"]
    rows = data["rows"] if groups else [data["total"]]
    columns = export.group_columns(groups) + list(measures)
    return export.render(fmt, name, columns, rows, data["total"] if groups else None)


@router.get("/stats/overview", response=OverviewOut, summary="概览(看板首屏)")
def overview(request: HttpRequest, q: Query[StatsQuery]) -> dict[str, Any]:
    return selectors.overview(request.user, q.to_filter())


@router.get(
    "/stats/cases",
    openapi_extra=_EXPORTS,
    response=TableOut,
    summary="办件统计(含按时率、各环节用时)",
)
def cases(
    request: HttpRequest,
    q: Query[StatsQuery],
    group_by: QueryText | None = Query(  # noqa: B008 (Ninja parameter declaration)
        None,
        description="最多两个,逗号分隔: month, receiving, handling, item, department, mode, "
        "channel, status, high_frequency, agreement",
    ),
) -> Any:
    data = selectors.case_stats(request.user, q.to_filter(), group_by)
    return _table(q, "cases", data, export.CASE_COLUMNS)


@router.get(
    "/stats/flow", openapi_extra=_EXPORTS, response=FlowOut, summary="收件地→办理地流向矩阵"
)
def flow(request: HttpRequest, q: Query[StatsQuery]) -> Any:
    data = selectors.flow_matrix(request.user, q.to_filter())
    fmt = export.check_format(q.format)
    if fmt == "json":
        return data
    columns = [*export.group_columns(["receiving", "handling"]), "cases", "completed"]
    return export.render(fmt, "flow", columns, data["rows"])


@router.get(
    "/stats/high-frequency",
    openapi_extra=_EXPORTS,
    response=HighFrequencyOut,
    summary="高频事项占比",
)
def high_frequency(
    request: HttpRequest, q: Query[StatsQuery], top: Annotated[int, Field(ge=1, le=50)] = 10
) -> Any:
    data = selectors.high_frequency_share(request.user, q.to_filter(), top)
    fmt = export.check_format(q.format)
    if fmt == "json":
        return data
    columns = [*export.group_columns(["item"]), "cases", "share"]
    return export.render(fmt, "high_frequency", columns, data["top_items_by_cases"])


@router.get("/stats/consultations", openapi_extra=_EXPORTS, response=TableOut, summary="咨询统计")
def consultations(
    request: HttpRequest,
    q: Query[StatsQuery],
    group_by: QueryText | None = Query(  # noqa: B008 (Ninja parameter declaration)
        None,
        description="month, jurisdiction, forwarded_to, item, high_frequency, channel, status",
    ),
) -> Any:
    data = selectors.consultation_stats(request.user, q.to_filter(), group_by)
    return _table(q, "consultations", data, export.CONSULTATION_COLUMNS)


@router.get("/stats/assistance", openapi_extra=_EXPORTS, response=TableOut, summary="帮办代办统计")
def assistance(
    request: HttpRequest,
    q: Query[StatsQuery],
    group_by: QueryText | None = Query(  # noqa: B008 (Ninja parameter declaration)
        None, description="month, jurisdiction, handling, item, role, consent_method"
    ),
) -> Any:
    data = selectors.assistance_stats(request.user, q.to_filter(), group_by)
    return _table(q, "assistance", data, export.ASSISTANCE_COLUMNS)


HALL_QUEUE_COLUMNS = (
    "tickets",
    "booked",
    "called",
    "served",
    "skipped",
    "average_wait_minutes",
    "average_service_minutes",
)
HALL_BOOKING_COLUMNS = ("bookings", "kept", "missed", "cancelled")


@router.get(
    "/stats/hall/queue",
    openapi_extra=_EXPORTS,
    response=TableOut,
    summary="排队叫号统计(等候、办理用时) / Queue tickets, waiting and service times",
)
def hall_queue(
    request: HttpRequest,
    q: Query[StatsQuery],
    group_by: QueryText | None = Query(  # noqa: B008 (Ninja parameter declaration)
        None, description="最多两个: month, jurisdiction, centre, window, line, hour"
    ),
) -> Any:
    data = hall.queue_stats(request.user, q.to_filter(), group_by)
    return _table(q, "hall_queue", data, HALL_QUEUE_COLUMNS)


@router.get(
    "/stats/hall/bookings",
    openapi_extra=_EXPORTS,
    response=TableOut,
    summary="预约统计(履约、爽约) / Bookings kept and missed",
)
def hall_bookings(
    request: HttpRequest,
    q: Query[StatsQuery],
    group_by: QueryText | None = Query(  # noqa: B008 (Ninja parameter declaration)
        None, description="最多两个: month, jurisdiction, centre, item"
    ),
) -> Any:
    data = hall.booking_stats(request.user, q.to_filter(), group_by)
    return _table(q, "hall_bookings", data, HALL_BOOKING_COLUMNS)


@router.get(
    "/stats/ratings", openapi_extra=_EXPORTS, response=TableOut, summary="好差评统计(满意度)"
)
def ratings(
    request: HttpRequest,
    q: Query[StatsQuery],
    group_by: QueryText | None = Query(  # noqa: B008 (Ninja parameter declaration)
        None,
        description="month, receiving, handling, target, item, agreement, channel_kind, "
        "task_status",
    ),
) -> Any:
    data = selectors.rating_stats(request.user, q.to_filter(), group_by)
    return _table(q, "ratings", data, export.RATING_COLUMNS)


@router.get("/stats/agreements", response=list[AgreementRef], summary="可查看统计的协议")
def agreements(request: HttpRequest) -> list[dict[str, Any]]:
    return selectors.readable_agreements(request.user)


@router.get(
    "/stats/agreements/{int:agreement_id}",
    openapi_extra=_EXPORTS,
    response=AgreementTableOut,
    summary="协议统计(各方所见一致)",
)
def agreement(
    request: HttpRequest,
    agreement_id: Id,
    q: Query[StatsQuery],
    group_by: QueryText | None = None,
) -> Any:
    data = selectors.agreement_stats(request.user, agreement_id, q.to_filter(), group_by)
    return _table(q, f"agreement_{agreement_id}", data, export.CASE_COLUMNS)
