"""/api/v1/ratings: 好差评 by the applicant, the bad-rating loop (回访、整改、申诉复核) and
the published monthly summaries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from tongban.accounts.access import is_platform_admin, jurisdictions_with
from tongban.cases.models import Case
from tongban.core.errors import Invalid
from tongban.core.inputs import (
    Column,
    Id,
    Limit,
    Month,
    Offset,
    QueryText,
    RequiredNote,
    Text,
    parse_month,
)
from tongban.core.masking import mask_name
from tongban.ratings import actions, selectors
from tongban.ratings.models import MonthlySummary, Rating, Rectification

router = Router(tags=["ratings 好差评"])

MAX_COMMENT = 1000  # a rating comment is a remark, not a complaint letter


class RatingIn(Schema):
    case_number: Annotated[str, Column(Case, "number")] | None = Field(
        None, description="办件编号(与 consultation_id 二选一)"
    )
    consultation_id: Id | None = Field(None, description="咨询编号(与 case_number 二选一)")
    level: int = Field(..., ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    indicators: dict[Annotated[str, Text(32)], int] = Field(
        default_factory=dict,
        max_length=16,
        description="网办: overall, efficiency, guide_accuracy, convenience, usability; "
        "现场: overall, efficiency, competence, attitude",
    )
    comment: Annotated[str, Text(MAX_COMMENT)] = ""
    anonymous: bool = False
    target_leg: Annotated[str, Text(16)] | None = Field(
        None, description="receiving / handling; 默认见文档"
    )


class PadRatingIn(Schema):
    case_number: Annotated[str, Column(Case, "number")] | None = Field(
        None, description="办件编号(与 consultation_id 二选一)"
    )
    consultation_id: Id | None = None
    level: int = Field(..., ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    indicators: dict[Annotated[str, Text(32)], int] = Field(
        default_factory=dict,
        max_length=16,
        description="现场: overall, efficiency, competence, attitude",
    )
    comment: Annotated[str, Text(MAX_COMMENT)] = ""
    anonymous: bool = False


class LinkRatingIn(Schema):
    level: int = Field(..., ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    indicators: dict[Annotated[str, Text(32)], int] = Field(default_factory=dict, max_length=16)
    comment: Annotated[str, Text(MAX_COMMENT)] = ""
    anonymous: bool = False
    target_leg: Annotated[str, Text(16)] | None = None


class LinkRatingOut(Schema):
    rated: bool
    level: int


class PadServiceOut(Schema):
    kind: str
    case_number: str | None
    consultation_id: int | None
    title: str


class RectificationBrief(Schema):
    id: int
    status: str
    jurisdiction: str
    due_date: dt.date


class RatingOut(Schema):
    id: int
    case_number: str | None
    consultation_id: int | None
    source: str
    item_name: str
    channel_kind: str
    level: int
    indicators: dict[str, int]
    comment: str
    anonymous: bool
    rater: str | None
    target_leg: str
    target_jurisdiction: str
    status: str
    rated_at: dt.datetime
    rectification: RectificationBrief | None


class RatingPage(Schema):
    count: int
    items: list[RatingOut]


class RectificationOut(Schema):
    id: int
    status: str
    jurisdiction: str
    jurisdiction_name: str
    rating_id: int
    case_number: str | None
    consultation_id: int | None
    level: int
    comment: str
    anonymous: bool
    opened_at: dt.datetime
    due_date: dt.date
    overdue: bool
    callback_at: dt.datetime | None
    callback_reached: bool | None
    callback_note: str
    outcome: str
    outcome_note: str
    resolved_at: dt.datetime | None
    appeal_reason: str
    appealed_at: dt.datetime | None
    review_decision: str
    review_note: str
    reviewed_at: dt.datetime | None


class RectificationPage(Schema):
    count: int
    items: list[RectificationOut]


class CallbackIn(Schema):
    reached: bool
    note: RequiredNote


class ResolveIn(Schema):
    outcome: Annotated[str, Text(16, required=True)] = Field(
        ..., description="fixed_at_once / fixed / explained"
    )
    note: RequiredNote


class AppealIn(Schema):
    reason: RequiredNote


class ReviewIn(Schema):
    decision: Annotated[str, Text(16, required=True)] = Field(..., description="annul / reject")
    note: RequiredNote


class SummaryOut(Schema):
    month: str
    jurisdiction: str
    jurisdiction_name: str
    ratings: int
    level_5: int
    level_4: int
    level_3: int
    level_2: int
    level_1: int
    average: float
    good_rate: float
    rectified: int
    annulled: int
    published_at: dt.datetime


class PublishIn(Schema):
    month: Month


def _rater_label(request: HttpRequest, r: Rating) -> str | None:
    user = request.user
    if r.rater_id is not None and r.rater_id == getattr(user, "pk", None):
        return str(r.rater)
    if r.anonymous:
        return None
    return mask_name(r.rater_name)


def _rating_out(request: HttpRequest, r: Rating) -> dict[str, Any]:
    task: Rectification | None = getattr(r, "rectification", None)
    brief = None
    if task is not None and (
        is_platform_admin(request.user) or task.jurisdiction_id in jurisdictions_with(request.user)
    ):
        brief = {
            "id": task.pk,
            "status": task.status,
            "jurisdiction": r.target_jurisdiction.code,
            "due_date": task.due_date,
        }
    return {
        "id": r.pk,
        "case_number": r.case.number if r.case is not None else None,
        "consultation_id": r.consultation_id,
        "source": r.source,
        "item_name": r.item_name,
        "channel_kind": r.channel_kind,
        "level": r.level,
        "indicators": r.indicators,
        "comment": r.comment,
        "anonymous": r.anonymous,
        "rater": _rater_label(request, r),
        "target_leg": r.target_leg,
        "target_jurisdiction": r.target_jurisdiction.code,
        "status": r.status,
        "rated_at": r.rated_at,
        "rectification": brief,
    }


def _task_out(t: Rectification) -> dict[str, Any]:
    return {
        "id": t.pk,
        "status": t.status,
        "jurisdiction": t.jurisdiction.code,
        "jurisdiction_name": t.jurisdiction.name,
        "rating_id": t.rating_id,
        "case_number": t.rating.case.number if t.rating.case is not None else None,
        "consultation_id": t.rating.consultation_id,
        "level": t.rating.level,
        "comment": t.rating.comment,
        "anonymous": t.rating.anonymous,
        "opened_at": t.opened_at,
        "due_date": t.due_date,
        "overdue": selectors.is_rectification_overdue(t),
        "callback_at": t.callback_at,
        "callback_reached": t.callback_reached,
        "callback_note": t.callback_note,
        "outcome": t.outcome,
        "outcome_note": t.outcome_note,
        "resolved_at": t.resolved_at,
        "appeal_reason": t.appeal_reason,
        "appealed_at": t.appealed_at,
        "review_decision": t.review_decision,
        "review_note": t.review_note,
        "reviewed_at": t.reviewed_at,
    }


def _summary_out(s: MonthlySummary) -> dict[str, Any]:
    return {
        "month": f"{s.month:%Y-%m}",
        "jurisdiction": s.jurisdiction.code,
        "jurisdiction_name": s.jurisdiction.name,
        "ratings": s.ratings,
        "level_5": s.level_5,
        "level_4": s.level_4,
        "level_3": s.level_3,
        "level_2": s.level_2,
        "level_1": s.level_1,
        "average": float(s.average),
        "good_rate": float(s.good_rate),
        "rectified": s.rectified,
        "annulled": s.annulled,
        "published_at": s.published_at,
    }


# -- published summaries (public) ------------------------------------------------------


@router.get(
    "/ratings/summaries", response=list[SummaryOut], auth=None, summary="好差评月度公示(公开)"
)
def summaries(
    request: HttpRequest, month: Month | None = None, jurisdiction: QueryText | None = None
) -> list[dict[str, Any]]:
    rows = selectors.published_summaries(parse_month(month), jurisdiction)[:500]
    return [_summary_out(s) for s in rows]


@router.post("/ratings/summaries", response={201: list[SummaryOut]}, summary="发布月度公示")
def publish(request: HttpRequest, payload: PublishIn) -> Status:
    month = parse_month(payload.month)
    if month is None:  # the schema requires a YYYY-MM month; kept for the type checker
        raise Invalid(_("A month is required."), code="invalid_month")
    actions.publish_monthly_summary(request.user, month)
    return Status(201, [_summary_out(s) for s in selectors.published_summaries(month)])


# -- rectification tasks ----------------------------------------------------------------


@router.get("/ratings/rectifications", response=RectificationPage, summary="差评整改任务")
def rectifications(
    request: HttpRequest,
    status: QueryText | None = None,
    jurisdiction: QueryText | None = None,
    overdue: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    qs = selectors.list_rectifications(
        request.user, status=status, jurisdiction_code=jurisdiction, overdue=overdue
    )
    return {"count": qs.count(), "items": [_task_out(t) for t in qs[offset : offset + limit]]}


@router.get(
    "/ratings/rectifications/{int:task_id}", response=RectificationOut, summary="整改任务详情"
)
def rectification(request: HttpRequest, task_id: Id) -> dict[str, Any]:
    return _task_out(selectors.get_rectification_for(request.user, task_id))


@router.post(
    "/ratings/rectifications/{int:task_id}/callback", response=RectificationOut, summary="回访"
)
def callback(request: HttpRequest, task_id: Id, payload: CallbackIn) -> dict[str, Any]:
    actions.record_callback(request.user, task_id, reached=payload.reached, note=payload.note)
    return _task_out(selectors.get_rectification_for(request.user, task_id))


@router.post(
    "/ratings/rectifications/{int:task_id}/resolve", response=RectificationOut, summary="整改办结"
)
def resolve(request: HttpRequest, task_id: Id, payload: ResolveIn) -> dict[str, Any]:
    actions.resolve_rectification(request.user, task_id, outcome=payload.outcome, note=payload.note)
    return _task_out(selectors.get_rectification_for(request.user, task_id))


@router.post(
    "/ratings/rectifications/{int:task_id}/appeal", response=RectificationOut, summary="申诉"
)
def appeal(request: HttpRequest, task_id: Id, payload: AppealIn) -> dict[str, Any]:
    actions.appeal_rectification(request.user, task_id, reason=payload.reason)
    return _task_out(selectors.get_rectification_for(request.user, task_id))


@router.post(
    "/ratings/rectifications/{int:task_id}/review", response=RectificationOut, summary="复核"
)
def review(request: HttpRequest, task_id: Id, payload: ReviewIn) -> dict[str, Any]:
    actions.review_appeal(request.user, task_id, decision=payload.decision, note=payload.note)
    return _task_out(selectors.get_rectification_for(request.user, task_id))


# -- ratings ----------------------------------------------------------------------------


@router.post("/ratings", response={201: RatingOut}, summary="提交评价(申请人)")
def rate(request: HttpRequest, payload: RatingIn) -> Status:
    rating = actions.submit_rating(
        request.user,
        payload.case_number,
        consultation_id=payload.consultation_id,
        level=payload.level,
        indicators=payload.indicators,
        comment=payload.comment,
        anonymous=payload.anonymous,
        target_leg=payload.target_leg,
    )
    return Status(201, _rating_out(request, selectors.get_rating_for(request.user, rating.pk)))


@router.get("/ratings/pad", response=list[PadServiceOut], summary="窗口评价器:刚办理的服务")
def pad_services(request: HttpRequest) -> list[dict[str, Any]]:
    queue = selectors.pad_queue(request.user, actions.pad_since(timezone.now()))
    out: list[dict[str, Any]] = [
        {"kind": "case", "case_number": c.number, "consultation_id": None, "title": c.item.name}
        for c in queue.cases
    ]
    out += [
        {"kind": "consultation", "case_number": None, "consultation_id": c.pk, "title": c.topic}
        for c in queue.consultations
    ]
    return out


@router.post("/ratings/pad", response={201: RatingOut}, summary="窗口评价器提交评价")
def pad_rate(request: HttpRequest, payload: PadRatingIn) -> Status:
    rating = actions.submit_pad_rating(
        request.user,
        case_number=payload.case_number,
        consultation_id=payload.consultation_id,
        level=payload.level,
        indicators=payload.indicators,
        comment=payload.comment,
        anonymous=payload.anonymous,
    )
    return Status(201, _rating_out(request, selectors.get_rating_for(request.user, rating.pk)))


@router.post(
    "/ratings/link/{token}",
    response={201: LinkRatingOut},
    auth=None,
    summary="凭一次性评价链接评价(无需登录)",
)
def link_rate(request: HttpRequest, token: str, payload: LinkRatingIn) -> Status:
    rating = actions.submit_link_rating(
        token,
        level=payload.level,
        indicators=payload.indicators,
        comment=payload.comment,
        anonymous=payload.anonymous,
        target_leg=payload.target_leg,
    )
    return Status(201, {"rated": True, "level": rating.level})


@router.get("/ratings", response=RatingPage, summary="评价列表")
def ratings(
    request: HttpRequest,
    jurisdiction: QueryText | None = None,
    level: Annotated[int, Field(ge=1, le=5)] | None = None,
    bad: bool | None = None,
    status: QueryText | None = None,
    month: Month | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    qs = selectors.list_ratings(
        request.user,
        jurisdiction_code=jurisdiction,
        level=level,
        bad=bad,
        status=status,
        month=parse_month(month),
    )
    return {
        "count": qs.count(),
        "items": [_rating_out(request, r) for r in qs[offset : offset + limit]],
    }


@router.get("/ratings/{int:rating_id}", response=RatingOut, summary="评价详情")
def rating(request: HttpRequest, rating_id: Id) -> dict[str, Any]:
    return _rating_out(request, selectors.get_rating_for(request.user, rating_id))
