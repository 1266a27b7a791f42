"""What the rating pages (tongban.web.views.ratings) show and how their forms are parsed,
read through ratings.selectors (which also says who may take which step on a task) and the
rule helpers of ratings.actions; the actions enforce the same rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from tongban.accounts.models import User
from tongban.cases import selectors as case_selectors
from tongban.cases.models import Case
from tongban.consultations import selectors as consultation_selectors
from tongban.consultations.models import Consultation
from tongban.core.errors import DomainError, Invalid
from tongban.core.inputs import validate_fields
from tongban.ratings import actions, selectors
from tongban.ratings.api import RatingIn
from tongban.ratings.models import LEVEL_CHOICES, ChannelKind, Leg, Rating, Rectification

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
    gettext_noop("网上办事大厅"),
    gettext_noop("窗口评价器"),
    gettext_noop("短信/邮件评价链接"),
]


# -- the applicant's rating page ----------------------------------------------------------


@dataclass
class RatingForm:
    """The rating page of one service (a case or a consultation): whether and how it may be
    rated, and the rating if it was given."""

    service: Case | Consultation
    kind: str
    indicators: list[tuple[str, str]]
    legs: list[tuple[str, str]]
    default_leg: str
    ended_at: dt.datetime | None
    closes_at: dt.datetime | None
    refusal: DomainError | None
    rating: Rating | None

    @property
    def case(self) -> Case | None:
        return self.service if isinstance(self.service, Case) else None

    @property
    def consultation(self) -> Consultation | None:
        return self.service if isinstance(self.service, Consultation) else None

    @property
    def item_name(self) -> str:
        if isinstance(self.service, Case):
            return self.service.item.name
        item = self.service.item
        return item.name if item is not None else self.service.topic


def _form(
    service: Case | Consultation,
    *,
    kind: str | None = None,
    refusal: DomainError | None,
    rating: Rating | None,
    legs_offered: tuple[str, ...] | None = None,
) -> RatingForm:
    kind = kind or actions.channel_kind_of(service)
    targets = actions.leg_targets(service)
    legs = [
        (leg, targets[leg].name)
        for leg in (Leg.RECEIVING.value, Leg.HANDLING.value)
        if leg in targets and (legs_offered is None or leg in legs_offered)
    ]
    return RatingForm(
        service=service,
        kind=kind,
        indicators=[(key, INDICATOR_LABELS[key]) for key in actions.indicators_for(kind)],
        legs=legs,
        default_leg=actions.default_leg(service) if legs_offered is None else legs_offered[0],
        ended_at=actions.service_ended_at(service),
        closes_at=actions.rating_closes_at(service),
        refusal=refusal,
        rating=rating,
    )


def rating_form(user: User | AnonymousUser, case_number: str) -> RatingForm:
    case = selectors.applicant_case(user, case_number)
    return _form(
        case,
        refusal=actions.rating_refusal(case, timezone.now()),
        rating=selectors.own_rating(user, case),
    )


def consultation_rating_form(user: User | AnonymousUser, consultation_id: int) -> RatingForm:
    consultation = selectors.applicant_consultation(user, consultation_id)
    return _form(
        consultation,
        refusal=actions.rating_refusal(consultation, timezone.now()),
        rating=selectors.own_rating(user, consultation),
    )


def pad_form(
    clerk: User | AnonymousUser, case_number: str | None, consultation_id: int | None
) -> RatingForm:
    """The pad's rating form for a service in the clerk's scope (NotFound otherwise): the
    in-person indicators, rating the window (receiving leg)."""
    service: Case | Consultation
    if case_number is not None:
        service = case_selectors.get_case_for(clerk, case_number)
    else:
        service = consultation_selectors.get_consultation_for(clerk, int(consultation_id or 0))
    return _form(
        service,
        kind=ChannelKind.IN_PERSON,
        refusal=actions.pad_refusal(clerk, service, timezone.now()),
        rating=None,
        legs_offered=(Leg.RECEIVING.value,),
    )


def link_form(token: str) -> RatingForm:
    """The form behind a one-time link (NotFound for an unknown token). A used or expired
    link shows why; the rating itself is not shown (whoever holds an old link is not
    necessarily the applicant)."""
    invitation, refusal = actions.invitation_for(token)
    service = invitation.case or invitation.consultation
    assert service is not None
    refusal = refusal or actions.rating_refusal(service, timezone.now())
    return _form(service, refusal=refusal, rating=None)


def _level(value: str | None, name: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Invalid(
            _("Choose a level for every indicator."),
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
    # the API's contract for the same field (length, no NUL)
    validate_fields(RatingIn, {"comment": post.get("comment", "")})
    return RatingInput(
        level=level,
        indicators=indicators,
        comment=post.get("comment", ""),
        anonymous=post.get("anonymous") == "on",
        target_leg=post.get("target_leg") or None,
    )


@dataclass
class Rateable:
    case: Case | None
    closes_at: dt.datetime | None
    rating: Rating | None
    consultation: Consultation | None = None
    ended_at: dt.datetime | None = None


def rateable_cases(user: User | AnonymousUser) -> list[Rateable]:
    """The applicant's cases and consultations that ended within the rating period, rated
    or not."""
    now = timezone.now()
    since = now - dt.timedelta(days=actions.rating_window_days())
    out = []
    for case in selectors.completed_cases_of(user, since)[:100]:
        closes = actions.rating_closes_at(case)
        if closes is not None and closes >= now:
            out.append(
                Rateable(
                    case,
                    closes,
                    getattr(case, "rating", None),
                    None,
                    actions.service_ended_at(case),
                )
            )
    for c in selectors.closed_consultations_of(user, since)[:100]:
        out.append(
            Rateable(None, actions.rating_closes_at(c), getattr(c, "rating", None), c, c.closed_at)
        )
    return out


# -- rectification tasks ------------------------------------------------------------------


STEPS = ("callback", "resolve", "appeal", "review")


def perform_step(user: User | AnonymousUser, task_id: int, step: str, post: Any) -> Rectification:
    """Parse one step's form and call its action."""
    if step == "callback":
        reached = post.get("reached")
        if reached not in ("yes", "no"):
            raise Invalid(
                _("Say whether the rater was reached."), code="required", details={"reached": ""}
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
    raise Invalid(_("Unknown step."), code="unknown_step", details={"step": step})
