"""Every change to ratings (好差评) and their rectification (差评整改). Each action locks
what it changes, checks every rule itself and appends a RatingEvent (plus an audit row for
published summaries)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.access import (
    has_role,
    is_platform_admin,
    require_authenticated,
    roles_in,
    signed_in,
)
from tongban.accounts.models import Role, User
from tongban.cases.models import Case, Status
from tongban.consultations.models import Consultation
from tongban.core.audit import record_audit
from tongban.core.errors import (
    CalendarNotAvailable,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    StrOrPromise,
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
    RatingInvitation,
    Rectification,
    Source,
)
from tongban.ratings.selectors import (
    APPEAL_ROLES,
    PAD_ROLES,
    RATEABLE_STATES,
    RECTIFY_ROLES,
    is_rectification_overdue,
    may_publish,
    may_review,
    month_bounds,
    rater_cases,
    rater_consultations,
    readable_rectifications,
)
from tongban.regions.calendar import calendar_for

# who may take which step (the role sets) is stated once in ratings.selectors: the actions
# enforce it and the pages ask it to decide which forms they offer
ONLINE_CHANNELS = ("web", "app")

RS = Rectification.Status


def rating_window_days() -> int:
    return int(getattr(settings, "TONGBAN_RATING_WINDOW_DAYS", 15))


def rectification_days() -> int:
    return int(getattr(settings, "TONGBAN_RECTIFICATION_DAYS", 5))


# consultations asked on these channels were served in person (or by voice): the in-person
# indicator set (competence, attitude) is the one that fits them
IN_PERSON_CONSULTATION_CHANNELS = ("window", "terminal", "hotline")

Service = Case | Consultation


def channel_kind_of(service: Service) -> str:
    if isinstance(service, Consultation):
        if service.channel in IN_PERSON_CONSULTATION_CHANNELS:
            return ChannelKind.IN_PERSON
        return ChannelKind.ONLINE
    return ChannelKind.ONLINE if service.channel in ONLINE_CHANNELS else ChannelKind.IN_PERSON


def indicators_for(kind: str) -> tuple[str, ...]:
    return ONLINE_INDICATORS if kind == ChannelKind.ONLINE else IN_PERSON_INDICATORS


def default_leg(service: Service) -> str:
    """Whose service is rated when the applicant does not say: the receiving window for a
    case received in person at a window or terminal, else the handling place. For a
    consultation the receiving leg is the jurisdiction first asked (首问负责)."""
    if isinstance(service, Consultation):
        return Leg.RECEIVING
    if service.receiving_jurisdiction_id is not None and service.channel not in ONLINE_CHANNELS:
        return Leg.RECEIVING
    return Leg.HANDLING


def leg_targets(service: Service) -> dict[str, Any]:
    """The jurisdiction behind each leg of the service. A consultation's handling leg is the
    place that answered it (the owner when it was not forwarded)."""
    if isinstance(service, Consultation):
        answered = service.answered_in or service.forwarded_to
        targets = {Leg.RECEIVING.value: service.jurisdiction}
        if answered is not None and answered.pk != service.jurisdiction_id:
            targets[Leg.HANDLING.value] = answered
        return targets
    targets = {Leg.HANDLING.value: service.handling_jurisdiction}
    if service.receiving_jurisdiction is not None:
        targets[Leg.RECEIVING.value] = service.receiving_jurisdiction
    return targets


def service_ended_at(service: Service) -> dt.datetime | None:
    """When the service was over: completion, refusal or withdrawal of a case (the time of
    the event that entered that state), the closing of a consultation."""
    if isinstance(service, Consultation):
        return service.closed_at if service.status == Consultation.Status.CLOSED else None
    if service.status not in RATEABLE_STATES:
        return None
    if service.status == Status.COMPLETED:
        return service.completed_at
    from tongban.cases.models import CaseEvent

    return (
        CaseEvent.objects.filter(case=service, to_status=service.status)
        .order_by("-seq")
        .values_list("at", flat=True)
        .first()
    )


def rating_closes_at(service: Service) -> dt.datetime | None:
    ended = service_ended_at(service)
    if ended is None:
        return None
    return ended + dt.timedelta(days=rating_window_days())


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
    actor: User | AnonymousUser | None,
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
        actor=actor if isinstance(actor, User) else None,
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
            _("The indicators do not match the channel."),
            code="invalid_indicators",
            details={"expected": list(wanted), "unknown": unknown, "missing": missing},
        )
    clean: dict[str, int] = {}
    for key in wanted:
        value = given[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise Invalid(
                _("Each level must be an integer from 1 to 5."),
                code="invalid_level",
                details={"indicator": key},
            )
        clean[key] = value
    if clean["overall"] != level:
        raise Invalid(_("The overall indicator must equal the level."), code="invalid_indicators")
    return clean


def _already_rated(service: Service) -> bool:
    if isinstance(service, Consultation):
        return Rating.objects.filter(consultation=service).exists()
    return Rating.objects.filter(case=service).exists()


def _rated_error() -> Conflict:
    return Conflict(_("This service has already been rated."), code="already_rated")


def rating_refusal(service: Service, now: dt.datetime) -> DomainError | None:
    """Why the applicant may not rate `service` now in the portal or through a link (not
    over yet, the rating period over, already rated), or None. The submitting actions
    raise it; the rating pages show it."""
    if service_ended_at(service) is None:
        if isinstance(service, Consultation):
            return Conflict(
                _("A consultation can be rated once it is closed."), code="consultation_not_closed"
            )
        return Conflict(
            _("A case can be rated once it is completed, refused or withdrawn."),
            code="case_not_completed",
        )
    closes = rating_closes_at(service)
    if closes is not None and now > closes:
        return Conflict(
            _("The rating period (%(rating_window_days)s days after the service) is over."),
            code="rating_period_over",
            params={"rating_window_days": rating_window_days()},
        )
    if _already_rated(service):
        return _rated_error()
    return None


def _check_level(level: int, comment: str) -> str:
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        raise Invalid(_("The level must be from 1 to 5."), code="invalid_level")
    comment = (comment or "").strip()
    if level in BAD_LEVELS and not comment:
        raise Invalid(_("A bad rating must say what went wrong."), code="comment_required")
    return comment


def _create_rating(
    service: Service,
    *,
    source: str,
    rater: Any,
    event_actor: Any,
    event_role: str,
    kind: str,
    level: int,
    indicators: dict[str, Any] | None,
    comment: str,
    anonymous: bool,
    target_leg: str | None,
    now: dt.datetime,
) -> Rating:
    """The one place a rating is written, whatever the channel; a bad rating (1–2) opens a
    rectification task for the responsible jurisdiction. The caller holds the service's
    row lock and has checked who may rate."""
    clean = _clean_indicators(kind, level, indicators)
    targets = leg_targets(service)
    leg = target_leg or default_leg(service)
    if leg not in Leg.values:
        raise Invalid(_("Unknown leg."), details={"target_leg": leg})
    if leg not in targets:
        raise Invalid(
            _("The service has no such leg (an online case has no receiving place)."),
            code="no_receiving_leg" if leg == Leg.RECEIVING else "no_handling_leg",
        )
    target = targets[leg]
    rating = Rating.objects.create(
        case=service if isinstance(service, Case) else None,
        consultation=service if isinstance(service, Consultation) else None,
        source=source,
        channel_kind=kind,
        level=level,
        indicators=clean,
        comment=comment,
        anonymous=bool(anonymous),
        rater=rater,
        target_leg=leg,
        target_jurisdiction=target,
        rated_at=now,
    )
    _append(
        rating,
        "rate",
        event_actor,
        now,
        event_role,
        data={"level": level, "leg": leg, "source": source},
    )
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


def _lock_case(cases: Any, **filters: Any) -> Case | None:
    return (
        cases.select_for_update(of=("self",))
        .filter(**filters)
        .select_related("receiving_jurisdiction", "handling_jurisdiction")
        .first()
    )


def _rate_as_applicant(
    service: Service,
    source: str,
    rater: User | None,
    now: dt.datetime,
    **rating: Any,
) -> Rating:
    """The applicant's own rating (portal or link; `rater` None when not signed in), of the
    service's channel, within the rating period: `rating_refusal` decides."""
    refusal = rating_refusal(service, now)
    if refusal is not None:
        raise refusal
    return _create_rating(
        service,
        source=source,
        rater=rater,
        event_actor=rater,
        event_role="applicant",
        kind=channel_kind_of(service),
        now=now,
        **rating,
    )


def _lock_consultation(filters: dict[str, Any]) -> Consultation | None:
    return (
        Consultation.objects.select_for_update(of=("self",))
        .filter(**filters)
        .select_related("jurisdiction", "forwarded_to", "answered_in", "item", "applicant")
        .first()
    )


def submit_rating(
    actor: User | AnonymousUser,
    case_number: str | None = None,
    *,
    consultation_id: int | None = None,
    level: int,
    indicators: dict[str, Any] | None = None,
    comment: str = "",
    anonymous: bool = False,
    target_leg: str | None = None,
) -> Rating:
    """The applicant rates, in the portal, a case that is over (completed, refused or
    withdrawn) or a closed consultation, once, within the rating period."""
    actor = signed_in(actor)
    comment = _check_level(level, comment)
    if (case_number is None) == (consultation_id is None):
        raise Invalid(_("Name either a case or a consultation."), code="service_required")
    with transaction.atomic():
        service: Service | None
        if case_number is not None:
            service = _lock_case(rater_cases(actor), number=case_number)
        else:
            service = _lock_consultation(
                {"pk": consultation_id, "pk__in": rater_consultations(actor).values("pk")}
            )
        if service is None:  # not the applicant's: existence is not disclosed
            raise not_found("case" if case_number is not None else "consultation")
        return _rate_as_applicant(
            service,
            Source.PORTAL,
            actor,
            timezone.now(),
            level=level,
            indicators=indicators,
            comment=comment,
            anonymous=anonymous,
            target_leg=target_leg,
        )


# -- the window's rating pad (评价器) ------------------------------------------------------

# how long after serving the applicant the pad still offers the service
PAD_HOURS = 12


def pad_since(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(hours=PAD_HOURS)


def pad_refusal(clerk: Any, service: Service, now: dt.datetime) -> DomainError | None:
    """Why the pad of `clerk` may not rate `service` (the caller has found it in the
    clerk's scope): it must have been served by this clerk, at a window of a jurisdiction
    where they are window staff, in the last PAD_HOURS hours, and not rated yet."""
    since = pad_since(now)
    place_id: int | None
    if isinstance(service, Consultation):
        place_id = service.jurisdiction_id
        served = service.recorded_by_id == clerk.pk and service.asked_at >= since
        served = served or service.events.filter(actor=clerk, at__gte=since).exists()
    else:
        place_id = service.receiving_jurisdiction_id
        served = place_id is not None and service.events.filter(actor=clerk, at__gte=since).exists()
    if place_id is None or not has_role(clerk, PAD_ROLES, place_id):
        return Forbidden(
            _("A window's rating pad rates only services of that window."), code="pad_forbidden"
        )
    if not served:
        return Conflict(
            _("This service was not just served by you; the pad cannot rate it."),
            code="not_served_here",
        )
    if _already_rated(service):
        return _rated_error()
    return None


def submit_pad_rating(
    clerk: Any,
    *,
    case_number: str | None = None,
    consultation_id: int | None = None,
    level: int,
    indicators: dict[str, Any] | None = None,
    comment: str = "",
    anonymous: bool = False,
) -> Rating:
    """The applicant taps a rating on the window's tablet, signed in as the clerk who just
    served them. It rates that window's service (the receiving leg) with the in-person
    indicators, whatever the state of the case: at the window the service is the visit."""
    require_authenticated(clerk)
    comment = _check_level(level, comment)
    if (case_number is None) == (consultation_id is None):
        raise Invalid(_("Name either a case or a consultation."), code="service_required")
    from tongban.cases.selectors import readable_cases
    from tongban.consultations.selectors import readable_consultations

    with transaction.atomic():
        service: Service | None
        if case_number is not None:
            scoped = readable_cases(clerk).filter(number=case_number)
            service = _lock_case(Case.objects, pk__in=scoped.values("pk"))
        else:
            scope = readable_consultations(clerk).filter(pk=int(consultation_id or 0))
            service = _lock_consultation({"pk__in": scope.values("pk")})
        if service is None:
            raise not_found("case" if case_number is not None else "consultation")
        now = timezone.now()
        refusal = pad_refusal(clerk, service, now)
        if refusal is not None:
            raise refusal
        return _create_rating(
            service,
            source=Source.WINDOW_PAD,
            rater=None,
            event_actor=clerk,
            event_role="window_pad",
            kind=ChannelKind.IN_PERSON,
            level=level,
            indicators=indicators,
            comment=comment,
            anonymous=anonymous,
            target_leg=Leg.RECEIVING,
            now=now,
        )


# -- one-time rating links (评价链接) -------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def rating_link_url(token: str) -> str:
    from django.urls import reverse

    base = str(getattr(settings, "TONGBAN_PUBLIC_BASE_URL", "")).rstrip("/")
    return f"{base}{reverse('ratings:link', args=[token])}"


def invite_to_rate(service: Service) -> str | None:
    """Called in the transaction that ends a service: for an applicant without a portal
    account, make a one-time link (valid for the rating period) and return its URL for the
    notification; None when the applicant can rate in the portal, or cannot be reached,
    or the service is not rateable (a joint sub-case is rated through its parent)."""
    applicant = service.applicant
    if applicant is None or applicant.user_id is not None:
        return None
    if not (applicant.phone or applicant.email):
        return None
    if isinstance(service, Case) and service.parent_id is not None:
        return None
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    RatingInvitation.objects.create(
        token_hash=_token_hash(token),
        case=service if isinstance(service, Case) else None,
        consultation=service if isinstance(service, Consultation) else None,
        created_at=now,
        expires_at=now + dt.timedelta(days=rating_window_days()),
    )
    return rating_link_url(token)


def _invitation_refusal(invitation: RatingInvitation, now: dt.datetime) -> DomainError | None:
    if invitation.used_at is not None:
        return Conflict(_("This rating link has already been used."), code="link_used")
    if now > invitation.expires_at:
        return Conflict(_("This rating link has expired."), code="link_expired")
    return None


def invitation_for(token: str) -> tuple[RatingInvitation, DomainError | None]:
    """The invitation behind a link, and why it may not be used now (or None). An unknown
    token is NotFound."""
    invitation = (
        RatingInvitation.objects.filter(token_hash=_token_hash(token or ""))
        .select_related(
            "case__item",
            "case__receiving_jurisdiction",
            "case__handling_jurisdiction",
            "consultation__item",
            "consultation__jurisdiction",
        )
        .first()
    )
    if invitation is None:
        raise NotFound(_("This rating link is not valid."), code="invalid_link")
    refusal = _invitation_refusal(invitation, timezone.now())
    service = invitation.case or invitation.consultation
    if refusal is None and service is not None and _already_rated(service):
        refusal = _rated_error()
    return invitation, refusal


def submit_link_rating(
    token: str,
    *,
    level: int,
    indicators: dict[str, Any] | None = None,
    comment: str = "",
    anonymous: bool = False,
    target_leg: str | None = None,
) -> Rating:
    """Rate through a one-time link, without logging in. The link is spent by the rating;
    an expired, used or unknown link changes nothing."""
    comment = _check_level(level, comment)
    with transaction.atomic():
        invitation = (
            RatingInvitation.objects.select_for_update()
            .filter(token_hash=_token_hash(token or ""))
            .first()
        )
        if invitation is None:
            raise NotFound(_("This rating link is not valid."), code="invalid_link")
        now = timezone.now()
        refusal = _invitation_refusal(invitation, now)
        if refusal is not None:
            raise refusal
        service: Service | None
        if invitation.case_id is not None:
            service = _lock_case(Case.objects, pk=invitation.case_id)
        else:
            service = _lock_consultation({"pk": invitation.consultation_id})
        assert service is not None
        rating = _rate_as_applicant(
            service,
            Source.LINK,
            None,
            now,
            level=level,
            indicators=indicators,
            comment=comment,
            anonymous=anonymous,
            target_leg=target_leg,
        )
        invitation.used_at = now
        invitation.rating = rating
        invitation.save(update_fields=["used_at", "rating"])
    return rating


def _locked_task(actor: User, rectification_id: int) -> Rectification:
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


def _role_for(actor: User, roles: frozenset[str], jurisdiction_id: int) -> str:
    held = sorted(roles_in(actor, jurisdiction_id) & roles)
    if not held:
        raise Forbidden(
            _("Your role in this jurisdiction may not do this."), code="rectification_forbidden"
        )
    return held[0]


def _need(value: str, field: str, label: StrOrPromise) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(
            _("%(label)s is required."),
            code="required",
            details={field: ""},
            params={"label": label},
        )
    return value


def _require_status(task: Rectification, *allowed: str) -> None:
    if task.status not in allowed:
        raise Conflict(
            _("The rectification task is not in a state that allows this."),
            code="illegal_transition",
            details={"status": task.status},
        )


def _open_task(
    actor: User, rectification_id: int, roles: frozenset[str]
) -> tuple[Rectification, str]:
    """The open task, locked, and the role in which `actor` may work on it."""
    task = _locked_task(actor, rectification_id)
    role = _role_for(actor, roles, task.jurisdiction_id)
    _require_status(task, RS.OPEN)
    return task, role


def record_callback(
    actor: User | AnonymousUser, rectification_id: int, *, reached: bool, note: str
) -> Rectification:
    """回访: record the call to the rater (named ratings only have someone to call)."""
    actor = signed_in(actor)
    note = _need(note, "note", _("The follow-up record"))
    with transaction.atomic():
        task, role = _open_task(actor, rectification_id, RECTIFY_ROLES)
        if task.rating.anonymous:
            raise Conflict(_("An anonymous rating cannot be called back."), code="anonymous")
        now = timezone.now()
        task.callback_at = now
        task.callback_by = actor
        task.callback_reached = bool(reached)
        task.callback_note = note
        task.save()
        _append(task.rating, "callback", actor, now, role, note, {"reached": bool(reached)})
    return task


def resolve_rectification(
    actor: User | AnonymousUser, rectification_id: int, *, outcome: str, note: str
) -> Rectification:
    """整改办结: the outcome (fixed at once, fixed by the deadline, or explained). A named
    rating must have been called back first."""
    actor = signed_in(actor)
    note = _need(note, "note", _("The rectification note"))
    if outcome not in Rectification.Outcome.values:
        raise Invalid(_("Unknown outcome."), details={"outcome": outcome})
    with transaction.atomic():
        task, role = _open_task(actor, rectification_id, RECTIFY_ROLES)
        if not task.rating.anonymous and task.callback_at is None:
            raise Conflict(
                _("A named bad rating must be called back before the task is closed."),
                code="callback_required",
            )
        now = timezone.now()
        on_time = not is_rectification_overdue(task, timezone.localdate(now))
        task.outcome = outcome
        task.outcome_note = note
        task.resolved_at = now
        task.resolved_by = actor
        task.status = RS.CLOSED
        task.save()
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


def appeal_rectification(
    actor: User | AnonymousUser, rectification_id: int, *, reason: str
) -> Rectification:
    """申诉: the rated jurisdiction says the rating is mistaken or malicious. Once per task."""
    actor = signed_in(actor)
    reason = _need(reason, "reason", _("The reason for the appeal"))
    with transaction.atomic():
        task, role = _open_task(actor, rectification_id, APPEAL_ROLES)
        if task.appealed_at is not None:
            raise Conflict(_("This rating has already been appealed."), code="appealed")
        now = timezone.now()
        task.status = RS.APPEALED
        task.appeal_reason = reason
        task.appealed_at = now
        task.appealed_by = actor
        task.save()
        _append(task.rating, "appeal", actor, now, role, reason)
    return task


def review_appeal(
    actor: User | AnonymousUser, rectification_id: int, *, decision: str, note: str
) -> Rectification:
    """复核, by a supervisor of the rated jurisdiction or a platform admin. `annul` voids the
    rating (it leaves every count); `reject` sends the task back to rectification."""
    actor = signed_in(actor)
    note = _need(note, "note", _("The review opinion"))
    if decision not in Rectification.ReviewDecision.values:
        raise Invalid(_("Unknown decision."), details={"decision": decision})
    with transaction.atomic():
        task = _locked_task(actor, rectification_id)
        if not may_review(actor, task.jurisdiction_id):
            raise Forbidden(
                _("Only a supervisor or a platform admin may review an appeal."),
                code="review_forbidden",
            )
        role = Role.PLATFORM_ADMIN if is_platform_admin(actor) else Role.SUPERVISOR
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


def publish_monthly_summary(actor: User | AnonymousUser, month: dt.date) -> list[MonthlySummary]:
    """结果公开: freeze the month's figures per rated jurisdiction (platform admins only).
    Publishing a month again replaces its rows. Annulled ratings are not counted as ratings
    (they are listed under `annulled`)."""
    actor = signed_in(actor)
    if not may_publish(actor):
        raise Forbidden(
            _("Only a platform admin may publish rating summaries."), code="publish_forbidden"
        )
    month = month.replace(day=1)
    start, end = month_bounds(month)
    if end > timezone.now():
        raise Conflict(_("The month is not over yet."), code="month_not_over")
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
