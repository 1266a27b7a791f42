"""What the rating pages show, read through ratings.selectors and the rule helpers of
ratings.actions (the actions stay the only authority: what is computed here only decides
which forms a page offers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_noop

from tongban.accounts.access import (
    has_role,
    is_platform_admin,
    jurisdictions_with,
    require_authenticated,
    roles_in,
)
from tongban.cases.models import Case
from tongban.core.errors import DomainError, Forbidden, Invalid
from tongban.ratings import actions, selectors
from tongban.ratings.models import LEVEL_CHOICES, Leg, Rating, Rectification

INDICATOR_LABELS = {
    "overall": gettext_noop("总体评价"),
    "efficiency": gettext_noop("办事效率"),
    "guide_accuracy": gettext_noop("办事指南准确性"),
    "convenience": gettext_noop("办事便捷程度"),
    "usability": gettext_noop("系统易用性"),
    "competence": gettext_noop("业务能力"),
    "attitude": gettext_noop("服务态度"),
}
LEVELS = [(level, label) for level, label in LEVEL_CHOICES]  # 5 … 1
_EXTRACTED = [
    gettext_noop("非常满意"),
    gettext_noop("满意"),
    gettext_noop("基本满意"),
    gettext_noop("不满意"),
    gettext_noop("非常不满意"),
    gettext_noop("网上办事"),
    gettext_noop("现场办事"),
    gettext_noop("整改中"),
    gettext_noop("申诉待复核"),
    gettext_noop("已整改办结"),
    gettext_noop("复核撤销差评"),
    gettext_noop("立行立改"),
    gettext_noop("限期整改完成"),
    gettext_noop("解释说明"),
    gettext_noop("申诉成立,撤销差评"),
    gettext_noop("申诉不成立,继续整改"),
    gettext_noop("有效"),
    gettext_noop("已撤销(复核认定无效)"),
]


# -- the applicant's rating page ----------------------------------------------------------


@dataclass
class RatingForm:
    """The rating page of one case: the case, whether and how it may be rated, and the
    rating if it was given."""

    case: Case
    kind: str
    indicators: list[tuple[str, str]]
    legs: list[tuple[str, str]]
    default_leg: str
    closes_at: dt.datetime | None
    refusal: DomainError | None
    rating: Rating | None


def rating_form(user: Any, case_number: str) -> RatingForm:
    case = selectors.applicant_case(user, case_number)
    kind = actions.channel_kind_of(case)
    legs = []
    if case.receiving_jurisdiction is not None:
        legs.append((Leg.RECEIVING.value, case.receiving_jurisdiction.name))
    legs.append((Leg.HANDLING.value, case.handling_jurisdiction.name))
    return RatingForm(
        case=case,
        kind=kind,
        indicators=[(key, INDICATOR_LABELS[key]) for key in actions.indicators_for(kind)],
        legs=legs,
        default_leg=actions.default_leg(case),
        closes_at=actions.rating_closes_at(case),
        refusal=actions.rating_refusal(case, timezone.now()),
        rating=selectors.own_rating(user, case),
    )


def _level(value: str | None, name: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Invalid(
            "请为每一项选择评价等级。",
            "Choose a level for every indicator.",
            code="invalid_level",
            details={"indicator": name},
        ) from None


def form_fields(form: RatingForm, post: Any) -> list[dict[str, Any]]:
    """One radio group per indicator (`overall` is the level), with the value posted
    before, if any."""
    fields = []
    for key, label in form.indicators:
        name = "overall" if key == "overall" else f"ind_{key}"
        value = (post or {}).get(name, "")
        fields.append(
            {
                "key": key,
                "name": name,
                "label": label,
                "selected": int(value) if str(value).isdigit() else None,
            }
        )
    return fields


@dataclass
class RatingInput:
    level: int
    indicators: dict[str, int] = field(default_factory=dict)
    comment: str = ""
    anonymous: bool = False
    target_leg: str | None = None


def rating_input(post: Any, form: RatingForm) -> RatingInput:
    """Parse the posted form (the action checks every rule)."""
    level = _level(post.get("overall"), "overall")
    indicators = {
        key: _level(post.get(f"ind_{key}"), key)
        for key, _label in form.indicators
        if key != "overall"
    }
    return RatingInput(
        level=level,
        indicators=indicators,
        comment=post.get("comment", ""),
        anonymous=post.get("anonymous") == "on",
        target_leg=post.get("target_leg") or None,
    )


@dataclass
class Rateable:
    case: Case
    closes_at: dt.datetime | None
    rating: Rating | None


def rateable_cases(user: Any) -> list[Rateable]:
    """The applicant's cases completed within the rating period, rated or not."""
    since = timezone.now() - dt.timedelta(days=actions.rating_window_days())
    out = []
    for case in selectors.completed_cases_of(user, since)[:100]:
        out.append(Rateable(case, actions.rating_closes_at(case), getattr(case, "rating", None)))
    return out


# -- rectification tasks ------------------------------------------------------------------


def require_staff(user: Any) -> None:
    """The task pages are for staff of a jurisdiction and platform admins."""
    require_authenticated(user)
    if not is_platform_admin(user) and not jurisdictions_with(user):
        raise Forbidden(
            "只有工作人员可以查看差评整改任务。",
            "Only staff may see rectification tasks.",
            code="rectification_forbidden",
        )


@dataclass
class TaskForms:
    """Which steps the page offers to this user (the action decides if it may be done)."""

    callback: bool
    resolve: bool
    appeal: bool
    review: bool

    @property
    def any(self) -> bool:
        return self.callback or self.resolve or self.appeal or self.review


def task_forms(user: Any, task: Rectification) -> TaskForms:
    roles = roles_in(user, task.jurisdiction_id)
    rectify = bool(roles & actions.RECTIFY_ROLES)
    is_open = task.status == Rectification.Status.OPEN
    return TaskForms(
        callback=is_open and rectify and not task.rating.anonymous,
        resolve=is_open and rectify,
        appeal=is_open and bool(roles & actions.APPEAL_ROLES) and task.appealed_at is None,
        review=task.status == Rectification.Status.APPEALED
        and (is_platform_admin(user) or has_role(user, actions.REVIEW_ROLES, task.jurisdiction_id)),
    )


def is_overdue(task: Rectification, today: dt.date | None = None) -> bool:
    open_states = (Rectification.Status.OPEN, Rectification.Status.APPEALED)
    return task.status in open_states and task.due_date < (today or timezone.localdate())


STEPS = ("callback", "resolve", "appeal", "review")


def perform_step(user: Any, task_id: int, step: str, post: Any) -> Rectification:
    """Parse one step's form and call its action."""
    if step == "callback":
        reached = post.get("reached")
        if reached not in ("yes", "no"):
            raise Invalid(
                "请选择是否联系上评价人。",
                "Say whether the rater was reached.",
                code="required",
                details={"reached": ""},
            )
        return actions.record_callback(
            user, task_id, reached=reached == "yes", note=post.get("note", "")
        )
    if step == "resolve":
        return actions.resolve_rectification(
            user, task_id, outcome=post.get("outcome", ""), note=post.get("note", "")
        )
    if step == "appeal":
        return actions.appeal_rectification(user, task_id, reason=post.get("reason", ""))
    if step == "review":
        return actions.review_appeal(
            user, task_id, decision=post.get("decision", ""), note=post.get("note", "")
        )
    raise Invalid("未知的操作。", "Unknown step.", code="unknown_step", details={"step": step})


def may_publish(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and is_platform_admin(user)
