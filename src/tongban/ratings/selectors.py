"""Every read of ratings, rectification tasks and published summaries, scoped:
- a rating: its rater; staff of the case's receiving or handling jurisdiction; platform
  admins. The rater's identity is shown to staff only for named ratings.
- a rectification task: staff (supervisors included) of the responsible jurisdiction;
  platform admins.
- published monthly summaries are public (结果公开)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from tongban.accounts import trust
from tongban.accounts.access import (
    is_platform_admin,
    jurisdictions_with,
    require_authenticated,
    signed_in,
)
from tongban.accounts.models import Role, User
from tongban.cases.models import Case, CaseEvent, Status
from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.core.errors import not_found
from tongban.ratings.models import MonthlySummary, Rating, RatingEvent, Rectification


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar month in local time, as aware datetimes."""
    zone = local_zone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    end = dt.datetime(nxt.year, nxt.month, 1, tzinfo=zone)
    return start, end


def readable_ratings(user: User | AnonymousUser) -> QuerySet[Rating]:
    user = signed_in(user)
    qs = Rating.objects.all()
    if is_platform_admin(user):
        return qs
    where = jurisdictions_with(user)
    own_cases = Case.objects.filter(trust.own_record_scope(user, "applicant", "submitted_by"))
    scope = (
        Q(rater=user)
        | Q(case_id__in=own_cases.values("pk"))
        | Q(consultation__applicant__user=user)
    )
    if where:
        scope |= (
            Q(target_jurisdiction__in=where)
            | Q(case__receiving_jurisdiction__in=where)
            | Q(case__handling_jurisdiction__in=where)
            | Q(consultation__jurisdiction__in=where)
            | Q(consultation__forwarded_to__in=where)
        )
    return qs.filter(scope)


def list_ratings(
    user: User | AnonymousUser,
    *,
    jurisdiction_code: str | None = None,
    level: int | None = None,
    bad: bool | None = None,
    status: str | None = None,
    month: dt.date | None = None,
) -> QuerySet[Rating]:
    qs = readable_ratings(user)
    if jurisdiction_code:
        qs = qs.filter(target_jurisdiction__code=jurisdiction_code)
    if level is not None:
        qs = qs.filter(level=level)
    if bad is not None:
        qs = qs.filter(level__lte=2) if bad else qs.filter(level__gte=3)
    if status:
        qs = qs.filter(status=status)
    if month is not None:
        start, end = month_bounds(month)
        qs = qs.filter(rated_at__gte=start, rated_at__lt=end)
    return qs.select_related(
        "case",
        "case__item",
        "case__applicant",
        "consultation",
        "consultation__item",
        "target_jurisdiction",
        "rectification",
        "rater",
    ).order_by("-rated_at", "-id")


def get_rating_for(user: User | AnonymousUser, rating_id: int) -> Rating:
    row = (
        readable_ratings(user)
        .select_related(
            "case",
            "case__item",
            "consultation",
            "consultation__item",
            "target_jurisdiction",
            "rater",
        )
        .filter(pk=rating_id)
        .first()
    )
    if row is None:
        raise not_found("rating")
    return row


def rating_of_case(user: User | AnonymousUser, case_number: str) -> Rating:
    row = (
        readable_ratings(user)
        .select_related("case", "case__item", "target_jurisdiction", "rater")
        .filter(case__number=case_number)
        .first()
    )
    if row is None:
        raise not_found("rating")
    return row


def readable_rectifications(user: User | AnonymousUser) -> QuerySet[Rectification]:
    require_authenticated(user)
    qs = Rectification.objects.all()
    if is_platform_admin(user):
        return qs
    where = jurisdictions_with(user)
    if not where:
        return qs.none()
    return qs.filter(jurisdiction__in=where)


def list_rectifications(
    user: User | AnonymousUser,
    *,
    status: str | None = None,
    jurisdiction_code: str | None = None,
    overdue: bool | None = None,
) -> QuerySet[Rectification]:
    qs = readable_rectifications(user)
    if status:
        qs = qs.filter(status=status)
    if jurisdiction_code:
        qs = qs.filter(jurisdiction__code=jurisdiction_code)
    if overdue is not None:
        today = timezone.localdate()
        late = Q(status__in=[Rectification.Status.OPEN, Rectification.Status.APPEALED]) & Q(
            due_date__lt=today
        )
        qs = qs.filter(late) if overdue else qs.exclude(late)
    return qs.select_related(
        "rating",
        "rating__case",
        "rating__case__item",
        "rating__consultation",
        "rating__consultation__item",
        "jurisdiction",
    ).order_by("due_date", "id")


def get_rectification_for(user: User | AnonymousUser, rectification_id: int) -> Rectification:
    row = (
        readable_rectifications(user)
        .select_related(
            "rating",
            "rating__case",
            "rating__case__item",
            "rating__case__applicant",
            "rating__consultation",
            "rating__consultation__item",
            "rating__rater",
            "jurisdiction",
        )
        .filter(pk=rectification_id)
        .first()
    )
    if row is None:
        raise not_found("rectification")
    return row


def published_summaries(
    month: dt.date | None = None, jurisdiction_code: str | None = None
) -> QuerySet[MonthlySummary]:
    qs = MonthlySummary.objects.select_related("jurisdiction")
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    if jurisdiction_code:
        qs = qs.filter(jurisdiction__code=jurisdiction_code)
    return qs.order_by("-month", "jurisdiction__code")


# -- for the rating pages -----------------------------------------------------------------


def applicant_case(user: User | AnonymousUser, case_number: str) -> Case:
    """The caller's own case (as its applicant) for the rating page; anyone else's case,
    or a case that does not exist, is NotFound (existence is not disclosed)."""
    user = signed_in(user)
    case = (
        Case.objects.filter(trust.own_record_scope(user, "applicant", "submitted_by"))
        .filter(number=case_number)
        .select_related("item", "receiving_jurisdiction", "handling_jurisdiction")
        .first()
    )
    if case is None:
        raise not_found("case")
    return case


def applicant_consultation(user: User | AnonymousUser, consultation_id: int) -> Consultation:
    """The caller's own consultation (as its linked applicant), else NotFound."""
    user = signed_in(user)
    row = (
        Consultation.objects.filter(pk=consultation_id, applicant__user_id=user.pk)
        .select_related("item", "jurisdiction", "forwarded_to", "answered_in")
        .first()
    )
    if row is None:
        raise not_found("consultation")
    return row


def own_rating(user: User | AnonymousUser, service: Case | Consultation) -> Rating | None:
    """The rating of the caller's case or consultation, if it was rated (the applicant sees
    it, annulled or not, whichever channel it came through)."""
    field = "consultation" if isinstance(service, Consultation) else "case"
    return (
        readable_ratings(user)
        .filter(**{field: service})
        .select_related("target_jurisdiction", "rectification")
        .first()
    )


def service_rating(service: Case | Consultation) -> Rating | None:
    """The rating of a service the caller already holds (the pad and the link pages)."""
    field = "consultation" if isinstance(service, Consultation) else "case"
    return (
        Rating.objects.filter(**{field: service})
        .select_related("target_jurisdiction", "rectification")
        .first()
    )


def completed_cases_of(user: User | AnonymousUser, since: dt.datetime) -> QuerySet[Case]:
    """The caller's cases that ended (completed, refused, withdrawn) and changed since
    `since`, newest first, with their rating if any (for the list of services the
    applicant may rate; the rating period itself is checked per case)."""
    user = signed_in(user)
    return (
        Case.objects.filter(trust.own_record_scope(user, "applicant", "submitted_by"))
        .filter(
            Q(status=Status.COMPLETED, completed_at__gte=since)
            | Q(status__in=[Status.REFUSED, Status.WITHDRAWN], updated_at__gte=since)
        )
        .select_related("item", "handling_jurisdiction", "rating")
        .order_by("-updated_at", "-id")
    )


def closed_consultations_of(
    user: User | AnonymousUser, since: dt.datetime
) -> QuerySet[Consultation]:
    """The caller's consultations closed since `since`, with their rating if any."""
    user = signed_in(user)
    return (
        Consultation.objects.filter(
            applicant__user_id=user.pk, status=Consultation.Status.CLOSED, closed_at__gte=since
        )
        .select_related("item", "jurisdiction", "rating")
        .order_by("-closed_at", "-id")
    )


def pad_services(clerk: Any, since: dt.datetime) -> tuple[list[Case], list[Consultation]]:
    """What the window's rating pad offers: the cases and consultations this clerk served
    at a window of a jurisdiction where they are window staff since `since`, not rated
    yet, the most recent first. Nothing for anyone else."""
    require_authenticated(clerk)
    places = jurisdictions_with(clerk, [Role.CLERK])
    if not places:
        return [], []
    served = CaseEvent.objects.filter(actor=clerk, at__gte=since).values("case_id")
    cases = list(
        Case.objects.filter(pk__in=served, receiving_jurisdiction__in=places, rating__isnull=True)
        .select_related("item", "applicant")
        .order_by("-updated_at", "-id")[:20]
    )
    touched = ConsultationEvent.objects.filter(actor=clerk, at__gte=since).values("consultation_id")
    consultations = list(
        Consultation.objects.filter(
            Q(pk__in=touched) | Q(recorded_by=clerk, asked_at__gte=since),
            jurisdiction__in=places,
            rating__isnull=True,
        )
        .select_related("item")
        .order_by("-updated_at", "-id")[:20]
    )
    return cases, consultations


def rating_events(user: User | AnonymousUser, rectification_id: int) -> list[RatingEvent]:
    """The history of a rectification task's rating, for those who may see the task."""
    task = get_rectification_for(user, rectification_id)
    return list(
        RatingEvent.objects.filter(rating_id=task.rating_id).select_related("actor").order_by("seq")
    )


def published_months() -> list[dt.date]:
    """Months with published summaries, newest first (public)."""
    return list(
        MonthlySummary.objects.order_by("-month").values_list("month", flat=True).distinct()
    )
