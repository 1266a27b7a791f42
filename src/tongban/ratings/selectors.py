"""Every read of ratings, rectification tasks and published summaries, scoped:
- a rating: its rater; staff of the case's receiving or handling jurisdiction; platform
  admins. The rater's identity is shown to staff only for named ratings.
- a rectification task: staff (supervisors included) of the responsible jurisdiction;
  platform admins.
- published monthly summaries are public (结果公开)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts import trust
from tongban.accounts.access import (
    has_role,
    is_platform_admin,
    jurisdictions_with,
    require_authenticated,
    roles_in,
    signed_in,
)
from tongban.accounts.models import Role, User
from tongban.cases.models import Case, CaseEvent, Status
from tongban.consultations.models import Consultation, ConsultationEvent
from tongban.core.errors import Forbidden, not_found
from tongban.core.inputs import choice_filter
from tongban.ratings.models import MonthlySummary, Rating, RatingEvent, Rectification

# who may hold the window's rating pad: the window staff who serve applicants
PAD_ROLES = frozenset({Role.CLERK})
# staff of the responsible jurisdiction who call back and record the outcome
RECTIFY_ROLES = frozenset({Role.CLERK, Role.OFFICER, Role.HEAD, Role.ADMIN})
# who may appeal a bad rating on behalf of the rated jurisdiction
APPEAL_ROLES = frozenset({Role.HEAD, Role.ADMIN})
# who reviews an appeal (besides platform admins)
REVIEW_ROLES = frozenset({Role.SUPERVISOR})


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
    scope = (
        Q(rater=user)
        | Q(case_id__in=rater_cases(user).values("pk"))
        | Q(consultation_id__in=rater_consultations(user).values("pk"))
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


# -- the rectification deadline: one rule for the list filter, the API and the pages -------

# a task still waiting for the responsible jurisdiction (an appeal does not stop the clock)
OPEN_RECTIFICATION_STATES = (Rectification.Status.OPEN, Rectification.Status.APPEALED)


def overdue_rectifications_q(today: dt.date) -> Q:
    """整改超期: still open (or under appeal) after its due date."""
    return Q(status__in=OPEN_RECTIFICATION_STATES, due_date__lt=today)


def is_rectification_overdue(task: Rectification, today: dt.date | None = None) -> bool:
    """`overdue_rectifications_q` for one task already loaded."""
    today = today or timezone.localdate()
    return task.status in OPEN_RECTIFICATION_STATES and task.due_date < today


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
    status = choice_filter(status, Rectification.Status.values, "status")
    if status:
        qs = qs.filter(status=status)
    if jurisdiction_code:
        qs = qs.filter(jurisdiction__code=jurisdiction_code)
    if overdue is not None:
        late = overdue_rectifications_q(timezone.localdate())
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
# Who rates a service in the portal: the applicant of the case (below the `own_records`
# trust level, only the cases the account itself submitted) or the applicant a consultation
# is linked to. The rating actions, the rating pages and the case page all ask these.


# a case is rateable once its service is over: done, refused at acceptance, or withdrawn
# (the rules cover every service, not only the successful ones)
RATEABLE_STATES = frozenset({Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN})


def rater_cases(user: User) -> QuerySet[Case]:
    """The cases `user` (signed in) rates as their applicant."""
    return Case.objects.filter(trust.own_record_scope(user, "applicant", "submitted_by"))


def rater_consultations(user: User) -> QuerySet[Consultation]:
    """The consultations `user` (signed in) rates as the applicant they are linked to."""
    return Consultation.objects.filter(applicant__user_id=user.pk)


def may_rate(user: User | AnonymousUser, service: Case | Consultation) -> bool:
    """Whether the pages offer `user` to rate `service`: theirs to rate and over (a case
    completed, refused or withdrawn, a consultation closed). The rating page then says
    whether the rating period is still open or it was rated already (rating_refusal)."""
    if not isinstance(user, User):  # the anonymous rate nothing in the portal
        return False
    if isinstance(service, Consultation):
        over = service.status == Consultation.Status.CLOSED
        return over and rater_consultations(user).filter(pk=service.pk).exists()
    over = service.status in RATEABLE_STATES
    return over and rater_cases(user).filter(pk=service.pk).exists()


def applicant_case(user: User | AnonymousUser, case_number: str) -> Case:
    """The caller's own case (as its applicant) for the rating page; anyone else's case,
    or a case that does not exist, is NotFound (existence is not disclosed)."""
    user = signed_in(user)
    case = (
        rater_cases(user)
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
        rater_consultations(user)
        .filter(pk=consultation_id)
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
        rater_cases(user)
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
        rater_consultations(user)
        .filter(status=Consultation.Status.CLOSED, closed_at__gte=since)
        .select_related("item", "jurisdiction", "rating")
        .order_by("-closed_at", "-id")
    )


def require_pad(user: User | AnonymousUser) -> None:
    """The rating pad is the window's tablet, signed in as window staff."""
    require_authenticated(user)
    if not jurisdictions_with(user, PAD_ROLES):
        raise Forbidden(_("The rating pad is for window staff."), code="pad_forbidden")


@dataclass
class PadQueue:
    cases: list[Case]
    consultations: list[Consultation]


def pad_queue(user: User | AnonymousUser, since: dt.datetime) -> PadQueue:
    """The pad's services (`pad_services`) for window staff; Forbidden for anyone else.
    `since` is `actions.pad_since(now)`."""
    require_pad(user)
    cases, consultations = pad_services(user, since)
    return PadQueue(cases, consultations)


def pad_services(clerk: Any, since: dt.datetime) -> tuple[list[Case], list[Consultation]]:
    """What the window's rating pad offers: the cases and consultations this clerk served
    at a window of a jurisdiction where they are window staff since `since`, not rated
    yet, the most recent first. Nothing for anyone else."""
    require_authenticated(clerk)
    places = jurisdictions_with(clerk, PAD_ROLES)
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


# -- who may take which step on a rectification task, publish summaries ------------------
# The rules the actions enforce (ratings.actions), asked by the pages to decide which forms
# they offer.


def require_task_staff(user: User | AnonymousUser) -> None:
    """The rectification task pages are for staff of a jurisdiction and platform admins."""
    require_authenticated(user)
    if not is_platform_admin(user) and not jurisdictions_with(user):
        raise Forbidden(
            _("Only staff may see rectification tasks."), code="rectification_forbidden"
        )


def may_review(user: User | AnonymousUser, jurisdiction_id: int) -> bool:
    """A supervisor of the rated jurisdiction or a platform admin reviews an appeal."""
    return is_platform_admin(user) or has_role(user, REVIEW_ROLES, jurisdiction_id)


@dataclass(frozen=True)
class TaskSteps:
    """Which steps `user` may take on a rectification task now, as the actions decide."""

    callback: bool
    resolve: bool
    appeal: bool
    review: bool

    @property
    def any(self) -> bool:
        return self.callback or self.resolve or self.appeal or self.review


def task_steps_for(user: User | AnonymousUser, task: Rectification) -> TaskSteps:
    """callback (named ratings only) and resolve: rectifying staff while the task is open;
    appeal: the jurisdiction's head or administrator, once, while it is open; review: while
    an appeal waits, see `may_review`."""
    roles = roles_in(user, task.jurisdiction_id)
    rectify = bool(roles & RECTIFY_ROLES)
    is_open = task.status == Rectification.Status.OPEN
    return TaskSteps(
        callback=is_open and rectify and not task.rating.anonymous,
        resolve=is_open and rectify,
        appeal=is_open and bool(roles & APPEAL_ROLES) and task.appealed_at is None,
        review=task.status == Rectification.Status.APPEALED
        and may_review(user, task.jurisdiction_id),
    )


def may_publish(user: User | AnonymousUser) -> bool:
    """结果公开 is for platform admins."""
    return bool(user.is_authenticated) and is_platform_admin(user)
