"""Every change to ratings (好差评) and their rectification (差评整改). Each action locks
what it changes, checks every rule itself and appends a RatingEvent (plus an audit row for
published summaries)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tongban.accounts.access import (
    has_role,
    is_platform_admin,
    require_authenticated,
    roles_in,
)
from tongban.accounts.models import Role
from tongban.cases.models import Case, Status
from tongban.core.audit import record_audit
from tongban.core.errors import (
    CalendarNotAvailable,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    not_found,
)
from tongban.ratings.models import (
    BAD_LEVELS,
    IN_PERSON_INDICATORS,
    ONLINE_INDICATORS,
    ChannelKind,
    Leg,
    MonthlySummary,
    Rating,
    RatingEvent,
    Rectification,
)
from tongban.ratings.selectors import month_bounds, readable_rectifications
from tongban.regions.calendar import calendar_for

# staff of the responsible jurisdiction who call back and record the outcome
RECTIFY_ROLES = frozenset({Role.CLERK, Role.OFFICER, Role.HEAD, Role.ADMIN})
# who may appeal a bad rating on behalf of the rated jurisdiction
APPEAL_ROLES = frozenset({Role.HEAD, Role.ADMIN})
# who reviews an appeal (besides platform admins)
REVIEW_ROLES = frozenset({Role.SUPERVISOR})

ONLINE_CHANNELS = ("web", "app")

RS = Rectification.Status


def rating_window_days() -> int:
    return int(getattr(settings, "TONGBAN_RATING_WINDOW_DAYS", 15))


def rectification_days() -> int:
    return int(getattr(settings, "TONGBAN_RECTIFICATION_DAYS", 5))


def channel_kind_of(case: Case) -> str:
    return ChannelKind.ONLINE if case.channel in ONLINE_CHANNELS else ChannelKind.IN_PERSON


def indicators_for(kind: str) -> tuple[str, ...]:
    return ONLINE_INDICATORS if kind == ChannelKind.ONLINE else IN_PERSON_INDICATORS


def default_leg(case: Case) -> str:
    """Whose service is rated when the applicant does not say: the receiving window for a
    case received in person at a window or terminal, else the handling place."""
    if case.receiving_jurisdiction_id is not None and case.channel not in ONLINE_CHANNELS:
        return Leg.RECEIVING
    return Leg.HANDLING


def rating_closes_at(case: Case) -> dt.datetime | None:
    if case.completed_at is None:
        return None
    return case.completed_at + dt.timedelta(days=rating_window_days())


def rectification_due(jurisdiction: Any, opened_on: dt.date) -> dt.date:
    """The deadline in working days on the rated jurisdiction's calendar. A bad rating is
    never refused because a year's holidays have not been entered yet: then Monday to
    Friday count as working days."""
    days = rectification_days()
    try:
        return calendar_for(jurisdiction).add_working_days(opened_on, days)
    except CalendarNotAvailable:
        day = opened_on
        while days:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                days -= 1
        return day


def _append(
    rating: Rating,
    action: str,
    actor: Any,
    at: dt.datetime,
    role: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> RatingEvent:
    rating.event_count += 1
    rating.save(update_fields=["event_count", "updated_at"])
    return RatingEvent.objects.create(
        rating=rating,
        seq=rating.event_count,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=role,
        at=at,
        note=note,
        data=data or {},
    )


def _clean_indicators(kind: str, level: int, indicators: dict[str, Any] | None) -> dict[str, int]:
    wanted = indicators_for(kind)
    given = dict(indicators or {})
    given.setdefault("overall", level)
    unknown = sorted(set(given) - set(wanted))
    missing = sorted(set(wanted) - set(given))
    if unknown or missing:
        raise Invalid(
            "分项评价指标不符合该渠道的要求。",
            "The indicators do not match the channel.",
            code="invalid_indicators",
            details={"expected": list(wanted), "unknown": unknown, "missing": missing},
        )
    clean: dict[str, int] = {}
    for key in wanted:
        value = given[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise Invalid(
                "评价等级须为1至5。",
                "Each level must be an integer from 1 to 5.",
                code="invalid_level",
                details={"indicator": key},
            )
        clean[key] = value
    if clean["overall"] != level:
        raise Invalid(
            "总体评价与评价等级不一致。",
            "The overall indicator must equal the level.",
            code="invalid_indicators",
        )
    return clean


def rating_refusal(case: Case, now: dt.datetime) -> DomainError | None:
    """Why the applicant may not rate `case` now (not completed, the rating period over,
    already rated), or None. `submit_rating` raises it; the rating page shows it."""
    if case.status != Status.COMPLETED or case.completed_at is None:
        return Conflict(
            "办件办结后才能评价。",
            "A case can be rated only after it is completed.",
            code="case_not_completed",
        )
    closes = rating_closes_at(case)
    if closes is not None and now > closes:
        return Conflict(
            f"评价期限已过(办结后{rating_window_days()}日内可评价)。",
            f"The rating period ({rating_window_days()} days after completion) is over.",
            code="rating_period_over",
        )
    if Rating.objects.filter(case=case).exists():
        return Conflict("该办件已评价。", "This case has already been rated.", code="already_rated")
    return None


def submit_rating(
    actor: Any,
    case_number: str,
    *,
    level: int,
    indicators: dict[str, Any] | None = None,
    comment: str = "",
    anonymous: bool = False,
    target_leg: str | None = None,
) -> Rating:
    """The applicant rates a completed case once, within the rating period. A bad rating
    (1–2) opens a rectification task for the responsible jurisdiction."""
    require_authenticated(actor)
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        raise Invalid("评价等级须为1至5。", "The level must be from 1 to 5.", code="invalid_level")
    comment = (comment or "").strip()
    if level in BAD_LEVELS and not comment:
        raise Invalid(
            "差评须说明原因。",
            "A bad rating must say what went wrong.",
            code="comment_required",
        )
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .filter(number=case_number, applicant__user_id=actor.pk)
            .select_related("receiving_jurisdiction", "handling_jurisdiction")
            .first()
        )
        if case is None:  # not the applicant's case: existence is not disclosed
            raise not_found("case")
        now = timezone.now()
        refusal = rating_refusal(case, now)
        if refusal is not None:
            raise refusal
        kind = channel_kind_of(case)
        clean = _clean_indicators(kind, level, indicators)
        leg = target_leg or default_leg(case)
        if leg not in Leg.values:
            raise Invalid("被评价环节不正确。", "Unknown leg.", details={"target_leg": leg})
        if leg == Leg.RECEIVING and case.receiving_jurisdiction is None:
            raise Invalid(
                "全程网办的办件没有收件地,只能评价办理地。",
                "An online case has no receiving place; rate the handling place.",
                code="no_receiving_leg",
            )
        target = case.receiving_jurisdiction if leg == Leg.RECEIVING else case.handling_jurisdiction
        assert target is not None
        rating = Rating.objects.create(
            case=case,
            channel_kind=kind,
            level=level,
            indicators=clean,
            comment=comment,
            anonymous=bool(anonymous),
            rater=actor,
            target_leg=leg,
            target_jurisdiction=target,
            rated_at=now,
        )
        _append(rating, "rate", actor, now, "applicant", data={"level": level, "leg": leg})
        if rating.is_bad:
            due = rectification_due(target, timezone.localdate(now))
            Rectification.objects.create(
                rating=rating, jurisdiction=target, opened_at=now, due_date=due
            )
            _append(
                rating,
                "rectification_opened",
                None,
                now,
                data={"jurisdiction": target.code, "due_date": due.isoformat()},
            )
    return rating


def _locked_task(actor: Any, rectification_id: int) -> Rectification:
    visible = list(
        readable_rectifications(actor).filter(pk=rectification_id).values_list("pk", flat=True)
    )
    task = (
        Rectification.objects.select_for_update(of=("self",))
        .filter(pk__in=visible)
        .select_related("rating", "jurisdiction")
        .first()
    )
    if task is None:
        raise not_found("rectification")
    return task


def _role_for(actor: Any, roles: frozenset[str], jurisdiction_id: int) -> str:
    held = sorted(roles_in(actor, jurisdiction_id) & roles)
    if not held:
        raise Forbidden(
            "您在该管辖地没有办理此事的角色。",
            "Your role in this jurisdiction may not do this.",
            code="rectification_forbidden",
        )
    return held[0]


def _need(value: str, field: str, zh: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(
            f"请填写{zh}。", f"{field} is required.", code="required", details={field: ""}
        )
    return value


def _require_status(task: Rectification, *allowed: str) -> None:
    if task.status not in allowed:
        raise Conflict(
            "整改任务当前状态不允许此操作。",
            "The rectification task is not in a state that allows this.",
            code="illegal_transition",
            details={"status": task.status},
        )


def record_callback(
    actor: Any, rectification_id: int, *, reached: bool, note: str
) -> Rectification:
    """回访: record the call to the rater (named ratings only have someone to call)."""
    require_authenticated(actor)
    note = _need(note, "note", "回访记录")
    with transaction.atomic():
        task = _locked_task(actor, rectification_id)
        role = _role_for(actor, RECTIFY_ROLES, task.jurisdiction_id)
        _require_status(task, RS.OPEN)
        if task.rating.anonymous:
            raise Conflict(
                "匿名评价无法回访。", "An anonymous rating cannot be called back.", code="anonymous"
            )
        now = timezone.now()
        task.callback_at = now
        task.callback_by = actor
        task.callback_reached = bool(reached)
        task.callback_note = note
        task.save()
        _append(task.rating, "callback", actor, now, role, note, {"reached": bool(reached)})
    return task


def resolve_rectification(
    actor: Any, rectification_id: int, *, outcome: str, note: str
) -> Rectification:
    """整改办结: the outcome (fixed at once, fixed by the deadline, or explained). A named
    rating must have been called back first."""
    require_authenticated(actor)
    note = _need(note, "note", "整改说明")
    if outcome not in Rectification.Outcome.values:
        raise Invalid("整改结果不正确。", "Unknown outcome.", details={"outcome": outcome})
    with transaction.atomic():
        task = _locked_task(actor, rectification_id)
        role = _role_for(actor, RECTIFY_ROLES, task.jurisdiction_id)
        _require_status(task, RS.OPEN)
        if not task.rating.anonymous and task.callback_at is None:
            raise Conflict(
                "实名差评须先回访再办结。",
                "A named bad rating must be called back before the task is closed.",
                code="callback_required",
            )
        now = timezone.now()
        task.outcome = outcome
        task.outcome_note = note
        task.resolved_at = now
        task.resolved_by = actor
        task.status = RS.CLOSED
        task.save()
        on_time = timezone.localdate(now) <= task.due_date
        _append(
            task.rating,
            "rectified",
            actor,
            now,
            role,
            note,
            {"outcome": outcome, "on_time": on_time},
        )
    return task


def appeal_rectification(actor: Any, rectification_id: int, *, reason: str) -> Rectification:
    """申诉: the rated jurisdiction says the rating is mistaken or malicious. Once per task."""
    require_authenticated(actor)
    reason = _need(reason, "reason", "申诉理由")
    with transaction.atomic():
        task = _locked_task(actor, rectification_id)
        role = _role_for(actor, APPEAL_ROLES, task.jurisdiction_id)
        _require_status(task, RS.OPEN)
        if task.appealed_at is not None:
            raise Conflict(
                "该差评已申诉过一次。", "This rating has already been appealed.", code="appealed"
            )
        now = timezone.now()
        task.status = RS.APPEALED
        task.appeal_reason = reason
        task.appealed_at = now
        task.appealed_by = actor
        task.save()
        _append(task.rating, "appeal", actor, now, role, reason)
    return task


def review_appeal(actor: Any, rectification_id: int, *, decision: str, note: str) -> Rectification:
    """复核, by a supervisor of the rated jurisdiction or a platform admin. `annul` voids the
    rating (it leaves every count); `reject` sends the task back to rectification."""
    require_authenticated(actor)
    note = _need(note, "note", "复核意见")
    if decision not in Rectification.ReviewDecision.values:
        raise Invalid("复核结论不正确。", "Unknown decision.", details={"decision": decision})
    with transaction.atomic():
        task = _locked_task(actor, rectification_id)
        if is_platform_admin(actor):
            role = Role.PLATFORM_ADMIN
        elif has_role(actor, REVIEW_ROLES, task.jurisdiction_id):
            role = Role.SUPERVISOR
        else:
            raise Forbidden(
                "只有监督人员或平台管理员可以复核申诉。",
                "Only a supervisor or a platform admin may review an appeal.",
                code="review_forbidden",
            )
        _require_status(task, RS.APPEALED)
        now = timezone.now()
        task.review_decision = decision
        task.review_note = note
        task.reviewed_at = now
        task.reviewed_by = actor
        rating = Rating.objects.select_for_update(of=("self",)).get(pk=task.rating_id)
        if decision == Rectification.ReviewDecision.ANNUL:
            task.status = RS.ANNULLED
            rating.status = Rating.Status.ANNULLED
            rating.annulled_at = now
            rating.save(update_fields=["status", "annulled_at", "updated_at"])
        else:
            task.status = RS.OPEN
        task.save()
        _append(rating, "review", actor, now, role, note, {"decision": decision})
    return task


def _rate(part: int, whole: int) -> Decimal:
    if whole == 0:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def publish_monthly_summary(actor: Any, month: dt.date) -> list[MonthlySummary]:
    """结果公开: freeze the month's figures per rated jurisdiction (platform admins only).
    Publishing a month again replaces its rows. Annulled ratings are not counted as ratings
    (they are listed under `annulled`)."""
    require_authenticated(actor)
    if not is_platform_admin(actor):
        raise Forbidden(
            "只有平台管理员可以发布评价公示。",
            "Only a platform admin may publish rating summaries.",
            code="publish_forbidden",
        )
    month = month.replace(day=1)
    start, end = month_bounds(month)
    if end > timezone.now():
        raise Conflict(
            "当月尚未结束,不能发布。", "The month is not over yet.", code="month_not_over"
        )
    with transaction.atomic():
        rows = Rating.objects.filter(rated_at__gte=start, rated_at__lt=end).values_list(
            "target_jurisdiction_id", "level", "status", "rectification__status"
        )
        per: dict[int, Counter[str]] = {}
        for jurisdiction_id, level, status, task_status in rows:
            counts = per.setdefault(jurisdiction_id, Counter())
            if status == Rating.Status.ANNULLED:
                counts["annulled"] += 1
                continue
            counts["ratings"] += 1
            counts[f"level_{level}"] += 1
            counts["points"] += level
            if task_status == RS.CLOSED:
                counts["rectified"] += 1
        list(MonthlySummary.objects.select_for_update(of=("self",)).filter(month=month))
        MonthlySummary.objects.filter(month=month).delete()
        now = timezone.now()
        created = []
        for jurisdiction_id, c in sorted(per.items()):
            total = c["ratings"]
            average = (
                (Decimal(c["points"]) / Decimal(total)).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if total
                else Decimal("0.00")
            )
            summary = MonthlySummary.objects.create(
                month=month,
                jurisdiction_id=jurisdiction_id,
                ratings=total,
                level_5=c["level_5"],
                level_4=c["level_4"],
                level_3=c["level_3"],
                level_2=c["level_2"],
                level_1=c["level_1"],
                average=average,
                good_rate=_rate(c["level_5"] + c["level_4"] + c["level_3"], total),
                rectified=c["rectified"],
                annulled=c["annulled"],
                published_at=now,
                published_by=actor,
            )
            record_audit(
                actor,
                "publish_rating_summary",
                summary,
                f"{month:%Y-%m} 好差评公示",
                {"ratings": total, "annulled": c["annulled"]},
            )
            created.append(summary)
    return created
